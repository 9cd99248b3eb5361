"""docs/audit.md documents every field of every audit record, and nothing that is not one: the
records are made here the way gitward makes them (the push record's builder, real `gitward
signers` edits) and their field paths compared with the tables' first column."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import gwkeys
import pytest

from gitward.audit.record import audit_record
from gitward.audit.verdict_record import verdict_record
from gitward.cli import main
from gitward.hook.pusher import DETECTORS
from gitward.model import Bypass, Origin, Pusher, RefUpdate, Verdict, Violation

DOC = (Path(__file__).resolve().parents[1] / "docs" / "audit.md").read_text()
MAIN = "refs/heads/main"
OID = "9b" * 20


def paths(value: object, prefix: str = "") -> set[str]:
    """`a`, `a.b`, `a[].b`: every field path of a JSON value (counts' keys are data)."""
    found: set[str] = set()
    if isinstance(value, dict):
        for key, item in value.items():
            path = f"{prefix}.{key}" if prefix else key
            found.add(path)
            if path != "violation_counts":
                found |= paths(item, path)
    elif isinstance(value, list):
        for item in value:
            found |= paths(item, f"{prefix}[]")
    return found


def push_records() -> list[dict[str, object]]:
    verdict = Verdict(
        (Violation("protect-main/signature", MAIN, "not signed", "", OID, "bypassed"),),
        (Bypass("protect-main", MAIN, "alice", "INC-42"),),
    )

    def record(
        name: str, checked: int, judged: Verdict | None, error: str | None
    ) -> dict[str, object]:
        return audit_record(
            received_at=datetime(2026, 3, 1, tzinfo=UTC),
            origin=Origin(Pusher("alice", "gitea", "7"), "acme/deploy"),
            updates=[RefUpdate("3f" * 20, OID, MAIN)],
            verdict_name=name,
            commits_checked=checked,
            verdict=judged,
            duration_ms=1,
            error=error,
        )

    accepted = record("accepted", 1, verdict, None)
    error = record("error", 0, None, "the check ran out of its time budget (4 s): x")
    return [accepted, error]


def receiver_records() -> list[dict[str, object]]:
    """A refused pull request and a push that could not be judged, as the worker writes them."""
    refused = {"state": "failure", "policy_version": "sha256:" + "ab" * 32, "commits_checked": 2,
               "violations_total": 1, "violations": [{"rule_id": "protect-main/signature",
               "mode": "enforce", "ref": MAIN, "oid": OID, "message": "not signed"}]}  # fmt: skip
    failed = {"state": "error", "error": "the base branch refs/heads/main is not on the forge"}
    return [
        verdict_record(time="2026-03-01T12:00:00.000Z", job_id="j", forge="gh",
                       forge_type="github", repository="acme/deploy", kind=kind, ref=MAIN,
                       commit=OID, number=number, delivery_id="d", actor="bob", result=result)
        for kind, number, result in (("pull_request", 7, refused), ("push", None, failed))
    ]  # fmt: skip


def edit_records(tmp: Path) -> list[dict[str, object]]:
    (tmp / "policy.yaml").write_text("version: 1\nrules: []\n")
    key = gwkeys.fingerprint("alice")
    add = ["signers", "add", "alice", "--name", "Alice", "--email", "alice@example.com"]
    add += ["--gpg-key", str(gwkeys.KEYS_DIR / "alice.pub.asc")]
    add += ["--ssh-key", str(gwkeys.KEYS_DIR / "alice_ed25519.pub"), "--group", "maintainers"]
    for argv in (add, ["signers", "revoke", "alice", "--key", key], ["signers", "remove", "alice"]):
        assert main([*argv, "--config", str(tmp)]) == 0
    assert main(["audit", "rotate", "--config", str(tmp)]) == 0  # the edits move aside
    lines = [x for f in tmp.glob("audit.jsonl*") for x in f.read_text().splitlines()]
    return [json.loads(line) for line in lines]


def documented() -> set[str]:
    """The first column of every field table."""
    return set(re.findall(r"^\| `([a-z_.\[\]]+)` \|", DOC, re.MULTILINE))


def test_every_field_is_documented_and_every_documented_field_exists(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    records = [*push_records(), *receiver_records(), *edit_records(tmp_path)]
    capsys.readouterr()
    made = set().union(*(paths(r) for r in records))
    assert {r["event"] for r in records} == {
        "push",
        "receiver.verdict",
        "signers.add",
        "signers.revoke",
        "signers.remove",
        "audit.rotate",
    }
    assert made - documented() == set()
    assert documented() - made == set()
    for mode in ("enforce", "bypassed", "warn"):
        assert f'"{mode}": n' in DOC


def test_every_pusher_source_is_documented() -> None:
    row = next(line for line in DOC.splitlines() if line.startswith("| `pusher.source` |"))
    assert set(re.findall(r"`([a-z-]+)`", row.split("|")[3])) == {*DETECTORS, "unknown"}
