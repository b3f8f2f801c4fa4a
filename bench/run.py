"""Run every benchmark, print figures, write build/bench/results.json.

    make bench            (or: .venv/bin/python -m bench.run)
"""

from __future__ import annotations

import json
import platform
import sys
import time

from bench import iss_speed, rtl_speed
from cosim.outputs import write_json

SUITES = {"iss_speed": iss_speed.run, "rtl": rtl_speed.run}


def main() -> int:
    results = {"python": platform.python_version(), "machine": platform.machine(),
               "date": time.strftime("%Y-%m-%d %H:%M:%S")}
    for name, suite in SUITES.items():
        print(f"[{name}]")
        results[name] = suite()
    path = iss_speed.BUILD / "results.json"
    write_json(path, results)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
