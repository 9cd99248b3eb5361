"""The Flask application: `create_app(config_dir)`, with no side effects at import.

Routes: `POST /webhooks/<name>` (intake), `GET /reports/<id>` (a verdict's full report, behind
an unguessable id, no listing), `GET /healthz`, `GET /readyz`, `GET /metrics`, and `/admin/...`
when admin.yaml exists (`gitward.admin`). Configuration is read once, here: forges.yaml (and
admin.yaml) beside the policy, and the secrets they name.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

from flask import Flask, Response, abort, jsonify, render_template, request
from prometheus_client import Counter

from gitward.config import admin_file, forges_file, secrets
from gitward.config.forges_file import ForgesConfig
from gitward.receiver import intake, metrics
from gitward.receiver.queue import Queue

LOG = logging.getLogger("gitward.receiver")


def create_app(
    config: str | Path,
    *,
    environ: Mapping[str, str] | None = None,
    queue: Queue | None = None,
) -> Flask:
    """The receiver for the config directory (or policy file) `config`. Raises ConfigError
    when forges.yaml or a secret it names is missing or invalid."""
    forges = forges_file.load(forges_file.path_for(config))
    env = os.environ if environ is None else environ
    webhook_secrets = {
        f.name: tuple(secrets.read(ref, env) for ref in f.webhook_secrets) for f in forges.forges
    }
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = forges.receiver.max_body_bytes
    app.config["GITWARD_FORGES"] = forges
    jobs = queue or Queue(forges.receiver.queue)
    app.extensions["gitward.queue"] = jobs
    counters = metrics.create()
    delivered: dict[tuple[str, str, str], Counter] = {}
    admin = admin_file.load(admin_file.path_for(config))
    if admin is not None:  # admin pages are off unless configured
        from gitward.admin import web  # noqa: PLC0415  # argon2 and the pages only when on

        web.register(app, admin, config, env, jobs.store)

    @app.post("/webhooks/<name>")
    def webhook(name: str) -> Response:
        forge = forges.forge(name)
        if forge is None:
            return _json({"error": "no such webhook"}, 404)
        body = request.get_data(cache=False)  # 413 above MAX_CONTENT_LENGTH, read no further
        headers = {k.lower(): v for k, v in request.headers.items()}
        answer = intake.receive(forge, webhook_secrets[name], headers, body, jobs.submit)
        counted = (name, answer.event, answer.outcome)
        if (counter := delivered.get(counted)) is None:  # labels() is slow; few combinations
            counter = delivered[counted] = counters.deliveries.labels(*counted)
        counter.inc()
        return _json(answer.body, answer.status)

    @app.get("/healthz")
    def healthz() -> tuple[Response, int]:
        return jsonify(ok=True), 200

    @app.get("/readyz")
    def readyz() -> tuple[Response, int]:
        problems = _readiness(jobs, forges)
        return jsonify(ok=not problems, problems=problems), 503 if problems else 200

    @app.get("/metrics")
    def metrics_page() -> Response:
        text, content_type = metrics.render(jobs.store.depth(), counters)
        return Response(text, content_type=content_type)

    @app.get("/reports/<job_id>")
    def report(job_id: str) -> str:
        record = jobs.store.get(job_id) if len(job_id) <= 64 else None
        if record is None:
            abort(404)
        return render_template("report.html", record=record, result=record.result or {})

    @app.after_request
    def headers(response: Response) -> Response:
        response.headers["X-Content-Type-Options"] = "nosniff"
        # Admin pages set their own (scripts from 'self'); every other route gets this one.
        response.headers.setdefault(
            "Content-Security-Policy", "default-src 'none'; style-src 'self'"
        )
        response.headers["Referrer-Policy"] = "no-referrer"
        return response

    return app


def _json(body: Mapping[str, object], status: int) -> Response:
    # Flask's jsonify, without its per-call provider lookups: intake answers every delivery.
    return Response(json.dumps(body), status, mimetype="application/json")


def _readiness(jobs: Queue, forges: ForgesConfig) -> list[str]:
    problems = []
    try:
        jobs.store.ping()
    except Exception as exc:  # any failure means not ready; the reason goes to the log
        LOG.warning("queue not ready: %s", exc)
        problems.append("queue unusable")
    data = forges.receiver.data_dir
    try:
        data.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=data, prefix=".ready-"):
            pass
    except OSError as exc:
        LOG.warning("data_dir not writable: %s", exc)
        problems.append("data_dir not writable")
    return problems
