"""A forge double: a real HTTP server (pytest-httpserver) answering like GitHub or Gitea, that
checks every request it receives against the forge's own published API description.

Tests script answers per operation (`on`), run the client against `api_url`, then read what
was sent (`seen`). A request the description does not know, a body its schema refuses, a query
parameter the operation does not declare (or a value outside its enum) is answered 422 and
kept in `problems`, which the fixture's teardown asserts is empty. Operations missing from the
GitHub subset in the fixtures can be allowed by name (`undescribed`); the double then checks
that they really are missing, so the allowance ends when the subset grows.
"""

from __future__ import annotations

import contextlib
import functools
import json
import re
import socket
import threading
import time
from collections.abc import Iterator, Mapping
from typing import Any, NamedTuple
from urllib.parse import parse_qsl, urlsplit

import gwapi
import gwfixtures
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from gitward.config.forges_file import AppAuth, ForgeInstance

GITHUB_PREFIX = "/api/v3"  # GitHub Enterprise Server's; github.com has none
GITEA_PREFIX = "/api/v1"


class Answer(NamedTuple):
    status: int = 200
    json: Any = None
    headers: Mapping[str, str] = {}
    delay: float = 0.0  # seconds to stall before answering (timeouts)
    text: str | None = None  # a body that is not JSON (a proxy's error page)


class Seen(NamedTuple):
    method: str
    path: str  # below the API prefix, query included
    headers: Mapping[str, str]
    json: Any
    at: float  # time.monotonic() when it arrived

    @property
    def route(self) -> str:
        return f"{self.method} {self.path.split('?', 1)[0]}"

    @property
    def query(self) -> dict[str, str]:
        return dict(parse_qsl(urlsplit(self.path).query))


@functools.cache
def _spec(which: str) -> dict[str, Any]:
    spec: dict[str, Any] = gwfixtures.load(which)
    return spec


def operation(which: str, method: str, path: str) -> tuple[str, dict[str, Any]] | None:
    """(template, operation) the description has for `method path`, or None."""
    for template, item in _spec(which)["paths"].items():
        pattern = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template))
        if re.fullmatch(pattern, path.split("?", 1)[0]) and method.lower() in item:
            found: dict[str, Any] = item[method.lower()]
            return template, found
    return None


def check_query(which: str, method: str, path: str) -> None:
    """Every query parameter is one the operation declares, with a value it accepts."""
    found = operation(which, method, path)
    assert found is not None, f"{method} {path} is not in the API description"
    declared = {p["name"]: p for p in found[1].get("parameters", []) if p.get("in") == "query"}
    for name, value in parse_qsl(urlsplit(path).query, keep_blank_values=True):
        assert name in declared, f"{method} {path}: query parameter {name!r} is not declared"
        schema = declared[name].get("schema", declared[name])  # OpenAPI 3 / Swagger 2
        if "enum" in schema:
            assert value in schema["enum"], f"{name}={value!r} is not one of {schema['enum']}"
        if schema.get("type") == "integer":
            assert value.isdigit(), f"{name}={value!r} is not an integer"
            assert int(value) >= schema.get("minimum", 0), f"{name}={value!r} is too small"


class ForgeDouble:
    """GitHub (`gwapi.GITHUB`) or Gitea (`gwapi.GITEA`) below `prefix` on `server`."""

    def __init__(
        self,
        server: HTTPServer,
        which: str,
        prefix: str,
        undescribed: frozenset[str] = frozenset(),
    ) -> None:
        # Skip the test here, not in the server's thread, when the API descriptions in
        # ../shared/fixtures are absent (a user's clone).
        gwfixtures.shared_fixtures()
        self.server, self.which, self.prefix = server, which, prefix
        self.undescribed = undescribed  # "GET /repos/{owner}/{repo}/pulls" style names
        self.seen: list[Seen] = []
        self.problems: list[str] = []
        self._routes: list[tuple[str, re.Pattern[str], list[Answer]]] = []
        self._lock = threading.Lock()
        server.expect_request(re.compile(".*")).respond_with_handler(self._handle)

    @property
    def api_url(self) -> str:
        return self.server.url_for(self.prefix).rstrip("/")

    def on(self, method: str, path: str, *answers: Answer) -> None:
        """Answer `method path` (a regular expression over the path without its query) with
        `answers` in turn, the last one from then on. The route scripted last wins."""
        self._routes.append((method, re.compile(path), list(answers) or [Answer()]))

    def forget_answers(self) -> None:
        """Drop every scripted answer (the forge changes its mind)."""
        self._routes.clear()

    def sent(self, method: str, path: str = ".*") -> list[Seen]:
        """The requests `method path` (a regular expression, as in `on`) received, in order."""
        return [
            s
            for s in self.seen
            if s.method == method and re.fullmatch(path, s.path.split("?", 1)[0])
        ]

    def _handle(self, request: Request) -> Response:
        raw = str(request.environ.get("RAW_URI") or request.full_path).rstrip("?")
        path = raw.removeprefix(self.prefix)
        body = json.loads(request.get_data()) if request.get_data() else None
        with self._lock:
            self.seen.append(
                Seen(request.method, path, dict(request.headers), body, time.monotonic())
            )
        problem = self._problem(request.method, path, body, raw)
        if problem:
            self.problems.append(problem)
            return _json(422, {"message": problem})
        for method, pattern, answers in reversed(self._routes):
            if method == request.method and pattern.fullmatch(path.split("?", 1)[0]):
                with self._lock:
                    answer = answers.pop(0) if len(answers) > 1 else answers[0]
                if answer.delay:
                    time.sleep(answer.delay)
                if answer.text is not None:
                    return Response(answer.text, answer.status, headers=dict(answer.headers))
                return _json(answer.status, answer.json, answer.headers)
        self.problems.append(f"no answer scripted for {request.method} {path}")
        return _json(404, {"message": "Not Found"})

    def _problem(self, method: str, path: str, body: Any, raw: str) -> str | None:
        if not raw.startswith(self.prefix + "/"):
            return f"{method} {raw} is outside the API prefix {self.prefix}"
        found = operation(self.which, method, path)
        if found is None:
            named = {n for n in self.undescribed if _matches(n, method, path)}
            return None if named else f"{method} {path} is not in the API description"
        if f"{method} {found[0]}" in self.undescribed:
            return f"{method} {found[0]} is described now: drop it from `undescribed`"
        try:
            gwapi.check(self.which, method, path, body)
            check_query(self.which, method, path)
        except Exception as exc:  # a schema or assertion failure: report it to the test
            return f"{method} {path}: {exc}"
        return None


def _matches(name: str, method: str, path: str) -> bool:
    wanted, _, template = name.partition(" ")
    pattern = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template))
    return wanted == method and re.fullmatch(pattern, path.split("?", 1)[0]) is not None


def _json(status: int, body: Any, headers: Mapping[str, str] | None = None) -> Response:
    text = "" if body is None else json.dumps(body)
    return Response(text, status, headers=dict(headers or {}), content_type="application/json")


@contextlib.contextmanager
def serve() -> Iterator[HTTPServer]:
    """A threaded server on a free loopback port: a stalled answer does not hold up the next
    request."""
    server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    server.start()
    try:
        yield server
    finally:
        server.clear()
        server.stop()


def double(server: HTTPServer, kind: str, undescribed: frozenset[str] = frozenset()) -> ForgeDouble:
    """A GitHub Enterprise or Gitea double on a cleared `server`."""
    server.clear()
    if kind == "github":
        # Build openapi-core's view of the description now, not inside the first request's
        # handler, where its cost would count against the client's timeouts.
        gwapi.warm(gwapi.GITHUB)
        return ForgeDouble(server, gwapi.GITHUB, GITHUB_PREFIX, undescribed)
    return ForgeDouble(server, gwapi.GITEA, GITEA_PREFIX, undescribed)


def instance(kind: str, api_url: str, app: AppAuth | None = None) -> ForgeInstance:
    """A forge instance named after its type, serving acme/*."""
    return ForgeInstance(
        name=kind,
        type=kind,
        api_url=api_url,
        git_url=api_url,
        webhook_secrets=("env:UNUSED",),
        repositories=("acme/*",),
        token=None if app else "env:UNUSED",
        app=app,
    )


def closed_port() -> int:
    """A loopback port nothing listens on (connections are refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


class FakeTime:
    """One fake clock for `clock` (monotonic) and `now` (epoch); `sleep` records and advances
    it instead of waiting."""

    def __init__(self, start: float = 1_750_000_000.0) -> None:
        self.t = start
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.t

    def now(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.t += seconds
