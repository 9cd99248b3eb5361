"""How a planned signer change reads on the terminal (`signers import` asks about it,
`signers sync` prints it): `signers.plan_text`'s lines, with the CLI's hint."""

from __future__ import annotations

from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from gitward.signers.plan import Change

UNVERIFIED_HINT = " (--include-unverified takes it)"


def show(change: Change, out: TextIO) -> None:
    """The change as the admin reads it before it is made."""
    from gitward.signers import plan_text  # noqa: PLC0415

    print("\n".join(plan_text.lines(change, UNVERIFIED_HINT)), file=out)
