"""End to end: the count in "push accepted (N commits checked)" is what the rules judged, which
can include commits the repository already has; the report must not call them new."""

from __future__ import annotations

from pathlib import Path

from gwpush import Client, Signer, audit, bare_repo, write_config

POLICY = """\
version: 1
rules:
  - id: protect-main
    refs: [refs/heads/main]
    signatures:
      signers: [group:maintainers]
"""


def test_a_parked_commit_reaching_main_is_counted_as_checked_not_new(
    tmp_path: Path, gnupghome: Path
) -> None:
    config = write_config(tmp_path / "etc", POLICY, {"alice": Signer()})
    server = bare_repo(tmp_path / "srv" / "app.git", config)
    client = Client(tmp_path / "work", gnupghome)
    client.commit("parked first", sign=("openpgp", "alice"))
    # No rule protects topic: nothing is judged, though the commit is new to the repository.
    parked = client.push(server, "HEAD:refs/heads/topic")
    assert parked.gitward == ["gitward: push accepted (0 commits checked)"], parked.text
    # main's rule judges the commit now, though the repository already holds it.
    reached = client.push(server, "HEAD:refs/heads/main")
    assert reached.gitward == ["gitward: push accepted (1 commit checked)"], reached.text
    assert [r["commits_checked"] for r in audit(config)] == [0, 1]
