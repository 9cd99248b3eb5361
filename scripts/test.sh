#!/usr/bin/env bash
# The whole test suite: set-up, lint, types, tests. README's test command; .ci/run calls it.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$root/scripts/bootstrap.sh"
cd "$root"
echo "== ruff"
.venv/bin/ruff check src tests bench
.venv/bin/ruff format --check src tests bench
echo "== mypy (strict)"
.venv/bin/mypy
echo "== pytest"
# Branch coverage (the hook is measured inside `git push` too: see [tool.coverage.run]).
exec .venv/bin/pytest -n "${GITWARD_TEST_WORKERS:-auto}" --cov --cov-report=term "$@"
