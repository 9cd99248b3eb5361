"""Rego policies on Kubernetes manifests, in process: rego-cpp through regopy (`engine`), the
admission request a manifest makes (`admission`, pure), the policies an admin points a rule at
(`policies`). Nothing outside this package imports regopy."""

from __future__ import annotations

from gitward.rego.policies import PolicyFailed, RegoPolicy, compile_policy, evaluate, load

__all__ = ["PolicyFailed", "RegoPolicy", "compile_policy", "evaluate", "load"]
