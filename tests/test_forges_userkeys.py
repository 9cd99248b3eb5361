"""A user's key lists: the requests fit each forge's own API description, and the readers take
the answers forges really send (built from keys gpg and ssh-keygen make here) and refuse items
they cannot read: a list with such an item is not a complete list."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gwapi
import gwforge
import gwgpg
import gwkeyforge as kf
import pytest

from gitward.config.signer_table import LOGIN
from gitward.forges import gitea_keys, github_keys, userkeys
from gitward.forges.userkeys import ForgeGpgKey, ForgeSshKey


@pytest.fixture(scope="module")
def home() -> Path:
    return gwgpg.new_home()


@pytest.fixture(scope="module")
def dana(home: Path) -> kf.Key:
    return kf.ed25519(home, "Dana Example <dana@example.org>")


@pytest.fixture(scope="module")
def split(home: Path) -> tuple[kf.Key, str]:
    return kf.with_signing_subkey(home, "Sam Split <sam@example.org>")


@pytest.mark.parametrize("page", [1, 7])
def test_key_list_requests_fit_the_descriptions(page: int) -> None:
    for module, which in ((github_keys, gwapi.GITHUB), (gitea_keys, gwapi.GITEA)):
        for request in (module.gpg_keys_request("dana-x", page),
                        module.ssh_keys_request("dana-x", page)):  # fmt: skip
            gwapi.check(which, request.method, request.path, request.json)
            gwforge.check_query(which, request.method, request.path)
            assert f"page={page}" in request.path


def test_github_has_the_ssh_signing_keys_operation_in_the_subset() -> None:
    # The subset of GitHub's description in the fixtures lists it: no `undescribed` allowance.
    found = gwforge.operation(gwapi.GITHUB, "GET", "/users/dana/ssh_signing_keys")
    assert found is not None
    assert found[1]["operationId"] == "users/list-ssh-signing-keys-for-user"
    assert gwforge.operation(gwapi.GITHUB, "GET", "/users/dana/gpg_keys") is not None


def test_page_sizes_are_what_each_forge_gives_at_most() -> None:
    assert github_keys.PAGE_SIZE == 100
    assert gitea_keys.PAGE_SIZE == 50  # Gitea's MAX_RESPONSE_ITEMS default


@pytest.mark.parametrize("login", ["", ".", "..", "a/b", "-x", "a b", "x" * 101, "é"])
def test_a_login_that_is_no_login_never_reaches_a_url(login: str) -> None:
    for build in (github_keys.gpg_keys_request, gitea_keys.ssh_keys_request):
        with pytest.raises(ValueError, match="not a forge user name"):
            build(login)
    with pytest.raises(ValueError, match="not a forge user name"):
        gitea_keys.gpg_export_path(login)


def test_the_login_pattern_is_the_signer_files_one() -> None:
    assert userkeys.LOGIN == LOGIN


def test_exports_are_gitea_only() -> None:
    assert github_keys.gpg_export_path("dana") is None
    assert gitea_keys.gpg_export_path("dana.x") == "/dana.x.gpg"


def test_github_gpg_keys_keep_the_upload_and_the_flags(
    dana: kf.Key, split: tuple[kf.Key, str]
) -> None:
    sam, sub = split
    answer = [
        kf.github_gpg(dana, emails=[("dana@example.org", True), ("d@other.org", False)]),
        kf.github_gpg(sam, revoked=True, raw=False, number=2),
    ]
    kf.check_answer(gwapi.GITHUB, "GET", "/users/dana/gpg_keys", answer)
    first, second = github_keys.gpg_keys(answer)
    assert first.key_id == dana.key_id
    assert first.armored is not None and "BEGIN PGP PUBLIC KEY BLOCK" in first.armored
    assert first.verified is None  # GitHub does not verify keys, only e-mails
    assert first.verified_emails == ("dana@example.org",)
    assert not first.revoked
    assert (second.revoked, second.armored, second.subkey_ids) == (True, None, (sub[-16:],))


def test_gitea_gpg_keys_carry_the_bare_key_packet(split: tuple[kf.Key, str]) -> None:
    sam, sub = split
    answer = [kf.gitea_gpg(sam, verified=False)]
    kf.check_answer(gwapi.GITEA, "GET", "/users/sam/gpg_keys", answer)
    (key,) = gitea_keys.gpg_keys(answer)
    assert key.armored is None
    assert key.key_packet is not None and key.key_packet[0] & 0x3F == 6  # a public key packet
    assert key.verified is False
    assert key.subkey_ids == (sub[-16:],)
    assert answer[0]["expires_at"] == kf.EPOCH  # Gitea's "never"


def test_a_gitea_that_sends_the_armored_key_is_read_too(dana: kf.Key) -> None:
    answer = kf.gitea_gpg(dana)
    answer["public_key"] = dana.armored().decode()
    (key,) = gitea_keys.gpg_keys([answer])
    assert key.armored is not None and key.key_packet is None


@pytest.mark.parametrize("public_key", ["", "not base64!", None])
def test_an_unreadable_key_packet_leaves_the_key_unusable_not_the_list(
    dana: kf.Key, public_key: object
) -> None:
    answer = kf.gitea_gpg(dana)
    answer["public_key"] = public_key
    (key,) = gitea_keys.gpg_keys([answer])
    assert (key.armored, key.key_packet) == (None, None)


def test_ssh_keys_from_both_forges(tmp_path: Path) -> None:
    line = kf.ssh_key(tmp_path, "k")
    github = [kf.github_ssh(line, "laptop")]
    gitea = [
        kf.gitea_ssh(line, "laptop"),
        {**kf.gitea_ssh("alice", "p", 2), "key_type": "principal"},
    ]
    kf.check_answer(gwapi.GITHUB, "GET", "/users/dana/ssh_signing_keys", github)
    kf.check_answer(gwapi.GITEA, "GET", "/users/dana/keys", gitea)
    assert github_keys.ssh_keys(github) == [ForgeSshKey(line, "laptop", True)]
    assert gitea_keys.ssh_keys(gitea) == [ForgeSshKey(line, "laptop", None)]  # principal skipped
    said = [{**kf.gitea_ssh(line, ""), "verified": True, "title": None}]
    assert gitea_keys.ssh_keys(said) == [ForgeSshKey(line, "", True)]
    assert github_keys.ssh_keys([{**github[0], "title": 5}])[0].title == ""


def _bad(good: dict[str, Any], **changes: object) -> list[object]:
    return [{**good, **changes}]


BOTH = ("github", "gitea")


@pytest.mark.parametrize(
    ("change", "forges"),
    [
        ({"key_id": "XYZ"}, BOTH),
        ({"key_id": None}, BOTH),
        ({"emails": "dana@example.org"}, BOTH),
        ({"emails": ["dana@example.org"]}, BOTH),
        ({"emails": [{"verified": True}]}, BOTH),
        ({"subkeys": {"key_id": "A"}}, BOTH),
        ({"subkeys": [{"key_id": "short"}]}, BOTH),
        ({"revoked": "no"}, ("github",)),  # Gitea lists no revocation
        ({"raw_key": 7}, ("github",)),
        ({"verified": "yes"}, ("gitea",)),  # GitHub has no key-level verification
    ],
)
def test_an_item_that_cannot_be_read_makes_the_list_unreadable(
    dana: kf.Key, change: dict[str, object], forges: tuple[str, ...]
) -> None:
    answers = {
        "github": (github_keys, kf.github_gpg(dana)),
        "gitea": (gitea_keys, kf.gitea_gpg(dana)),
    }
    for name in forges:
        module, answer = answers[name]
        with pytest.raises(ValueError, match="item 0"):
            module.gpg_keys(_bad(answer, **change))


def test_items_that_are_not_objects_and_keys_without_text() -> None:
    for reader in (github_keys.gpg_keys, gitea_keys.gpg_keys, github_keys.ssh_keys):
        with pytest.raises(ValueError, match="item 1 is not an object"):
            reader([{"key_id": "0" * 16, "key": "x"}, "junk"])
    with pytest.raises(ValueError, match="key is not a string"):
        gitea_keys.ssh_keys([{"key": ""}])
    with pytest.raises(ValueError, match="true or false"):
        gitea_keys.ssh_keys([{"key": "ssh-ed25519 AAAA", "verified": "yes"}])


def test_a_key_listed_twice_means_the_list_moved_while_read(dana: kf.Key, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="listed twice"):
        github_keys.gpg_keys([kf.github_gpg(dana), kf.github_gpg(dana, number=2)])
    line = kf.ssh_key(tmp_path, "k")
    with pytest.raises(ValueError, match="listed twice"):
        gitea_keys.ssh_keys([kf.gitea_ssh(line, "a"), kf.gitea_ssh(line + " other", "b", 2)])


def test_the_response_check_is_not_a_pushover(dana: kf.Key) -> None:
    broken = kf.github_gpg(dana)
    del broken["raw_key"]  # required by GitHub's description
    with pytest.raises(Exception, match="raw_key"):
        kf.check_answer(gwapi.GITHUB, "GET", "/users/dana/gpg_keys", [broken])
    with pytest.raises(Exception, match="is not of type 'boolean'"):
        kf.check_answer(gwapi.GITEA, "GET", "/users/d/gpg_keys", [{"verified": "yes"}])


def test_verified_emails_are_the_ones_the_forge_verified() -> None:
    key = ForgeGpgKey("0" * 16, (("a@x", True), ("b@x", False)), False, None, None, None)
    assert key.verified_emails == ("a@x",)
