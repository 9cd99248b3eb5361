"""Webhook deliveries as forges really send them: authenticated, parsed, hostile ones refused.

Payloads are the real ones in ../shared/fixtures (GitHub's from @octokit/webhooks-examples,
Gitea's captured from real instances); signatures are computed here over the exact bytes.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import gwfixtures
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gitward.forges import gitea, github
from gitward.forges.delivery import DeliveryError, Ignored, Job, Ping
from gitward.forges.registry import FORGES
from gitward.forges.signature import digest, matches

ZERO = "0" * 40


def test_hmac_matches_githubs_published_test_vector() -> None:
    # https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries
    secret, body = b"It's a Secret to Everybody", b"Hello, World!"
    expected = "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
    assert digest(secret, body) == expected
    assert matches(body, f"sha256={expected}", [secret], "sha256=")


@pytest.mark.parametrize(
    ("given_value", "secrets", "prefix", "ok"),
    [
        (None, [b"s"], "", False),  # no header
        ("", [b"s"], "", False),  # Gitea sends an empty header when no secret is set
        (digest(b"s", b"body"), [], "", False),  # nothing configured: fail closed
        (digest(b"s", b"body"), [b"s"], "sha256=", False),  # GitHub's header needs its prefix
        ("sha256=" + digest(b"s", b"body"), [b"s"], "sha256=", True),
        (digest(b"s", b"body").upper(), [b"s"], "", True),  # hex case does not matter
        (digest(b"wrong", b"body"), [b"s"], "", False),
        (digest(b"new", b"body"), [b"old", b"new"], "", True),  # rotation: both secrets
        (digest(b"s", b"other body"), [b"s"], "", False),
        ("zz" * 32, [b"s"], "", False),
        ("\u00e9" * 64, [b"s"], "", False),  # non-ASCII header text: no crash, no match
    ],
)
def test_signatures_are_checked_fail_closed(
    given_value: str | None, secrets: list[bytes], prefix: str, ok: bool
) -> None:
    assert matches(b"body", given_value, secrets, prefix) is ok


def _fixture(name: str) -> Mapping[str, Any]:
    loaded: Mapping[str, Any] = gwfixtures.load(name)
    return loaded


@pytest.mark.parametrize(
    ("name", "event", "expected"),
    [
        ("github/ping.json", "ping", Ping()),
        (
            "github/push.branch-created.json",
            "push",
            ("push", "Codertocat/Hello-World", "refs/heads/master", ZERO, "6113728f27"),
        ),
        (
            "github/push.tag-deleted.json",
            "push",
            ("push", "Codertocat/Hello-World", "refs/tags/simple-tag", "6113728f27", ZERO),
        ),
        (
            "github/pull_request.opened.json",
            "pull_request",
            ("pull_request", "Codertocat/Hello-World", "refs/heads/master", "", "ec26c3e57c"),
        ),
        (
            "github/pull_request.reopened.json",
            "pull_request",
            ("pull_request", "Codertocat/Hello-World", "refs/heads/master", "", "ec26c3e57c"),
        ),
        (
            "github/pull_request.synchronize.json",
            "pull_request",
            ("pull_request", "Codertocat/Hello-World", "refs/heads/master", "", "ec26c3e57c"),
        ),
        ("github/check_suite.requested.json", "check_suite", Ignored),
    ],
)
def test_github_fixtures(name: str, event: str, expected: object) -> None:
    outcome = github.parse("gh", event, _fixture(name), "d-1")
    _assert_outcome(outcome, expected)


@pytest.mark.parametrize(
    ("name", "event", "expected"),
    [
        (
            "gitea/push.go-playground-webhooks.json",
            "push",
            ("push", "example/example", "refs/heads/master", ZERO, "67b56589a4"),
        ),
        (
            "gitea/push.gitea-docs-example.json",
            "push",
            ("push", "gitea/webhooks", "refs/heads/develop", "28e1879d02", "bffeb74224"),
        ),
        (
            "gitea/pull_request_opened.go-playground-webhooks.json",
            "pull_request",
            ("pull_request", "example/example", "refs/heads/master", "", "48e773f892"),
        ),
        (
            "gitea/pull_request_synchronized.drone-go-scm.json",
            "pull_request",
            ("pull_request", "jcitizen/my-repo", "refs/heads/master", "", "2eba238e33"),
        ),
    ],
)
def test_gitea_fixtures(name: str, event: str, expected: object) -> None:
    _assert_outcome(gitea.parse("tea", event, _fixture(name), "d-1"), expected)


def _assert_outcome(outcome: object, expected: object) -> None:
    if isinstance(expected, tuple) and len(expected) == 5:
        assert isinstance(outcome, Job)
        kind, repository, ref, before, after = expected
        assert (outcome.kind, outcome.repository, outcome.ref) == (kind, repository, ref)
        assert outcome.before.startswith(before)
        assert outcome.after.startswith(after)
    elif isinstance(expected, type):
        assert isinstance(outcome, expected)
    else:
        assert outcome == expected


def test_check_run_rerequested_reruns_its_pull_request() -> None:
    payload = _fixture("github/check_run.rerequested.json")
    outcome = github.parse("gh", "check_run", payload, "d-1")
    run = payload["check_run"]
    assert isinstance(outcome, Job)
    assert outcome.after == run["head_sha"]
    if run["pull_requests"]:
        assert outcome.kind == "pull_request"
        assert outcome.number == run["pull_requests"][0]["number"]
    else:
        assert outcome.kind == "push"


def test_a_pull_request_and_its_replay_are_one_job_and_a_newer_head_supersedes() -> None:
    payload = dict(_fixture("github/pull_request.synchronize.json"))
    first = github.parse("gh", "pull_request", payload, "d-1")
    replay = github.parse("gh", "pull_request", payload, "d-2")  # Gitea's replay: a new id
    assert isinstance(first, Job)
    assert isinstance(replay, Job)
    assert first.key == replay.key
    newer = json.loads(json.dumps(payload))
    newer["pull_request"]["head"]["sha"] = "a" * 40
    later = github.parse("gh", "pull_request", newer, "d-3")
    assert isinstance(later, Job)
    assert later.key != first.key
    assert later.supersede_key == first.supersede_key is not None


HOSTILE_NAMES = ["../etc", "a/b/c", "-x/repo", "owner/.git", "owner/..", "own er/r", "o/r\n", ""]


@pytest.mark.parametrize("full_name", HOSTILE_NAMES)
def test_hostile_repository_names_are_refused(full_name: str) -> None:
    payload = json.loads(json.dumps(_fixture("github/push.branch-created.json")))
    payload["repository"]["full_name"] = full_name
    with pytest.raises(DeliveryError) as caught:
        github.parse("gh", "push", payload, "d")
    assert caught.value.status == 400


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("after", "6113728f27"),  # short id
        ("after", "G" * 40),
        ("before", "0" * 39),
        ("after", 123),
        ("ref", "refs/heads/a..b"),
        ("ref", "refs/heads/x\x00y"),
        ("ref", "refs/heads/-x y"),
    ],
)
def test_bad_ids_and_refs_are_refused(field: str, value: object) -> None:
    payload = json.loads(json.dumps(_fixture("github/push.branch-created.json")))
    payload[field] = value
    with pytest.raises(DeliveryError) as caught:
        github.parse("gh", "push", payload, "d")
    assert caught.value.status == 400


def test_an_event_header_that_disagrees_with_the_body_is_refused() -> None:
    pull_request = _fixture("github/pull_request.opened.json")
    with pytest.raises(DeliveryError):
        github.parse("gh", "push", pull_request, "d")
    push = _fixture("github/push.branch-created.json")
    with pytest.raises(DeliveryError):
        github.parse("gh", "pull_request", push, "d")


def test_unknown_events_and_actions_are_ignored() -> None:
    assert isinstance(github.parse("gh", "star", {"action": "created"}, "d"), Ignored)
    closed = dict(_fixture("github/pull_request.opened.json"), action="closed")
    assert isinstance(github.parse("gh", "pull_request", closed, "d"), Ignored)
    # GitHub's spelling is not Gitea's: each forge judges only its own new-head action.
    sync = dict(_fixture("github/pull_request.opened.json"), action="synchronized")
    assert isinstance(github.parse("gh", "pull_request", sync, "d"), Ignored)
    gitea_sync = dict(
        _fixture("gitea/pull_request_opened.go-playground-webhooks.json"), action="synchronize"
    )
    assert isinstance(gitea.parse("tea", "pull_request", gitea_sync, "d"), Ignored)


def test_a_pull_request_edit_counts_only_when_its_base_changed() -> None:
    edited = dict(_fixture("github/pull_request.opened.json"), action="edited")
    assert isinstance(github.parse("gh", "pull_request", edited, "d"), Ignored)
    rebased = dict(edited, changes={"base": {"ref": {"from": "dev"}}})
    assert isinstance(github.parse("gh", "pull_request", rebased, "d"), Job)


JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=50),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None)
@given(
    forge=st.sampled_from(sorted(FORGES)),
    event=st.sampled_from(["push", "pull_request", "check_run", "check_suite", "ping", "x"]),
    payload=st.dictionaries(
        st.sampled_from(["ref", "before", "after", "repository", "action", "pull_request"])
        | st.text(max_size=8),
        JSONISH,
    ),
)
def test_any_payload_is_parsed_or_refused_never_crashes(
    forge: str, event: str, payload: dict[str, object]
) -> None:
    try:
        outcome = FORGES[forge].parse("f", event, payload, "d")
    except DeliveryError as exc:
        assert exc.status == 400
    else:
        assert isinstance(outcome, Job | Ping | Ignored)
