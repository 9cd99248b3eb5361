"""Adding or updating a signer from a forge login: the admin page's `gitward signers import
--forge`. Two steps, as on the terminal: the plan (keys added, left out and why, revoked), then
a confirmation that applies exactly that plan, through the CLI's code (`signers.importing`),
audited with the signed-in admin.

The confirmation reads the forge again and plans again; it carries a digest of the plan the
admin saw, and when the new plan differs (the forge's keys or the signer changed meanwhile) the
new one is shown instead of applied. `batch.apply` checks once more under the edit lock.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import NamedTuple

from flask import Response, flash, redirect, render_template, request, url_for

from gitward import config
from gitward.admin.site import BP, state, user
from gitward.config.forges_file import ForgeInstance
from gitward.errors import ConfigError, GitwardError, SignerEditError
from gitward.signers import forge_source, importing, plan_text
from gitward.signers.candidates import Sorted
from gitward.signers.importing import ForgeKeys
from gitward.signers.plan import Change, Wanted
from gitward.signers.state import Origin

UNVERIFIED_HINT = " (tick \u201cinclude keys the forge has not verified\u201d to take it)"
_SPLIT = re.compile(r"[\s,]+")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class Asked(NamedTuple):
    """The import form's fields."""

    forge: str
    login: str
    signer_id: str  # empty: the login
    groups: tuple[str, ...]
    include_unverified: bool
    emails: tuple[str, ...] = ()  # besides those the forge verified

    @classmethod
    def from_form(cls, form: Mapping[str, str]) -> Asked:
        def words(field: str) -> tuple[str, ...]:
            return tuple(w for w in _SPLIT.split(form.get(field, "")[:4096]) if w)

        return cls(
            form.get("forge", "")[:100],
            form.get("login", "").strip()[:100],
            form.get("id", "").strip()[:100],
            words("groups"),
            form.get("include_unverified") == "on",
            words("emails"),
        )


class Planned(NamedTuple):
    located: config.Located
    wanted: Wanted
    keys: Sorted
    change: Change


def readers(
    forges: tuple[ForgeInstance, ...], environ: Mapping[str, str]
) -> dict[str, ForgeKeys | str]:
    """Forge name -> a client reading users' keys, or why there is none (a GitHub App, an
    unreadable token): read once, when the receiver starts, as the CLI reads them per run."""
    out: dict[str, ForgeKeys | str] = {}
    for forge in forges:
        try:
            out[forge.name] = forge_source.client_for(forge, environ)
        except ConfigError as exc:
            out[forge.name] = "; ".join(exc.problems)
        except SignerEditError as exc:
            out[forge.name] = str(exc)
    return out


def digest(change: Change) -> str:
    """What identifies the plan the admin saw (all of it but the moment it was made)."""
    return hashlib.sha256(repr(change._replace(at=_EPOCH)).encode()).hexdigest()


def _plan(asked: Asked, now: datetime) -> Planned:
    reader = state().forge_keys.get(asked.forge)
    if reader is None:
        raise SignerEditError(f"no forge named {asked.forge!r} in forges.yaml")
    if isinstance(reader, str):
        raise SignerEditError(f"cannot read keys from {asked.forge}: {reader}")
    if not asked.login:
        raise SignerEditError("give the forge login whose keys to import")
    located = config.locate(state().policy)
    keys = forge_source.reading(
        lambda: importing.read_forge(
            reader, asked.login, now, include_unverified=asked.include_unverified
        )
    )
    origin = Origin(forge=asked.forge, user=asked.login)
    wanted = Wanted(asked.signer_id or asked.login, origin, None, asked.emails, asked.groups)
    return Planned(located, wanted, keys, importing.plan_import(located, wanted, keys, now))


def _page(
    asked: Asked, change: Change | None, error: str = "", status: int = 200
) -> tuple[str, int]:
    return render_template(
        "admin/import.html",
        asked=asked,
        forges=state().forge_keys,
        change=change,
        lines=plan_text.lines(change, UNVERIFIED_HINT) if change is not None else [],
        plan=digest(change) if change is not None else "",
        error=error,
    ), status


def _worded(message: str) -> str:
    """A planner's message as this form reads (it names the CLI's option)."""
    return message.replace("give one with --email", "give one under E-mails")


@BP.get("/signers/import")
def import_form() -> tuple[str, int]:
    return _page(Asked.from_form(request.args), None)


@BP.post("/signers/import")
def import_plan() -> tuple[str, int]:
    asked = Asked.from_form(request.form)
    try:
        planned = _plan(asked, datetime.now(UTC).replace(microsecond=0))
    except GitwardError as exc:  # the forge's refusal, a bad login or id, the signers' state
        return _page(asked, None, _worded(str(exc)), 422)
    return _page(asked, planned.change)


@BP.post("/signers/import/confirm")
def import_confirm() -> Response | tuple[str, int]:
    asked = Asked.from_form(request.form)
    now = datetime.now(UTC).replace(microsecond=0)
    try:
        planned = _plan(asked, now)
    except GitwardError as exc:
        return _page(asked, None, _worded(str(exc)), 422)
    if digest(planned.change) != request.form.get("plan", ""):
        why = "the forge's keys or the signer changed since the plan was shown; nothing was "
        return _page(asked, planned.change, why + "changed: review this plan", 409)
    if not planned.change.edits:
        return _page(asked, planned.change)
    try:
        importing.apply_import(
            planned.located, planned.wanted, planned.keys, planned.change, now, actor=user()
        )
    except GitwardError as exc:  # the signer files changed under the edit lock, or invalid
        return _page(asked, planned.change, str(exc), 409)
    signer_id = planned.wanted.signer_id
    flash(f"Imported signer {signer_id} from {asked.forge}/{asked.login}.")
    return redirect(url_for("admin.signer", signer_id=signer_id))  # type: ignore[return-value]
