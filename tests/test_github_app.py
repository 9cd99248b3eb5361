"""GitHub App mode against a GitHub double: the App's JWT, installation tokens cached and
renewed, check runs created and completed with annotations in batches of 50."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import gwapi
import gwfixtures
import gwforge
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from gwforge import Answer, FakeTime, ForgeDouble
from pytest_httpserver import HTTPServer

from gitward.config.forges_file import AppAuth
from gitward.errors import ConfigError
from gitward.forges import checks, github
from gitward.forges.delivery import Job
from gitward.forges.status import CommitStatus, Request
from gitward.model import Violation
from gitward.receiver.forge_client import ForgeClient, ForgeError, Retry
from gitward.receiver.github_app import (
    GitHubApp,
    complete_check_run,
    connect,
    start_check_run,
)

APP_ID = 424242
INSTALLATION = 77
REPO = "acme/app"
SHA = "6113728f27ae82c7b1a177c8d03f9e96e0adf246"
INSTALL_TOKEN = "ghs_gwTestInstallationToken01"  # throwaway values for tests only
INSTALL_TOKEN_2 = "ghs_gwTestInstallationToken02"
STATUS = f"/repos/{REPO}/commits/{SHA}/status"
POST = f"/repos/{REPO}/statuses/{SHA}"
FAIL = CommitStatus("failure", "protect-main/signature: not signed", "gitward")


@functools.cache
def private_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def pem() -> bytes:
    return private_key().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def claims(token: str) -> dict[str, object]:
    """The JWT's claims, verified with the App's public key (as GitHub does)."""
    decoded: dict[str, object] = jwt.decode(
        token,
        private_key().public_key(),
        algorithms=["RS256"],
        options={"verify_exp": False, "verify_iat": False},
    )
    return decoded


@pytest.fixture(scope="module")
def server() -> Iterator[HTTPServer]:
    with gwforge.serve() as running:
        yield running


@pytest.fixture
def gh(server: HTTPServer) -> Iterator[ForgeDouble]:
    double = gwforge.double(server, "github")
    yield double
    assert double.problems == []


def iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def script_installation(gh: ForgeDouble, clock: FakeTime, *tokens: str) -> None:
    gh.on("GET", f"/repos/{REPO}/installation", Answer(json={"id": INSTALLATION, "app_id": APP_ID}))
    gh.on(
        "POST",
        f"/app/installations/{INSTALLATION}/access_tokens",
        *(
            Answer(201, {"token": t, "expires_at": iso(clock.now() + 3600 * n)})
            for n, t in enumerate(tokens, start=1)  # each an hour after the one before
        ),
    )
    gh.on("GET", STATUS, Answer(json={"state": "pending", "statuses": [], "sha": SHA}))
    gh.on("POST", POST, Answer(201, {"id": 1}))


def app_client(gh: ForgeDouble, clock: FakeTime) -> tuple[GitHubApp, ForgeClient]:
    app = GitHubApp(APP_ID, pem(), now=clock.now)
    forge = gwforge.instance("github", gh.api_url, AppAuth(APP_ID, "env:UNUSED"))
    client = ForgeClient(
        forge, app, retry=Retry(pace=0), sleep=clock.sleep, clock=clock.clock, now=clock.now
    )
    return app, client


def bearer(seen: gwforge.Seen) -> str:
    return seen.headers["Authorization"].removeprefix("Bearer ")


# -- authentication ---------------------------------------------------------------------------


def test_the_apps_jwt_is_rs256_signed_backdated_and_short() -> None:
    clock = FakeTime()
    token = GitHubApp(APP_ID, pem(), now=clock.now).jwt()
    assert jwt.get_unverified_header(token)["alg"] == "RS256"
    found = claims(token)
    assert found["iss"] == str(APP_ID)
    assert found["iat"] == int(clock.now()) - 60
    assert found["exp"] == int(clock.now()) + 540
    assert int(str(found["exp"])) - int(str(found["iat"])) <= 600


def test_the_jwt_is_reused_then_renewed_before_it_expires() -> None:
    clock = FakeTime()
    app = GitHubApp(APP_ID, pem(), now=clock.now)
    first = app.jwt()
    clock.t += 400
    assert app.jwt() == first
    clock.t += 100  # 40 s left
    assert app.jwt() != first


def test_calls_about_a_repository_use_its_installation_token(gh: ForgeDouble) -> None:
    clock = FakeTime()
    script_installation(gh, clock, INSTALL_TOKEN)
    _, client = app_client(gh, clock)
    client.post_status(REPO, SHA, FAIL)
    assert gh.sent("POST", ".*/statuses/.*")
    installation, exchange, *rest = gh.seen
    assert installation.route == f"GET /repos/{REPO}/installation"
    assert exchange.route == f"POST /app/installations/{INSTALLATION}/access_tokens"
    for app_call in (installation, exchange):
        assert claims(bearer(app_call))["iss"] == str(APP_ID)
    assert [bearer(s) for s in rest] == [INSTALL_TOKEN, INSTALL_TOKEN]


def test_installation_tokens_are_cached_and_renewed_five_minutes_before_expiry(
    gh: ForgeDouble,
) -> None:
    clock = FakeTime()
    script_installation(gh, clock, INSTALL_TOKEN, INSTALL_TOKEN_2)
    _, client = app_client(gh, clock)
    client.post_status(REPO, SHA, FAIL)
    clock.t += 54 * 60  # 6 minutes left: still good
    client.post_status(REPO, SHA, FAIL)
    assert len(gh.sent("POST", "/app/.*")) == 1
    clock.t += 2 * 60  # 4 minutes left: renewed
    client.post_status(REPO, SHA, FAIL)
    assert len(gh.sent("POST", "/app/.*")) == 2
    assert len(gh.sent("GET", ".*/installation")) == 1
    assert bearer(gh.sent("POST", POST)[-1]) == INSTALL_TOKEN_2


def test_a_refused_installation_token_is_replaced_once(gh: ForgeDouble) -> None:
    clock = FakeTime()
    script_installation(gh, clock, INSTALL_TOKEN, INSTALL_TOKEN_2)
    revoked = Answer(401, {"message": "Bad credentials"})
    gh.on("GET", STATUS, revoked, Answer(json={"state": "pending", "statuses": []}))
    _, client = app_client(gh, clock)
    client.post_status(REPO, SHA, FAIL)
    assert gh.sent("POST", ".*/statuses/.*")
    assert [bearer(s) for s in gh.sent("GET", STATUS)] == [INSTALL_TOKEN, INSTALL_TOKEN_2]


def test_an_app_not_installed_on_the_repository_is_a_clear_error(gh: ForgeDouble) -> None:
    gh.on("GET", f"/repos/{REPO}/installation", Answer(404, {"message": "Not Found"}))
    _, client = app_client(gh, FakeTime())
    with pytest.raises(ForgeError, match="not installed on acme/app") as refused:
        client.post_status(REPO, SHA, FAIL)
    assert refused.value.status == 404


def test_tokens_never_reach_log_records_or_errors(
    gh: ForgeDouble, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("DEBUG")
    clock = FakeTime()
    script_installation(gh, clock, INSTALL_TOKEN)
    gh.on("POST", POST, Answer(422, {"message": f"token {INSTALL_TOKEN} may not"}))
    app, client = app_client(gh, clock)
    with pytest.raises(ForgeError) as refused:
        client.post_status(REPO, SHA, FAIL)
    secrets = (INSTALL_TOKEN, app.jwt())
    assert not any(s in str(refused.value) for s in secrets)
    assert not any(s in r.getMessage() for r in caplog.records for s in secrets)


# -- connecting from forges.yaml --------------------------------------------------------------


def test_connect_reads_the_apps_key_or_the_token_once(tmp_path: Path) -> None:
    key = tmp_path / "app.pem"
    key.write_bytes(pem())
    forge = gwforge.instance("github", "https://ghe.example/api/v3", AppAuth(APP_ID, f"file:{key}"))
    assert isinstance(connect(forge), ForgeClient)
    plain = gwforge.instance("gitea", "https://tea.example/api/v1")._replace(token="env:GW_T")
    assert isinstance(connect(plain, {"GW_T": "abc123"}), ForgeClient)


@pytest.mark.parametrize(
    "content",
    [
        b"-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n",
        ec.generate_private_key(ec.SECP256R1()).private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
    ],
)
def test_a_key_that_is_not_an_rsa_key_is_a_config_error_naming_the_reference(
    tmp_path: Path, content: bytes
) -> None:
    key = tmp_path / "app.pem"
    key.write_bytes(content)
    forge = gwforge.instance("github", "https://ghe.example/api/v3", AppAuth(APP_ID, f"file:{key}"))
    with pytest.raises(ConfigError, match=f"file:{key}") as bad:
        connect(forge)
    assert "not a key" not in str(bad.value)
    assert "PRIVATE" not in str(bad.value)


def test_a_token_with_a_space_is_a_config_error_that_does_not_quote_it() -> None:
    plain = gwforge.instance("gitea", "https://tea.example/api/v1")._replace(token="env:GW_T")
    with pytest.raises(ConfigError, match="env:GW_T") as bad:
        connect(plain, {"GW_T": "abc 123"})
    assert "abc" not in str(bad.value)


# -- check runs -------------------------------------------------------------------------------


def violations(n: int, mode: str = "enforce") -> list[Violation]:
    return [
        Violation(
            "protect-main/signature",
            "refs/heads/main",
            f"commit {i} is not signed",
            "sign it",
            f"{i:040x}",
            mode,  # type: ignore[arg-type]
        )
        for i in range(n)
    ]


def test_a_check_run_is_created_in_progress_then_completed_in_batches_of_50(
    gh: ForgeDouble,
) -> None:
    clock = FakeTime()
    script_installation(gh, clock, INSTALL_TOKEN)
    gh.on("POST", f"/repos/{REPO}/check-runs", Answer(201, {"id": 9001, "head_sha": SHA}))
    gh.on("PATCH", f"/repos/{REPO}/check-runs/9001", Answer(200, {"id": 9001}))
    _, client = app_client(gh, clock)
    run = start_check_run(client, REPO, SHA, "gitward", "https://gitward.example/r/abc")
    assert run == 9001
    [created] = gh.sent("POST", ".*/check-runs")
    assert created.json == {
        "name": "gitward",
        "head_sha": SHA,
        "status": "in_progress",
        "details_url": "https://gitward.example/r/abc",
    }
    complete_check_run(
        client, REPO, run, FAIL._replace(target_url="https://g.example/r/1"), violations(120)
    )
    patches = [s.json for s in gh.sent("PATCH")]
    assert [len(p["output"]["annotations"]) for p in patches] == [50, 50, 20]
    assert [p.get("conclusion") for p in patches] == [None, None, "failure"]
    assert patches[-1]["status"] == "completed"
    assert patches[-1]["details_url"] == "https://g.example/r/1"
    notes = [a for p in patches for a in p["output"]["annotations"]]
    assert len({a["raw_details"] for a in notes}) == 120  # each commit once
    assert all(p["output"]["title"] == FAIL.description for p in patches)
    assert all(bearer(s) == INSTALL_TOKEN for s in gh.sent("PATCH"))


def test_a_rerequested_check_run_gets_a_new_run_on_its_head(gh: ForgeDouble) -> None:
    payload = gwfixtures.load("github/check_run.rerequested.json")
    job = github.parse("gh", "check_run", payload, "d-1")
    assert isinstance(job, Job)
    repo = job.repository
    clock = FakeTime()
    gh.on("GET", f"/repos/{repo}/installation", Answer(json={"id": INSTALLATION}))
    gh.on(
        "POST",
        f"/app/installations/{INSTALLATION}/access_tokens",
        Answer(201, {"token": INSTALL_TOKEN, "expires_at": iso(clock.now() + 3600)}),
    )
    gh.on("POST", f"/repos/{repo}/check-runs", Answer(201, {"id": 1}), Answer(201, {"id": 2}))
    _, client = app_client(gh, clock)
    assert start_check_run(client, repo, job.after, "gitward") == 1
    assert start_check_run(client, repo, job.after, "gitward") == 2  # never reuses a run
    assert {s.json["head_sha"] for s in gh.sent("POST", ".*/check-runs")} == {job.after}


def test_a_check_run_answer_without_an_id_is_an_error(gh: ForgeDouble) -> None:
    clock = FakeTime()
    script_installation(gh, clock, INSTALL_TOKEN)
    gh.on("POST", f"/repos/{REPO}/check-runs", Answer(201, {"id": "nine"}))
    _, client = app_client(gh, clock)
    with pytest.raises(ForgeError, match="without an id"):
        start_check_run(client, REPO, SHA, "gitward")


@pytest.mark.parametrize(
    ("state", "conclusion"),
    [("success", "success"), ("warning", "neutral"), ("failure", "failure"), ("error", "failure")],
)
@pytest.mark.parametrize("count", [0, 1, 50, 51, 700])
def test_completions_fit_githubs_openapi(state: str, conclusion: str, count: int) -> None:
    status = CommitStatus(state, "x" * 140)  # type: ignore[arg-type]
    found = violations(count, "warn" if state == "warning" else "enforce")
    requests = checks.complete_requests(REPO, 5, status, found)
    shown = min(count, checks.MAX_ANNOTATIONS)
    assert len(requests) == max(1, -(-shown // 50))
    for request in requests:
        gwapi.check(gwapi.GITHUB, request.method, request.path, request.json)
    assert requests[-1].json is not None
    assert requests[-1].json["conclusion"] == conclusion


def test_a_pending_status_does_not_complete_a_run() -> None:
    with pytest.raises(ValueError, match="pending"):
        checks.complete_requests(REPO, 5, CommitStatus("pending", "checking"), [])


def test_annotation_levels_follow_the_violations_mode() -> None:
    modes = ["enforce", "warn", "bypassed"]
    found = [violations(1, mode)[0] for mode in modes]
    assert [checks.annotation(v)["annotation_level"] for v in found] == [
        "failure",
        "warning",
        "notice",
    ]
    note = checks.annotation(found[0]._replace(oid=None))
    assert note["title"] == "protect-main/signature in refs/heads/main"
    assert note["path"] == ".github"


def test_text_a_pusher_controls_adds_no_markup_and_fits_githubs_limits() -> None:
    evil = "[click](https://evil.example) ![i](https://evil.example/i.png) @octocat <b>x</b>\x1b[2J"
    found = [v._replace(message=evil * 300) for v in violations(3000)]
    body = checks.output(CommitStatus("failure", "x"), found)
    summary = str(body["summary"])
    assert len(summary) <= checks.SUMMARY_MAX
    assert "[click](" not in summary and "<b>" not in summary and "\x1b" not in summary
    assert "more" in summary.splitlines()[-1]
    note = checks.annotation(found[0])
    assert len(str(note["message"])) <= checks.MESSAGE_MAX
    assert "\x1b" not in json.dumps(note)


@pytest.mark.parametrize(
    ("route", "answer", "error"),
    [
        (f"/repos/{REPO}/installation", {"id": "77"}, "named no installation"),
        (
            f"/app/installations/{INSTALLATION}/access_tokens",
            {"expires_at": "x"},
            "no installation token",
        ),
    ],
)
def test_answers_without_an_installation_or_a_token_are_errors(
    gh: ForgeDouble, route: str, answer: dict[str, object], error: str
) -> None:
    clock = FakeTime()
    script_installation(gh, clock, INSTALL_TOKEN)
    gh.on("POST" if "access_tokens" in route else "GET", route, Answer(201, answer))
    _, client = app_client(gh, clock)
    with pytest.raises(ForgeError, match=error):
        client.post_status(REPO, SHA, FAIL)


def test_a_token_without_a_readable_expiry_is_kept_an_hour(gh: ForgeDouble) -> None:
    clock = FakeTime()
    script_installation(gh, clock, INSTALL_TOKEN)
    gh.on(
        "POST",
        f"/app/installations/{INSTALLATION}/access_tokens",
        Answer(201, {"token": INSTALL_TOKEN, "expires_at": "soon"}),
    )
    _, client = app_client(gh, clock)
    client.post_status(REPO, SHA, FAIL)
    clock.t += 50 * 60
    client.post_status(REPO, SHA, FAIL)
    assert len(gh.sent("POST", "/app/.*")) == 1


def test_calls_about_no_repository_use_the_apps_jwt_and_try_once_more_on_a_401(
    gh: ForgeDouble,
) -> None:
    clock = FakeTime()
    gh.on("GET", "/app", Answer(401, {"message": "JWT expired"}), Answer(json={"id": APP_ID}))
    app, client = app_client(gh, clock)
    first = app.jwt()
    assert client.call(Request("GET", "/app")).json == {"id": APP_ID}
    sent = [bearer(s) for s in gh.sent("GET", "/app")]
    assert sent[0] == first
    assert len(sent) == 2  # a JWT made afresh (the same one while the clock stands still)
    assert claims(sent[1])["iss"] == str(APP_ID)


def test_connect_needs_a_token_or_an_app() -> None:
    forge = gwforge.instance("gitea", "https://tea.example/api/v1")._replace(token=None)
    with pytest.raises(ConfigError, match="neither token nor app"):
        connect(forge)


def test_the_installation_token_is_there_for_fetching_the_repository(gh: ForgeDouble) -> None:
    clock = FakeTime()
    script_installation(gh, clock, INSTALL_TOKEN)
    _, client = app_client(gh, clock)
    assert client.token_for(REPO) == INSTALL_TOKEN
    assert client.token_for(REPO) == INSTALL_TOKEN
    assert len(gh.sent("POST", "/app/.*")) == 1


def test_in_app_mode_the_judge_posts_a_check_run_not_a_status(gh: ForgeDouble) -> None:
    from gitward.receiver.posters import CheckRunPoster, poster_for

    clock = FakeTime()
    script_installation(gh, clock, INSTALL_TOKEN)
    gh.on("POST", f"/repos/{REPO}/check-runs", Answer(201, {"id": 77}), Answer(201, {"id": 78}))
    gh.on("PATCH", f"/repos/{REPO}/check-runs/7[78]", Answer(200, {"id": 77}))
    _, client = app_client(gh, clock)
    poster = poster_for(client)
    assert isinstance(poster, CheckRunPoster)
    pending = CommitStatus("pending", "gitward is checking the commits", "gitward")
    poster.post_status(REPO, SHA, pending)
    poster.post_final(REPO, SHA, FAIL, violations(3))
    assert [s.path for s in gh.sent("PATCH")] == [f"/repos/{REPO}/check-runs/77"]
    # a final verdict whose pending call never got through still gets its run
    poster.post_final(REPO, SHA, FAIL, violations(1))
    assert len(gh.sent("POST", ".*/check-runs")) == 2
    assert gh.sent("PATCH")[-1].path == f"/repos/{REPO}/check-runs/78"
    assert gh.sent("POST", rf"/repos/{REPO}/statuses/.*") == []  # no status in App mode
