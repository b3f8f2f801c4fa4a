"""The `oxcore` command: asm, disasm, cc, compile, run, cosim, area.

Each subcommand's work lives in its own module; this file only parses arguments and
turns `OxCoreError`s into one-line messages with a non-zero exit (never a traceback).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from oxcore.config import PRESETS, load_config
from oxcore.errors import Interrupted, OxCoreError, SourceError


def _add_config(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", metavar="NAME|FILE.toml", default=None,
                        help=f"core configuration: preset ({', '.join(PRESETS)}) or TOML file")


def _add_backend(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--backend", choices=("auto", "pysim", "cxxrtl"), default="auto",
                        help="RTL simulator: cxxrtl (compiled, fast; the default, built once "
                             "per design and cached) or pysim (Amaranth's)")


def _add_pipeview(parser: argparse.ArgumentParser, prefix: str = "",
                  window_note: str = "") -> None:
    """--pipeview and --pipeview-window, worded alike for `run` (whose RTL-only options
    say so by `prefix`) and `cosim`."""
    parser.add_argument("--pipeview", metavar="FILE",
                        help=f"{prefix}write the pipeline's occupancy, cycle by cycle, as a "
                             "Kanata log for the Konata viewer")
    parser.add_argument("--pipeview-window", metavar="START:END",
                        help=f"{prefix}only the instructions in the pipeline in cycles "
                             f"START..END-1 in the --pipeview log{window_note}")


def _cmd_asm(args: argparse.Namespace) -> int:
    from sw.asm.driver import assemble_file
    assemble_file(Path(args.source), Path(args.output), args.format, load_config(args.config))
    return 0


def _cmd_disasm(args: argparse.Namespace) -> int:
    from sw.asm.listing import disassemble_file
    sys.stdout.write(disassemble_file(Path(args.file), load_config(args.config),
                                      reassemblable=args.reassemblable))
    return 0


def _cmd_cc(args: argparse.Namespace) -> int:
    from sw.cc.driver import compile_c
    compile_c([Path(s) for s in args.sources], Path(args.output), load_config(args.config),
              opt=args.opt, extra_flags=args.flag or [])
    return 0


def _cmd_compile(args: argparse.Namespace) -> int:
    from sw.compiler.driver import compile_command
    sys.stdout.write(compile_command(Path(args.source), args.kernel, args.signature,
                                     args.emit, args.print_ir_after_all, args.config,
                                     Path(args.output) if args.output else None,
                                     args.num_stages))
    return 0


def _cmd_run(args: argparse.Namespace) -> int:
    from cosim.run import run_command
    return run_command(args)


def _cmd_cosim(args: argparse.Namespace) -> int:
    from cosim.cosim_cmd import cosim_command
    return cosim_command(args)


def _cmd_area(args: argparse.Namespace) -> int:
    from fpga.cli import area_sweep, area_text
    if not args.sweep:
        print(area_text(args.config, args.family))
        return 0
    for number, text in enumerate(area_sweep(args.config, args.family, args.sweep)):
        print(("\n" if number else "") + text, flush=True)
    return 0


def _cmd_disasm_filter(args: argparse.Namespace) -> int:
    from cosim.gtkw_filter import run_filter
    return run_filter(args.config)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="oxcore", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("asm", help="assemble a .S/.s file into an ELF executable or flat image")
    p.add_argument("source")
    p.add_argument("-o", "--output", required=True)
    p.add_argument("--format", choices=("elf", "bin"), default="elf")
    _add_config(p)
    p.set_defaults(func=_cmd_asm)

    p = sub.add_parser("disasm", help="disassemble an ELF or flat .bin image")
    p.add_argument("file")
    p.add_argument("--reassemblable", action="store_true",
                   help="print assembly source that `oxcore asm` turns back into the same bytes")
    _add_config(p)
    p.set_defaults(func=_cmd_disasm)

    p = sub.add_parser("disasm-filter",
                       help="GTKWave translate filter process: hex instruction words on "
                            "stdin, one per line, to disassembly on stdout")
    p.add_argument("--config", metavar="NAME|FILE.toml", default=None,
                   help="core configuration whose ISA disassembles (default: every "
                        "extension OxCore knows)")
    p.set_defaults(func=_cmd_disasm_filter)

    p = sub.add_parser("cc", help="compile bare-metal C for OxCore (clang from ziglang)")
    p.add_argument("sources", nargs="+")
    p.add_argument("-o", "--output", required=True)
    p.add_argument("-O", dest="opt", default="2", choices=("0", "1", "2", "3", "s", "z"),
                   help="optimisation level (default 2)")
    p.add_argument("--flag", action="append", metavar="FLAG",
                   help="extra flag passed to clang (repeatable), e.g. --flag=-DN=10")
    _add_config(p)
    p.set_defaults(func=_cmd_cc)

    p = sub.add_parser("compile", help="compile a Triton-style Python kernel "
                                       "(docs/compiler.md)")
    p.add_argument("source", help="Python file with @kernel functions")
    p.add_argument("--kernel", metavar="NAME",
                   help="which kernel (needed when the file has several that no "
                        "other kernel of it calls)")
    p.add_argument("--signature", metavar="SIG",
                   help="parameter types and constexpr values, e.g. "
                        "\"x:*i8,y:*i8,n:i32,BLOCK=64,MODE='relu'\"; a runtime "
                        "parameter given a value (stride=1, b_ptr=None) is "
                        "specialised on it, as a launch does for ints equal to 1")
    p.add_argument("--emit", choices=("ir", "asm", "elf"), default="ir",
                   help="what to produce: the block-level IR, the kernel function's "
                        "assembly, or an ELF object holding it (-o)")
    p.add_argument("-o", "--output", metavar="FILE",
                   help="write the assembly or ELF here (default for asm: stdout)")
    p.add_argument("--print-ir-after-all", action="store_true",
                   help="print the IR after the front end and after every pass")
    p.add_argument("--num-stages", type=int, default=None, metavar="N",
                   help="K-loop software pipelining, as Triton's num_stages: 1 off, 2 "
                        "on (default: the tensor engine's model decides)")
    _add_config(p)
    p.set_defaults(func=_cmd_compile)

    p = sub.add_parser("run", help="run a program on a simulator")
    p.add_argument("program")
    p.add_argument("--sim", choices=("iss", "rtl"), default="iss",
                   help="iss: the golden interpreter; rtl: the RTL (Amaranth simulator)")
    p.add_argument("--max-instructions", type=int, default=None, metavar="N",
                   help="stop (exit status 152) after N instructions (default: "
                        "1,000,000,000, a guard against runaway programs)")
    p.add_argument("--max-cycles", type=int, default=None, metavar="N",
                   help="rtl: stop (exit status 152) after N cycles")
    p.add_argument("--trace", metavar="FILE",
                   help="write one line per retired instruction (Spike commit-log style)")
    p.add_argument("--trace-cycles", action="store_true",
                   help="rtl: begin each --trace line with the cycle it retired in")
    p.add_argument("--stats-json", metavar="FILE", help="write run statistics as JSON")
    p.add_argument("--vcd", metavar="FILE",
                   help="rtl: write the waveform, plus FILE.gtkw for GTKWave/Surfer")
    p.add_argument("--vcd-window", metavar="START:END",
                   help="rtl: only cycles START..END-1 in the waveform (default: the first "
                        "100,000 cycles, about a gigabyte)")
    _add_pipeview(p, prefix="rtl: ", window_note=" (the run is fast until START)")
    p.add_argument("--fault", action="append", default=[], metavar="NAME",
                   help="rtl: inject a deliberate bug (see hw/oxcore/faults.py)")
    _add_backend(p)
    _add_config(p)
    p.set_defaults(func=_cmd_run)

    p = sub.add_parser("cosim", help="run the RTL and the interpreter in lockstep "
                                     "and compare every retired instruction",
                       formatter_class=argparse.RawDescriptionHelpFormatter,
                       epilog="exit status: 0 PASS (matched, the program called exit(0)); "
                              "1 FAIL (mismatch, or bad input);\n"
                              "3, 4, 5 MATCH (matched, but the program exited with "
                              "another status, trapped, or hit a limit)")
    target = p.add_mutually_exclusive_group(required=True)
    target.add_argument("program", nargs="?", help="an ELF (or .bin) to co-simulate")
    target.add_argument("--kernel", metavar="NAME",
                        help="an operator kernel (gemm, conv2d, ...; 'all' for every one), "
                             "with random inputs checked against numpy")
    p.add_argument("--shape", metavar="A,B,...", help="kernel shape, e.g. M,N,K for gemm")
    p.add_argument("--seed", type=int, default=None,
                   help="seed of the kernel's random inputs (default 1)")
    p.add_argument("--sweep", action="append", default=[], metavar="FIELD=V1,V2,...",
                   help="run the kernel on each value of a configuration field (a "
                        "section's as vector.lanes, tensor.tdim; repeat for every "
                        "combination), and end with a table comparing them")
    p.add_argument("--max-instructions", type=int, default=None, metavar="N",
                   help="stop after N instructions (default for a program: 1,000,000,000, "
                        "a guard against runaway programs)")
    p.add_argument("--max-cycles", type=int, default=None, metavar="N",
                   help="give up after N cycles (without it: no cycle limit, or 100 cycles "
                        "per instruction allowed by --max-instructions; a core that retires "
                        "nothing for 10,000 cycles is reported as hung either way)")
    p.add_argument("--stats-json", metavar="FILE", help="write statistics as JSON")
    p.add_argument("--profile", action="store_true",
                   help="a program's report ends, as a kernel's does, with how busy each "
                        "engine was and where the time went loop by loop (between the "
                        "kernel_begin and kernel_end symbols if it has both)")
    p.add_argument("--trace", metavar="FILE",
                   help="write one line per instruction checked (Spike commit-log style, "
                        "as `oxcore run --trace`), the divergent one included")
    p.add_argument("--trace-cycles", action="store_true",
                   help="begin each --trace line with the cycle it retired in")
    p.add_argument("--vcd", metavar="FILE",
                   help="write the RTL's waveform, plus FILE.gtkw for GTKWave/Surfer")
    p.add_argument("--vcd-window", metavar="START:END",
                   help="only cycles START..END-1 in the waveform (default: the first "
                        "100,000 cycles)")
    _add_pipeview(p)
    p.add_argument("--fault", action="append", default=[], metavar="NAME",
                   help="inject a deliberate RTL bug (see hw/oxcore/faults.py), to see "
                        "what a divergence report looks like")
    _add_backend(p)
    _add_config(p)
    p.set_defaults(func=_cmd_cosim)

    p = sub.add_parser("area", help="FPGA resources (LUT/FF/DSP/BRAM) per unit of the "
                                    "OxCore SoC, from Yosys synthesis")
    p.add_argument("--family", choices=("ecp5", "ice40"), default="ecp5",
                   help="FPGA family to synthesize for (default ecp5)")
    p.add_argument("--sweep", action="append", default=[], metavar="FIELD=V1,V2,...",
                   help="synthesize each value of a configuration field (as oxcore cosim "
                        "--sweep), then a table of their totals")
    _add_config(p)
    p.set_defaults(func=_cmd_area)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except SourceError as exc:
        print(str(exc), file=sys.stderr)
        return exc.exit_code
    except OxCoreError as exc:
        print(f"oxcore: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt as exc:
        where = f": {exc.describe()}" if isinstance(exc, Interrupted) else ""
        print(f"oxcore: interrupted{where}", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 1


if __name__ == "__main__":
    sys.exit(main())
