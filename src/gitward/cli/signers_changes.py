"""How a planned signer change reads before it is made (`signers import` asks about it,
`signers sync` prints it). Forge text (key titles, reasons quoting it) is sanitised."""

from __future__ import annotations

from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from gitward.signers.plan import Change


def show(change: Change, out: TextIO) -> None:
    """The change as the admin reads it before it is made."""
    from gitward.report.sanitize import clean  # noqa: PLC0415
    from gitward.signers.candidates import UNVERIFIED  # noqa: PLC0415

    when = change.at.isoformat().replace("+00:00", "Z")
    lines = [f"{'new signer' if change.new else 'signer'} {change.signer!r}, keys from "
             f"{clean(str(change.origin))}:"]  # fmt: skip
    lines += [f"  name        {clean(change.name)}"] if change.name is not None else []
    lines += [f"  + e-mail    {clean(e)}" for e in change.emails_added]
    lines += [f"  + group     {g}" for g in change.groups_added]
    for c in change.added:
        extra = [f"e-mails {', '.join(c.emails)}"] if c.emails else []
        if c.unverified:
            extra.append("NOT verified by the forge")
        if c.ignored_emails:
            extra.append(f"unverified e-mails left aside: {', '.join(c.ignored_emails)}")
        notes = f" ({clean('; '.join(extra))})" if extra else ""
        lines.append(f"  + add       {clean(c.label)}{notes}")
    lines += [f"  = follow    {clean(c.label)}: added by hand, on the forge too"
              for c in change.followed]  # fmt: skip
    lines += [f"  ~ update    OpenPGP key {f}: the forge's copy adds to the stored one"
              for f, _ in change.refreshed]  # fmt: skip
    lines += [f"  - revoke    {f} from {when}: {clean(why)}" for f, why in change.revoked]
    lines += [f"    keep      {f}: {clean(why)}" for f, why in change.kept]
    for o in change.left_out:
        hint = " (--include-unverified takes it)" if o.kind == UNVERIFIED else ""
        lines.append(f"    leave out {clean(o.label)}: {clean(o.reason)}{hint}")
    print("\n".join(lines), file=out)
