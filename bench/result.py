"""The one line each benchmark prints per figure, for `bench/run_all.py` to gather into its table.

    BENCH-RESULT {"benchmark": ..., "figure": ..., "target": ..., "pass": true|false|null}

`pass` is null for a figure reported without a target. The human-readable lines stay as they were.
"""
from __future__ import annotations

import json

PREFIX = "BENCH-RESULT "


def report(benchmark: str, figure: str, target: str, ok: bool | None) -> None:
    print(PREFIX + json.dumps({"benchmark": benchmark, "figure": figure, "target": target, "pass": ok}),
          flush=True)
