"""Real-looking credentials, made at run time from a seeded random generator.

The repository never holds a live-looking secret (a scanner run on it stays clean: see
tests/test_content_repo_clean.py): every token here is assembled from a prefix split in two
and random characters, in the shapes the providers document. None of them is live.
"""

from __future__ import annotations

import base64
import random
import string
from collections.abc import Callable

UPPER32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"  # AWS key ids use base32 letters
ALNUM = string.ascii_letters + string.digits
HEX = "0123456789abcdef"
DASHES = "-" * 5


def rng(seed: int) -> random.Random:
    """A generator of test tokens: reproducible on purpose, nothing here is a real secret."""
    return random.Random(seed)  # noqa: S311  # see the docstring


def _pick(rng: random.Random, alphabet: str, n: int) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


def _mixed(rng: random.Random, n: int) -> str:
    """Random letters and digits with both cases and a digit (high entropy, like real keys)."""
    while True:
        text = _pick(rng, ALNUM, n)
        if any(c.isdigit() for c in text) and text.lower() != text != text.upper():
            return text


def aws_key_id(rng: random.Random) -> str:
    return "AK" + "IA" + _pick(rng, UPPER32, 16)


def github_pat(rng: random.Random) -> str:
    return "gh" + "p_" + _mixed(rng, 36)


def gitlab_pat(rng: random.Random) -> str:
    return "glp" + "at-" + _mixed(rng, 20)


def slack_bot_token(rng: random.Random) -> str:
    digits = string.digits
    return "xo" + f"xb-{_pick(rng, digits, 12)}-{_pick(rng, digits, 13)}-{_mixed(rng, 24)}"


def stripe_key(rng: random.Random) -> str:
    return "sk" + "_live_" + _mixed(rng, 24)


def npm_token(rng: random.Random) -> str:
    return "np" + "m_" + _pick(rng, string.ascii_lowercase + string.digits, 36)


def openai_key(rng: random.Random) -> str:
    marker = base64.b64encode(b"Open" + b"AI").decode()  # the marker OpenAI keys carry
    return "sk" + "-" + _mixed(rng, 20) + marker + _mixed(rng, 20)


def digitalocean_pat(rng: random.Random) -> str:
    return "do" + "p_v1_" + _pick(rng, HEX, 64)


def vault_token(rng: random.Random) -> str:
    return "hv" + "s." + _mixed(rng, 95)


def age_key(rng: random.Random) -> str:
    return "AGE-SECRET" + "-KEY-1" + _pick(rng, "QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L", 58)


def sendgrid_key(rng: random.Random) -> str:
    return "S" + "G." + _mixed(rng, 22) + "." + _mixed(rng, 43)


def gcp_api_key(rng: random.Random) -> str:
    return "AI" + "za" + _mixed(rng, 35)


def jwt(rng: random.Random) -> str:
    def part(raw: bytes) -> str:
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    header = part(b'{"alg":"HS256","typ":"JWT"}')
    body = part(b'{"sub":"' + _mixed(rng, 12).encode() + b'","iat":1767225600}')
    return f"{header}.{body}.{_mixed(rng, 43)}"


def private_key_pem(rng: random.Random, kind: str = "RSA") -> str:
    """A PEM block shaped like a private key (random base64, not a key)."""
    body = base64.b64encode(rng.randbytes(600)).decode()
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    label = f"{kind} PRIVATE KEY".strip()
    return "\n".join([f"{DASHES}BEGIN {label}{DASHES}", *lines, f"{DASHES}END {label}{DASHES}"])


def generic_password(rng: random.Random) -> str:
    return _mixed(rng, 18)


# rule id -> (a token maker, the text the token appears in)
POSITIVES: dict[str, tuple[Callable[[random.Random], str], str]] = {
    "aws-access-token": (aws_key_id, "aws_access_key_id = {}\n"),
    "github-pat": (github_pat, "export GITHUB_TOKEN={}\n"),
    "gitlab-pat": (gitlab_pat, "ci:\n  token: {}\n"),
    "slack-bot-token": (slack_bot_token, 'SLACK = "{}"\n'),
    "stripe-access-token": (stripe_key, "stripe.api_key = '{}'\n"),
    "npm-access-token": (npm_token, "//registry.npmjs.org/:_authToken={}\n"),
    "openai-api-key": (openai_key, "OPENAI_API_KEY={}\n"),
    "digitalocean-pat": (digitalocean_pat, "do_token: {}\n"),
    "vault-service-token": (vault_token, "VAULT_TOKEN={}\n"),
    "age-secret-key": (age_key, "# age key\n{}\n"),
    "sendgrid-api-token": (sendgrid_key, "sendgrid: {}\n"),
    "gcp-api-key": (gcp_api_key, 'const firebase = {{ apiKey: "{}" }};\n'),
    "jwt": (jwt, "Authorization: Bearer {}\n"),
    "private-key": (private_key_pem, "{}\n"),
    "generic-api-key": (generic_password, 'db_secret = "{}"\n'),
}

# Text that looks like a credential to a careless pattern, and is none.
NEGATIVES: dict[str, str] = {
    "placeholder": 'password = "changeme"\napi_key = "<your-api-key>"\n',
    "environment": 'api_key = os.environ["API_KEY"]\ntoken = "${GITHUB_TOKEN}"\n',
    "template": "token: {{ .Values.token }}\nsecret: ${{ secrets.DEPLOY_KEY }}\n",
    "aws-example": "aws_access_key_id = " + "AK" + "IA" + "IOSFODNN7" + "EXAMPLE\n",
    "low-entropy": "aws_access_key_id = " + "AK" + "IA" + "A" * 16 + "\n",
    "python": "def access(key: str) -> str:\n    return cache[key]\n",
    "public-key": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9ok x\n",
    "manifest": "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n",
    "prose": "The keyboard shortcut opens the password manager's settings page.\n",
    "stopword": 'client_secret = "example-client-settings"\n',
}
