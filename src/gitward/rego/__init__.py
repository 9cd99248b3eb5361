"""Rego policies on Kubernetes manifests, in process: rego-cpp through regopy (`engine`), the
admission request a manifest makes (`admission`, pure), the policies an admin points a rule at
(`policies`), their compiled plans kept between runs (`cache`). Nothing outside this package
imports regopy."""

from __future__ import annotations

from gitward.errors import PolicyFailed
from gitward.rego.engine import Runner
from gitward.rego.policies import RegoPolicy, compile_policy, evaluate, load

__all__ = ["PolicyFailed", "RegoPolicy", "Runner", "compile_policy", "evaluate", "load"]
