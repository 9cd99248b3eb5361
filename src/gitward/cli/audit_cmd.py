"""`gitward audit verify|tail|search|rotate`: check the audit log's hash chain, read it, rotate it.

verify exits 0 when the chain is intact, 1 naming the first broken line (`file:line: why`); tail
and search exit 1 when a line could not be read as JSON (each is named on stderr, the rest still
shown). The log is the policy's `settings.audit_log`, or the files given.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gitward.audit.query import Query

HELP = "verify the audit log's hash chain, show or search its records, or rotate it"

_CONFIG_HELP = "policy file or directory (default: $GITWARD_CONFIG, else /etc/gitward)"
_FILTERS = {  # option -> (Query field, what it matches)
    "event": ("events", "event (push, signers.add, signers.*, ...)"),
    "actor": ("actors", "who acted: the pusher or the admin who edited"),
    "signer": ("signers", "signer id a signer edit is about"),
    "pusher": ("pushers", "pusher name of a push"),
    "repository": ("repositories", "repository (owner/name, or its path on the server)"),
    "verdict": ("verdicts", "verdict: accepted, refused or error"),
    "rule": ("rules", "rule id of a violation or bypass (rule or rule/check)"),
}


def add_arguments(parser: argparse.ArgumentParser, name: str) -> None:
    parser.add_argument("--config", metavar="PATH", help=_CONFIG_HELP)
    sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")

    def action(name: str, text: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=text, description=text)
        # Also accepted after the action; SUPPRESS keeps the parent's value when absent.
        p.add_argument("--config", metavar="PATH", help=_CONFIG_HELP, default=argparse.SUPPRESS)
        return p

    files = "log files, oldest first (default: the policy's audit log)"
    verify = action("verify", "check the hash chain; exit 1 naming the first broken line")
    verify.add_argument("files", nargs="*", metavar="FILE", help=files)
    tail = action("tail", "show the last records (that match the filters)")
    tail.add_argument("-n", "--lines", type=_count, default=10, metavar="N", help="default 10")
    tail.add_argument("-f", "--follow", action="store_true", help="then show new records")
    tail.add_argument("file", nargs="?", metavar="FILE", help="default: the policy's log")
    _filter_arguments(tail)
    search = action("search", "show every record that matches all filters given")
    search.add_argument("files", nargs="*", metavar="FILE", help=files)
    _filter_arguments(search)
    rotate = action("rotate", "move the log aside; the new log continues its chain")
    rotate.add_argument("file", nargs="?", metavar="FILE", help="default: the policy's log")


def _filter_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("filters (a shell pattern each; repeat to allow several)")
    for option, (_, what) in _FILTERS.items():
        group.add_argument(f"--{option}", action="append", default=[], metavar="PATTERN", help=what)
    since, until = "at or after (ISO; UTC if no zone)", "before (a bare date: to its end)"
    group.add_argument("--since", type=_since, metavar="DATE", help=since)
    group.add_argument("--until", type=_until, metavar="DATE", help=until)
    parser.add_argument("--json", action="store_true", help="the log's lines as they are")


def _count(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"expected a number of lines, got {text!r}")
    return int(text)


def _when(text: str, end_of_day: bool) -> datetime:
    from gitward.audit.query import instant  # noqa: PLC0415

    try:
        return instant(text, end_of_day=end_of_day)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected an ISO date like 2026-06-01 or 2026-06-01T12:00:00Z, got {text!r}"
        ) from None


def _since(text: str) -> datetime:
    return _when(text, False)


def _until(text: str) -> datetime:
    return _when(text, True)


def run(args: argparse.Namespace) -> int:
    from gitward.errors import GitwardError  # noqa: PLC0415

    named = args.files if "files" in args else [args.file] if args.file else []
    paths = [Path(f) for f in named] or [_configured(args.config)]
    try:
        return _ACTIONS[args.action](args, paths)
    except OSError as exc:  # the system's (with a file name) or ours (naming the file)
        text = f"{exc.filename}: {exc.strerror}" if exc.filename and exc.strerror else str(exc)
        raise GitwardError(text) from None


def _configured(option: str | None) -> Path:
    from gitward import config  # noqa: PLC0415  # see the dispatcher: commands load lazily
    from gitward.errors import GitwardError  # noqa: PLC0415

    located = config.locate(option)
    if not located.settings_ok:
        bad = [p for p in located.problems if ": settings" in p]
        why = "; ".join(bad)
        raise GitwardError(f"fix the policy's settings first (they place the log): {why}")
    return located.audit_log


def _verify(args: argparse.Namespace, paths: list[Path]) -> int:
    from gitward.audit import chain  # noqa: PLC0415

    state = chain.check(paths)
    print("\n".join(chain.summary(state)))
    return 0 if state.intact else 1


def _tail(args: argparse.Namespace, paths: list[Path]) -> int:
    from gitward.audit import lines  # noqa: PLC0415

    path, query = paths[0], _query(args)
    end = lines.size(path)
    found: list[tuple[bytes, dict[str, object]]] = []
    bad = False
    for offset, raw in lines.backward(path, end) if args.lines else ():
        record = _parse(raw, lambda: f"{path}:{lines.line_number(path, offset)}")  # noqa: B023
        bad = bad or record is None
        if record is not None and query(record):
            found.append((raw, record))
            if len(found) == args.lines:
                break
    _print(reversed(found), args.json)
    if args.follow:  # until interrupted (^C: exit 130)
        for raw in lines.follow(path, end, lambda: False):  # pragma: no branch  # endless
            record = _parse(raw, lambda: f"{path}: a new line")
            bad = bad or record is None
            if record is not None and query(record):
                _print([(raw, record)], args.json)
    return 1 if bad else 0


def _search(args: argparse.Namespace, paths: list[Path]) -> int:
    from gitward.audit import lines  # noqa: PLC0415

    bad, query = False, _query(args)
    for path in paths:
        for number, raw in enumerate(lines.forward(path), 1):
            record = _parse(raw, lambda: f"{path}:{number}")  # noqa: B023
            bad = bad or record is None
            if record is not None and query(record):
                _print([(raw, record)], args.json)
    return 1 if bad else 0


def _rotate(args: argparse.Namespace, paths: list[Path]) -> int:
    from gitward.audit import log, rotate  # noqa: PLC0415

    done = rotate.rotate(paths[0], log.actor())
    print(f"rotated {done.lines} lines to {done.old}; {paths[0]} continues their chain")
    return 0


def _parse(raw: bytes, where: Callable[[], str]) -> dict[str, object] | None:
    """The record on `raw`, or None after telling stderr that the line at `where()` (called
    at once, only then) is not one."""
    try:
        record = json.loads(raw)
    except ValueError:
        record = None
    if isinstance(record, dict):
        return record
    print(f"gitward: {where()}: not a JSON object, skipped", file=sys.stderr)
    return None


def _query(args: argparse.Namespace) -> Callable[[dict[str, object]], bool]:
    """Whether a record passes the filters given."""
    from gitward.audit.query import Query, matches  # noqa: PLC0415

    chosen = {field: tuple(getattr(args, option)) for option, (field, _) in _FILTERS.items()}
    query: Query = Query(**chosen, since=args.since, until=args.until)
    return lambda record: matches(record, query)


def _print(found: Iterable[tuple[bytes, dict[str, object]]], as_json: bool) -> None:
    from gitward.audit import show  # noqa: PLC0415

    for raw, record in found:
        text = raw.decode("ascii", "backslashreplace").rstrip("\n") if as_json else None
        print(text if text is not None else show.line(record), flush=True)


_ACTIONS = {"verify": _verify, "tail": _tail, "search": _search, "rotate": _rotate}
