"""Read-only pages: the audit log, recent decisions (a chart), the policy and its check."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import render_template, request

from gitward import config
from gitward.admin import auditlog, chain_view, decisions
from gitward.admin.site import BP, state
from gitward.config import admin_file, forges_file
from gitward.errors import ConfigError

JOBS_SHOWN = 5000


@BP.get("/audit")
def audit() -> str:
    signer = request.args.get("signer", "")[:100]
    event = request.args.get("event", "")[:100]
    located = config.locate(state().policy)
    entries, events = auditlog.newest(located.audit_log, signer, event)
    return render_template(
        "admin/audit.html",
        entries=entries,
        events=events,
        signer=signer,
        event=event,
        chain=chain_view.view(located.audit_log),
    )


@BP.get("/decisions")
def decisions_page() -> str:
    st = state()
    located = config.locate(st.policy)
    records = auditlog.records(located.audit_log)
    found = decisions.from_audit(records)
    if st.jobs is not None:
        since = time.time() - timedelta(days=decisions.DAYS).total_seconds()
        audited = decisions.audited_jobs(records)
        results: list[Any] = [
            j.result
            for j in st.jobs.finished_since(since, JOBS_SHOWN)
            if j.result and j.id not in audited
        ]
        found += decisions.from_jobs(results)
    today = datetime.now(UTC).date()
    return render_template(
        "admin/decisions.html",
        chart=decisions.chart(found, today),
        hook=sum(1 for d in found if d.source == "hook"),
        receiver=sum(1 for d in found if d.source == "receiver"),
    )


@BP.get("/policy")
def policy() -> str:
    st = state()
    path = config.policy_path(st.policy)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        text = f"(cannot read {path}: {exc})"
    return render_template("admin/policy.html", path=path, text=text, check=check(path))


def check(path: Any) -> dict[str, Any]:
    """What `gitward config check` says about the policy, its signers, forges.yaml and
    admin.yaml: problems (the policy would not be applied) or warnings and counts."""
    problems: list[str] = []
    warnings: tuple[str, ...] = ()
    summary = ""
    try:
        loaded = config.load(path)
        warnings = loaded.warnings
        summary = f"{len(loaded.policy.rules)} rule(s), {len(loaded.signers.signers)} signer(s)"
    except ConfigError as exc:
        problems += exc.problems
    for loader, file in (
        (forges_file.load, forges_file.path_for(path)),
        (admin_file.load, admin_file.path_for(path)),
    ):
        try:
            if file.exists():
                loader(file)
        except ConfigError as exc:
            problems += exc.problems
    return {"ok": not problems, "problems": problems, "warnings": warnings, "summary": summary}
