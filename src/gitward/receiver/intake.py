"""Intake: one webhook delivery in, an HTTP answer out, a job stored when there is one.

Order matters: the HMAC over the raw body is checked before anything is parsed (an
unauthenticated sender learns nothing but 401), and a job is stored durably before the answer
goes out. The body's size is bounded by the Flask app before this runs (413).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import NamedTuple
from urllib.parse import parse_qs

from gitward.config.forges_file import ForgeInstance
from gitward.forges.delivery import DeliveryError, Ignored, Job, Ping
from gitward.forges.registry import FORGES
from gitward.forges.signature import matches

Submit = Callable[[Job], tuple[str, bool]]


class Answer(NamedTuple):
    status: int
    body: dict[str, object]
    event: str = "unknown"  # for metrics: the event header, once authenticated
    outcome: str = "refused"  # queued, duplicate, ignored, ping, refused


def receive(
    forge: ForgeInstance,
    secrets: Sequence[bytes],
    headers: Mapping[str, str],
    body: bytes,
    submit: Submit,
) -> Answer:
    """Judge one delivery for `forge`; never raises for bad input (4xx answers). `headers`
    have lower-case names (HTTP header names are case-insensitive)."""
    kind = FORGES[forge.type]
    given, prefix = kind.signature_header(headers)
    if not matches(body, given, secrets, prefix):
        return Answer(401, {"error": "missing or wrong webhook signature"})
    event, delivery_id = kind.event_of(headers)
    if not event:
        return Answer(400, {"error": "no event header"})
    event = event.strip()[:64]
    try:
        payload = _payload(headers.get("content-type", ""), body)
        outcome = kind.parse(forge.name, event, payload, (delivery_id or "")[:100])
    except DeliveryError as exc:
        return Answer(exc.status, {"error": str(exc)}, event)
    if isinstance(outcome, Ping):
        return Answer(200, {"ok": "pong"}, event, "ping")
    if isinstance(outcome, Ignored):
        return Answer(202, {"ignored": outcome.why}, event, "ignored")
    if not forge.serves(outcome.repository):
        return Answer(403, {"error": "repository not served by this forge entry"}, event)
    job_id, created = submit(outcome)
    answer = {"job": job_id, "duplicate": not created}
    return Answer(202, answer, event, "queued" if created else "duplicate")


def _payload(content_type: str, body: bytes) -> Mapping[str, object]:
    """The JSON payload, sent as JSON or (Gitea's "form" content type) as `payload=<json>`."""
    media = content_type.split(";", 1)[0].strip().lower()
    if media == "application/x-www-form-urlencoded":
        try:
            fields = parse_qs(body.decode("utf-8"), strict_parsing=True, max_num_fields=10)
        except (UnicodeDecodeError, ValueError):
            raise DeliveryError(400, "a form body that does not parse") from None
        if len(fields.get("payload", [])) != 1:
            raise DeliveryError(400, "a form body without one payload field")
        text = fields["payload"][0].encode()
    elif media in ("application/json", ""):
        text = body
    else:
        raise DeliveryError(415, f"unsupported content type {media[:60]!r}")
    try:
        payload = json.loads(text)
    except (UnicodeDecodeError, ValueError, RecursionError):  # nesting bombs too
        raise DeliveryError(400, "a body that is not JSON") from None
    if not isinstance(payload, dict):
        raise DeliveryError(400, "a JSON body that is not an object")
    return payload
