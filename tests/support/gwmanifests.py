"""Kubernetes manifests and sops files for tests, written the way sops writes them.

sops (stores/yaml, aes/cipher.go) encrypts each value to
`ENC[AES256_GCM,data:<b64>,iv:<b64 of 32 bytes>,tag:<b64 of 16 bytes>,type:<type>]` and appends a
`sops:` section to every document: the key sources (one list per kind), `lastmodified`, the
encrypted `mac`, the selection setting if any, `version`. The bytes here are made up (no key
decrypts them): gitward judges structure, never contents.
"""

from __future__ import annotations

import base64
import hashlib
import textwrap

from gitward import manifests
from gitward.policy.content.k8s import Documents, Unreadable


def _b64(seed: str, size: int) -> str:
    digest = b""
    while len(digest) < size:
        digest += hashlib.sha256((seed + str(len(digest))).encode()).digest()
    return base64.b64encode(digest[:size]).decode()


def enc(value: str, kind: str = "str") -> str:
    """A value as sops writes it once encrypted (made-up bytes, a real shape)."""
    return (
        f"ENC[AES256_GCM,data:{_b64(value, max(len(value), 1))},iv:{_b64('iv' + value, 32)},"
        f"tag:{_b64('tag' + value, 16)},type:{kind}]"
    )


AGE_KEY = """\
    age:
        - recipient: age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p
          enc: |
            -----BEGIN AGE ENCRYPTED FILE-----
            YWdlLWVuY3J5cHRpb24ub3JnL3YxCi0+IFgyNTUxOSBzb21lIG1hZGUgdXAgYnl0ZXMK
            -----END AGE ENCRYPTED FILE-----
"""


def sops_section(setting: str = "encrypted_regex: ^(data|stringData)$", keys: str = AGE_KEY) -> str:
    """A `sops:` section as sops 3.8 writes it (4-space indents), `setting` its selection."""
    setting_line = f"    {setting}\n" if setting else ""
    return (
        "sops:\n    kms: []\n    gcp_kms: []\n    azure_kv: []\n    hc_vault: []\n"
        + keys
        + '    lastmodified: "2026-02-01T10:00:00Z"\n'
        + f"    mac: {enc('mac')}\n    pgp: []\n"
        + setting_line
        + "    version: 3.8.1\n"
    )


def sops_secret(**values: str) -> str:
    """A Secret whose stringData sops encrypted with `--encrypted-regex '^(data|stringData)$'`."""
    lines = "".join(f"    {k}: {enc(v)}\n" for k, v in values.items())
    return (
        "apiVersion: v1\nkind: Secret\nmetadata:\n    name: db\n    namespace: prod\n"
        f"type: Opaque\nstringData:\n{lines}{sops_section()}"
    )


def sops_dotenv(**values: str) -> str:
    """A dotenv file as sops writes it: values encrypted, its metadata flattened to `sops_*`."""
    lines = "".join(f"{k}={enc(v)}\n" for k, v in values.items())
    return (
        f"{lines}sops_age__list_0__map_enc=-----BEGIN AGE ENCRYPTED FILE-----\\nYWdl\\n"
        "-----END AGE ENCRYPTED FILE-----\\n\n"
        "sops_age__list_0__map_recipient=age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p\n"
        f"sops_lastmodified=2026-02-01T10:00:00Z\nsops_mac={enc('mac')}\n"
        "sops_unencrypted_suffix=_unencrypted\nsops_version=3.8.1\n"
    )


def docs(text: str, path: str = "manifest.yaml") -> Documents | Unreadable:
    """`text` (dedented) read by the manifests adapter, as the content rule will read it."""
    found = manifests.read(path, textwrap.dedent(text).encode(), sops_required=True)
    assert found is not None
    return found
