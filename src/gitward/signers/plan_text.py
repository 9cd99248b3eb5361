"""How a planned import or sync reads before it is made: one line per change, the same words on
the CLI (`signers import` asks about them, `signers sync` prints them) and on the admin page's
import form. Forge text (key titles, reasons quoting it) is sanitised."""

from __future__ import annotations

from gitward.report.sanitize import clean
from gitward.signers.candidates import UNVERIFIED
from gitward.signers.plan import Change


def lines(change: Change, unverified_hint: str = "") -> list[str]:
    """`change` as the admin reads it; `unverified_hint` follows each key left out as not
    verified (how this front end takes it anyway)."""
    when = change.at.isoformat().replace("+00:00", "Z")
    out = [f"{'new signer' if change.new else 'signer'} {change.signer!r}, keys from "
           f"{clean(str(change.origin))}:"]  # fmt: skip
    out += [f"  name        {clean(change.name)}"] if change.name is not None else []
    out += [f"  + e-mail    {clean(e)}" for e in change.emails_added]
    out += [f"  + group     {g}" for g in change.groups_added]
    for c in change.added:
        extra = [f"e-mails {', '.join(c.emails)}"] if c.emails else []
        if c.unverified:
            extra.append("NOT verified by the forge")
        if c.ignored_emails:
            extra.append(f"unverified e-mails left aside: {', '.join(c.ignored_emails)}")
        notes = f" ({clean('; '.join(extra))})" if extra else ""
        out.append(f"  + add       {clean(c.label)}{notes}")
    out += [f"  = follow    {clean(c.label)}: added by hand, on the forge too"
            for c in change.followed]  # fmt: skip
    out += [f"  ~ update    OpenPGP key {f}: the forge's copy adds to the stored one"
            for f, _ in change.refreshed]  # fmt: skip
    out += [f"  - revoke    {f} from {when}: {clean(why)}" for f, why in change.revoked]
    out += [f"    keep      {f}: {clean(why)}" for f, why in change.kept]
    for o in change.left_out:
        hint = unverified_hint if o.kind == UNVERIFIED else ""
        out.append(f"    leave out {clean(o.label)}: {clean(o.reason)}{hint}")
    return out
