"""RTL fuzzing: many random programs through lockstep co-simulation, in parallel.

    python -m cosim.fuzz --count 200 [--jobs N] [--length 300] [--config small]
                         [--first-seed 0] [--out build/fuzz]

Each failing seed is kept as a reproducer under `--out`: `seed-N.elf` (run it again
with `oxcore cosim seed-N.elf --config ...`), `seed-N.lst` (its disassembly) and
`seed-N.txt` (the divergence report). Exit status 1 if any seed failed.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from oxcore.config import OxCoreConfig, load_config
from cosim.cosim_cmd import cosim_program
from cosim.randprog import RandomProgram, generate
from hw.oxcore.faults import Faults, parse_faults
from sw.asm.elf_writer import ElfSection, ElfSymbol, build_executable


def write_reproducer(prog: RandomProgram, out: Path, config_name: str, report: str,
                     fault_args: str = "") -> Path:
    """Keep a failing program as an ELF (text + data window), listing and report."""
    text = b"".join(w.to_bytes(4, "little") for w in prog.words)
    sections = [ElfSection(".text", prog.text_base, text, len(text), 4, executable=True),
                ElfSection(".data", prog.data_base, prog.data, len(prog.data), 4,
                           writable=True)]
    symbols = [ElfSymbol("_start", prog.text_base, binding="global", type="func",
                         section=".text")]
    out.mkdir(parents=True, exist_ok=True)
    elf = out / f"seed-{prog.seed}.elf"
    elf.write_bytes(build_executable(sections, symbols, prog.text_base))
    (out / f"seed-{prog.seed}.lst").write_text(prog.listing())
    (out / f"seed-{prog.seed}.txt").write_text(
        f"{report}\n\nreproduce: oxcore cosim {elf} --config {config_name}{fault_args}\n")
    return elf


def check_seed(seed: int, config: OxCoreConfig, length: int, out: Path,
               faults: Faults = frozenset()) -> tuple[int, str]:
    """('' if seed passes, else a one-line summary); writes the reproducer on failure."""
    prog = generate(seed, config, length)
    result = cosim_program(config, prog.program(), stdout=io.BytesIO(), stderr=io.BytesIO(),
                           faults=faults)
    if result.ok:
        return seed, ""
    report = result.divergence.report() if result.divergence else "\n".join(result.problems)
    fault_args = "".join(f" --fault {f.value}" for f in sorted(faults, key=lambda f: f.value))
    elf = write_reproducer(prog, out, config.name, report, fault_args)
    return seed, f"seed {seed}: {report.splitlines()[0]} -> {elf}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cosim.fuzz", description=__doc__)
    parser.add_argument("--count", type=int, default=100)
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--length", type=int, default=300)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--config", default="small")
    parser.add_argument("--out", default="build/fuzz")
    parser.add_argument("--fault", action="append", default=[],
                        help="inject an RTL bug (hw/oxcore/faults.py): checks the fuzzer")
    args = parser.parse_args(argv)
    config = load_config(args.config)
    faults = parse_faults(args.fault)
    out = Path(args.out)
    seeds = range(args.first_seed, args.first_seed + args.count)
    started = time.perf_counter()
    failures = []
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        jobs = [pool.submit(check_seed, s, config, args.length, out, faults) for s in seeds]
        for done, job in enumerate(jobs, 1):
            seed, failure = job.result()
            if failure:
                failures.append(failure)
                print(failure, flush=True)
            if done % 10 == 0 or done == len(jobs):
                print(f"fuzz: {done}/{len(jobs)} programs, {len(failures)} failing, "
                      f"{time.perf_counter() - started:.0f} s", flush=True)
    print(f"fuzz: {len(seeds) - len(failures)} passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
