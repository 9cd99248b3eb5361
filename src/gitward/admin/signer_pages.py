"""The signers pages and their edits. Every edit calls `gitward.signers` (the CLI's code) with
the version token the page showed and the admin as the audit record's actor.

When the policy is read from a git repository (`gitward install --config-repo`), the files the
page sees are a copy of a commit: an edit becomes a commit signed with the service's key and
pushed through that repository's hook (`signers.repo_edit`), or, without a service key, is
refused with the way to do it by hand (`signers.edit.precheck`)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime

from flask import Response, abort, flash, redirect, render_template, request, url_for

from gitward import config
from gitward.admin import paste, roster
from gitward.admin.site import BP, state, user
from gitward.errors import ConfigError, GitError, SignerEditError
from gitward.signers import add as signers_add
from gitward.signers import edit as signers_edit
from gitward.signers import keys as signers_keys
from gitward.signers import repo_edit
from gitward.signers.version import SignerChanged

_SPLIT = re.compile(r"[\s,]+")


def _words(field: str) -> tuple[str, ...]:
    return tuple(w for w in _SPLIT.split(request.form.get(field, "")[:4096]) if w)


def _located() -> config.Located:
    return config.locate(state().policy)


def _apply(edit: Callable[[config.Located], object], message: str) -> None:
    """Run `edit` on the policy in place, or as a signed commit to its repository."""
    located = _located()
    src = located.from_repo.pointer if located.from_repo is not None else None
    if src is None or src.edits is None:
        edit(located)  # in a repository without a service key: refused with the hint
        return
    repo_edit.commit_edit(src, edit, actor=user() or "admin-page", message=message)


def _list_page(error: str = "", status: int = 200) -> tuple[str, int]:
    located = _located()
    return render_template(
        "admin/signers.html",
        roster=roster.load(located),
        error=error,
        form=request.form if error else {},
        now=datetime.now(UTC),
    ), status


def _signer_page(signer_id: str, error: str = "", status: int = 200) -> tuple[str, int]:
    found = roster.load(_located())
    signer = found.signer(signer_id)
    if signer is None and error:
        return _list_page(error, status)  # e.g. removed by someone else meanwhile
    if signer is None:
        abort(404)
    return render_template(
        "admin/signer.html",
        signer=signer,
        roster=found,
        error=error,
        now=datetime.now(UTC),
    ), status


@BP.get("/")
def index() -> Response:
    return redirect(url_for("admin.signers"))  # type: ignore[return-value]


@BP.get("/signers")
def signers() -> tuple[str, int]:
    return _list_page()


@BP.get("/signers/<signer_id>")
def signer(signer_id: str) -> tuple[str, int]:
    return _signer_page(signer_id)


@BP.post("/signers")
def add_signer() -> Response | tuple[str, int]:
    signer_id = request.form.get("id", "").strip()[:100]
    try:
        gpg, ssh = paste.split(request.form.get("key", ""))
        new = signers_add.NewSigner(
            id=signer_id,
            name=request.form.get("name", "").strip()[:200],
            emails=_words("emails"),
            groups=_words("groups"),
            gpg_keys=tuple(gpg),
            ssh_keys=tuple(ssh),
        )
        mismatch = request.form.get("allow_email_mismatch") == "on"
        _apply(
            lambda located: signers_add.add(
                located, new, allow_email_mismatch=mismatch, actor=user()
            ),
            f"Add signer {signer_id}",
        )
    except (SignerEditError, ConfigError, GitError) as exc:
        return _list_page(str(exc), 422)
    flash(f"Added signer {signer_id}.")
    return redirect(url_for("admin.signer", signer_id=signer_id))  # type: ignore[return-value]


def _edit(
    signer_id: str, done: str, action: Callable[[config.Located, str], object]
) -> Response | tuple[str, int]:
    seen = request.form.get("version", "")
    try:
        _apply(lambda located: action(located, seen), f"{done.rstrip('.')} ({signer_id})")
    except SignerChanged as exc:
        return _signer_page(signer_id, str(exc), 409)
    except (SignerEditError, ConfigError, GitError) as exc:
        return _signer_page(signer_id, str(exc), 422)
    flash(done)
    return redirect(url_for("admin.signer", signer_id=signer_id))  # type: ignore[return-value]


@BP.post("/signers/<signer_id>/keys")
def add_keys(signer_id: str) -> Response | tuple[str, int]:
    def act(located: config.Located, seen: str) -> object:
        gpg, ssh = paste.split(request.form.get("key", ""))
        return signers_keys.add_keys(
            located,
            signer_id,
            gpg,
            ssh,
            allow_email_mismatch=request.form.get("allow_email_mismatch") == "on",
            expected_version=seen,
            actor=user(),
        )

    return _edit(signer_id, "Key added.", act)


@BP.post("/signers/<signer_id>/revoke")
def revoke(signer_id: str) -> Response | tuple[str, int]:
    key = request.form.get("key", "")[:200]

    def act(located: config.Located, seen: str) -> object:
        since = _since(request.form.get("since", ""))
        return signers_edit.revoke(
            located, signer_id, key, since, expected_version=seen, actor=user()
        )

    return _edit(signer_id, f"Key {key} revoked.", act)


@BP.post("/signers/<signer_id>/groups")
def groups(signer_id: str) -> Response | tuple[str, int]:
    def act(located: config.Located, seen: str) -> object:
        return signers_keys.set_groups(
            located, signer_id, _words("groups"), expected_version=seen, actor=user()
        )

    return _edit(signer_id, "Groups changed.", act)


@BP.post("/signers/<signer_id>/remove")
def remove(signer_id: str) -> Response | tuple[str, int]:
    seen = request.form.get("version", "")
    try:
        _apply(
            lambda located: signers_edit.remove(
                located, signer_id, expected_version=seen, actor=user()
            ),
            f"Remove signer {signer_id}",
        )
    except SignerChanged as exc:
        return _signer_page(signer_id, str(exc), 409)
    except (SignerEditError, ConfigError, GitError) as exc:
        return _signer_page(signer_id, str(exc), 422)
    flash(f"Removed signer {signer_id}.")
    return redirect(url_for("admin.signers"))  # type: ignore[return-value]


def _since(text: str) -> date | None:
    if not text.strip():
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise SignerEditError(f"expected a date like 2026-06-01, got {text[:40]!r}") from None
