"""A user's keys read through the forge client, against the forge double (every request checked
against the forge's API description): every page or an error, never part of a list."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gwforge
import gwgpg
import gwkeyforge as kf
import pytest
import requests
from gwforge import Answer, FakeTime, ForgeDouble
from pytest_httpserver import HTTPServer

from gitward.receiver.forge_client import MAX_PAGES, ForgeClient, ForgeError, Retry
from gitward.receiver.queue import RetryLater

TOKEN = "gw-test-token-5e1b"  # a throwaway value for tests only
# Generous timeouts: a loaded machine must not turn an answer into a timeout (and a retry).
FAST = Retry(read_timeout=10.0, connect_timeout=10.0, pace=0.0)


@pytest.fixture(scope="module")
def server() -> Iterator[HTTPServer]:
    with gwforge.serve() as running:
        yield running


@pytest.fixture(scope="module")
def web() -> Iterator[HTTPServer]:
    with gwforge.serve() as running:
        yield running


@pytest.fixture
def export(web: HTTPServer) -> kf.KeyExport:
    return kf.KeyExport(web)


@pytest.fixture(params=["github", "gitea"])
def forge(request: pytest.FixtureRequest, server: HTTPServer) -> Iterator[ForgeDouble]:
    double = gwforge.double(server, request.param)
    yield double
    assert double.problems == []


@pytest.fixture(scope="module")
def dana() -> kf.Key:
    return kf.ed25519(gwgpg.new_home(), "Dana Example <dana@example.org>")


def kind(forge: ForgeDouble) -> str:
    return "github" if forge.prefix == gwforge.GITHUB_PREFIX else "gitea"


def client(
    forge: ForgeDouble,
    git_url: str | None = None,
    clock: FakeTime | None = None,
    retry: Retry = FAST,
    **kw: Any,
) -> ForgeClient:
    instance = gwforge.instance(kind(forge), forge.api_url)
    clock = clock or FakeTime()
    return ForgeClient(
        instance._replace(git_url=git_url or instance.git_url),
        TOKEN,
        retry=retry,
        sleep=clock.sleep,
        clock=clock.clock,
        now=clock.now,
        jitter=lambda: 0.5,
        **kw,
    )


def gpg_items(forge: ForgeDouble, dana: kf.Key, numbers: range) -> list[dict[str, object]]:
    """Items of the forge's shape, each with its own key id (the readers need no real key)."""
    build = kf.github_gpg if kind(forge) == "github" else kf.gitea_gpg
    one = build(dana)
    return [{**one, "id": n, "key_id": f"{n:016X}"} for n in numbers]


def test_every_page_is_read(forge: ForgeDouble, dana: kf.Key) -> None:
    size = 100 if kind(forge) == "github" else 50
    items = gpg_items(forge, dana, range(1, size + 4))
    if kind(forge) == "github":  # GitHub links the next page
        link = {"Link": f'<{forge.api_url}/users/dana/gpg_keys?page=2>; rel="next"'}
        first, last = Answer(json=items[:size], headers=link), Answer(json=items[size:])
    else:  # Gitea counts; a full page of 50 says another may follow
        count = {"X-Total-Count": str(len(items))}
        first = Answer(json=items[:size], headers=count)
        last = Answer(json=items[size:], headers=count)
    forge.on("GET", "/users/dana/gpg_keys", first, last)
    keys = client(forge).user_gpg_keys("dana")
    assert [k.key_id for k in keys] == [f"{n:016X}" for n in range(1, size + 4)]
    pages = [s.query for s in forge.sent("GET", "/users/dana/gpg_keys")]
    assert [p["page"] for p in pages] == ["1", "2"]
    assert all(p.get("per_page", p.get("limit")) == str(size) for p in pages)
    headers = forge.sent("GET")[0].headers
    assert TOKEN in headers["Authorization"]


def test_a_gitea_that_gives_fewer_items_than_it_counts_gives_no_list(
    server: HTTPServer, dana: kf.Key
) -> None:
    # An admin lowered MAX_RESPONSE_ITEMS to 30: the short first page looks like the last one.
    forge = gwforge.double(server, "gitea")
    items = gpg_items(forge, dana, range(1, 54))
    forge.on(
        "GET", "/users/dana/gpg_keys", Answer(json=items[:30], headers={"X-Total-Count": "53"})
    )
    with pytest.raises(ForgeError, match="counts 53 items but gave 30"):
        client(forge).user_gpg_keys("dana")
    assert forge.problems == []


def test_an_odd_count_header_is_no_count(server: HTTPServer, dana: kf.Key) -> None:
    forge = gwforge.double(server, "gitea")
    items = gpg_items(forge, dana, range(1, 3))
    forge.on("GET", "/users/dana/gpg_keys", Answer(json=items, headers={"X-Total-Count": "x"}))
    assert len(client(forge).user_gpg_keys("dana")) == 2


def test_an_endless_list_is_refused(forge: ForgeDouble, dana: kf.Key) -> None:
    size = 100 if kind(forge) == "github" else 50
    link = {"Link": f'<{forge.api_url}/users/dana/keys?page=2>; rel="next"'}
    page = [kf.github_ssh(f"ssh-ed25519 AAAA{n}", "t", n) for n in range(size)]
    path = "/users/dana/ssh_signing_keys" if kind(forge) == "github" else "/users/dana/keys"
    forge.on("GET", path, Answer(json=page, headers=link))
    with pytest.raises(ForgeError, match=f"more than {MAX_PAGES} pages"):
        client(forge).user_ssh_keys("dana")
    assert len(forge.sent("GET")) == MAX_PAGES


@pytest.mark.parametrize("answer", [{"message": "hi"}, None])
def test_an_answer_that_is_no_list_gives_no_list(forge: ForgeDouble, answer: object) -> None:
    forge.on("GET", "/users/dana/gpg_keys", Answer(json=answer))
    with pytest.raises(ForgeError, match="the answer is not a list"):
        client(forge).user_gpg_keys("dana")


def test_an_item_nobody_can_read_gives_no_list(forge: ForgeDouble, dana: kf.Key) -> None:
    items = gpg_items(forge, dana, range(1, 3))
    forge.on("GET", "/users/dana/gpg_keys", Answer(json=[*items, {"key_id": "nope"}]))
    with pytest.raises(ForgeError, match=f"{kind(forge)}: dana's GPG keys: item 2"):
        client(forge).user_gpg_keys("dana")


def test_a_failing_second_page_fails_the_whole_list(forge: ForgeDouble, dana: kf.Key) -> None:
    size = 100 if kind(forge) == "github" else 50
    items = gpg_items(forge, dana, range(1, size + 1))
    forge.on("GET", "/users/dana/gpg_keys", Answer(json=items), Answer(404, {"message": "gone"}))
    with pytest.raises(ForgeError, match="HTTP 404: gone") as caught:
        client(forge).user_gpg_keys("dana")
    assert caught.value.status == 404
    forge.forget_answers()
    forge.on("GET", "/users/dana/gpg_keys", Answer(json=items), Answer(502))
    clock = FakeTime()
    with pytest.raises(RetryLater):
        client(forge, clock=clock).user_gpg_keys("dana")
    assert clock.slept  # tried again before giving up


def test_ssh_keys_of_both_forges(forge: ForgeDouble, tmp_path: Path) -> None:
    line = kf.ssh_key(tmp_path, "k")
    if kind(forge) == "github":
        forge.on("GET", "/users/dana/ssh_signing_keys", Answer(json=[kf.github_ssh(line, "t")]))
    else:
        forge.on("GET", "/users/dana/keys", Answer(json=[kf.gitea_ssh(line, "t")]))
    (key,) = client(forge).user_ssh_keys("dana")
    assert key.key == line
    assert key.verified is (True if kind(forge) == "github" else None)


def test_githubs_list_carries_the_certificates_gitea_exports_them(
    forge: ForgeDouble, export: kf.KeyExport, dana: kf.Key
) -> None:
    export.publish("dana", [dana])
    found = client(forge, export.url).user_gpg_export("dana")
    if kind(forge) == "github":
        assert found is None
        assert export.seen == []
    else:
        assert found is not None and found.startswith(b"-----BEGIN PGP PUBLIC KEY BLOCK")
        assert export.seen == ["/dana.gpg"]


@pytest.fixture
def gitea(server: HTTPServer) -> Iterator[ForgeDouble]:
    double = gwforge.double(server, "gitea")
    yield double
    assert double.problems == []


def test_an_export_the_forge_refuses_is_an_error(gitea: ForgeDouble, export: kf.KeyExport) -> None:
    with pytest.raises(ForgeError, match=r"GET http://.*/nobody\.gpg was refused with HTTP 404"):
        client(gitea, export.url).user_gpg_export("nobody")


def test_an_export_that_stays_unavailable_comes_back_later(
    gitea: ForgeDouble, export: kf.KeyExport
) -> None:
    export.status = 503
    clock = FakeTime()
    calls: list[str] = []
    c = client(gitea, export.url, clock, on_call=lambda _f, label: calls.append(label))
    with pytest.raises(RetryLater, match="HTTP 503"):
        c.user_gpg_export("dana")
    assert calls == ["503"] * FAST.attempts
    assert len(clock.slept) == FAST.attempts - 1
    with pytest.raises(RetryLater):  # the forge is down: one try, no more waiting
        c.user_gpg_export("dana")
    assert len(calls) == FAST.attempts + 1


def test_an_export_rate_limit_is_waited_out_later(gitea: ForgeDouble, export: kf.KeyExport) -> None:
    export.status, export.headers = 429, {"Retry-After": "120"}
    with pytest.raises(RetryLater, match="rate limited") as caught:
        client(gitea, export.url).user_gpg_export("dana")
    assert caught.value.delay >= 120


def test_an_export_that_does_not_come_is_a_timeout(
    gitea: ForgeDouble, export: kf.KeyExport
) -> None:
    export.delay = 1.5
    impatient = FAST._replace(read_timeout=0.2, attempts=2)
    with pytest.raises(RetryLater, match="did not answer in time"):
        client(gitea, export.url, retry=impatient).user_gpg_export("dana")


def test_an_export_nobody_serves_is_a_connection_fault(gitea: ForgeDouble) -> None:
    url = f"http://127.0.0.1:{gwforge.closed_port()}"
    with pytest.raises(RetryLater, match="cannot connect"):
        client(gitea, url).user_gpg_export("dana")


class _Broken(requests.Session):
    def get(self, url: str | bytes, **kw: Any) -> requests.Response:
        raise requests.exceptions.InvalidHeader(f"bad header Authorization: token {TOKEN}")


def test_a_library_error_never_quotes_the_token(gitea: ForgeDouble) -> None:
    with pytest.raises(ForgeError) as caught:
        client(gitea, session=_Broken()).user_gpg_export("dana")
    assert TOKEN not in str(caught.value)
    assert "InvalidHeader" in str(caught.value)
    assert caught.value.__cause__ is None and caught.value.__suppress_context__
