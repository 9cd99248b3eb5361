"""GitHub check runs (GitHub App mode): the verdict as a check run with a summary and one
annotation per violation. PURE: request builders, like the commit-status ones.

A check run is created `in_progress` when a job starts (checks/create) and completed with a
conclusion when it ends (checks/update). GitHub takes at most 50 annotations a request and
appends those of every update, so a verdict with 120 violations completes in 3 updates; the
conclusion rides on the last one, so a run never looks finished while annotations are still
missing (a job that dies half-way leaves it in progress, and its retry creates a new run).

gitward judges commits and refs, not lines of files, yet GitHub requires an annotation to
name a file and lines. Annotations name `.github` at line 1 (the path GitHub Actions gives
annotations that belong to no file), with the rule and commit as the annotation's title.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from gitward.forges.status import CommitStatus, Request, State
from gitward.model import Outcome, Violation, is_hex_oid
from gitward.report.sanitize import clean

ANNOTATIONS_PER_REQUEST = 50  # checks/update: annotations maxItems
MAX_ANNOTATIONS = 500  # 10 updates at most; the summary counts the rest
ANNOTATION_PATH = ".github"
TITLE_MAX = 255  # annotation title
MESSAGE_MAX = 4000  # annotation message: GitHub allows 64 KB; a finding never needs that
SUMMARY_MAX = 65535  # output.summary maxLength

# warn-mode findings pass, as a neutral check (GitHub counts success, neutral and skipped as
# passing for a required check); "could not judge" blocks like a failure (fail closed).
CONCLUSIONS: dict[State, str] = {
    "success": "success",
    "warning": "neutral",
    "failure": "failure",
    "error": "failure",
}
LEVELS: dict[Outcome, str] = {"enforce": "failure", "warn": "warning", "bypassed": "notice"}
_MARKDOWN = re.compile(r"([!-/:-@\[-`{-~])")  # ASCII punctuation: each may start markup


def create_request(repository: str, sha: str, name: str, details_url: str | None = None) -> Request:
    """A check run named `name` (the status context) on `sha`, in progress."""
    body: dict[str, object] = {"name": name, "head_sha": sha, "status": "in_progress"}
    if details_url:
        body["details_url"] = details_url
    return Request("POST", f"/repos/{repository}/check-runs", body)


def complete_requests(
    repository: str, run_id: int, status: CommitStatus, violations: Sequence[Violation]
) -> list[Request]:
    """The updates that complete run `run_id` with `status` (not "pending") and annotate
    `violations`: one per 50 annotations (at least one), the last carrying the conclusion."""
    if status.state == "pending":
        raise ValueError("a pending status does not complete a check run")
    notes = [annotation(v) for v in violations[:MAX_ANNOTATIONS]]
    batches = [
        notes[i : i + ANNOTATIONS_PER_REQUEST]
        for i in range(0, len(notes), ANNOTATIONS_PER_REQUEST)
    ] or [[]]
    shown = output(status, violations)
    path = f"/repos/{repository}/check-runs/{run_id}"
    requests = []
    for i, batch in enumerate(batches, start=1):
        body: dict[str, object] = {"output": {**shown, "annotations": batch} if batch else shown}
        if i == len(batches):
            body.update(status="completed", conclusion=CONCLUSIONS[status.state])
            if status.target_url:
                body["details_url"] = status.target_url
        requests.append(Request("PATCH", path, body))
    return requests


def annotation(violation: Violation) -> dict[str, object]:
    """One violation as an annotation (plain text, sanitised)."""
    where = f"commit {violation.oid[:12]}" if violation.oid else violation.ref
    message = violation.message + (f" Hint: {violation.hint}" if violation.hint else "")
    details = f"ref: {violation.ref}" + (f"\ncommit: {violation.oid}" if violation.oid else "")
    return {
        "path": ANNOTATION_PATH,
        "start_line": 1,
        "end_line": 1,
        "annotation_level": LEVELS[violation.mode],
        "title": clean(f"{violation.rule_id} in {where}", TITLE_MAX),
        "message": clean(message, MESSAGE_MAX),
        "raw_details": "\n".join(clean(line, MESSAGE_MAX) for line in details.split("\n")),
    }


def output(status: CommitStatus, violations: Sequence[Violation]) -> dict[str, object]:
    """The run's title (the status description) and its Markdown summary: counts, the report
    link and one line per violation, as many as fit. Text a pusher controls is escaped, so a
    commit message cannot add links, images or mentions to the page."""
    title = status.description or "gitward"
    counts = {mode: sum(v.mode == mode for v in violations) for mode in LEVELS}
    lines = [
        f"**{_md(title)}**",
        "",
        f"{counts['enforce']} blocking, {counts['warn']} warning(s), "
        f"{counts['bypassed']} bypassed.",
    ]
    if status.target_url and re.fullmatch(r"https?://[^\s()<>\[\]]+", status.target_url):
        lines.append(f"[The full report]({status.target_url})")
    lines.append("")
    size = sum(len(line) + 1 for line in lines)
    for i, v in enumerate(violations):
        where = f"commit `{v.oid[:12]}`" if v.oid and is_hex_oid(v.oid) else _md(clean(v.ref))
        rule, message = _md(clean(v.rule_id)), _md(clean(v.message))
        line = f"- {LEVELS[v.mode]}: **{rule}** in {where}: {message}"
        more = f"- … and {len(violations) - i} more"
        if size + len(line) + 1 + len(more) > SUMMARY_MAX:
            lines.append(more)
            break
        lines.append(line)
        size += len(line) + 1
    return {"title": clean(title, TITLE_MAX), "summary": "\n".join(lines)}


def _md(text: str) -> str:
    """`text` with every ASCII punctuation character backslash-escaped (CommonMark shows an
    escaped punctuation character as itself)."""
    return _MARKDOWN.sub(r"\\\1", text)
