"""The audit page shows the hash chain's state, by the same check as `gitward audit verify`:
intact (lines, last hash), or broken naming the first broken line."""

from __future__ import annotations

import hashlib
import html as htmllib
from pathlib import Path

import gwadmin
import pytest
from flask.testing import FlaskClient

from gitward.cli import main


@pytest.fixture
def cfg(tmp_path: Path) -> Path:
    return gwadmin.write_config(tmp_path / "cfg")


@pytest.fixture
def client(cfg: Path) -> FlaskClient:
    c = gwadmin.client(gwadmin.app(cfg))
    gwadmin.sign_in(c)
    return c


def chain_card(c: FlaskClient) -> str:
    answer = c.get("/admin/audit")
    assert answer.status_code == 200
    text = answer.get_data(as_text=True)
    start = text.index('id="chain"')
    return htmllib.unescape(text[start : text.index("</section>", start)])


def test_an_intact_log_shows_intact_its_lines_and_last_hash(client: FlaskClient, cfg: Path) -> None:
    log = cfg / "audit.jsonl"
    raw = log.read_bytes().splitlines(keepends=True)
    assert len(raw) == 2  # signers alice and bob were added
    card = chain_card(client)
    assert "Hash chain: intact" in card
    assert '<span class="chain-lines">2</span> lines' in card
    assert f"sha256:{hashlib.sha256(raw[-1]).hexdigest()}" in card
    assert "BROKEN" not in card


def test_an_edited_line_shows_broken_with_the_line_after_it(
    client: FlaskClient, cfg: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = cfg / "audit.jsonl"
    lines = log.read_text().splitlines(keepends=True)
    assert '"actor":"setup"' in lines[0]
    lines[0] = lines[0].replace('"actor":"setup"', '"actor":"someone"')
    log.write_text("".join(lines))
    card = chain_card(client)
    assert "Hash chain: BROKEN" in card
    assert f'<code class="chain-break">{log}:2</code>' in card
    assert "line 1 was edited" in card
    assert "1 broken line of 2" in card
    # `gitward audit verify` names the same line
    assert main(["audit", "--config", str(cfg), "verify"]) == 1
    assert f"{log}:2: " in capsys.readouterr().out


def test_a_missing_log_is_not_shown_as_intact(client: FlaskClient, cfg: Path) -> None:
    (cfg / "audit.jsonl").unlink()
    card = chain_card(client)
    assert "Hash chain: not checked" in card
    assert "does not exist yet" in card
    assert "intact" not in card.split("</h2>")[0]
