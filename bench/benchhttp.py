"""A small closed-loop HTTP/1.1 load generator for loopback servers.

Every request is built (and signed) before the clock starts; each client process then sends
its share one after the other over one connection, kept alive when the server allows it and
opened again when the server closes it (gunicorn's sync workers close after every response).
A request's latency runs from the first byte written (or the connect, when one is needed) to
the last byte of the answer read. The client does nothing else per request, so its cost is
the same for every server measured.
"""

from __future__ import annotations

import multiprocessing
import socket
import time
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from multiprocessing.queues import Queue
    from multiprocessing.synchronize import Barrier

HEAD_LIMIT = 64 * 1024
# One client's run: (started, ended, latencies, statuses, errors).
Outcome = tuple[float, float, list[float], dict[int, int], int]


class Load(NamedTuple):
    """What one run of `run` measured."""

    requests: int
    seconds: float  # first request sent to last answer read, over all clients
    latencies: list[float]  # seconds, one per request
    statuses: dict[int, int]  # HTTP status -> count
    errors: int  # requests that got no answer (connection reset, malformed answer)

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds > 0 else 0.0

    def percentile(self, p: float) -> float:
        """Nearest-rank percentile of the latencies, in seconds."""
        ordered = sorted(self.latencies)
        if not ordered:
            return float("nan")
        rank = max(1, min(len(ordered), round(p / 100 * len(ordered) + 0.5)))
        return ordered[rank - 1]


def request(host: str, port: int, path: str, headers: dict[str, str], body: bytes) -> bytes:
    """The bytes of one POST request."""
    lines = [f"POST {path} HTTP/1.1", f"Host: {host}:{port}", f"Content-Length: {len(body)}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def _answer(sock: socket.socket, buffer: bytearray) -> tuple[int, bool]:
    """Read one answer; (status, whether the server keeps the connection open)."""
    while (end := buffer.find(b"\r\n\r\n")) < 0:
        chunk = sock.recv(65536)
        if not chunk or len(buffer) > HEAD_LIMIT:
            raise ConnectionError("the server closed before a whole answer")
        buffer += chunk
    head = bytes(buffer[:end]).decode("latin-1").split("\r\n")
    del buffer[: end + 4]
    status = int(head[0].split(" ", 2)[1])
    fields = {k.strip().lower(): v.strip() for k, _, v in (h.partition(":") for h in head[1:])}
    if "chunked" in fields.get("transfer-encoding", "").lower():
        raise ConnectionError("chunked answers are not supported by this client")
    length = 0 if status in (204, 304) else int(fields.get("content-length", "0"))
    while len(buffer) < length:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("the server closed mid-body")
        buffer += chunk
    del buffer[:length]
    keep = fields.get("connection", "").lower() != "close" and head[0].startswith("HTTP/1.1")
    return status, keep


def _client(
    address: tuple[str, int],
    requests: Sequence[bytes],
    start: Barrier,
    results: Queue[Outcome],
) -> None:
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    errors = 0
    sock: socket.socket | None = None
    buffer = bytearray()
    start.wait()
    began = time.monotonic()
    for raw in requests:
        sent = time.monotonic()
        try:
            if sock is None:
                sock = socket.create_connection(address, timeout=30)
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                buffer.clear()
            sock.sendall(raw)
            status, keep = _answer(sock, buffer)
        except OSError:
            errors += 1
            keep = False
        else:
            latencies.append(time.monotonic() - sent)
            statuses[status] += 1
        if not keep and sock is not None:
            sock.close()
            sock = None
    ended = time.monotonic()
    if sock is not None:
        sock.close()
    results.put((began, ended, latencies, dict(statuses), errors))


def run(address: tuple[str, int], requests: Sequence[bytes], clients: int) -> Load:
    """Send `requests` with `clients` processes (closed loop), each its round-robin share."""
    # fork: the clients need nothing but their requests, and a spawned child would import the
    # caller's __main__ again. Call this while the process runs no other threads.
    ctx = multiprocessing.get_context("fork")
    start = ctx.Barrier(clients + 1)
    results: Queue[Outcome] = ctx.Queue()
    shares = [list(requests[i::clients]) for i in range(clients)]
    procs = [ctx.Process(target=_client, args=(address, s, start, results)) for s in shares]
    for proc in procs:
        proc.start()
    start.wait(timeout=120)  # every client is up: the clock starts in each one
    got = [results.get(timeout=600) for _ in procs]
    for proc in procs:
        proc.join(timeout=30)
    statuses: Counter[int] = Counter()
    for _, _, _, counted, _ in got:
        statuses.update(counted)
    return Load(
        requests=len(requests),
        seconds=max(g[1] for g in got) - min(g[0] for g in got),
        latencies=[x for g in got for x in g[2]],
        statuses=dict(statuses),
        errors=sum(g[4] for g in got),
    )
