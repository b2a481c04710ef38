"""The support services directory under load, against a bare Flask app in the same run, and its weight.

Prepares a database with the seeded listings, serves the one-route bare Flask app and then Haven
under gunicorn (2 workers each, one at a time), loads each directory page below with wrk on
127.0.0.1 for a bounded time, and prints:
  - each page's requests per second as a ratio of the bare app's (target: at least 0.6, issue 17)
    and its 99th percentile latency (no target; for reading alongside)
  - each page's total bytes, HTML + CSS + JS, uncompressed (target: at most 30 KB: many residents
    read it on a poor mobile connection)
Exits 1 when a target is missed. Run with `make bench`.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import urllib.request

from home_page import BIN, CONNECTIONS, DURATION, ROOT, serve, wait_until_up
from result import report

PAGES = {
    "directory": "/en/support-services",
    "directory, area and need": "/en/support-services?area=walsall&need=helpline",
    "directory, district and open now": "/en/support-services?district=WS1&open=1",
}
RATIO_TARGET = 0.6
BYTES_TARGET = 30 * 1024


def p99_and_rps(url: str) -> tuple[float, float]:
    subprocess.run(["wrk", "-t2", "-c4", "-d2s", url], capture_output=True, check=True)
    result = subprocess.run(["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{DURATION}", "--latency", url],
                            capture_output=True, text=True, check=True)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", result.stdout)
    if errors:
        raise SystemExit(f"{url}: {errors.group(1)} error responses under load")
    value, unit = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s)\s*$", result.stdout, re.M).groups()
    p99 = float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]
    return p99, float(re.search(r"Requests/sec:\s+([\d.]+)", result.stdout).group(1))


def page_weight(url: str, base: str) -> int:
    html = urllib.request.urlopen(url).read()
    total = len(html)
    for path in re.findall(rb'(?:href|src)="(/static/[^"]+\.(?:css|js))"', html):
        total += len(urllib.request.urlopen(base + path.decode()).read())
    return total


def stop(process) -> None:
    if process.poll() is None:
        process.terminate()
        process.wait()


def main() -> int:
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed (make bench installs it)")
    instance = tempfile.mkdtemp(prefix="haven-bench-")
    env = {**os.environ, "HAVEN_INSTANCE_PATH": instance, "HAVEN_ENV": "development"}
    figures = {}
    try:
        bare, bare_port = serve("bare_app:app", env, ROOT / "bench")
        try:
            bare_url = f"http://127.0.0.1:{bare_port}/"
            wait_until_up(bare_url, bare)
            _, bare_rps = p99_and_rps(bare_url)
        finally:
            stop(bare)
        for command in (["db", "upgrade"], ["content", "load"]):
            subprocess.run([str(BIN / "flask"), "--app", "haven", *command], env=env, cwd=ROOT, check=True,
                           capture_output=True)
        haven, port = serve("haven:create_app()", env, ROOT / "bench")
        try:
            base = f"http://127.0.0.1:{port}"
            wait_until_up(base + PAGES["directory"], haven)
            for name, path in PAGES.items():
                figures[name] = (*p99_and_rps(base + path), page_weight(base + path, base))
        finally:
            stop(haven)
    finally:
        shutil.rmtree(instance, ignore_errors=True)

    passed = True
    print(f"bare Flask app: {bare_rps:9.0f} requests/s")
    for name, (p99, rps, total) in figures.items():
        ratio = rps / bare_rps
        ratio_ok, bytes_ok = ratio >= RATIO_TARGET, total <= BYTES_TARGET
        passed = passed and ratio_ok and bytes_ok
        print(f"{name} ({PAGES[name]}): {rps:7.0f} requests/s, ratio {ratio:.2f} (target >= {RATIO_TARGET}) "
              f"{'PASS' if ratio_ok else 'FAIL'}; p99 {p99:.1f} ms at {CONNECTIONS} connections; "
              f"{total} bytes (target <= {BYTES_TARGET}) {'PASS' if bytes_ok else 'FAIL'}")
        report(f"{name} {PAGES[name]}", f"ratio {ratio:.2f} ({rps:.0f} / {bare_rps:.0f} req/s; p99 {p99:.1f} ms)",
               f">= {RATIO_TARGET}", ratio_ok)
        report(f"{name} weight", f"{total} bytes", f"<= {BYTES_TARGET}", bytes_ok)
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
