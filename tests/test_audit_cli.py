"""`gitward audit verify|tail|search|rotate` on a policy's log or on files named."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from gitward.audit import chain, lines
from gitward.audit import log as audit
from gitward.cli import main

Capture = pytest.CaptureFixture[str]


@pytest.fixture
def config(tmp_path: Path) -> Path:
    """A policy directory whose audit log has two pushes and a signer edit."""
    (tmp_path / "policy.yaml").write_text("version: 1\nrules: []\n")
    log = tmp_path / "audit.jsonl"
    for i, (who, verdict, rule) in enumerate(
        [
            ("alice", "accepted", "style/subject-length"),
            ("bob", "refused", "protect-main/signature"),
        ]
    ):
        audit.append(
            log,
            {
                "time": f"2026-03-0{i + 1}T12:00:00.000Z",
                "event": "push",
                "actor": who,
                "repository": f"acme/{['deploy', 'app'][i]}",
                "pusher": {"name": who, "source": "gitea", "id": None},
                "verdict": verdict,
                "violations": [{"rule_id": rule}],
            },
        )
    edit = {"time": "2026-03-03T09:00:00.000Z", "event": "signers.add", "actor": "admin"}
    audit.append(log, {**edit, "signer": "carol", "details": {}})
    return tmp_path


def run(capsys: Capture, *argv: str) -> tuple[int, list[str], str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out.splitlines(), err


def test_verify_an_intact_log(config: Path, capsys: Capture) -> None:
    code, out, _ = run(capsys, "audit", "verify", "--config", str(config))
    head = chain.state(config / "audit.jsonl").head
    assert (code, out) == (0, [f"{config / 'audit.jsonl'}: chain intact (3 lines, head {head})"])
    # --config is taken before the action too.
    assert run(capsys, "audit", "--config", str(config), "verify")[0] == 0


def test_verify_names_the_first_broken_line(config: Path, capsys: Capture) -> None:
    log = config / "audit.jsonl"
    lines = log.read_bytes().splitlines(keepends=True)
    log.write_bytes(lines[0] + lines[2])  # the refused push deleted
    code, out, _ = run(capsys, "audit", "verify", "--config", str(config))
    assert code == 1
    assert out[0] == (
        f"{log}:2: prev is not the hash of line 1: line 1 was edited, or lines were deleted, "
        "inserted or moved between 1 and 2"
    )
    assert out[-1] == f"{log}: chain BROKEN: 1 line broken, the first at {log}:2"


def test_verify_files_named_oldest_first(config: Path, capsys: Capture) -> None:
    log = config / "audit.jsonl"
    assert run(capsys, "audit", "rotate", "--config", str(config))[0] == 0
    (old,) = config.glob("audit.jsonl.*")
    code, out, _ = run(capsys, "audit", "verify", str(old), str(log))
    assert code == 0 and out[-1].startswith(f"{log}: chain intact (4 lines")
    assert run(capsys, "audit", "verify", str(log), str(old))[0] == 1


def test_verify_a_missing_log_fails(tmp_path: Path, capsys: Capture) -> None:
    code, _, err = run(capsys, "audit", "verify", str(tmp_path / "nope.jsonl"))
    assert code == 1
    assert err == f"gitward: {tmp_path / 'nope.jsonl'}: No such file or directory\n"


def test_the_log_is_where_the_policy_settings_put_it(tmp_path: Path, capsys: Capture) -> None:
    (tmp_path / "policy.yaml").write_text(
        "version: 1\nsettings:\n  audit_log: logs/gitward.jsonl\nrules: []\n"
    )
    audit.append(tmp_path / "logs" / "gitward.jsonl", {"event": "push"})
    code, out, _ = run(capsys, "audit", "verify", "--config", str(tmp_path / "policy.yaml"))
    assert code == 0 and out[0].startswith(f"{tmp_path / 'logs' / 'gitward.jsonl'}: chain intact")


def test_broken_settings_are_not_guessed_at(tmp_path: Path, capsys: Capture) -> None:
    (tmp_path / "policy.yaml").write_text("version: 1\nsettings:\n  audit_log: 7\nrules: []\n")
    code, _, err = run(capsys, "audit", "verify", "--config", str(tmp_path))
    assert code == 1
    assert err.startswith("gitward: fix the policy's settings first (they place the log): ")
    assert "settings.audit_log" in err


def test_tail_shows_the_last_records_oldest_first(config: Path, capsys: Capture) -> None:
    code, out, _ = run(capsys, "audit", "tail", "-n", "2", "--config", str(config))
    assert code == 0
    assert out == [
        "2026-03-02T12:00:00.000Z push bob: refused via gitea to acme/app "
        "rules protect-main/signature",
        "2026-03-03T09:00:00.000Z signers.add admin: carol {}",
    ]
    code, out, _ = run(
        capsys, "audit", "tail", "--event", "push", "-n", "1", "--config", str(config)
    )
    assert out == [out[0]] and " push bob: " in out[0]
    assert run(capsys, "audit", "tail", "-n", "0", "--config", str(config))[1] == []


def test_tail_json_prints_the_lines_as_they_are(config: Path, capsys: Capture) -> None:
    code, out, _ = run(capsys, "audit", "tail", "--json", str(config / "audit.jsonl"))
    assert code == 0
    assert [x + "\n" for x in out] == (config / "audit.jsonl").read_text().splitlines(True)


@pytest.mark.parametrize(
    ("filters", "actors"),
    [
        ([], ["alice", "bob", "admin"]),
        (["--pusher", "alice"], ["alice"]),
        (["--pusher", "alice", "--pusher", "bob"], ["alice", "bob"]),
        (["--repository", "acme/app"], ["bob"]),
        (["--verdict", "refused"], ["bob"]),
        (["--rule", "protect-main"], ["bob"]),
        (["--rule", "*/subject-length"], ["alice"]),
        (["--signer", "carol"], ["admin"]),
        (["--actor", "admin"], ["admin"]),
        (["--event", "signers.*"], ["admin"]),
        (["--since", "2026-03-02"], ["bob", "admin"]),
        (["--until", "2026-03-02"], ["alice", "bob"]),
        (["--since", "2026-03-02", "--until", "2026-03-02T23:00:00Z"], ["bob"]),
        (["--event", "push", "--verdict", "accepted", "--pusher", "bob"], []),
    ],
)
def test_search_filters(
    config: Path, capsys: Capture, filters: list[str], actors: list[str]
) -> None:
    code, out, _ = run(capsys, "audit", "search", "--json", *filters, "--config", str(config))
    assert code == 0
    assert [json.loads(x)["actor"] for x in out] == actors


def test_search_several_files(config: Path, capsys: Capture) -> None:
    log = config / "audit.jsonl"
    run(capsys, "audit", "rotate", "--config", str(config))
    audit.append(log, {"time": audit.now(), "event": "push", "actor": "dave"})
    (old,) = config.glob("audit.jsonl.*")
    _, out, _ = run(capsys, "audit", "search", "--json", "--event", "push", str(old), str(log))
    assert [json.loads(x)["actor"] for x in out] == ["alice", "bob", "dave"]


def test_unreadable_lines_are_named_and_skipped(config: Path, capsys: Capture) -> None:
    log = config / "audit.jsonl"
    with log.open("ab") as f:
        f.write(b"garbage\n")
    audit.append(log, {"time": audit.now(), "event": "push", "actor": "dave"})
    code, out, err = run(capsys, "audit", "search", "--json", "--config", str(config))
    assert code == 1 and len(out) == 4
    assert err == f"gitward: {log}:4: not a JSON object, skipped\n"
    code, out, err = run(capsys, "audit", "tail", "-n", "3", "--json", "--config", str(config))
    assert code == 1 and [json.loads(x)["actor"] for x in out] == ["bob", "admin", "dave"]
    assert err == f"gitward: {log}:4: not a JSON object, skipped\n"


def test_bad_arguments_are_usage_errors(config: Path, capsys: Capture) -> None:
    for argv in (["search", "--since", "yesterday"], ["tail", "-n", "-3"], ["tail", "-n", "x"]):
        with pytest.raises(SystemExit) as exc:
            main(["audit", *argv, "--config", str(config)])
        assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "expected an ISO date like 2026-06-01" in err
    assert "expected a number of lines, got '-3'" in err


def test_rotate(config: Path, capsys: Capture) -> None:
    log = config / "audit.jsonl"
    code, out, _ = run(capsys, "audit", "rotate", "--config", str(config))
    (old,) = config.glob("audit.jsonl.*")
    assert (code, out) == (0, [f"rotated 3 lines to {old}; {log} continues their chain"])
    first = json.loads(log.read_text())
    assert first["event"] == "audit.rotate" and first["actor"] == audit.actor()
    code, out, _ = run(capsys, "audit", "verify", "--config", str(config))
    assert code == 0 and out[0].startswith(f"{log}: line 1 continues the rotated file {old}")
    log.write_text("")
    code, _, err = run(capsys, "audit", "rotate", str(log))
    assert (code, err) == (1, f"gitward: {log}: no audit lines to rotate\n")


def test_tail_follow_shows_new_records_across_a_rotation(config: Path) -> None:
    log = config / "audit.jsonl"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    argv = [sys.executable, "-m", "gitward", "audit", "tail", "-f", "-n", "1"]
    argv += ["--event", "push", "--config", str(config)]
    proc = subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )
    assert proc.stdout is not None
    hung = threading.Timer(120, proc.kill)  # a readline below must not wait forever
    hung.start()
    try:
        assert " push bob: " in proc.stdout.readline()
        audit.append(log, {"time": "t1", "event": "signers.add", "actor": "admin"})  # filtered
        audit.append(log, {"time": "t2", "event": "push", "actor": "erin"})
        assert proc.stdout.readline().startswith("t2 push erin: ")
        with log.open("ab") as f:
            f.write(b"garbage\n")
        assert main(["audit", "rotate", "--config", str(config)]) == 0
        audit.append(log, {"time": "t3", "event": "push", "actor": "frank"})
        assert proc.stdout.readline().startswith("t3 push frank: ")
    finally:
        hung.cancel()
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130
    assert err == f"gitward: {log}: a new line: not a JSON object, skipped\n"


def test_follow_yields_whole_lines_only(tmp_path: Path) -> None:
    log = tmp_path / "audit.jsonl"
    log.write_bytes(b'{"a":1}\n')
    start = log.stat().st_size
    with log.open("ab") as f:
        f.write(b'{"b":')  # half a line
    calls = 0

    def stop() -> bool:
        nonlocal calls
        calls += 1
        if calls == 3:
            with log.open("ab") as f:
                f.write(b'2}\n{"c":3}\n')
        if calls == 5:
            log.rename(tmp_path / "gone.jsonl")  # renamed, no new log yet: keep waiting
        return calls > 6

    got = list(lines.follow(log, start, stop, poll=0.01))
    assert got == [b'{"b":2}\n', b'{"c":3}\n']
