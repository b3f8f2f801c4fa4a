"""The Python API in one script: build a C program, run it on the golden interpreter and
on the RTL, compare their retire streams as numpy columns, and co-simulate.

    .venv/bin/python examples/api_example.py
"""

from pathlib import Path

from oxcore import api
from oxcore.config import load_config
from sw.cc.driver import compile_c

HERE = Path(__file__).resolve().parent
elf = HERE.parent / "build" / "examples" / "fib.elf"
compile_c([HERE / "fib.c"], elf, load_config("default"))

program = api.load(elf, config="default")
iss = api.run(program, sim="iss", records=True)
rtl = api.run(program, sim="rtl", records=True)
print(rtl.stdout.decode(), end="")
print(f"interpreter: exit {iss.exit_code}, {iss.instret:,} instructions")
print(f"RTL: exit {rtl.exit_code}, {rtl.instret:,} instructions in {rtl.cycles:,} cycles "
      f"(CPI {rtl.cycles / rtl.instret:.3f}); branch stalls {rtl.counters['stall_branch']:,}")

first = iss.records.first_difference(rtl.records)
print("retire streams:", "identical" if first is None else f"differ at record {first}")
writes = rtl.records.effects_of("x")
to_a0 = int((writes.columns["reg"] == 10).sum())
print(f"register writes: {len(writes):,}, of them to a0: {to_a0:,}")

verdict = api.cosim(program)
print(f"cosim: {verdict.verdict} (status {verdict.exit_status}), ended {verdict.ended}")
