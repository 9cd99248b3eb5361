"""The forge client against a real HTTP server standing in for GitHub and Gitea: statuses are
posted once, faults are waited out as the forge asks, a forge that stays down makes the job
come back later, and the token never leaks."""

from __future__ import annotations

import email.utils
import itertools
import logging
from collections.abc import Iterator
from typing import Any

import gwforge
import pytest
import requests
from gwforge import Answer, FakeTime, ForgeDouble
from pytest_httpserver import HTTPServer

from gitward.forges.status import CommitStatus
from gitward.receiver.forge_client import Counter, ForgeClient, ForgeError, Retry
from gitward.receiver.queue import RetryLater

SHA = "6113728f27ae82c7b1a177c8d03f9e96e0adf246"
REPO = "acme/app"
TOKEN = "gw-test-token-3f9c1d"  # a throwaway value for tests only
STATUS = f"/repos/{REPO}/commits/{SHA}/status"
POST = f"/repos/{REPO}/statuses/{SHA}"
FAIL = CommitStatus("failure", "protect-main/signature: not signed", "gitward")
# Patient timeouts: a loaded test machine must not turn a slow answer into a timeout; only the
# test about timeouts is impatient.
FAST = Retry(read_timeout=10.0, connect_timeout=5.0, pace=0.0)
IMPATIENT = FAST._replace(read_timeout=0.3)


@pytest.fixture(scope="module")
def server() -> Iterator[HTTPServer]:
    with gwforge.serve() as running:
        yield running


@pytest.fixture(params=["github", "gitea"])
def forge(request: pytest.FixtureRequest, server: HTTPServer) -> Iterator[ForgeDouble]:
    double = gwforge.double(server, request.param)
    yield double
    assert double.problems == []


@pytest.fixture
def github(server: HTTPServer) -> Iterator[ForgeDouble]:
    double = gwforge.double(server, "github")
    yield double
    assert double.problems == []


def client(
    double: ForgeDouble,
    clock: FakeTime,
    on_call: Counter | None = None,
    on_retry: Counter | None = None,
    retry: Retry = FAST,
) -> ForgeClient:
    """A client of `double` on a fake clock, with jitter fixed at half its range."""
    return ForgeClient(
        gwforge.instance(_name(double), double.api_url),
        TOKEN,
        retry=retry,
        sleep=clock.sleep,
        clock=clock.clock,
        now=clock.now,
        jitter=lambda: 0.5,
        on_call=on_call,
        on_retry=on_retry,
    )


def _name(forge: ForgeDouble) -> str:
    return "github" if forge.prefix == gwforge.GITHUB_PREFIX else "gitea"


def combined(*statuses: dict[str, object]) -> dict[str, object]:
    return {
        "state": "pending",
        "sha": SHA,
        "total_count": len(statuses),
        "statuses": list(statuses),
    }


def ours(
    forge: ForgeDouble, state: str, description: str, context: str = "gitward"
) -> dict[str, object]:
    key = "state" if forge.prefix == gwforge.GITHUB_PREFIX else "status"
    return {"context": context, key: state, "description": description, "id": 1}


# -- statuses ---------------------------------------------------------------------------------


def test_a_new_status_is_posted_with_the_forges_auth_headers(forge: ForgeDouble) -> None:
    forge.on("GET", STATUS, Answer(json=combined()))
    forge.on("POST", POST, Answer(201, {"id": 1}))
    client(forge, FakeTime()).post_status(REPO, SHA, FAIL)
    assert forge.sent("POST", ".*/statuses/.*")
    [post] = forge.sent("POST")
    assert post.json == {"state": "failure", "description": FAIL.description, "context": "gitward"}
    assert post.headers["User-Agent"].startswith("gitward/")
    if forge.prefix == gwforge.GITHUB_PREFIX:
        assert post.headers["Authorization"] == f"Bearer {TOKEN}"
        assert post.headers["Accept"] == "application/vnd.github+json"
        assert post.headers["X-Github-Api-Version"] == "2022-11-28"
    else:
        assert post.headers["Authorization"] == f"token {TOKEN}"


def test_the_same_status_again_is_not_posted(forge: ForgeDouble) -> None:
    forge.on(
        "GET",
        STATUS,
        Answer(
            json=combined(
                ours(forge, "success", "something else", context="ci/other"),
                ours(forge, "failure", FAIL.description),
            )
        ),
    )
    client(forge, FakeTime()).post_status(REPO, SHA, FAIL)
    assert forge.sent("POST") == []


@pytest.mark.parametrize(
    ("state", "description"), [("pending", FAIL.description), ("failure", "an older finding")]
)
def test_a_changed_state_or_description_is_posted(
    forge: ForgeDouble, state: str, description: str
) -> None:
    forge.on("GET", STATUS, Answer(json=combined(ours(forge, state, description))))
    forge.on("POST", POST, Answer(201, {"id": 2}))
    client(forge, FakeTime()).post_status(REPO, SHA, FAIL)
    assert len(forge.sent("POST")) == 1


def test_a_warning_on_github_compares_as_the_success_it_is_posted_as(github: ForgeDouble) -> None:
    warned = CommitStatus("warning", "3 commits checked: all rules pass, 1 warning")
    github.on("GET", STATUS, Answer(json=combined(ours(github, "success", warned.description))))
    client(github, FakeTime()).post_status(REPO, SHA, warned)
    assert github.sent("POST") == []


def test_our_context_is_found_on_a_later_page(forge: ForgeDouble) -> None:
    size = 100 if forge.prefix == gwforge.GITHUB_PREFIX else 50
    others = [ours(forge, "success", "ok", context=f"ci/{i}") for i in range(size)]
    nxt = {"Link": f'<{forge.api_url}{STATUS}?page=2>; rel="next"'}
    forge.on(
        "GET",
        STATUS,
        Answer(json=combined(*others), headers=nxt),
        Answer(json=combined(ours(forge, "failure", FAIL.description))),
    )
    client(forge, FakeTime()).post_status(REPO, SHA, FAIL)
    assert forge.sent("POST") == []
    assert [s.query["page"] for s in forge.sent("GET")] == ["1", "2"]


# -- faults that pass -------------------------------------------------------------------------


@pytest.mark.parametrize("code", [500, 502, 503, 504])
def test_server_errors_are_tried_again_with_growing_backoff(forge: ForgeDouble, code: int) -> None:
    forge.on("GET", STATUS, Answer(code), Answer(code), Answer(json=combined()))
    forge.on("POST", POST, Answer(201, {}))
    clock, retries = FakeTime(), []
    client(forge, clock, on_retry=lambda *labels: retries.append(labels)).post_status(
        REPO, SHA, FAIL
    )
    assert len(forge.sent("POST")) == 1
    assert clock.slept == [0.375, 0.75]  # 0.5 then 1.0 s, each with half of it jittered
    assert retries == [(_name(forge), "server_error")] * 2


def test_a_forge_that_does_not_answer_in_time_is_asked_again(forge: ForgeDouble) -> None:
    forge.on("GET", STATUS, Answer(json=combined(), delay=1.0), Answer(json=combined()))
    forge.on("POST", POST, Answer(201, {}))
    calls: list[tuple[str, str]] = []
    impatient = client(forge, FakeTime(), lambda *labels: calls.append(labels), retry=IMPATIENT)
    impatient.post_status(REPO, SHA, FAIL)
    assert calls == [(_name(forge), "timeout"), (_name(forge), "200"), (_name(forge), "201")]


def test_a_refused_connection_ends_in_retry_later_after_the_in_call_attempts() -> None:
    clock = FakeTime()
    down = ForgeClient(
        gwforge.instance("gitea", f"http://127.0.0.1:{gwforge.closed_port()}/api/v1"),
        TOKEN,
        retry=FAST,
        sleep=clock.sleep,
        clock=clock.clock,
        jitter=lambda: 0.0,
    )
    with pytest.raises(RetryLater, match="cannot connect") as later:
        down.post_status(REPO, SHA, FAIL)
    assert len(clock.slept) == FAST.attempts - 1
    assert later.value.delay >= FAST.later_min


def test_a_forge_down_for_an_hour_gets_its_status_once_it_is_back(forge: ForgeDouble) -> None:
    forge.on("GET", STATUS, Answer(502))
    clock = FakeTime()
    api = client(forge, clock)
    with pytest.raises(RetryLater) as first:
        api.post_status(REPO, SHA, FAIL)
    assert len(forge.sent("GET")) == FAST.attempts  # the in-call budget, then the queue
    assert FAST.later_min <= first.value.delay <= FAST.later_min * 1.1
    # Still down: each run of the job tries once, and comes back no later than later_max.
    clock.t += 3600
    with pytest.raises(RetryLater) as later:
        api.post_status(REPO, SHA, FAIL)
    assert len(forge.sent("GET")) == FAST.attempts + 1
    assert FAST.later_max <= later.value.delay <= FAST.later_max * 1.1
    # Back: the job's next run posts, and the forge counts as up again.
    forge.forget_answers()
    forge.on("GET", STATUS, Answer(json=combined()))
    forge.on("POST", POST, Answer(201, {}))
    api.post_status(REPO, SHA, FAIL)
    assert len(forge.sent("POST")) == 1
    forge.forget_answers()
    forge.on("GET", STATUS, Answer(500), Answer(json=combined()))
    forge.on("POST", POST, Answer(201, {}))
    api.post_status(REPO, SHA, FAIL)  # a full in-call budget again
    assert len(forge.sent("POST")) == 2


# -- rate limits ------------------------------------------------------------------------------


def test_429_waits_as_long_as_retry_after_says(forge: ForgeDouble) -> None:
    forge.on(
        "GET",
        STATUS,
        Answer(429, {"message": "slow down"}, {"Retry-After": "7"}),
        Answer(json=combined()),
    )
    forge.on("POST", POST, Answer(201, {}))
    clock = FakeTime()
    client(forge, clock).post_status(REPO, SHA, FAIL)
    assert forge.sent("POST", ".*/statuses/.*")
    assert clock.slept == [7.0]


def test_a_long_retry_after_sends_the_job_back_and_nothing_more_is_sent(forge: ForgeDouble) -> None:
    forge.on("GET", STATUS, Answer(429, {"message": "slow down"}, {"Retry-After": "120"}))
    clock = FakeTime()
    api = client(forge, clock)
    with pytest.raises(RetryLater, match="rate limited") as later:
        api.post_status(REPO, SHA, FAIL)
    assert 120 <= later.value.delay <= 132
    assert clock.slept == []
    clock.t += 60  # half-way: the client does not even ask
    with pytest.raises(RetryLater) as again:
        api.post_status(REPO, SHA, FAIL)
    assert 59 <= again.value.delay <= 61
    assert len(forge.seen) == 1


def test_githubs_exhausted_quota_waits_until_the_reset(github: ForgeDouble) -> None:
    clock = FakeTime()
    spent = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(clock.now()) + 5)}
    github.on(
        "GET",
        STATUS,
        Answer(403, {"message": "API rate limit exceeded for installation"}, spent),
        Answer(json=combined()),
    )
    github.on("POST", POST, Answer(201, {}))
    client(github, clock).post_status(REPO, SHA, FAIL)
    assert github.sent("POST", ".*/statuses/.*")
    assert clock.slept == [6.0]  # until the reset, and a second to be sure


def test_githubs_quota_spent_for_an_hour_sends_the_job_back_until_the_reset(
    github: ForgeDouble,
) -> None:
    clock = FakeTime()
    spent = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(clock.now()) + 1800)}
    github.on("GET", STATUS, Answer(403, {"message": "API rate limit exceeded"}, spent))
    with pytest.raises(RetryLater) as later:
        client(github, clock).post_status(REPO, SHA, FAIL)
    assert 1801 <= later.value.delay <= 1801 * 1.1


def test_the_last_of_the_quota_blocks_calls_until_the_reset(github: ForgeDouble) -> None:
    clock = FakeTime()
    last = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(clock.now()) + 600)}
    github.on("GET", STATUS, Answer(json=combined(), headers=last))
    with pytest.raises(RetryLater, match="rate limited"):
        client(github, clock).post_status(REPO, SHA, FAIL)
    assert github.sent("POST") == []


def test_githubs_secondary_limit_honours_retry_after(github: ForgeDouble) -> None:
    secondary = {"message": "You have exceeded a secondary rate limit. Please wait a few minutes."}
    github.on("GET", STATUS, Answer(403, secondary, {"Retry-After": "3"}), Answer(json=combined()))
    github.on("POST", POST, Answer(201, {}))
    clock = FakeTime()
    client(github, clock).post_status(REPO, SHA, FAIL)
    assert github.sent("POST", ".*/statuses/.*")
    assert clock.slept == [3.0]


def test_githubs_secondary_limit_without_headers_waits_a_minute(github: ForgeDouble) -> None:
    secondary = {"message": "You have exceeded a secondary rate limit."}
    github.on("GET", STATUS, Answer(403, secondary))
    with pytest.raises(RetryLater) as later:
        client(github, FakeTime()).post_status(REPO, SHA, FAIL)
    assert 60 <= later.value.delay <= 66


# -- refusals ---------------------------------------------------------------------------------


@pytest.mark.parametrize("code", [403, 404, 422])
def test_other_client_errors_are_refusals_at_once(forge: ForgeDouble, code: int) -> None:
    forge.on("GET", STATUS, Answer(json=combined()))
    forge.on("POST", POST, Answer(code, {"message": "No commit found for SHA"}))
    clock = FakeTime()
    with pytest.raises(ForgeError, match=f"HTTP {code}: No commit found") as refused:
        client(forge, clock).post_status(REPO, SHA, FAIL)
    assert refused.value.status == code
    assert clock.slept == []
    assert len(forge.sent("POST")) == 1


def test_a_second_401_is_reported(forge: ForgeDouble) -> None:
    forge.on("GET", STATUS, Answer(401, {"message": "Bad credentials"}))
    with pytest.raises(ForgeError, match="HTTP 401") as refused:
        client(forge, FakeTime()).post_status(REPO, SHA, FAIL)
    assert refused.value.status == 401
    assert len(forge.seen) == 2


# -- the token --------------------------------------------------------------------------------


def test_the_token_is_in_no_url_exception_or_log_record(
    forge: ForgeDouble, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    echo = {"message": f"Bad credentials: {TOKEN} is not valid"}
    forge.on("GET", STATUS, Answer(503, echo), Answer(401, echo))
    with pytest.raises(ForgeError) as refused:
        client(forge, FakeTime()).post_status(REPO, SHA, FAIL)
    assert TOKEN not in str(refused.value)
    assert "[token]" in str(refused.value)
    assert refused.value.__context__ is None
    assert all(TOKEN not in s.path for s in forge.seen)
    forge.forget_answers()
    forge.on("GET", STATUS, Answer(503, echo))
    with pytest.raises(RetryLater) as later:
        client(forge, FakeTime()).post_status(REPO, SHA, FAIL)
    assert TOKEN not in str(later.value)
    assert caplog.records
    for record in caplog.records:
        assert TOKEN not in record.getMessage()


def test_a_token_that_cannot_be_a_header_is_refused_without_quoting_it(
    github: ForgeDouble,
) -> None:
    bad = TOKEN + "\nX-Injected: 1"
    with pytest.raises(ForgeError) as refused:
        ForgeClient(gwforge.instance("github", github.api_url), bad)
    assert TOKEN not in str(refused.value)
    assert github.seen == []


# -- pacing -----------------------------------------------------------------------------------


def test_mutating_calls_are_paced(forge: ForgeDouble) -> None:
    forge.on("GET", STATUS, Answer(json=combined()))
    forge.on("POST", POST, Answer(201, {}))
    api = ForgeClient(gwforge.instance(_name(forge), forge.api_url), TOKEN, retry=Retry(pace=0.25))
    for state in ("pending", "failure", "success"):
        api.post_status(REPO, SHA, CommitStatus(state, f"now {state}"))
    posts = [s.at for s in forge.sent("POST")]
    assert len(posts) == 3
    assert all(later - earlier >= 0.24 for earlier, later in itertools.pairwise(posts))
    gets = [s.at for s in forge.sent("GET")]
    assert gets[1] - posts[0] < 0.2  # reading is not paced


def test_a_library_error_quoting_the_token_is_redacted_and_not_chained() -> None:
    class Refusing(requests.Session):
        def request(self, *args: Any, **kwargs: Any) -> requests.Response:
            header = kwargs["headers"]["Authorization"]
            raise requests.exceptions.InvalidHeader(f"Invalid header value {header!r}")

    forge = gwforge.instance("gitea", "http://127.0.0.1:9/api/v1")
    with pytest.raises(ForgeError, match="InvalidHeader") as failed:
        ForgeClient(forge, TOKEN, session=Refusing()).post_status(REPO, SHA, FAIL)
    assert TOKEN not in str(failed.value)
    assert failed.value.__context__ is None


def test_an_answer_that_is_not_json_is_an_error(forge: ForgeDouble) -> None:
    forge.on("GET", STATUS, Answer(text="<html>a proxy's page</html>"))
    with pytest.raises(ForgeError, match="not JSON"):
        client(forge, FakeTime()).post_status(REPO, SHA, FAIL)


def test_retry_after_may_be_an_http_date(forge: ForgeDouble) -> None:
    clock = FakeTime()
    when = email.utils.formatdate(clock.now() + 4, usegmt=True)
    forge.on("GET", STATUS, Answer(503, headers={"Retry-After": when}), Answer(json=combined()))
    forge.on("POST", POST, Answer(201, {}))
    client(forge, clock).post_status(REPO, SHA, FAIL)
    assert forge.sent("POST", ".*/statuses/.*")
    assert clock.slept == [4.0]


def test_unreadable_rate_limit_headers_fall_back_to_a_minute(github: ForgeDouble) -> None:
    odd = {"Retry-After": "soon", "x-ratelimit-remaining": "0", "x-ratelimit-reset": "later"}
    github.on("GET", STATUS, Answer(429, {"message": "slow down"}, odd))
    with pytest.raises(RetryLater) as later:
        client(github, FakeTime()).post_status(REPO, SHA, FAIL)
    assert 60 <= later.value.delay <= 66
