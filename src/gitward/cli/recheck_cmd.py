"""`gitward recheck --forge NAME OWNER/REPO (--pr N | --ref REF)`: queue a job by hand."""

from __future__ import annotations

import argparse
import time

from gitward.cli.serve_cmd import add_config_argument, config_dir

HELP = "queue a receiver job for a pull request or a branch, as if its webhook had arrived"


def add_arguments(parser: argparse.ArgumentParser, name: str) -> None:
    add_config_argument(parser)
    parser.add_argument("--forge", required=True, help="the forge's name in forges.yaml")
    parser.add_argument("repository", metavar="OWNER/REPO")
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--pr", type=int, metavar="N", help="a pull request's number")
    which.add_argument("--ref", metavar="REF", help="a branch (`main` = refs/heads/main)")


def run(args: argparse.Namespace) -> int:
    from gitward.config import forges_file  # noqa: PLC0415
    from gitward.errors import GitwardError  # noqa: PLC0415
    from gitward.forges import delivery  # noqa: PLC0415
    from gitward.receiver import github_app  # noqa: PLC0415
    from gitward.receiver.queue import Queue  # noqa: PLC0415

    forges = forges_file.load(forges_file.path_for(config_dir(args.config)))
    forge = forges.forge(args.forge)
    if forge is None:
        raise GitwardError(f"no forge named {args.forge!r} in {forges.path}")
    repository = delivery.repository({"repository": {"full_name": args.repository}})
    if not forge.serves(repository):
        raise GitwardError(f"{repository} is not among {forge.name}'s repositories")
    client = github_app.connect(forge)
    nonce = f"recheck-{time.time_ns()}"
    if args.pr is not None:
        head = client.pull_head(repository, args.pr)
        job = delivery.Job(forge.name, repository, "pull_request", head.ref, "", head.sha,
                           args.pr, nonce, rerun=nonce)  # fmt: skip
    else:
        ref = args.ref if args.ref.startswith("refs/") else f"refs/heads/{args.ref}"
        head = client.branch_head(repository, delivery.branch(ref, "--ref").removeprefix(
            "refs/heads/"))  # fmt: skip
        job = delivery.Job(forge.name, repository, "push", head.ref, "", head.sha, None, nonce,
                           rerun=nonce)  # fmt: skip
    job_id, _ = Queue(forges.receiver.queue).submit(job)
    print(f"queued job {job_id}: {job.kind} {repository} {job.ref} at {job.after}")
    return 0
