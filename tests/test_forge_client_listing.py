"""What the reconciliation sweep and `gitward recheck` read from a forge: open pull requests and
branch tips page by page, one pull request's head and base, one branch's tip."""

from __future__ import annotations

from collections.abc import Iterator

import gwforge
import pytest
from gwforge import Answer, ForgeDouble
from pytest_httpserver import HTTPServer

from gitward.forges.status import Head
from gitward.receiver.forge_client import ForgeClient, ForgeError, Retry

REPO = "acme/app"
TOKEN = "gw-test-token-77e0"  # a throwaway value for tests only
# Not in the GitHub subset of the fixtures (see test_forge_client_requests).
GITHUB_UNDESCRIBED = frozenset(
    {
        "GET /repos/{owner}/{repo}/pulls",
        "GET /repos/{owner}/{repo}/pulls/{pull_number}",
        "GET /repos/{owner}/{repo}/branches",
    }
)


@pytest.fixture(scope="module")
def server() -> Iterator[HTTPServer]:
    with gwforge.serve() as running:
        yield running


@pytest.fixture(params=["github", "gitea"])
def forge(request: pytest.FixtureRequest, server: HTTPServer) -> Iterator[ForgeDouble]:
    missing = GITHUB_UNDESCRIBED if request.param == "github" else frozenset()
    double = gwforge.double(server, request.param, missing)
    yield double
    assert double.problems == []


def kind(forge: ForgeDouble) -> str:
    return "github" if forge.prefix == gwforge.GITHUB_PREFIX else "gitea"


def client(forge: ForgeDouble) -> ForgeClient:
    return ForgeClient(gwforge.instance(kind(forge), forge.api_url), TOKEN, retry=Retry(pace=0))


def sha(n: int) -> str:
    return f"{n:040x}"


def pull(n: int, base: str = "main") -> dict[str, object]:
    return {
        "number": n,
        "state": "open",
        "head": {"sha": sha(n), "ref": f"t{n}"},
        "base": {"ref": base},
    }


def branch(forge: ForgeDouble, n: int) -> dict[str, object]:
    key = "sha" if kind(forge) == "github" else "id"
    return {"name": f"b/{n}", "commit": {key: sha(n)}}


def test_open_pull_requests_are_read_page_by_page(forge: ForgeDouble) -> None:
    size = 100 if kind(forge) == "github" else 50
    nxt = {"Link": f'<{forge.api_url}/repos/{REPO}/pulls?page=2>; rel="next"'}
    last = {"Link": f'<{forge.api_url}/repos/{REPO}/pulls?page=1>; rel="prev"'}
    forge.on(
        "GET",
        f"/repos/{REPO}/pulls",
        Answer(json=[pull(n) for n in range(1, size + 1)], headers=nxt),
        Answer(json=[pull(size + 1, "release/2.x"), {"number": "junk"}], headers=last),
    )
    heads = client(forge).open_pulls(REPO)
    assert len(heads) == size + 1
    assert heads[0] == Head("refs/heads/main", sha(1), 1)
    assert heads[-1] == Head("refs/heads/release/2.x", sha(size + 1), size + 1)
    queries = [s.query for s in forge.sent("GET")]
    assert [q["page"] for q in queries] == ["1", "2"]
    assert all(q["state"] == "open" for q in queries)


def test_a_short_page_without_a_link_header_is_the_last(forge: ForgeDouble) -> None:
    size = 100 if kind(forge) == "github" else 50
    forge.on(
        "GET",
        f"/repos/{REPO}/branches",
        Answer(json=[branch(forge, n) for n in range(size)]),
        Answer(json=[branch(forge, size)]),
    )
    heads = client(forge).branches(REPO)
    assert heads[-1] == Head(f"refs/heads/b/{size}", sha(size))
    assert len(forge.seen) == 2


def test_listing_stops_at_the_limit(forge: ForgeDouble) -> None:
    size = 100 if kind(forge) == "github" else 50
    forge.on("GET", f"/repos/{REPO}/branches", Answer(json=[branch(forge, n) for n in range(size)]))
    assert len(client(forge).branches(REPO, limit=size + 10)) == size + 10
    assert len(forge.seen) == 2


def test_a_pull_requests_head_and_base_are_read_for_a_recheck(forge: ForgeDouble) -> None:
    forge.on("GET", f"/repos/{REPO}/pulls/7", Answer(json=pull(7, "main")))
    assert client(forge).pull_head(REPO, 7) == Head("refs/heads/main", sha(7), 7)


def test_a_branch_tip_is_read_for_a_recheck(forge: ForgeDouble) -> None:
    if kind(forge) == "github":
        forge.on(
            "GET", f"/repos/{REPO}/commits/heads%2Frelease%2F1.x", Answer(json={"sha": sha(9)})
        )
    else:
        forge.on(
            "GET",
            f"/repos/{REPO}/branches/release%2F1.x",
            Answer(json={"name": "release/1.x", "commit": {"id": sha(9)}}),
        )
    tip = client(forge).branch_head(REPO, "refs/heads/release/1.x")
    assert tip == Head("refs/heads/release/1.x", sha(9))


def test_an_answer_that_is_not_a_pull_request_is_an_error(forge: ForgeDouble) -> None:
    forge.on("GET", f"/repos/{REPO}/pulls/7", Answer(json={"message": "weird"}))
    with pytest.raises(ForgeError, match="pull request 7"):
        client(forge).pull_head(REPO, 7)


def test_a_listing_that_is_not_a_list_is_an_error(forge: ForgeDouble) -> None:
    forge.on("GET", f"/repos/{REPO}/branches", Answer(json={"message": "weird"}))
    with pytest.raises(ForgeError, match="not a list"):
        client(forge).branches(REPO)


def test_an_unknown_pull_request_is_a_404_refusal(forge: ForgeDouble) -> None:
    forge.on("GET", f"/repos/{REPO}/pulls/8", Answer(404, {"message": "Not Found"}))
    with pytest.raises(ForgeError, match="HTTP 404") as refused:
        client(forge).pull_head(REPO, 8)
    assert refused.value.status == 404


def test_a_branch_answer_without_a_commit_id_is_an_error(forge: ForgeDouble) -> None:
    if kind(forge) == "github":
        forge.on("GET", f"/repos/{REPO}/commits/heads%2Fmain", Answer(json={"sha": None}))
    else:
        forge.on("GET", f"/repos/{REPO}/branches/main", Answer(json={"name": "main"}))
    with pytest.raises(ForgeError, match="branch main is unusable"):
        client(forge).branch_head(REPO, "main")
