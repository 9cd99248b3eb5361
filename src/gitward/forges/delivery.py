"""What a webhook delivery asks of gitward, whatever forge sent it. PURE.

A delivery is authenticated (HMAC over the raw body, `forges.signature`) before any of this
runs; what follows still treats every field as hostile: ids must be full hex object ids, the
repository a plain `owner/name`, refs fully qualified. Anything else is a `DeliveryError`
carrying the HTTP status the receiver answers with, and nothing is queued.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Literal, NamedTuple

from gitward.errors import GitwardError
from gitward.model import is_hex_oid, is_zero_oid

# Owner and repository names as GitHub and Gitea allow them: no slashes, no leading dot or
# dash (so never an option or a relative path), no `..`.
_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}")
# A fully qualified branch or tag name without what git forbids (git-check-ref-format(1)).
_REF = re.compile(r"refs/(heads|tags)/[^\x00-\x20\x7f~^:?*\[\\]{1,250}")


class DeliveryError(GitwardError):
    """A delivery gitward refuses; `status` is the HTTP answer (400, 401, 403, 413, 415)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


JobKind = Literal["push", "pull_request"]


class Job(NamedTuple):
    """One verdict to compute and post: a push, or a pull request judged as a push of its
    head to its base branch.

    push: `ref` was moved from `before` to `after` (either may be all zeros; `before` empty:
    from where the receiver last saw the branch, for re-runs).
    pull_request: `ref` is the base branch, `after` the head commit, `before` empty (the
    base branch's tip is fetched when the job runs), `number` the pull request."""

    forge: str  # the configured instance name (forges.yaml `name`)
    repository: str  # "owner/name", validated
    kind: JobKind
    ref: str
    before: str
    after: str
    number: int | None = None
    delivery_id: str = ""
    # Who pushed (push) or opened the pull request, as the forge authenticated them.
    actor: str = ""
    # Set for an explicit re-run (a check's "Re-run", `gitward recheck`): never a duplicate.
    rerun: str = ""

    @property
    def key(self) -> str:
        """What makes two deliveries the same job (Gitea's "replay" sends a new delivery id)."""
        what = f"pr/{self.number}" if self.kind == "pull_request" else self.ref
        again = f"/rerun/{self.rerun}" if self.rerun else ""
        return f"{self.forge}/{self.repository}/{what}/{self.before}/{self.after}{again}"

    @property
    def supersede_key(self) -> str | None:
        """Jobs with the same key replace each other: a newer head of the same pull request
        makes an older queued one pointless."""
        if self.kind != "pull_request":
            return None
        return f"{self.forge}/{self.repository}/pr/{self.number}"

    @property
    def head(self) -> str:
        """The commit that gets the status (a deletion's status goes nowhere: "")."""
        return "" if is_zero_oid(self.after) else self.after


class Ping(NamedTuple):
    """The forge checks the webhook works: answer 200, queue nothing."""


class Ignored(NamedTuple):
    """An event or action gitward does not judge: answer 202, queue nothing."""

    why: str


Outcome = Job | Ping | Ignored


def obj(payload: Mapping[str, object], key: str) -> Mapping[str, object]:
    """`payload[key]` as a mapping, or a 400."""
    value = payload.get(key)
    if not isinstance(value, Mapping):
        raise DeliveryError(400, f"payload field {key!r} is not an object")
    return value


def text(payload: Mapping[str, object], key: str) -> str:
    """`payload[key]` as a string, or a 400."""
    value = payload.get(key)
    if not isinstance(value, str):
        raise DeliveryError(400, f"payload field {key!r} is not a string")
    return value


def oid(payload: Mapping[str, object], key: str) -> str:
    """`payload[key]` as a full object id (40 or 64 lower-case hex digits), or a 400."""
    value = text(payload, key)
    if not is_hex_oid(value):
        raise DeliveryError(400, f"payload field {key!r} is not a 40 or 64 hex digit id")
    return value


def number(payload: Mapping[str, object], key: str) -> int:
    value = payload.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or not 0 < value < 2**31:
        raise DeliveryError(400, f"payload field {key!r} is not a positive number")
    return value


def ref(value: str, field: str) -> str:
    """A fully qualified branch or tag name, or a 400."""
    if not _REF.fullmatch(value) or ".." in value or value.endswith((".lock", "/", ".")):
        raise DeliveryError(400, f"payload field {field!r} is not a branch or tag name")
    return value


def branch(value: str, field: str) -> str:
    """A pull request's base branch as `refs/heads/<name>` (payloads give the short name)."""
    return ref(value if value.startswith("refs/heads/") else f"refs/heads/{value}", field)


def actor(payload: Mapping[str, object]) -> str:
    """The forge login that caused the delivery (`sender.login`), "" when absent."""
    sender = payload.get("sender")
    login = sender.get("login") if isinstance(sender, Mapping) else None
    if not isinstance(login, str) or not _NAME.fullmatch(login):
        return ""
    return login


def repository(payload: Mapping[str, object]) -> str:
    """The delivery's `owner/name`, validated as two plain names, or a 400."""
    full = text(obj(payload, "repository"), "full_name")
    owner, _, name = full.partition("/")
    if not (_NAME.fullmatch(owner) and _NAME.fullmatch(name)) or ".." in full:
        raise DeliveryError(400, "payload repository.full_name is not a plain owner/name")
    return full
