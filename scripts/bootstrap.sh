#!/usr/bin/env bash
# Installs what gitward needs on a fresh Debian/Ubuntu machine, idempotently:
# system packages (git, gnupg, openssh-client, python3-venv) when missing, then a virtualenv
# in .venv with gitward and its dev extra. Sourced by scripts/demo.sh and scripts/test.sh.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

need=()
command -v git >/dev/null || need+=(git)
command -v gpg >/dev/null || need+=(gnupg)
command -v gpg-agent >/dev/null || need+=(gpg-agent)
command -v ssh-keygen >/dev/null || need+=(openssh-client)
command -v python3 >/dev/null || need+=(python3)
python3 -c 'import venv, ensurepip' 2>/dev/null || need+=(python3-venv)
if [ "${#need[@]}" -gt 0 ]; then
  echo "gitward: installing system packages: ${need[*]}" >&2
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
fi

python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' || {
  echo "gitward needs Python 3.11 or newer (found $(python3 --version))" >&2; exit 1; }

if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
stamp=.venv/.gitward-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  .venv/bin/python -m pip install -q --upgrade pip >/dev/null
  .venv/bin/python -m pip install -q -e '.[dev]'
  touch "$stamp"
fi
# Byte-compile gitward: the hook starts a fresh Python on every push, and without .pyc files
# (PYTHONDONTWRITEBYTECODE, or a package directory the git user cannot write) each start
# recompiles every module (~30 ms).
.venv/bin/python -m compileall -q src >/dev/null
