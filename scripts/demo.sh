#!/usr/bin/env bash
# gitward's main job on embedded defaults, on this machine alone: a bare repository guarded by
# the installed pre-receive hook and the example policy (config/policy.yaml); a fresh throwaway
# OpenPGP key is added as the only signer; one signed and one unsigned commit are pushed to
# `main`. The first is accepted, the second refused with gitward's explanation.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$root/scripts/bootstrap.sh"

demo="${GITWARD_DEMO_DIR:-$root/demo}"
gw="$root/.venv/bin/gitward"
rm -rf "$demo"
mkdir -p "$demo/config/signers/keys"
export GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1
# gpg-agent sockets need a short path: keep the demo keyring under /tmp.
GNUPGHOME="$(mktemp -d /tmp/gw-demo-XXXXXX)"
export GNUPGHOME
trap 'gpgconf --kill gpg-agent >/dev/null 2>&1 || true; rm -rf "$GNUPGHOME"' EXIT

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "1. A throwaway signing key for 'Demo Maintainer <demo@example.com>'"
gpg --batch --quiet --passphrase '' --quick-gen-key \
  'Demo Maintainer <demo@example.com>' ed25519 sign 1d 2>/dev/null
fpr="$(gpg --with-colons --list-keys demo@example.com | awk -F: '/^fpr/ {print $10; exit}')"
gpg --armor --export "$fpr" >"$demo/demo.pub.asc"
echo "fingerprint $fpr"

step "2. The example policy, with that key as the only member of group 'maintainers'"
cp "$root/config/policy.yaml" "$demo/config/policy.yaml"
cp "$root/config/secrets-allowlist.yaml" "$demo/config/secrets-allowlist.yaml"
cp -r "$root/config/rego" "$demo/config/rego"
"$gw" signers add demo --name 'Demo Maintainer' --email demo@example.com \
  --gpg-key "$demo/demo.pub.asc" --group maintainers --config "$demo/config"
"$gw" config check "$demo/config"

step "3. A bare repository with the gitward hook installed"
git init --quiet --bare --initial-branch=main "$demo/server.git"
"$gw" install --config "$demo/config" "$demo/server.git"

step "4. Push a signed commit with a ticket number to main (expect: accepted)"
git init --quiet --initial-branch=main "$demo/work"
cd "$demo/work"
git config user.name 'Demo Maintainer'
git config user.email demo@example.com
git config user.signingkey "$fpr"
git remote add origin "$demo/server.git"
printf 'replicas: 2\n' >deploy.yaml
git add deploy.yaml
git commit --quiet -S -m 'JIRA-1: deploy the app with two replicas'
git push origin main
echo ">>> accepted: main is now $(git -C "$demo/server.git" rev-parse --short main)"

step "5. Push an unsigned commit to main (expect: refused)"
printf 'replicas: 20\n' >deploy.yaml
git commit --quiet -am 'JIRA-2: scale up'
if git push origin main; then
  echo ">>> unexpected: the unsigned commit was accepted" >&2
  exit 1
fi
echo ">>> refused: main is still $(git -C "$demo/server.git" rev-parse --short main)"

step "6. What the audit log recorded ($demo/config/audit.jsonl)"
cat "$demo/config/audit.jsonl"
echo
echo "Demo files are in $demo; try 'git commit --amend -S' and push again."
