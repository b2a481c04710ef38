"""Public pages' throughput against a bare Flask app, and the home page's weight.

Serves Haven and a one-route Flask app under gunicorn (2 workers each), loads each with wrk on
127.0.0.1 for a bounded time, and prints:
  - each public page's requests per second as a ratio of the bare app's in the same run (the bare
    app is measured before and after Haven's pages, and their mean is the yardstick, so a machine
    that slows down part-way misleads less): the home page and an information page, each with a
    target of at least 0.6 (the directory has its own benchmark, directory_page.py)
  - the home page's total bytes, HTML + CSS + JS, uncompressed (target: at most 30 KB)
Exits 1 when a target is missed. Run with `make bench`.
"""
from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from result import report

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
DURATION = os.environ.get("BENCH_DURATION", "10s")
CONNECTIONS = os.environ.get("BENCH_CONNECTIONS", "16")
RATIO_TARGET = 0.6
PAGES = {"home page": "/en/", "information page": "/en/help-for-myself"}
BYTES_TARGET = 30 * 1024


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(url: str, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"server for {url} exited with {process.returncode}")
        try:
            urllib.request.urlopen(url, timeout=1).read()
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"server for {url} did not start")


def serve(app: str, env: dict, cwd: Path):
    # cwd: never the repository's root, whose gunicorn.conf.py (production's checks) gunicorn would read.
    port = free_port()
    process = subprocess.Popen(
        [str(BIN / "gunicorn"), "--workers", "2", "--bind", f"127.0.0.1:{port}", "--log-level",
         "warning", app], env=env, cwd=cwd)
    return process, port


def requests_per_second(url: str) -> float:
    # Warm up, then measure.
    subprocess.run(["wrk", "-t2", "-c4", "-d2s", url], capture_output=True, check=True)
    result = subprocess.run(["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{DURATION}", url],
                            capture_output=True, text=True, check=True)
    match = re.search(r"Requests/sec:\s+([\d.]+)", result.stdout)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", result.stdout)
    if errors:
        raise SystemExit(f"{url}: {errors.group(1)} error responses under load")
    return float(match.group(1))


def page_weight(base: str) -> dict[str, int]:
    html = urllib.request.urlopen(base + "/en/").read()
    sizes = {"html": len(html)}
    for kind, pattern in (("css", rb'href="(/static/[^"]+\.css)"'), ("js", rb'src="(/static/[^"]+\.js)"')):
        sizes[kind] = sum(len(urllib.request.urlopen(base + path.decode()).read())
                          for path in re.findall(pattern, html))
    return sizes


def main() -> int:
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed (make bench installs it)")
    instance = tempfile.mkdtemp(prefix="haven-bench-")
    env = {**os.environ, "HAVEN_INSTANCE_PATH": instance, "HAVEN_ENV": "development"}
    processes = []
    try:
        # As a real deployment is: migrated, with its listings (the home page names two of them).
        for command in (["db", "upgrade"], ["content", "load"]):
            subprocess.run([str(BIN / "flask"), "--app", "haven", *command], env=env, cwd=ROOT, check=True,
                           capture_output=True)
        bare, bare_port = serve("bare_app:app", env, ROOT / "bench")
        haven, haven_port = serve("haven:create_app()", env, ROOT / "bench")
        processes += [bare, haven]
        bare_url, base = f"http://127.0.0.1:{bare_port}/", f"http://127.0.0.1:{haven_port}"
        wait_until_up(bare_url, bare)
        wait_until_up(base + "/en/", haven)
        bare_before = requests_per_second(bare_url)
        haven_rps = {label: requests_per_second(base + path) for label, path in PAGES.items()}
        bare_rps = (bare_before + requests_per_second(bare_url)) / 2
        sizes = page_weight(base)
    finally:
        for process in processes:
            if process.poll() is None:
                process.terminate()
                process.wait()
        shutil.rmtree(instance, ignore_errors=True)

    ok = True
    print(f"bare Flask app:  {bare_rps:9.0f} requests/s (mean of before and after)")
    for label, rps in haven_rps.items():
        ratio = rps / bare_rps
        hit = ratio >= RATIO_TARGET
        ok = ok and hit
        print(f"Haven {label} ({PAGES[label]}): {rps:9.0f} requests/s, ratio {ratio:.2f} "
              f"(target >= {RATIO_TARGET}) {'PASS' if hit else 'FAIL'}")
        report(f"public pages: {label} {PAGES[label]}", f"ratio {ratio:.2f} ({rps:.0f} / {bare_rps:.0f} req/s)",
               f">= {RATIO_TARGET}", hit)
    total = sum(sizes.values())
    bytes_ok = total <= BYTES_TARGET
    print(f"home page weight: {total} bytes = html {sizes['html']} + css {sizes['css']} + js {sizes['js']}"
          f" (target <= {BYTES_TARGET}) {'PASS' if bytes_ok else 'FAIL'}")
    report("public pages: home page /en/ weight", f"{total} bytes", f"<= {BYTES_TARGET}", bytes_ok)
    return 0 if ok and bytes_ok else 1


if __name__ == "__main__":
    sys.exit(main())
