"""Random programs mixing scalar, vector and tensor instructions, co-simulated: the RTL
(core, vector engine and tensor engine together) in lockstep with the interpreter.

    python -m cosim.tensor_fuzz --seeds 50 [--first-seed 0] [--tdim 4 --tdim 8]
                                [--length 60] [--backend pysim|cxxrtl]
                                [--out build/tensor-fuzz] [--list SEED]

A program (`program`) has an input region of random bytes (``s0``) and an output
region (``s1``) after it. It sets random requantization CSRs, fills every tile (int8
rows or int32 ones), then runs `length` random steps: tile loads (positive, negative,
zero, unaligned strides; from either region; transposed ones, tld.bt) and stores,
whole-tile saves and reloads (tlr, tsr), tzero, tmma/tmmau on any
tiles (overlapping operands included), the tensor CSRs (trow0/trows/tcolb edges, tqrm,
the activation clamp tqmin/tqmax, ...), RVV steps the vector engine executes (vsetvli, unit-stride vle/vse on the same regions,
vadd/vmul/vmacc), scalar loads, stores and arithmetic on the regions. Memory is shared
by all three, so the order between the engines' accesses and the core's is exercised
as well as each engine. The last step is a tile access near an end of RAM, perhaps
misaligned, with a stride that may wrap: about half of the programs end in its trap,
which both simulators must take alike (the tensor engine's precise traps). Every
record is compared (`oxcore.api.cosim`); a failing seed is written to
``<out>/seed-<seed>-tdim<T>.S`` with its divergence report.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

DATA_BYTES = 1024  # the input region; an output region of the same size follows it


def config(tdim: int, port_bits: int = 256, vector: bool = True):
    """`default` with the tensor engine (and the vector engine)."""
    from oxcore.config import PRESETS, TensorConfig, VectorConfig
    return PRESETS["default"].replace(
        name=f"fuzz-t{tdim}p{port_bits}{'v' if vector else ''}",
        tensor=TensorConfig(tdim=tdim, port_bits=port_bits),
        vector=VectorConfig() if vector else None)


def program(body: list[str], seed: int = 0) -> str:
    """A program: `body` with s0 = the input region, s1 = the output region, then
    exit(0); the input region holds random bytes."""
    from oxcore import abi
    data = random.Random(seed).randbytes(DATA_BYTES)
    lines = ["    .text", "    .globl _start", "_start:", "    la s0, data",
             f"    li t6, {DATA_BYTES}", "    add s1, s0, t6", *body,
             "    li a0, 0", f"    li a7, {abi.SYS_EXIT}", "    ecall", "    .data",
             "    .p2align 6", "data:"]
    lines += [f"    .byte {', '.join(str(b) for b in data[i:i + 16])}"
              for i in range(0, DATA_BYTES, 16)]
    lines.append(f"    .zero {DATA_BYTES}")
    return "\n".join(lines) + "\n"


def tile_load(tile: int, base: str, offset: int, stride: int, word: bool,
              transposed: bool = False) -> list[str]:
    mnemonic = "tld.bt" if transposed else f"tld.{'w' if word else 'b'}"
    return [f"    addi t0, {base}, {offset}", f"    li t1, {stride}",
            f"    {mnemonic} m{tile}, (t0), t1"]


def tile_store(tile: int, offset: int, stride: int, word: bool) -> list[str]:
    return [f"    addi t0, s1, {offset}", f"    li t1, {stride}",
            f"    tst.{'w' if word else 'b'} m{tile}, (t0), t1"]


class Generator:
    """Random steps for one seed (see the module text)."""

    def __init__(self, seed: int, tdim: int, vector: bool) -> None:
        self.rng = random.Random(seed)
        self.tdim = tdim
        self.vector = vector

    def prologue(self) -> list[str]:
        rng, tdim = self.rng, self.tdim
        body = [f"    li t2, {rng.randint(1 << 16, (1 << 31) - 1)}", "    csrw tqmul, t2",
                f"    csrwi tqshift, {rng.randrange(12)}",
                f"    li t2, {rng.randint(-300, 300)}", "    csrw tqzp, t2",
                f"    csrwi tqrm, {rng.randrange(4)}"]
        for tile in range(8):  # every tile holds data: int8 values, or int32 ones
            word = tile % 3 == 0
            body += tile_load(tile, "s0", rng.randrange(0, DATA_BYTES // 2, 4),
                              rng.choice([4, 8, 12]) * (tdim if word else 1), word)
        if self.vector:
            body += ["    li t2, 8", "    vsetvli t3, t2, e32, m1, ta, ma"]
        return body

    def row_span(self, word: bool, load: bool, transposed: bool = False) -> tuple[int, int]:
        """(offset, stride) of a tile access whose rows stay in a region (TDIM rows of
        4*TDIM bytes, but TDIM bytes for tst.b; tld.bt: 4*TDIM rows of TDIM bytes)."""
        rng, tdim = self.rng, self.tdim
        size = 4 if word else 1
        row = 4 * tdim if (load or word) and not transposed else tdim
        rows = 4 * tdim if transposed else tdim
        while True:  # (a wide stride of a large tile may not fit: choose again)
            stride = rng.choice([0, row, row + size, 3 * size, -row, -(row + 5 * size),
                                 size * rng.randint(-20, 20)])
            low = max(0, -(rows - 1) * stride)
            high = DATA_BYTES - row - max(0, (rows - 1) * stride)
            if low <= high:
                break
        offset = rng.randint(low, high)
        return offset - offset % size, stride

    def edge_access(self, mem_base: int, mem_size: int) -> list[str]:
        """A tile load or store near an end of RAM, misaligned or not, with a stride that
        may wrap the address space: it traps or not (`hw.oxcore.tensor.access_check`);
        a trap ends the program in both simulators, before its exit."""
        rng, tdim = self.rng, self.tdim
        if self.vector and rng.random() < 0.5:
            return self.vector_edge_access(mem_base, mem_size)
        word, load = rng.random() < 0.5, rng.random() < 0.5
        transposed = load and not word and rng.random() < 0.5
        row = 4 * tdim if (load or word) and not transposed else tdim
        rows = 4 * tdim if transposed else tdim
        stride = rng.choice([row, -row, 0, row + rng.choice([1, 2, 4]), -(1 << 31),
                             rng.randint(-3 * row, 3 * row)])
        end = mem_base + mem_size
        addr = rng.choice([end - rng.randint(0, rows * row + 8),
                           mem_base + rng.randint(-row, rows * row)]) & 0xFFFF_FFFF
        mnemonic = "tld.bt" if transposed else f"{'tld' if load else 'tst'}.{'w' if word else 'b'}"
        return [f"    li t0, {addr:#x}", f"    li t1, {stride}",
                f"    {mnemonic} m{rng.randrange(8)}, (t0), t1"]

    def vector_edge_access(self, mem_base: int, mem_size: int) -> list[str]:
        """A vector load or store near an end of RAM (e32, m1, the vl the program set;
        unit-stride, strided, indexed by v0's elements masked to 0..63, or a mask
        access; masked by v0 or not; misaligned or not): it traps or not
        (`hw.oxcore.vector.access_check`)."""
        rng = self.rng
        end = mem_base + mem_size
        addr = rng.choice([end - rng.randint(0, 200), mem_base - rng.randint(0, 64),
                           end - 4 * rng.randint(0, 50)]) & 0xFFFF_FFFF
        vd = rng.randrange(1, 32)  # (a masked load may not write v0)
        mask = rng.choice(["", ", v0.t"])
        store = rng.random() < 0.5
        kind = rng.choice(["unit", "unit", "byte", "strided", "indexed", "mask"])
        lines = [f"    li t0, {addr:#x}"]
        if kind == "unit":
            lines.append(f"    {'vse32.v' if store else 'vle32.v'} v{vd}, (t0){mask}")
        elif kind == "byte":
            lines.append(f"    {'vse8.v' if store else 'vle8.v'} v{vd}, (t0){mask}")
        elif kind == "strided":
            lines += [f"    li t1, {rng.choice([4, -4, 8, 0, 6, rng.randint(-64, 64)])}",
                      f"    {'vsse32.v' if store else 'vlse32.v'} v{vd}, (t0), t1{mask}"]
        elif kind == "indexed":  # indices: v0's elements, 0..63 (v31 as the index group)
            lines += ["    vand.vi v31, v0, 15", "    vsll.vi v31, v31, 2"]
            vd = rng.randrange(1, 31)
            lines.append(f"    {'vsoxei32.v' if store else 'vluxei32.v'} v{vd}, (t0), v31"
                         f"{mask}")
        else:
            lines.append(f"    {'vsm.v' if store else 'vlm.v'} v{vd}, (t0)")
        return lines

    def vector_step(self) -> list[str]:
        """An RVV step the vector engine executes, on the same memory regions."""
        rng = self.rng
        v = [rng.randrange(0, 32) for _ in range(3)]
        kind = rng.random()
        if kind < 0.15:  # e32, m1 throughout: the loads' EMUL stays 1 (any register)
            return [f"    li t2, {rng.randint(0, 40)}", "    vsetvli t3, t2, e32, m1, ta, ma"]
        if kind < 0.45:  # unit-stride load (e32: 4-byte aligned; the vl*4 bytes fit)
            return [f"    addi t0, {rng.choice(['s0', 's1'])}, {rng.randrange(0, 512, 4)}",
                    f"    vle32.v v{v[0]}, (t0)"]
        if kind < 0.7:
            return [f"    addi t0, s1, {rng.randrange(0, 512, 4)}", f"    vse32.v v{v[0]}, (t0)"]
        op = rng.choice(["vadd.vv", "vmul.vv", "vmacc.vv", "vxor.vv"])
        return [f"    {op} v{v[0]}, v{v[1]}, v{v[2]}"]

    def step(self) -> list[str]:
        rng, tdim = self.rng, self.tdim
        kind = rng.random()
        word = rng.random() < 0.5
        if kind < 0.2:
            transposed = not word and rng.random() < 0.4
            offset, stride = self.row_span(word, load=True, transposed=transposed)
            return tile_load(rng.randrange(8), rng.choice(["s0", "s1"]), offset, stride, word,
                             transposed)
        if kind < 0.32:
            offset, stride = self.row_span(word, load=False)
            return tile_store(rng.randrange(8), offset, stride, word)
        if kind < 0.36:
            return [f"    tzero m{rng.randrange(8)}"]
        if kind < 0.4:  # a whole tile saved or reloaded, whatever the edges
            offset = rng.randrange(0, DATA_BYTES - 4 * tdim * tdim + 1, 4)
            return [f"    addi t0, {rng.choice(['s0', 's1']) if rng.random() < 0.5 else 's1'}, "
                    f"{offset}", f"    {rng.choice(['tlr', 'tsr'])} m{rng.randrange(8)}, (t0)"]
        if kind < 0.58:
            op = rng.choice(["tmma", "tmmau"])
            return [f"    {op} m{rng.randrange(8)}, m{rng.randrange(8)}, m{rng.randrange(8)}"]
        if kind < 0.64:
            csr = rng.choice(["tqmul", "tqshift", "tqzp", "tqrm", "tqsat", "trows", "tcolb",
                              "trow0", "tdim", "tlenb", "tqmin", "tqmax"])
            return [rng.choice([
                f"    csrr a{rng.randrange(8)}, {csr}",
                f"    csrwi tqrm, {rng.randrange(4)}", f"    csrwi tqshift, {rng.randrange(32)}",
                f"    csrwi trows, {rng.choice([0, 1, tdim - 1, tdim, rng.randrange(32)])}",
                # the first row: back to 0 often, so that most accesses move rows
                f"    csrwi trow0, {rng.choice([0, 0, 1, tdim - 1, tdim, rng.randrange(32)])}",
                f"    li t2, {rng.choice([0, 1, 4 * tdim - 1, rng.randrange(128)])}\n"
                "    csrw tcolb, t2",
                "    csrwi tqsat, 0", f"    csrrs a{rng.randrange(8)}, tqzp, s0",
                # tst.b's activation clamp, bounds anywhere (WARL keeps 8 bits)
                f"    li t2, {rng.randint(-300, 300)}\n"
                f"    csrw {rng.choice(['tqmin', 'tqmax'])}, t2"])]
        if kind < 0.8 and self.vector:
            return self.vector_step()
        if kind < 0.9:  # scalar memory traffic on the engines' regions
            offset = rng.randrange(0, DATA_BYTES - 4, 4)
            base = rng.choice(["s0", "s1"])
            return [rng.choice([f"    lw a{rng.randrange(8)}, {offset}({base})",
                                f"    sw a{rng.randrange(8)}, {offset}(s1)",
                                f"    lb a{rng.randrange(8)}, {offset + 1}({base})"])]
        return [f"    {rng.choice(['add', 'mul', 'xor'])} a{rng.randrange(8)}, "
                f"a{rng.randrange(8)}, a{rng.randrange(8)}"]


def random_body(seed: int, tdim: int, length: int = 40, vector: bool = False,
                edge: bool = False) -> list[str]:
    """The steps of one random program (without the region set-up and exit); with
    `edge`, they end with an `Generator.edge_access` of the default RAM."""
    from oxcore.config import PRESETS
    generator = Generator(seed, tdim, vector)
    body = generator.prologue()
    for _ in range(length):
        body += generator.step()
    if edge:
        ram = PRESETS["default"]
        body += generator.edge_access(ram.mem_base, ram.mem_size)
    return body


AGREE = ("pass", "trap")  # verdicts of agreement: a trap both simulators took alike


def load_source(source: str, cfg, workdir: Path, name: str):
    """Assemble `source` into ``<workdir>/<name>.elf`` and load it (`api.LoadedProgram`)."""
    from oxcore import api
    from sw.asm.assembler import assemble_source
    from sw.asm.driver import render
    elf = workdir / f"{name}.elf"
    elf.write_bytes(render(assemble_source(source, f"{name}.S", cfg), "elf", cfg))
    return api.load(elf, cfg)


def run_seed(seed: int, tdim: int, length: int, backend: str, workdir: Path):
    """Co-simulate one seed; returns (source, verdict)."""
    from oxcore import api
    cfg = config(tdim)
    source = program(random_body(seed, tdim, length, vector=True, edge=True), seed)
    loaded = load_source(source, cfg, workdir, f"tfuzz-{seed}-t{tdim}")
    return source, api.cosim(loaded, backend=backend, max_cycles=200_000)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cosim.tensor_fuzz", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--tdim", type=int, action="append", choices=(4, 8, 16))
    parser.add_argument("--length", type=int, default=60)
    parser.add_argument("--backend", default="pysim", choices=("pysim", "cxxrtl"))
    parser.add_argument("--out", default="build/tensor-fuzz")
    parser.add_argument("--list", type=int, metavar="SEED",
                        help="print the program of SEED (first --tdim) and exit")
    args = parser.parse_args(argv)
    tdims = args.tdim or [4, 8]
    if args.list is not None:
        print(program(random_body(args.list, tdims[0], args.length, vector=True, edge=True),
                      args.list))
        return 0
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    started, failures, total, trapped = time.perf_counter(), 0, 0, 0
    for tdim in tdims:
        for seed in range(args.first_seed, args.first_seed + args.seeds):
            total += 1
            source, verdict = run_seed(seed, tdim, args.length, args.backend, out)
            trapped += verdict.verdict == "trap"
            if verdict.verdict not in AGREE:
                failures += 1
                (out / f"seed-{seed}-tdim{tdim}.S").write_text(source)
                (out / f"seed-{seed}-tdim{tdim}.txt").write_text(verdict.report + "\n")
                print(f"seed {seed} TDIM {tdim}: {verdict.verdict}\n{verdict.report}",
                      flush=True)
    print(f"tensor fuzz: {total - failures}/{total} programs agree, {trapped} of them in "
          f"a trap both took ({time.perf_counter() - started:.0f} s)"
          f"{'' if not failures else f'; see {out}'}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
