"""Sending what `forges.*` builds to one forge instance: auth, timeouts, pacing and retries.

Forge faults are normal, and each kind has one answer:
- 5xx, 408, timeouts and connection errors are tried again in the call, with exponential
  backoff and jitter, while `Retry.attempts` and `Retry.budget` (seconds of waiting) last; then
  the call raises `RetryLater` and the queue runs the job again later. While the forge stays
  down each job makes one attempt, and its next run comes sooner than the time it has been down
  (`Retry.later_min` to `later_max`): a forge back after an hour gets its statuses minutes later.
- Rate limits (429; GitHub's 403 with `x-ratelimit-remaining: 0`, with `retry-after`, or its
  secondary-limit message) wait as the forge says: `retry-after` seconds, else until
  `x-ratelimit-reset`, else a minute. Until then the client sends nothing to that forge
  (GitHub may ban an integration that keeps calling while limited).
- 401 asks the token source for a fresh token once (a GitHub App's installation token may have
  been revoked); any other 4xx is a `ForgeError` carrying the status.
Mutating calls (POST, PATCH, PUT, DELETE) are at least `Retry.pace` seconds apart (GitHub asks
integrations to space them a second apart).

A token never appears in a URL, a log record or an exception's text: forge messages are
redacted, and library exceptions (whose text may quote a header) are never chained.

Keep one client per forge instance per process: pacing and "the forge is down" live in it.
"""

from __future__ import annotations

import json
import logging
import random
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from email.utils import parsedate_to_datetime
from typing import Any, NamedTuple, Protocol, TypeVar

import requests

import gitward
from gitward.config.forges_file import ForgeInstance
from gitward.errors import GitwardError
from gitward.forges import gitea, gitea_keys, github, github_keys
from gitward.forges.status import CommitStatus, Head, Posted, Request
from gitward.forges.userkeys import ForgeGpgKey, ForgeSshKey, KeyApi
from gitward.receiver.queue import RetryLater
from gitward.report.sanitize import clean

LOG = logging.getLogger("gitward.receiver.forge")
USER_AGENT = f"gitward/{gitward.__version__}"
MUTATING = frozenset({"POST", "PATCH", "PUT", "DELETE"})
MAX_PAGES = 20
Counter = Callable[[str, str], None]  # (forge name, label): the receiver's metrics
_Item = TypeVar("_Item")


class ForgeError(GitwardError):
    """The forge refused a call for a reason waiting will not fix (`status`: its HTTP status,
    0 when it sent no usable answer)."""

    def __init__(self, message: str, status: int = 0) -> None:
        super().__init__(message)
        self.status = status


class Retry(NamedTuple):
    """How hard one call tries, in seconds."""

    attempts: int = 4
    budget: float = 20.0  # waiting between attempts, in total
    base: float = 0.5  # first backoff; doubles each attempt
    cap: float = 8.0  # longest single backoff
    later_min: float = 30.0  # RetryLater's delay while the forge is down...
    later_max: float = 300.0  # ...grows with the time it has been down, up to this
    connect_timeout: float = 5.0
    read_timeout: float = 20.0
    pace: float = 1.0  # between two mutating calls


DEFAULT_RETRY = Retry()


class Reply(NamedTuple):
    status: int
    headers: Mapping[str, str]  # lower-case names
    json: Any

    def has_next(self, items: int, page_size: int) -> bool:
        """Whether another page follows: the Link header says so when the forge sends one (both
        do), else a full page suggests it."""
        link = self.headers.get("link")
        if link is not None:
            return 'rel="next"' in link
        return items >= page_size


class TokenSource(Protocol):
    """Where a client's credentials come from: a fixed token, or a GitHub App's tokens."""

    def token(self, client: ForgeClient, repository: str | None) -> str:
        """The token for calls about `repository` ("owner/name"; None: not about one)."""
        ...

    def forget(self, repository: str | None) -> None:
        """The forge refused the last token for `repository` (401): drop it if cached."""
        ...


class StaticToken:
    """One token for every call (forges.yaml `token`)."""

    def __init__(self, value: str) -> None:
        self._value = header_safe(value)

    def token(self, client: ForgeClient, repository: str | None) -> str:
        return self._value

    def forget(self, repository: str | None) -> None:
        """Nothing to renew: a second 401 is reported."""


class ForgeApi(Protocol):
    """What the client needs of a forge type (the modules `forges.github`, `forges.gitea`)."""

    TYPE: str
    PAGE_SIZE: int

    def auth_headers(self, token: str) -> dict[str, str]: ...
    def status_request(self, repository: str, sha: str, status: CommitStatus) -> Request: ...
    def combined_status_request(self, repository: str, sha: str, page: int) -> Request: ...
    def posted(self, payload: object, context: str) -> Posted | None: ...
    def statuses_in(self, payload: object) -> int: ...
    def open_pulls_request(self, repository: str, page: int) -> Request: ...
    def branches_request(self, repository: str, page: int) -> Request: ...
    def pull_head_request(self, repository: str, number: int) -> Request: ...
    def branch_head_request(self, repository: str, branch: str) -> Request: ...
    def pull_heads(self, payload: object) -> list[Head]: ...
    def branch_heads(self, payload: object) -> list[Head]: ...
    def pull_head(self, payload: object) -> Head | None: ...
    def branch_head(self, payload: object, branch: str) -> Head | None: ...


APIS: dict[str, ForgeApi] = {"github": github, "gitea": gitea}
# A user's public keys, for `gitward signers import/sync` (separate: the receiver needs none).
KEY_APIS: dict[str, KeyApi] = {"github": github_keys, "gitea": gitea_keys}


class _Fault(NamedTuple):
    kind: str  # rate_limit | server_error | timeout | connection
    reason: str
    wait: float | None = None  # what the forge asked for


def header_safe(token: str) -> str:
    """`token` if it can travel in a header (printable ASCII, no spaces); the error never
    quotes it."""
    if not token or not (token.isascii() and token.isprintable()) or " " in token:
        raise ForgeError("a forge token must be printable ASCII without spaces")
    return token


def repository_of(path: str) -> str | None:
    """The repository ("owner/name") a path below /repos/ is about, else None."""
    parts = path.split("?", 1)[0].split("/")
    return f"{parts[2]}/{parts[3]}" if len(parts) > 3 and parts[1] == "repos" else None


class ForgeClient:
    """Calls to one forge instance. `sleep`, `clock` (monotonic) and `now` (epoch seconds, to
    read `x-ratelimit-reset`) are injectable for tests; `on_call(forge, status)` and
    `on_retry(forge, what)` count calls and retries (the receiver's metrics)."""

    def __init__(
        self,
        forge: ForgeInstance,
        credentials: str | TokenSource,
        *,
        session: requests.Session | None = None,
        retry: Retry = DEFAULT_RETRY,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], float] = time.time,
        jitter: Callable[[], float] = random.random,
        on_call: Counter | None = None,
        on_retry: Counter | None = None,
    ) -> None:
        self.forge, self.api, self.retry = forge, APIS[forge.type], retry
        self._credentials = (
            StaticToken(credentials) if isinstance(credentials, str) else credentials
        )
        self._session = session or requests.Session()
        self._sleep, self._clock, self._now, self._jitter = sleep, clock, now, jitter
        self._on_call, self._on_retry = on_call, on_retry
        self._lock = threading.Lock()  # guards the three fields below
        self._last_mutation: float | None = None
        self._down_since: float | None = None
        self._blocked_until = 0.0
        self._pace_lock = threading.Lock()

    # -- the one way out ------------------------------------------------------------------

    def call(self, request: Request, *, token: str | None = None) -> Reply:
        """Send `request`; its reply when 2xx or 3xx. Raises `RetryLater` when the forge stays
        unavailable or limits us, `ForgeError` when it refuses. `token` replaces the
        credentials' token (a GitHub App's own calls)."""
        started, attempt, renewed = self._clock(), 0, False
        attempts = 1 if self._down_since is not None else max(1, self.retry.attempts)
        repository = repository_of(request.path)
        while True:
            self._check_blocked(request)
            # The token first: fetching one (a GitHub App's) is a paced call of its own.
            secret = header_safe(token or self._credentials.token(self, repository))
            if request.method in MUTATING:
                self._pace()
            outcome = self._send(request, secret)
            if isinstance(outcome, Reply):
                if outcome.status < 400:
                    self._healthy(outcome)
                    return outcome
                if outcome.status == 401 and token is None and not renewed:
                    renewed = True
                    self._count(self._on_retry, "token")
                    self._credentials.forget(repository)
                    continue
                fault = _fault(outcome, self._now())
                if fault is None:
                    self._healthy(outcome)
                    raise ForgeError(self._refusal(request, outcome, secret), outcome.status)
            else:
                fault = outcome
            attempt += 1
            wait = self._note(fault, attempt)
            spent = self._clock() - started
            if attempt >= attempts or spent + wait > self.retry.budget:
                delay = self._later(fault, wait)
                self._count(self._on_retry, "later")
                raise RetryLater(f"{self._what(request)}: {fault.reason}", delay)
            self._count(self._on_retry, fault.kind)
            LOG.warning("%s: %s; trying again in %.1f s", self._what(request), fault.reason, wait)
            self._sleep(wait)

    def _send(self, request: Request, secret: str) -> Reply | _Fault:
        headers = {**self.api.auth_headers(secret), "User-Agent": USER_AGENT}
        try:
            response = self._session.request(
                request.method,
                self.forge.api_url + request.path,
                json=request.json,
                headers=headers,
                timeout=(self.retry.connect_timeout, self.retry.read_timeout),
            )
        except requests.Timeout:
            self._count(self._on_call, "timeout")
            return _Fault("timeout", "the forge did not answer in time")
        except requests.ConnectionError:
            self._count(self._on_call, "connection")
            return _Fault("connection", "cannot connect to the forge")
        except requests.RequestException as exc:
            failed, response = f"{type(exc).__name__}: {_redact(str(exc), secret)}", None
        if response is None:  # raised out here: the library's exception (its text may quote
            raise ForgeError(f"{self._what(request)}: {failed}")  # a header) is not chained
        self._count(self._on_call, str(response.status_code))
        body: Any = None
        if response.content:
            try:
                body = json.loads(response.content)
            except ValueError:
                if response.status_code < 300:
                    raise ForgeError(f"{self._what(request)}: the answer is not JSON") from None
        headers_lower = {k.lower(): v for k, v in response.headers.items()}
        return Reply(response.status_code, headers_lower, body)

    # -- bookkeeping ----------------------------------------------------------------------

    def _check_blocked(self, request: Request) -> None:
        with self._lock:
            left = self._blocked_until - self._clock()
        if left > 0:
            raise RetryLater(f"{self._what(request)}: rate limited for {left:.0f} s more", left)

    def _pace(self) -> None:
        with self._pace_lock:  # one mutating call at a time, each `pace` after the last
            if self._last_mutation is not None:
                gap = self._last_mutation + self.retry.pace - self._clock()
                if gap > 0:
                    self._sleep(gap)
            self._last_mutation = self._clock()

    def _healthy(self, reply: Reply) -> None:
        """The forge answered: it is up. A reply that used the last of GitHub's quota blocks
        further calls until the reset it names."""
        with self._lock:
            self._down_since = None
            if reply.headers.get("x-ratelimit-remaining") == "0":
                wait = _reset_wait(reply.headers, self._now())
                if wait is not None:
                    self._blocked_until = self._clock() + wait

    def _note(self, fault: _Fault, attempt: int) -> float:
        """Record `fault`; the seconds to wait before the next attempt."""
        with self._lock:
            if fault.kind == "rate_limit":
                wait = fault.wait if fault.wait is not None else 60.0
                self._blocked_until = self._clock() + wait
                return wait
            if self._down_since is None:
                self._down_since = self._clock()
        backoff = min(self.retry.cap, self.retry.base * 2.0 ** (attempt - 1))
        backoff = backoff / 2 + self._jitter() * backoff / 2
        return max(backoff, fault.wait or 0.0)

    def _later(self, fault: _Fault, wait: float) -> float:
        """RetryLater's delay: what a rate limit asks, or (down) about the time it has been
        down, within `later_min`..`later_max`, spread by up to 10 % so jobs do not return
        all at once."""
        spread = 1 + self._jitter() / 10
        if fault.kind == "rate_limit":
            return max(1.0, wait) * spread
        with self._lock:
            down_for = self._clock() - (self._down_since or self._clock())
        return min(self.retry.later_max, max(self.retry.later_min, down_for, wait)) * spread

    def _count(self, counter: Counter | None, label: str) -> None:
        if counter is not None:
            counter(self.forge.name, label)

    def _what(self, request: Request) -> str:
        return f"{self.forge.name}: {request.method} {request.path.split('?', 1)[0]}"

    def _refusal(self, request: Request, reply: Reply, secret: str) -> str:
        said = reply.json.get("message") if isinstance(reply.json, Mapping) else None
        detail = f": {clean(_redact(said, secret), 200)}" if isinstance(said, str) else ""
        return f"{self._what(request)} was refused with HTTP {reply.status}{detail}"

    # -- what the receiver asks -----------------------------------------------------------

    def post_status(self, repository: str, sha: str, status: CommitStatus) -> None:
        """Post `status` on `sha` unless the newest status of its context already has the same
        state and description (a job run twice posts once)."""
        wanted = self.api.status_request(repository, sha, status)
        body = wanted.json or {}
        now = Posted(str(body.get("state")), str(body.get("description")))
        if self.current_status(repository, sha, status.context) == now:
            LOG.info("%s: %s %s already says %s", self.forge.name, repository, sha, now.state)
            return
        self.call(wanted)

    def token_for(self, repository: str) -> str:
        """The token calls about `repository` use; it also authorises fetching it over HTTPS
        (a GitHub App's installation token with the user name `x-access-token`)."""
        return header_safe(self._credentials.token(self, repository))

    def current_status(self, repository: str, sha: str, context: str) -> Posted | None:
        """The newest status `context` has on `sha`, or None (the forge's combined status)."""
        for page in range(1, MAX_PAGES + 1):
            reply = self.call(self.api.combined_status_request(repository, sha, page))
            found = self.api.posted(reply.json, context)
            if found is not None:
                return found
            if not reply.has_next(self.api.statuses_in(reply.json), self.api.PAGE_SIZE):
                break
        return None

    def open_pulls(self, repository: str, limit: int = 200) -> list[Head]:
        """Heads of the open pull requests, the most recently updated first (at most
        `limit`)."""
        pages = self._pages(lambda page: self.api.open_pulls_request(repository, page), limit)
        return [head for payload in pages for head in self.api.pull_heads(payload)][:limit]

    def branches(self, repository: str, limit: int = 500) -> list[Head]:
        """The tips of the repository's branches (at most `limit`)."""
        pages = self._pages(lambda page: self.api.branches_request(repository, page), limit)
        return [head for payload in pages for head in self.api.branch_heads(payload)][:limit]

    def pull_head(self, repository: str, number: int) -> Head:
        """Pull request `number`'s head commit and base branch."""
        reply = self.call(self.api.pull_head_request(repository, number))
        head = self.api.pull_head(reply.json)
        if head is None:
            raise ForgeError(f"{self.forge.name}: {repository} pull request {number} is unusable")
        return head

    def branch_head(self, repository: str, branch: str) -> Head:
        """The tip of `branch` ("main" or "refs/heads/main")."""
        name = branch.removeprefix("refs/heads/")
        reply = self.call(self.api.branch_head_request(repository, name))
        head = self.api.branch_head(reply.json, name)
        if head is None:
            raise ForgeError(f"{self.forge.name}: {repository} branch {clean(name)} is unusable")
        return head

    def _pages(self, build: Callable[[int], Request], limit: int) -> Iterator[list[Any]]:
        seen = 0
        for page in range(1, MAX_PAGES + 1):
            reply = self.call(build(page))
            if not isinstance(reply.json, list):
                raise ForgeError(f"{self._what(build(page))}: the answer is not a list")
            yield reply.json
            seen += len(reply.json)
            if seen >= limit or not reply.has_next(len(reply.json), self.api.PAGE_SIZE):
                return

    # -- a user's public keys (`gitward signers import` and `sync`) ------------------------
    # A sync revokes every key missing from these lists: each is complete or an error.

    def user_gpg_keys(self, login: str) -> list[ForgeGpgKey]:
        """Every OpenPGP key `login` has on the forge. Raises ForgeError (or RetryLater) unless
        the forge gave the whole list: every page read, every item understood, and as many
        items as the forge counts (Gitea's `X-Total-Count`)."""
        keys = KEY_APIS[self.forge.type]
        items = self._listing(lambda page: keys.gpg_keys_request(login, page), keys.PAGE_SIZE)
        return self._read(keys.gpg_keys, items, f"{login}'s GPG keys")

    def user_ssh_keys(self, login: str) -> list[ForgeSshKey]:
        """Every SSH key the forge lists for `login` (GitHub: signing keys); complete or an
        error, like `user_gpg_keys`."""
        keys = KEY_APIS[self.forge.type]
        items = self._listing(lambda page: keys.ssh_keys_request(login, page), keys.PAGE_SIZE)
        return self._read(keys.ssh_keys, items, f"{login}'s SSH keys")

    def user_gpg_export(self, login: str) -> bytes | None:
        """The forge's armored export of `login`'s certificates when its key list lacks them
        (Gitea: `<git_url>/<login>.gpg`); None when the list carries them (GitHub)."""
        path = KEY_APIS[self.forge.type].gpg_export_path(login)
        return None if path is None else self.fetch_beside(path)

    def fetch_beside(self, path: str) -> bytes:
        """GET `<git_url><path>`, a document beside the REST API, with the credentials,
        timeouts, retries and limits of `call`; its body (any type). Redirects are refused (a
        login page is not the document)."""
        request = Request("GET", path)
        what = f"{self.forge.name}: GET {self.forge.git_url}{path}"
        started, attempt = self._clock(), 0
        attempts = 1 if self._down_since is not None else max(1, self.retry.attempts)
        while True:
            self._check_blocked(request)
            secret = header_safe(self._credentials.token(self, None))
            headers = {**self.api.auth_headers(secret), "User-Agent": USER_AGENT, "Accept": "*/*"}
            try:
                response = self._session.get(
                    self.forge.git_url + path,
                    headers=headers,
                    timeout=(self.retry.connect_timeout, self.retry.read_timeout),
                    allow_redirects=False,
                )
            except requests.Timeout:
                fault = _Fault("timeout", "the forge did not answer in time")
            except requests.ConnectionError:
                fault = _Fault("connection", "cannot connect to the forge")
            except requests.RequestException as exc:  # its text may quote a header: not chained
                failed = type(exc).__name__
                raise ForgeError(f"{what}: {failed}") from None
            else:
                self._count(self._on_call, str(response.status_code))
                lower = {k.lower(): v for k, v in response.headers.items()}
                reply = Reply(response.status_code, lower, None)
                if response.status_code < 300:
                    self._healthy(reply)
                    return response.content
                fault_or_none = _fault(reply, self._now())
                if fault_or_none is None:
                    self._healthy(reply)
                    raise ForgeError(f"{what} was refused with HTTP {response.status_code}",
                                     response.status_code)  # fmt: skip
                fault = fault_or_none
            attempt += 1
            wait = self._note(fault, attempt)
            if attempt >= attempts or self._clock() - started + wait > self.retry.budget:
                self._count(self._on_retry, "later")
                raise RetryLater(f"{what}: {fault.reason}", self._later(fault, wait))
            self._count(self._on_retry, fault.kind)
            self._sleep(wait)

    def _listing(self, build: Callable[[int], Request], page_size: int) -> list[object]:
        """Every item of a paged list, or ForgeError: an answer that is not a list, more than
        `MAX_PAGES` pages, or fewer items than the forge counts in `X-Total-Count`."""
        items: list[object] = []
        counted: int | None = None
        for page in range(1, MAX_PAGES + 1):
            reply = self.call(build(page))
            if not isinstance(reply.json, list):
                raise ForgeError(f"{self._what(build(page))}: the answer is not a list")
            items += reply.json
            counted = _total_count(reply.headers)
            if not reply.has_next(len(reply.json), page_size):
                break
        else:
            raise ForgeError(f"{self._what(build(1))}: more than {MAX_PAGES} pages")
        if counted is not None and counted != len(items):
            raise ForgeError(
                f"{self._what(build(1))}: the forge counts {counted} items but gave "
                f"{len(items)}; an incomplete list is not used"
            )
        return items

    def _read(self, reader: Callable[[list[object]], list[_Item]], items: list[object],
              what: str) -> list[_Item]:  # fmt: skip
        try:
            return reader(items)
        except ValueError as exc:
            raise ForgeError(f"{self.forge.name}: {what}: {clean(str(exc), 200)}") from None


def _fault(reply: Reply, now: float) -> _Fault | None:
    """What an error reply means: a limit or an outage to wait out, or None (a refusal)."""
    headers, status = reply.headers, reply.status
    retry_after = _retry_after(headers.get("retry-after"), now)
    if status == 429 or (status == 403 and _limited(reply)):
        wait = retry_after if retry_after is not None else _reset_wait(headers, now)
        return _Fault("rate_limit", f"rate limited (HTTP {status})", wait)
    if status >= 500 or status == 408:
        return _Fault("server_error", f"the forge answered HTTP {status}", retry_after)
    return None


def _total_count(headers: Mapping[str, str]) -> int | None:
    """Gitea's `X-Total-Count`: how many items the whole list holds (None if absent or odd)."""
    value = headers.get("x-total-count", "")
    return int(value) if value.isdigit() else None


def _limited(reply: Reply) -> bool:
    """GitHub's 403 that means "slow down" rather than "not allowed"."""
    if "retry-after" in reply.headers or reply.headers.get("x-ratelimit-remaining") == "0":
        return True
    said = reply.json.get("message") if isinstance(reply.json, Mapping) else None
    return isinstance(said, str) and "rate limit" in said.lower()


def _retry_after(value: str | None, now: float) -> float | None:
    """Seconds from a Retry-After header (seconds or an HTTP date)."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - now)
    except (TypeError, ValueError):
        return None


def _reset_wait(headers: Mapping[str, str], now: float) -> float | None:
    """Seconds until `x-ratelimit-reset` (epoch seconds) when the quota is spent, plus one."""
    if headers.get("x-ratelimit-remaining") != "0":
        return None
    try:
        return max(0.0, float(headers["x-ratelimit-reset"]) - now) + 1.0
    except (KeyError, ValueError):
        return None


def _redact(text: str, secret: str) -> str:
    return text.replace(secret, "[token]") if secret else text
