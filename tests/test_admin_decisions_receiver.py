"""The decisions chart counts the receiver's verdicts from the audit log (its
`receiver.verdict` lines), and a finished job only when the log does not hold its verdict."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import gwadmin

from gitward.admin import auditlog, decisions
from gitward.audit import log as audit_log
from gitward.forges.delivery import Job


def test_receiver_verdict_lines_are_receiver_decisions() -> None:
    found = decisions.from_audit(
        [
            {"event": "receiver.verdict", "time": "2026-11-29T10:00:00Z", "verdict": "refused",
             "violations": [{"rule_id": "r1", "mode": "enforce"}], "job": "j1"},
            {"event": "receiver.verdict", "time": "2026-11-29T10:00:00Z", "verdict": "error"},
            {"event": "push", "time": "2026-11-29T10:00:00Z", "verdict": "accepted"},
        ]
    )  # fmt: skip
    assert [(d.source, d.outcome, d.rules) for d in found] == [
        ("receiver", "refused", ("r1",)),
        ("receiver", "error", ()),
        ("hook", "accepted", ()),
    ]


def test_a_job_whose_verdict_the_log_holds_counts_once(tmp_path: Path) -> None:
    cfg = gwadmin.write_config(tmp_path / "cfg", signers=False)
    app = gwadmin.app(cfg)
    store = app.extensions["gitward.queue"].store
    now = datetime.now(UTC)
    ids = []
    for n in (1, 2):
        job = Job("gh", "acme/app", "pull_request", "refs/heads/main", "", f"{n}" * 40, n, "d")
        job_id, _ = store.submit(job, 0.0)
        store.claim(job_id, "me", 60, 1.0)
        result = {"state": "failure", "finished": now.isoformat(timespec="seconds"),
                  "violations": [{"rule_id": "protect-main", "mode": "enforce"}]}  # fmt: skip
        store.finish(job_id, "me", result)
        ids.append(job_id)
    # The first job's verdict is in the log (as the worker writes it), the second's is not
    # (judged before verdicts were audited); a third verdict came from another worker host.
    for job_id, verdict in ((ids[0], "refused"), ("elsewhere", "accepted")):
        line = {"time": audit_log.now(), "event": "receiver.verdict", "verdict": verdict,
                "job": job_id, "repository": "acme/app",
                "violations": [{"rule_id": "protect-main", "mode": "enforce"}]
                if verdict == "refused" else []}  # fmt: skip
        audit_log.append(cfg / "audit.jsonl", line)
    c = gwadmin.client(app)
    gwadmin.sign_in(c)
    html = c.get("/admin/decisions").get_data(as_text=True)
    assert "1 accepted, 2 refused" in html
    assert "(0 from the hook, 3 from the receiver)" in html
    assert json.loads((cfg / "audit.jsonl").read_text().splitlines()[0])["job"] == ids[0]


def test_the_audit_page_summarises_a_receiver_verdict(tmp_path: Path) -> None:
    log = tmp_path / "audit.jsonl"
    line = {"time": audit_log.now(), "event": "receiver.verdict", "actor": "bob",
            "repository": "acme/app", "forge": "gh", "kind": "pull_request",
            "ref": "refs/heads/main", "number": 2, "verdict": "refused",
            "violations": [{"rule_id": "protect-main/signature", "mode": "enforce"}]}  # fmt: skip
    audit_log.append(log, line)
    [entry], events = auditlog.newest(log)
    assert events == ["receiver.verdict"]
    assert entry.summary == (
        "refused gh acme/app pull request #2 into refs/heads/main; protect-main/signature"
    )
