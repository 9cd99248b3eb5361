#!/usr/bin/env bash
# The whole test suite: set-up, lint, types, tests. README's test command; .ci/run calls it.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$root/scripts/bootstrap.sh"
cd "$root"
# The receiver's Redis back end is tested against a real redis-server.
if ! command -v redis-server >/dev/null; then
  echo "gitward: installing redis-server for the tests" >&2
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
      $sudo apt-get install -y -qq redis-server >/dev/null; } ||
    echo "gitward: redis-server could not be installed; its tests will skip" >&2
fi
# The admin pages' browser tests drive Debian's chromium with Playwright (no browser download).
if ! command -v chromium >/dev/null; then
  echo "gitward: installing chromium for the browser tests" >&2
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
      $sudo apt-get install -y -qq chromium >/dev/null; } ||
    echo "gitward: chromium could not be installed; the browser tests will skip" >&2
fi
echo "== ruff"
.venv/bin/ruff check src tests bench
.venv/bin/ruff format --check src tests bench
echo "== mypy (strict)"
.venv/bin/mypy
echo "== pytest"
# Branch coverage (the hook is measured inside `git push` too: see [tool.coverage.run]).
# The coverage floor counts the whole suite; without ../shared/fixtures (a user's clone) the
# forge tests skip, each saying why, and the floor would fail for their absence alone.
floor=()
fixtures="${GITWARD_SHARED_FIXTURES:-$root/../shared/fixtures}"
if [ ! -d "$fixtures/github" ] || [ ! -d "$fixtures/gitea" ]; then
  echo "gitward: no forge fixtures at $fixtures: their tests skip; coverage floor not enforced" >&2
  floor=(--cov-fail-under=0)
fi
exec .venv/bin/pytest -n "${GITWARD_TEST_WORKERS:-auto}" --cov --cov-report=term "${floor[@]}" "$@"
