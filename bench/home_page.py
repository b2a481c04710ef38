"""Home page throughput against a bare Flask app, and the home page's weight.

Serves Haven and a one-route Flask app under gunicorn (2 workers each, one at a time), loads each
with wrk on 127.0.0.1 for a bounded time, and prints:
  - Haven's home page requests per second as a ratio of the bare app's (target: at least 0.5)
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

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
DURATION = os.environ.get("BENCH_DURATION", "10s")
CONNECTIONS = os.environ.get("BENCH_CONNECTIONS", "16")
RATIO_TARGET = 0.5
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
        bare, bare_port = serve("bare_app:app", env, ROOT / "bench")
        processes.append(bare)
        bare_url = f"http://127.0.0.1:{bare_port}/"
        wait_until_up(bare_url, bare)
        bare_rps = requests_per_second(bare_url)
        bare.terminate()
        bare.wait()

        # As a real deployment is: migrated, with its listings (the home page names two of them).
        for command in (["db", "upgrade"], ["content", "load"]):
            subprocess.run([str(BIN / "flask"), "--app", "haven", *command], env=env, cwd=ROOT, check=True,
                           capture_output=True)
        haven, haven_port = serve("haven:create_app()", env, ROOT)
        processes.append(haven)
        base = f"http://127.0.0.1:{haven_port}"
        wait_until_up(base + "/en/", haven)
        haven_rps = requests_per_second(base + "/en/")
        sizes = page_weight(base)
    finally:
        for process in processes:
            if process.poll() is None:
                process.terminate()
                process.wait()
        shutil.rmtree(instance, ignore_errors=True)

    ratio = haven_rps / bare_rps
    total = sum(sizes.values())
    ratio_ok, bytes_ok = ratio >= RATIO_TARGET, total <= BYTES_TARGET
    print(f"bare Flask app:  {bare_rps:9.0f} requests/s")
    print(f"Haven home page: {haven_rps:9.0f} requests/s")
    print(f"throughput ratio: {ratio:.2f} (target >= {RATIO_TARGET}) {'PASS' if ratio_ok else 'FAIL'}")
    print(f"home page weight: {total} bytes = html {sizes['html']} + css {sizes['css']} + js {sizes['js']}"
          f" (target <= {BYTES_TARGET}) {'PASS' if bytes_ok else 'FAIL'}")
    return 0 if ratio_ok and bytes_ok else 1


if __name__ == "__main__":
    sys.exit(main())
