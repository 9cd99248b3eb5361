"""Turn the vendored gitleaks.toml into rules.json (run after replacing the TOML with a newer
upstream copy; update the commit in src/gitward/policy/content/gitleaks/README.md too).

    .venv/bin/python scripts/vendor_gitleaks.py COMMIT
"""

from __future__ import annotations

import json
import sys
import tomllib

from gitward.config import gitleaks


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    doc = tomllib.loads(gitleaks.TOML.read_text(encoding="utf-8"))
    out = gitleaks.convert(doc, argv[0])
    gitleaks.JSON_FILE.write_text(json.dumps(out, indent=0, ensure_ascii=False) + "\n")
    print(f"{len(out['rules'])} rules usable with RE2, {len(out['unusable'])} left out")
    for item in out["unusable"]:
        print(f"  {item['id']}: {item['reason']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
