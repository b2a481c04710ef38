"""Every benchmark, one after another, then one table: benchmark, figure, target, pass/fail.

`make bench` runs this inside a throwaway PostgreSQL cluster (pg_virtualenv) whose URL it passes
as BENCH_POSTGRES_URL; the benchmarks that have a PostgreSQL run get it as BENCH_DATABASE_URL.
Each benchmark prints its own lines as it goes, and one `BENCH-RESULT {json}` line per figure
(bench/result.py); a benchmark that stops without them, or exits non-zero without a failed
figure, is a failed row. Exits 1 when any row fails.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from result import PREFIX

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SQLITE, POSTGRES = "SQLite", "PostgreSQL"
# (script, database): None when the benchmark has no database of its own to choose.
RUNS = [("home_page.py", None), ("directory_page.py", None), ("page_weights.py", None),
        ("inbox.py", SQLITE), ("inbox.py", POSTGRES), ("reports.py", SQLITE), ("reports.py", POSTGRES),
        ("referrals.py", SQLITE), ("referrals.py", POSTGRES), ("quick_exit.py", None)]


def run(script: str, database: str | None) -> list[dict]:
    label = script if database is None else f"{script} ({database})"
    env = {key: value for key, value in os.environ.items() if key != "BENCH_DATABASE_URL"}
    if database == POSTGRES:
        if not os.environ.get("BENCH_POSTGRES_URL"):
            return [{"benchmark": label, "figure": "not run: no BENCH_POSTGRES_URL (use `make bench`)",
                     "target": "", "pass": False}]
        env["BENCH_DATABASE_URL"] = os.environ["BENCH_POSTGRES_URL"]
    print(f"\n== {label}", flush=True)
    started = time.monotonic()
    process = subprocess.Popen([sys.executable, str(HERE / script)], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                               text=True)
    results = []
    for line in process.stdout:
        if line.startswith(PREFIX):
            results.append(json.loads(line[len(PREFIX):]))
        else:
            print("   " + line, end="", flush=True)
    code = process.wait()
    print(f"   ({time.monotonic() - started:.0f} s, exit {code})", flush=True)
    if not results or (code != 0 and all(row["pass"] is not False for row in results)):
        results.append({"benchmark": label, "figure": f"stopped with exit code {code}", "target": "", "pass": False})
    return results


def table(rows: list[dict]) -> str:
    cells = [("benchmark", "figure", "target", "result")]
    cells += [(row["benchmark"], row["figure"], row["target"],
               {True: "PASS", False: "FAIL", None: "-"}[row["pass"]]) for row in rows]
    widths = [max(len(line[column]) for line in cells) for column in range(4)]
    lines = [" | ".join(value.ljust(width) for value, width in zip(line, widths)).rstrip() for line in cells]
    lines.insert(1, "-+-".join("-" * width for width in widths))
    return "\n".join(lines)


def main() -> int:
    only = set(sys.argv[1:])  # e.g. `run_all.py referrals.py quick_exit.py` while working on two
    rows = []
    for script, database in RUNS:
        if not only or script in only:
            rows += run(script, database)
    print("\n" + table(rows))
    return 1 if any(row["pass"] is False for row in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
