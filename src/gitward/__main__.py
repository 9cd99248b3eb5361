"""`python -m gitward ...`: the same as the `gitward` command (used to start child processes
with the very interpreter that runs the parent)."""

from gitward.cli import main

raise SystemExit(main())
