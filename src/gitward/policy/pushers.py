"""Pusher lists in rules: pusher names and `group:<name>` entries (policy `pusher_groups`)."""

from __future__ import annotations

from collections.abc import Mapping

from gitward.model import Pusher


def listed(entries: tuple[str, ...], pusher: Pusher, groups: Mapping[str, tuple[str, ...]]) -> bool:
    """True when the pusher is named by `entries`, directly or through a pusher group.

    Names compare exactly, as the forge reports them. An anonymous pusher is never listed, and
    an unknown group has no members (fail closed).
    """
    name = pusher.name
    if not name:
        return False
    for entry in entries:
        if entry.startswith("group:"):
            if name in groups.get(entry.removeprefix("group:"), ()):
                return True
        elif entry == name:
            return True
    return False
