"""Run every benchmark, print figures, write build/bench/results.json.

    make bench                        (or: .venv/bin/python -m bench.run)
    .venv/bin/python -m bench.run cosim    (only the named suites)
"""

from __future__ import annotations

import platform
import sys
import time

from bench import (compile_times, compiled_conv, compiled_gemm, compiled_vector, iss_speed,
                   kloop, rtl_speed, tensor_gemm, vector_roofline)
from oxcore.outputs import write_json

SUITES = {"iss_speed": iss_speed.run, "rtl": rtl_speed.run, "cosim": rtl_speed.cosim_throughput,
          "vector": vector_roofline.run, "tensor": tensor_gemm.run,
          "compiled": compiled_gemm.run, "compiled_vector": compiled_vector.run,
          "compiled_conv": compiled_conv.run, "compile_times": compile_times.run,
          "kloop": kloop.run}
# "rtl" includes the co-simulation figures; "kloop" (the K loop's pipelining against
# num_stages=1) runs only by name
DEFAULT = ("iss_speed", "rtl", "vector", "tensor", "compiled", "compiled_vector",
           "compiled_conv", "compile_times")


def main(argv: list[str] | None = None) -> int:
    names = (argv if argv is not None else sys.argv[1:]) or list(DEFAULT)
    unknown = [name for name in names if name not in SUITES]
    if unknown:
        print(f"bench: unknown suite {unknown[0]!r} (suites: {', '.join(SUITES)})",
              file=sys.stderr)
        return 2
    results = {"python": platform.python_version(), "machine": platform.machine(),
               "date": time.strftime("%Y-%m-%d %H:%M:%S")}
    for name in names:
        print(f"[{name}]")
        results[name] = SUITES[name]()
    path = iss_speed.BUILD / ("results.json" if names == list(DEFAULT)
                              else f"results-{'-'.join(names)}.json")
    write_json(path, results)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
