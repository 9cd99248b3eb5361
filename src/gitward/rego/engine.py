"""rego-cpp through regopy, behind two calls: compile modules into a query, run it on an input.

The only module that imports regopy. Compiling builds a bundle (rego-cpp's compiled plan) once;
running it on a new input then costs ~0.1 ms, where a plain `query` re-plans every time
(~0.6 ms). Converting a manifest into rego-cpp's input is the larger cost (a few µs a value),
so a `Runner` takes one input and runs every compiled query on it.

rego-cpp reports errors as s-expressions, `(error 8:bad.rego|27|2 (errormsg 27:Invalid ...))`:
lengths before strings, a byte offset into the module. `problems` turns them into messages.
Some evaluation errors come back as an error node *inside* an otherwise good result (an unsafe
variable); the result then is not JSON, and is a failure too. Built-in errors (`1 / 0`) fail
instead of silently making a rule undefined (`strict_built_in_errors`): a policy that cannot
decide must not let a manifest through.
"""

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

# google-re2 (policy patterns) must be loaded before regopy: rego-cpp's library carries its own
# operator new/delete and parts of libstdc++, and an `_re2` extension loaded after it frees
# memory with the wrong allocator: the process aborts ("free(): invalid pointer").
import re2  # noqa: F401
import regopy  # type: ignore[import-untyped]  # ships no type hints; stays behind this module

_ERROR = re.compile(rb"\(error(?=[ \n])(?: (\d+):)?")
_MESSAGE = re.compile(rb"\(errormsg (\d+):")
_PLACE = re.compile(rb"\|(\d+)\|")


class RegoError(Exception):
    """rego-cpp refused a module or failed a query. `problems` holds its messages, each with
    `file:line:col: ` when rego-cpp names a place in a module."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems) or ("rego-cpp failed without a message",)
        super().__init__("; ".join(self.problems))


class Module(NamedTuple):
    name: str  # shown in messages: the file's path
    source: str


class Compiled(NamedTuple):
    bundle: Any  # regopy.Bundle
    builder: Any  # the interpreter that built it, kept alive as long as the bundle


def _interpreter() -> Any:
    interpreter = regopy.Interpreter()
    interpreter.log_level = regopy.LogLevel.NONE  # rego-cpp would print errors on stderr
    interpreter.strict_built_in_errors = True
    return interpreter


def compile_query(
    modules: Sequence[Module], query: str, data: Mapping[str, object] | None = None
) -> Compiled:
    """`query` planned over `modules` (and the base document `data`); raises RegoError."""
    interpreter = _interpreter()
    try:
        for module in modules:
            interpreter.add_module(module.name, module.source)
        if data:
            interpreter.add_data_json(json.dumps(data))
        bundle = interpreter.build(query)
    except regopy.RegoError as exc:
        raise RegoError(problems(str(exc), modules)) from None
    if not bundle.ok():
        raise RegoError(["rego-cpp could not compile the policy"])
    return Compiled(bundle, interpreter)


def build_identity() -> str:
    """The rego-cpp build that compiles and runs plans: a saved plan is only valid for it."""
    return f"{regopy.__version__} {regopy.build_info()}"


def save(compiled: Compiled, path: str) -> None:
    """Write `compiled` to `path` in rego-cpp's binary bundle format (RBB); raises RegoError.
    (Its JSON format is no option: regopy 1.5.2 aborts the process saving one.)"""
    try:
        compiled.builder.save_bundle(path, compiled.bundle, regopy.BundleFormat.Binary)
    except regopy.RegoError as exc:
        raise RegoError([f"cannot save the compiled policy: {exc}"]) from None


def load(path: str) -> Compiled | None:
    """The plan `save` wrote to `path`, or None when rego-cpp cannot read it. rego-cpp prints
    why on stdout (the pusher's terminal in the hook): hand it only a file known to be intact."""
    interpreter = _interpreter()
    try:
        bundle = interpreter.load_bundle(path, regopy.BundleFormat.Binary)
    except regopy.RegoError:
        return None
    # Querying a bundle that is not ok crashes the process: never return one.
    return Compiled(bundle, interpreter) if bundle.ok() else None


class Runner:
    """Runs compiled queries on one input at a time."""

    def __init__(self) -> None:
        self._interpreter = _interpreter()

    def set_input(self, value: Mapping[str, object]) -> None:
        """Raises RegoError for what rego-cpp would take wrongly: an integer beyond 64 bits
        (regopy's ctypes call silently makes it another number)."""
        _check_integers(value)
        try:
            self._interpreter.set_input(regopy.Input(value))
        except (regopy.RegoError, ValueError, TypeError, OverflowError) as exc:
            raise RegoError([f"cannot pass the input to rego-cpp: {exc}"]) from None

    def run(self, compiled: Compiled) -> dict[str, Any]:
        """The query's bindings (variable -> JSON value); raises RegoError when it failed."""
        try:
            output = self._interpreter.query_bundle(compiled.bundle)
        except json.JSONDecodeError as exc:  # an error node inside the result, or a bad string
            found = problems(exc.doc) or [
                f"rego-cpp returned a malformed result: {exc.doc[:200]!r}"
            ]
            raise RegoError(found) from None
        except regopy.RegoError as exc:
            raise RegoError(problems(str(exc))) from None
        if not output.ok():
            raise RegoError(problems(_error_text(output.node())))
        results = output.results
        if len(results) != 1 or not isinstance(results[0].bindings, dict):
            raise RegoError([f"unexpected result {str(output)[:200]}"])
        bindings: dict[str, Any] = results[0].bindings
        return bindings


def _check_integers(value: object) -> None:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)
        elif isinstance(item, int) and not -(2**63) <= item < 2**63:
            raise RegoError([f"the integer {item} does not fit in 64 bits"])


def _error_text(node: Any, depth: int = 0) -> str:
    """The s-expressions of the error nodes under `node` (an `ErrorSeq`)."""
    if node.kind == regopy.NodeKind.Error or depth > 3:
        return str(node.json())
    return " ".join(_error_text(node.at(i), depth + 1) for i in range(len(node)))


def problems(text: str, modules: Sequence[Module] = ()) -> list[str]:
    """Messages out of rego-cpp's error s-expressions, `file:line:col: ` before each that names
    a place in one of `modules`."""
    sources = {m.name: m.source.encode("utf-8") for m in modules}
    raw = text.encode("utf-8", "replace")
    headers = list(_ERROR.finditer(raw))
    found = []
    for i, header in enumerate(headers):
        stop = headers[i + 1].start() if i + 1 < len(headers) else len(raw)
        message = _MESSAGE.search(raw, header.end(), stop)
        if message is None:
            continue
        words = raw[message.end() : message.end() + int(message.group(1))].decode(
            "utf-8", "replace"
        )
        if header.group(1):
            size = int(header.group(1))
            name = raw[header.end() : header.end() + size].decode("utf-8", "replace")
            place = _PLACE.match(raw, header.end() + size)
            source = sources.get(name)
            if source is not None and place is not None:
                words = f"{name}:{_line_col(source, int(place.group(1)))}: {words}"
        found.append(words)
    return found


def _line_col(source: bytes, offset: int) -> str:
    before = source[:offset]
    line = before.count(b"\n") + 1
    column = len(before.rpartition(b"\n")[2].decode("utf-8", "replace")) + 1
    return f"{line}:{column}"
