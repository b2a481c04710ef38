"""Bytes per public page (HTML + the CSS and JS it loads), against the issue's target of 30 KB.

Every public page in English and Arabic, and the pages that only a sent form shows (the first
"tell us more" page). Run from the repository root: `make bench` does.
"""
from __future__ import annotations

import re
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET = 30 * 1024
LOCALES = ("en", "ar")


def main() -> int:
    from haven import create_app
    from haven.migrations import upgrade
    from tests.helpers import load_listings, public_paths

    instance = tempfile.mkdtemp(prefix="haven-weights-")
    url = f"sqlite:///{instance}/weights.sqlite3"
    upgrade(url)
    app = create_app({"SECRET_KEY": "bench-secret-key-0123456789-0123456789", "DATABASE_URL": url,
                      "INSTANCE_PATH": instance, "CONTENT_DIR": ROOT / "content", "MIN_FILL_SECONDS": 0,
                      "SMTP_PORT": 1, "SMTP_TIMEOUT": 1, "TESTING": True})
    load_listings(app)
    client = app.test_client()
    assets: dict[str, int] = {}

    def weight(html: str) -> int:
        total = len(html.encode())
        for path in re.findall(r'(?:href|src)="(/static/[^"]+\.(?:css|js))"', html):
            if path not in assets:
                assets[path] = len(client.get(path).data)
            total += assets[path]
        return total

    weights = {}
    for locale in LOCALES:
        for path in public_paths(locale):
            weights[path] = weight(client.get(path).get_data(as_text=True))
        form = client.get(f"/{locale}/ask-for-help/form").get_data(as_text=True)
        fields = {name: re.search(rf'name="{name}" type="hidden" value="([^"]*)"', form).group(1)
                  for name in ("csrf_token", "token")}
        sent = client.post(f"/{locale}/ask-for-help/form",
                           data={**fields, "preferred": "office", "consent": "y"}).get_data(as_text=True)
        weights[f"/{locale}/ask-for-help/form (sent, tell us more)"] = weight(sent)

    heaviest = max(weights, key=weights.get)
    for path, size in sorted(weights.items(), key=lambda item: -item[1])[:8]:
        print(f"{size:7d} bytes  {path}")
    ok = weights[heaviest] <= TARGET
    print(f"heaviest public page: {weights[heaviest]} bytes ({heaviest}); home /en/ {weights['/en/']} bytes"
          f" (target <= {TARGET}) {'PASS' if ok else 'FAIL'}")
    from result import report

    report("page weights (every public page, en and ar)", f"heaviest {weights[heaviest]} bytes ({heaviest})",
           f"<= {TARGET}", ok)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
