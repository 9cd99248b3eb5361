"""The admin pages' parts on their own: admin.yaml, `gitward admin passwd`, password hashes,
the sign-in limiter, the audit log reader, the decisions chart, the signers roster."""

from __future__ import annotations

import io
import json
from datetime import UTC, date, datetime
from pathlib import Path

import gwadmin
import pytest

from gitward import config
from gitward.admin import auditlog, decisions, passwords, paste, roster
from gitward.admin.limits import Limiter
from gitward.cli import main
from gitward.config import admin_file
from gitward.errors import ConfigError, GitwardError, SignerEditError

MINIMAL = """\
public_url: https://gitward.example.com/
session: {secret: env:S}
local: {password_file: pw}
"""


def test_admin_yaml_minimal_and_defaults(tmp_path: Path) -> None:
    (tmp_path / "admin.yaml").write_text(MINIMAL)
    loaded = admin_file.load(admin_file.path_for(tmp_path))
    assert loaded is not None
    assert loaded.public_url == "https://gitward.example.com"
    assert (loaded.session_minutes, loaded.attempts, loaded.window_seconds) == (480, 5, 300)
    assert loaded.password_file == tmp_path / "pw"
    assert loaded.oauth == ()
    assert loaded.forge("x") is None
    assert admin_file.path_for(tmp_path / "policy.yaml") == tmp_path / "admin.yaml"
    assert admin_file.load(tmp_path / "missing.yaml") is None


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("public_url: https://a\nsession: {secret: env:S}\n", "expected at least one of local"),
        (MINIMAL.replace("https://gitward", "http://gitward"), "public_url: expected an https"),
        (MINIMAL + "extra: 1\n", 'unknown key "extra"'),
        (MINIMAL.replace("env:S", "hunter2"), "session.secret: expected env:NAME"),
        (
            MINIMAL + "oauth:\n  - {name: a, type: gitea, url: 'http://127.0.0.1:3',"
            " api_url: 'https://x', client_id: c, client_secret: env:C, admins: {users: [u]}}\n",
            "needs receiver.allow_insecure_loopback",
        ),
        (
            MINIMAL
            + "oauth:\n"
            + "".join(
                "  - {name: a, type: gitea, url: 'https://x', api_url: 'https://x',"
                " client_id: c, client_secret: env:C, admins: {users: [u]}}\n"
                for _ in range(2)
            ),
            "oauth[1].name: expected a unique name",
        ),
        (
            MINIMAL + "oauth:\n  - {name: a, type: gitea, url: 'https://x', api_url: 'https://x',"
            " client_id: c, client_secret: env:C, admins: {}}\n",
            "expected at least one of users, orgs, teams",
        ),
        ("public_url: [\n", "admin.yaml:"),
    ],
)
def test_admin_yaml_problems_name_the_file_line_and_key(
    tmp_path: Path, text: str, problem: str
) -> None:
    path = tmp_path / "admin.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        admin_file.load(path)
    assert problem in str(caught.value)
    assert str(path) in str(caught.value)


def test_an_unreadable_admin_yaml_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / "admin.yaml").write_bytes(b"\xff\xfe")
    with pytest.raises(ConfigError, match="cannot read the admin file"):
        admin_file.load(tmp_path / "admin.yaml")


def test_admin_passwd_sets_an_argon2_hash_readable_by_its_owner_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = gwadmin.write_config(tmp_path / "cfg", signers=False)
    monkeypatch.setattr("sys.stdin", io.StringIO("a new long password\n"))
    assert main(["admin", "passwd", "ops", "--config", str(cfg), "--password-stdin"]) == 0
    assert "password set for 'ops'" in capsys.readouterr().out
    file = cfg / "admin-passwords"
    assert file.stat().st_mode & 0o777 == 0o600
    text = file.read_text()
    assert "a new long password" not in text
    assert "ops:$argon2id$" in text
    assert passwords.verify(file, "ops", "a new long password")
    assert passwords.verify(file, "root", gwadmin.PASSWORD)  # the other account is kept
    assert not passwords.verify(file, "ops", "a wrong password")


def test_admin_passwd_prompts_twice(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = gwadmin.write_config(tmp_path / "cfg", signers=False)
    answers = iter(["first long password", "other long password"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    err = io.StringIO()
    assert main(["admin", "passwd", "ops", "--config", str(cfg)], stderr=err) == 1
    assert "the passwords differ" in err.getvalue()
    monkeypatch.setattr("getpass.getpass", lambda prompt="": "same long password")
    assert main(["admin", "passwd", "ops", "--config", str(cfg)]) == 0
    assert passwords.verify(cfg / "admin-passwords", "ops", "same long password")


def test_admin_passwd_needs_a_local_section(tmp_path: Path) -> None:
    (tmp_path / "policy.yaml").write_text("version: 1\nrules: []\n")
    err = io.StringIO()
    assert main(["admin", "passwd", "ops", "--config", str(tmp_path)], stderr=err) == 1
    assert "no `local: {password_file: ...}` section" in err.getvalue()


def test_passwords_refuse_bad_logins_short_passwords_and_bad_files(tmp_path: Path) -> None:
    file = tmp_path / "pw"
    with pytest.raises(GitwardError, match="expected a login"):
        passwords.set_password(file, "../x", "long enough password")
    with pytest.raises(GitwardError, match="at least 12 characters"):
        passwords.set_password(file, "ops", "short")
    assert passwords.read(file) == {}
    file.write_text("# comment\n\nops:plaintext\n")
    with pytest.raises(ConfigError, match="pw:3: expected login"):
        passwords.read(file)
    file.write_text("ops:$argon2id$garbage\n")
    assert not passwords.verify(file, "ops", "anything at all")
    file.write_bytes(b"\xff")
    with pytest.raises(ConfigError, match="cannot read the password file"):
        passwords.read(file)


def test_a_broken_password_file_is_a_server_error_not_a_sign_in(tmp_path: Path) -> None:
    cfg = gwadmin.write_config(tmp_path / "cfg", signers=False)
    c = gwadmin.client(gwadmin.app(cfg))
    token = gwadmin.csrf(c.get("/admin/login").get_data(as_text=True))
    (cfg / "admin-passwords").write_text("root:plaintext\n")
    data = {"csrf": token, "login": "root", "password": "plaintext"}
    answer = c.post("/admin/login", data=data)
    assert answer.status_code == 500
    assert "Local sign-in is broken" in answer.get_data(as_text=True)


def test_forge_only_installations_have_no_local_sign_in(tmp_path: Path) -> None:
    cfg = gwadmin.write_config(tmp_path / "cfg", signers=False)
    text = (cfg / "admin.yaml").read_text().replace("local: {password_file: admin-passwords}\n", "")
    (cfg / "admin.yaml").write_text(text)
    c = gwadmin.client(gwadmin.app(cfg))
    html = c.get("/admin/login").get_data(as_text=True)
    assert 'name="password"' not in html
    assert "Sign in with tea" in html
    with c.session_transaction("/admin/login") as session:
        token = session["csrf"]
    assert c.post("/admin/login", data={"csrf": token, "login": "root"}).status_code == 404


def test_the_limiter_counts_per_key_in_a_sliding_window() -> None:
    limiter = Limiter(2, 10)
    assert limiter.hit(["ip:a"], now=0) == 0
    assert limiter.hit(["ip:a", "login:x"], now=1) == 0
    assert limiter.hit(["ip:a"], now=2) == 8
    assert limiter.hit(["ip:b", "login:x"], now=3) == 0
    assert limiter.hit(["login:x"], now=4) == 7
    assert limiter.hit(["ip:a"], now=10.5) == 0  # the first attempt left the window


def test_the_limiter_forgets_the_oldest_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("gitward.admin.limits.MAX_KEYS", 3)
    limiter = Limiter(1, 100)
    for key in "abcd":
        limiter.hit([key], now=0)
    assert limiter.hit(["a"], now=1) == 0  # forgotten: counted afresh
    assert limiter.hit(["d"], now=1) == 99


def test_a_pasted_key_is_openpgp_or_ssh_lines() -> None:
    assert paste.split("ssh-ed25519 AAAA x\r\n# c\nssh-rsa BBBB y\n") == (
        [],
        [("pasted key", "ssh-ed25519 AAAA x"), ("pasted key", "ssh-rsa BBBB y")],
    )
    gpg, ssh = paste.split("-----BEGIN PGP PUBLIC KEY BLOCK-----\n...")
    assert ssh == []
    assert gpg[0][1].startswith(b"-----BEGIN PGP")
    with pytest.raises(SignerEditError, match="larger than 256 KiB"):
        paste.split("x" * (300 * 1024))
    with pytest.raises(SignerEditError, match="private key"):
        paste.split("-----BEGIN OPENSSH PRIVATE KEY-----\nb3Bl\n")


def test_the_audit_reader_reads_the_tail_and_skips_broken_lines(tmp_path: Path) -> None:
    log = tmp_path / "audit.jsonl"
    assert auditlog.records(log) == []
    lines = [json.dumps({"event": "e", "n": i}) for i in range(50)]
    log.write_text("\n".join(lines) + "\n")
    tail = auditlog.records(log, tail=200)
    assert 0 < len(tail) < 50
    assert tail[-1]["n"] == 49
    assert all(isinstance(r["n"], int) for r in tail)  # the cut first line is dropped
    entries, events = auditlog.newest(log, limit=3)
    assert [e.summary for e in entries] == ["", "", ""]
    assert events == ["e"]
    log.write_text(json.dumps({"event": "signers.add", "details": {"keys": ["K" * 300]}}) + "\n")
    [entry], _ = auditlog.newest(log)
    assert entry.summary.endswith("…")
    assert len(entry.summary) < 220


def test_decisions_per_day_and_rule_from_the_hook_and_the_receiver() -> None:
    today = date(2026, 11, 29)
    hook = decisions.from_audit(
        [
            {"event": "push", "time": "2026-11-29T10:00:00Z", "verdict": "accepted"},
            {"event": "push", "time": "2026-11-28T10:00:00Z", "verdict": "refused",
             "violations": [{"rule_id": "r1", "mode": "enforce"},
                            {"rule_id": "r2", "mode": "warn"}]},
            {"event": "push", "time": "2026-11-28T11:00:00Z", "verdict": "error"},
            {"event": "push", "time": "not a time", "verdict": "accepted"},
            {"event": "signers.add", "time": "2026-11-29T10:00:00Z"},
            {"event": "push", "time": "2026-10-01T10:00:00Z", "verdict": "accepted"},
        ]
    )  # fmt: skip
    receiver = decisions.from_jobs(
        [
            {"state": "failure", "finished": "2026-11-29T09:00:00+00:00",
             "violations": [{"rule_id": "r1", "mode": "enforce"}]},
            {"state": "warning", "finished": "2026-11-29T09:00:00+00:00"},
            {"state": "error", "finished": "2026-11-29T09:00:00+00:00"},
            {"state": "success"},
        ]
    )  # fmt: skip
    chart = decisions.chart(hook + receiver, today)
    assert len(chart.bars) == decisions.DAYS
    last, before = chart.bars[-1], chart.bars[-2]
    assert (last.day, last.accepted, last.refused) == (today, 2, 1)
    assert (before.accepted, before.refused) == (0, 1)
    assert chart.per_rule == (("r1", 2),)
    assert chart.totals == {"accepted": 2, "refused": 2, "error": 2}
    assert chart.top == 3
    assert last.accepted_h + last.refused_h == chart.height
    empty = decisions.chart([], today)
    assert empty.top == 1
    assert all(b.accepted_h == b.refused_h == 0 for b in empty.bars)


def test_the_decisions_page_counts_receiver_jobs(tmp_path: Path) -> None:
    from gitward.forges.delivery import Job

    cfg = gwadmin.write_config(tmp_path / "cfg", signers=False)
    app = gwadmin.app(cfg)
    store = app.extensions["gitward.queue"].store
    job = Job("gh", "acme/app", "push", "refs/heads/main", "", "a" * 40, None, "d")
    job_id, _ = store.submit(job, 0.0)
    store.claim(job_id, "me", 60, 1.0)
    finished = datetime.now(UTC).isoformat(timespec="seconds")
    result = {"state": "failure", "finished": finished,
              "violations": [{"rule_id": "protect-main", "mode": "enforce"}]}  # fmt: skip
    store.finish(job_id, "me", result)
    c = gwadmin.client(app)
    gwadmin.sign_in(c)
    html = c.get("/admin/decisions").get_data(as_text=True)
    assert "1 refused" in html
    assert "(0 from the hook, 1 from the receiver)" in html
    assert "protect-main" in html


def test_the_roster_shows_sources_and_rules_of_a_broken_policy(tmp_path: Path) -> None:
    cfg = gwadmin.write_config(tmp_path / "cfg")
    located = config.locate(cfg)
    assert roster.rules_by_reference(located) == {
        "group:maintainers": ("protect-main", "release-tags"),
        "group:releasers": ("release-tags",),
    }
    assert roster._source({"source": {"forge": "tea", "user": "alice"}}) == "tea/alice"
    assert roster._source({"source": {"gnupg": "default"}}) == "GnuPG default"
    (cfg / "signers" / "broken.yaml").write_text("id: [\n")
    found = roster.load(located)
    assert [s.id for s in found.signers] == ["alice", "bob"]
    assert found.problems and "broken.yaml" in found.problems[0]
    (cfg / "policy.yaml").write_text(
        "rules:\n  - refs: [x]\n    signatures: {signers: [carol]}\n  - 3\n"
    )
    assert roster.rules_by_reference(config.locate(cfg)) == {"carol": ("rules[0]",)}
    assert roster._earliest(None, None) is None


def test_readmes_admin_yaml_is_valid(tmp_path: Path) -> None:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    block = readme.split("```yaml\n# admin.yaml\n", 1)[1].split("```", 1)[0]
    (tmp_path / "admin.yaml").write_text(block)
    loaded = admin_file.load(tmp_path / "admin.yaml")
    assert loaded is not None
    assert [f.name for f in loaded.oauth] == ["gitea"]
    for shot in ("signers", "signer", "decisions", "audit", "policy", "conflict", "import"):
        assert f"docs/img/admin-{shot}.png" in readme
