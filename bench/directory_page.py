"""The support services directory under load: latency and weight.

Prepares a database with the seeded listings, serves Haven under gunicorn (2 workers), loads the
directory (national and local listings, open-now filter: the heaviest query a resident can send)
with wrk on 127.0.0.1 for a bounded time, and prints:
  - requests per second, and the 99th percentile latency (target: at most 250 ms at 16 connections)
  - the page's total bytes, HTML + CSS + JS, uncompressed (target: at most 60 KB: many residents
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

PATH = "/en/support-services?district=WS1&open=1"
P99_TARGET_MS = 250
BYTES_TARGET = 60 * 1024


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


def main() -> int:
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed (make bench installs it)")
    instance = tempfile.mkdtemp(prefix="haven-bench-")
    env = {**os.environ, "HAVEN_INSTANCE_PATH": instance, "HAVEN_ENV": "development"}
    for command in (["db", "upgrade"], ["content", "load"]):
        subprocess.run([str(BIN / "flask"), "--app", "haven", *command], env=env, cwd=ROOT, check=True,
                       capture_output=True)
    haven, port = serve("haven:create_app()", env, ROOT / "bench")
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until_up(base + PATH, haven)
        p99, rps = p99_and_rps(base + PATH)
        total = page_weight(base + PATH, base)
    finally:
        haven.terminate()
        haven.wait()
        shutil.rmtree(instance, ignore_errors=True)
    p99_ok, bytes_ok = p99 <= P99_TARGET_MS, total <= BYTES_TARGET
    print(f"support services page: {rps:9.0f} requests/s")
    print(f"99th percentile latency: {p99:.1f} ms at {CONNECTIONS} connections (target <= {P99_TARGET_MS} ms) "
          f"{'PASS' if p99_ok else 'FAIL'}")
    print(f"support services page weight: {total} bytes (target <= {BYTES_TARGET}) {'PASS' if bytes_ok else 'FAIL'}")
    report(f"directory {PATH}", f"p99 {p99:.1f} ms at {CONNECTIONS} connections ({rps:.0f} req/s)",
           f"<= {P99_TARGET_MS} ms", p99_ok)
    report(f"directory {PATH}", f"{total} bytes", f"<= {BYTES_TARGET}", bytes_ok)
    return 0 if p99_ok and bytes_ok else 1


if __name__ == "__main__":
    sys.exit(main())
