"""What gitward sends a forge fits the forge's own published API description."""

from __future__ import annotations

import gwapi
import pytest

from gitward.forges import gitea, github, status
from gitward.forges.status import CommitStatus

SHA = "6113728f27ae82c7b1a177c8d03f9e96e0adf246"
STATES: list[status.State] = ["pending", "success", "failure", "error", "warning"]


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("url", [None, "https://gitward.example.com/reports/abc"])
def test_github_status_requests_fit_githubs_openapi(state: status.State, url: str | None) -> None:
    request = github.status_request(
        "acme/app", SHA, CommitStatus(state, status.pending(), "gitward", url)
    )
    gwapi.check(gwapi.GITHUB, request.method, request.path, request.json)
    assert request.json is not None
    assert request.json["state"] != "warning"  # GitHub has no warning state


@pytest.mark.parametrize("state", STATES)
def test_gitea_status_requests_fit_giteas_swagger(state: status.State) -> None:
    request = gitea.status_request("acme/app", SHA, CommitStatus(state, status.success(3, 1)))
    gwapi.check(gwapi.GITEA, request.method, request.path, request.json)


@pytest.mark.parametrize("forge", [github, gitea])
def test_listing_statuses_is_an_operation_the_forge_has(forge: object) -> None:
    which = gwapi.GITHUB if forge is github else gwapi.GITEA
    request = forge.statuses_request("acme/app", SHA)  # type: ignore[attr-defined]
    gwapi.check(which, request.method, request.path, request.json)


def test_the_validator_is_not_a_pushover() -> None:
    with pytest.raises(Exception, match="state"):
        gwapi.check(gwapi.GITHUB, "POST", f"/repos/a/b/statuses/{SHA}", {"state": "warning"})
    with pytest.raises(AssertionError, match="not in the API description"):
        gwapi.check(gwapi.GITEA, "POST", f"/repos/a/b/status/{SHA}", {"state": "success"})


def test_descriptions_fit_140_characters_and_carry_no_control_characters() -> None:
    text = status.failure("x" * 300 + "\x1b[31m\u202e", 7)
    assert len(text) <= status.DESCRIPTION_MAX
    assert "\x1b" not in text
    assert "\u202e" not in text
    assert status.failure("protect-main/signature: not signed", 1).endswith("not signed")
