#!/usr/bin/env bash
# Regenerate gitward's THROWAWAY test keys (see README.txt): OpenPGP keys made by real GnuPG 2.2,
# SSH keys made by real ssh-keygen, no passphrases. Run from anywhere:
#     bash tests/keys/make_keys.sh
# Tests read fingerprints.json, so regenerating keys needs no code change.
set -euo pipefail

KEYS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# A short GNUPGHOME: gpg-agent's socket path must fit in 108 bytes.
GNUPGHOME="$(mktemp -d /tmp/gw-keys-XXXXXX)"
export GNUPGHOME
trap 'gpgconf --kill gpg-agent >/dev/null 2>&1 || true; rm -rf "$GNUPGHOME"' EXIT

gpg_() { gpg --batch --yes --no-tty --pinentry-mode loopback --passphrase '' "$@"; }
primary_fpr() { gpg --with-colons --fingerprint "$1" | awk -F: '$1=="fpr"{print $10; exit}'; }
# Fingerprint of the newest subkey able to sign (empty if none).
signing_sub_fpr() {
    gpg --with-colons --fingerprint --fingerprint "$1" |
        awk -F: '$1=="sub"{s=($12 ~ /s/)} $1=="fpr" && s {f=$10; s=0} END{print f}'
}

cd "$KEYS_DIR"
rm -f ./*.asc ./*_ed25519 ./*_ed25519.pub ./*_ecdsa ./*_ecdsa.pub ./*_rsa ./*_rsa.pub

# alice: ed25519 certify-only primary plus a separate ed25519 signing subkey.
gpg_ --quick-gen-key 'Alice Example <alice@example.com>' ed25519 cert never
gpg_ --quick-add-key "$(primary_fpr alice@example.com)" ed25519 sign never
# bob: RSA 3072 primary that signs itself.
gpg_ --quick-gen-key 'Bob Example <bob@example.com>' rsa3072 sign,cert never
# carol, mallory: plain ed25519 signing primaries (mallory is in keyrings, never allowed).
gpg_ --quick-gen-key 'Carol Example <carol@example.com>' ed25519 sign,cert never
gpg_ --quick-gen-key 'Mallory Example <mallory@example.com>' ed25519 sign,cert never
# expired: created 2020-01-01 with a one-year lifetime, so it expired on 2021-01-01.
gpg_ --faked-system-time '20200101T000000!' \
    --quick-gen-key 'Expired Example <expired@example.com>' ed25519 sign,cert 1y
# revoked: a normal key whose revocation certificate is merged into its PUBLIC export only, so
# gnupg_home() can still sign with it (the hook must then refuse the commit).
gpg_ --quick-gen-key 'Revoked Example <revoked@example.com>' ed25519 sign,cert never

for name in alice bob carol mallory expired revoked; do
    gpg_ --armor --export-secret-keys "$name@example.com" >"$name.sec.asc"
done
revoked_fpr="$(primary_fpr revoked@example.com)"
# gpg writes a revocation certificate at key creation; its armor line is prefixed with ':' so it
# cannot be imported by accident. Strip that to use it.
sed 's/^:-----BEGIN/-----BEGIN/' "$GNUPGHOME/openpgp-revocs.d/$revoked_fpr.rev" |
    sed -n '/^-----BEGIN/,$p' >revoked.rev.asc
gpg_ --import revoked.rev.asc
for name in alice bob carol mallory expired revoked; do
    gpg_ --armor --export "$name@example.com" >"$name.pub.asc"
done

# SSH keys.
ssh-keygen -q -t ed25519 -N '' -C alice@example.com -f alice_ed25519
ssh-keygen -q -t ecdsa -b 256 -N '' -C bob@example.com -f bob_ecdsa
ssh-keygen -q -t rsa -b 3072 -N '' -C carol@example.com -f carol_rsa
ssh-keygen -q -t ed25519 -N '' -C mallory@example.com -f mallory_ed25519
chmod 600 alice_ed25519 bob_ecdsa carol_rsa mallory_ed25519

# fingerprints.json: name -> {email, openpgp (primary), openpgp_signing, ssh_key, ssh}.
{
    echo '{'
    sep=''
    for name in alice bob carol mallory expired revoked; do
        fpr="$(primary_fpr "$name@example.com")"
        sub="$(signing_sub_fpr "$name@example.com")"
        signing="${sub:-$fpr}"
        ssh_key=''
        for f in "${name}_ed25519" "${name}_ecdsa" "${name}_rsa"; do
            [[ -f "$f" ]] && ssh_key="$f"
        done
        if [[ -n "$ssh_key" ]]; then
            ssh_fp="$(ssh-keygen -l -E sha256 -f "$ssh_key.pub" | awk '{print $2}')"
            ssh_json="\"ssh_key\": \"$ssh_key\", \"ssh\": \"$ssh_fp\""
        else
            ssh_json='"ssh_key": null, "ssh": null'
        fi
        printf '%s  "%s": {"email": "%s@example.com", "openpgp": "%s", "openpgp_signing": "%s", %s}' \
            "$sep" "$name" "$name" "$fpr" "$signing" "$ssh_json"
        sep=$',\n'
    done
    printf '\n}\n'
} >fingerprints.json
cat fingerprints.json
