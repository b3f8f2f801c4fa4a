"""QEMU user mode as an independent oracle (`cosim.oracles.qemu`).

(a) Scalar: programs built by `oxcore cc` and `oxcore asm` print the same bytes and end
with the same status on the golden interpreter and on qemu-riscv32, unchanged ELFs.
(b) Vector: an RVV 1.0 (Zve32x) intrinsics program built by `oxcore cc` prints what
numpy computes, under QEMU and on the interpreter alike.

Skipped without qemu-riscv32 (``apt-get install qemu-user``).
"""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from cosim.oracles import qemu as oracle
from oxcore import api
from oxcore.config import OxCoreConfig, VectorConfig, load_config
from oxcore.errors import ToolError
from sw.asm.driver import assemble_file
from sw.cc.driver import compile_c
from tests.sw.cc.conftest import corpus  # noqa: F401  (the C corpus, built once per session)

REPO = Path(__file__).resolve().parents[2]
VECTOR_DIR = REPO / "tests" / "programs" / "vector"
DEFAULT = load_config("default")
VECTOR = dataclasses.replace(DEFAULT, name="vector", vector=VectorConfig(vlen=256))


def _iss(elf: Path, config: OxCoreConfig) -> tuple[bytes, bytes, int]:
    result = api.run(api.load(elf, config), "iss")
    return result.stdout, result.stderr, result.exit_code


def _assert_same(elf: Path, config: OxCoreConfig, qemu: Path) -> oracle.QemuRun:
    out, err, status = _iss(elf, config)
    ran = oracle.run(elf, config, qemu=qemu)
    assert ran.stdout == out, f"{elf.name}: stdout differs (QEMU first)"
    assert ran.stderr == err, f"{elf.name}: stderr differs (QEMU first)"
    assert ran.status == status, f"{elf.name}: exit status QEMU {ran.status}, ours {status}"
    return ran


# ---- (a) scalar programs ---------------------------------------------------------------

# Printing (printf, 64-bit arithmetic, recursion, tables), and exit_code: a non-zero
# exit() from a nested call after writes to stdout and stderr.
SCALAR_PROGRAMS = ["printf_fmt", "exit_code", "int64", "crc32", "switch_table", "sort"]


@pytest.mark.parametrize("name", SCALAR_PROGRAMS)
def test_c_program_same_output_and_status(corpus, qemu, name):
    ran = _assert_same(corpus.elf(name), DEFAULT, qemu)
    if name == "exit_code":
        assert ran.status != 0 and ran.stderr  # the case this program is here for


def test_c_program_small_config(corpus, qemu):
    """16 KiB of RAM: the stack at its top is mapped as well."""
    small = load_config("small")
    _assert_same(corpus.elf("recursion", small), small, qemu)


ASM_PROGRAMS = {
    # The README's example: write, then exit(3).
    "hello": (REPO / "examples" / "hello.S").read_text(),
    # Its own stack at the top of RAM (where crt0 puts it), a store/load round trip
    # through .bss, a loop, then exit with a value computed from both.
    "stack": r"""
    .bss
    .p2align 2
cell: .zero 4
    .text
    .globl _start
_start:
    li   sp, 0x80040000         # the end of the default config's RAM
    addi sp, sp, -16
    li   t0, 10
    li   t1, 0
1:  add  t1, t1, t0
    addi t0, t0, -1
    bnez t0, 1b
    sw   t1, 12(sp)             # 55
    la   t2, cell
    sw   t1, 0(t2)
    lw   a0, 12(sp)
    lw   a1, 0(t2)
    add  a0, a0, a1             # 110
    li   a7, 93
    ecall
""",
    # Traps: ebreak is SIGTRAP on QEMU, status 133 on ours.
    "ebreak": "    .text\n    .globl _start\n_start:\n    li a0, 1\n    ebreak\n",
    # A load outside RAM: SIGSEGV, 139 on both.
    "segv": "    .text\n    .globl _start\n_start:\n    li t0, 0x10\n    lw a0, 0(t0)\n",
}


@pytest.mark.parametrize("name", sorted(ASM_PROGRAMS))
def test_asm_program_same_output_and_status(tmp_path, qemu, name):
    src = tmp_path / f"{name}.S"
    src.write_text(ASM_PROGRAMS[name])
    elf = tmp_path / f"{name}.elf"
    assemble_file(src, elf, "elf", DEFAULT)
    ran = _assert_same(elf, DEFAULT, qemu)
    assert ran.status == {"hello": 3, "stack": 110, "ebreak": 133, "segv": 139}[name]


def test_cli_built_elves_are_executable(tmp_path, qemu):
    """`oxcore asm` writes an executable file (QEMU, like Linux, refuses others)."""
    elf = tmp_path / "hello.elf"
    subprocess.run([sys.executable, "-m", "oxcore.cli", "asm", str(REPO / "examples" / "hello.S"),
                    "-o", str(elf)], check=True, timeout=120)
    assert oracle.run(elf, DEFAULT, qemu=qemu).stdout == b"hello from OxCore\n"


# ---- the oracle's own behaviour ----------------------------------------------------------

def test_cpu_string_follows_the_config():
    assert oracle.cpu_string(DEFAULT) == "rv32,c=false,a=false,f=false,d=false"
    for vlen in (128, 256, 1024):
        config = dataclasses.replace(DEFAULT, vector=VectorConfig(vlen=vlen))
        assert oracle.cpu_string(config) == (
            f"rv32,c=false,a=false,v=true,vlen={vlen},elen=32,vext_spec=v1.0")
    too_short = dataclasses.replace(DEFAULT, vector=VectorConfig(vlen=64, lanes=2))
    with pytest.raises(ToolError, match="vlen = 64, QEMU supports 128 to 1024"):
        oracle.cpu_string(too_short)


def test_missing_qemu_is_one_clear_error(monkeypatch, tmp_path):
    monkeypatch.setenv(oracle.ENV_VAR, str(tmp_path / "no-such-qemu"))
    assert oracle.find_qemu() is None
    with pytest.raises(ToolError, match=r"is not an executable: apt-get install qemu-user"):
        oracle.run(tmp_path / "x.elf", DEFAULT)


def test_version_and_timeout(tmp_path, qemu):
    assert oracle.qemu_version(qemu).split(".")[0].isdigit()
    src = tmp_path / "spin.S"
    src.write_text("    .text\n    .globl _start\n_start:\n    j _start\n")
    elf = tmp_path / "spin.elf"
    assemble_file(src, elf, "elf", DEFAULT)
    with pytest.raises(ToolError, match="did not finish within 1 s"):
        oracle.run(elf, DEFAULT, qemu=qemu, timeout=1)


# ---- (b) vector programs ------------------------------------------------------------------

def build_vector_program(source: Path, out: Path, config: OxCoreConfig) -> Path:
    """`oxcore cc` for a configuration with the vector engine (Zve32x)."""
    return compile_c([source], out, config)


def vmacc_expected(vlen: int) -> bytes:
    """What vmacc_i32.c prints, computed with numpy from the same inputs."""
    n = 37
    state = np.uint32(12345)
    values = []
    with np.errstate(over="ignore"):
        for _ in range(3 * n):
            state = np.uint32(state * np.uint32(1103515245) + np.uint32(12345))
            values.append(state)
    raw = np.array(values, dtype=np.uint32).reshape(n, 3).view(np.int32)
    a, b, c = raw[:, 0], raw[:, 1] >> 7, raw[:, 2]
    with np.errstate(over="ignore"):
        y = (a * b + c).astype(np.int32)
        m = (np.maximum(a, b) - np.minimum(a, b)).astype(np.int32)
        s = ((a >> 3) ^ (b << 5)).astype(np.int32)
        total = np.sum(y, dtype=np.int32)
    u8 = np.minimum(a.astype(np.uint8).astype(np.int32) + b.astype(np.uint8), 255)
    lines = [f"vlmax e32m1 {vlen // 32}"]
    lines += [f"{i} {y[i]} {m[i]} {s[i]} {u8[i]}" for i in range(n)]
    lines.append(f"sum {total}")
    return ("\n".join(lines) + "\n").encode()


@pytest.fixture(scope="module")
def vmacc_elf(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("vector") / "vmacc_i32.elf"
    return build_vector_program(VECTOR_DIR / "vmacc_i32.c", out, VECTOR)


def _iss_agrees(elf: Path, config: OxCoreConfig, ran: oracle.QemuRun) -> None:
    """The interpreter's half of a vector test: the same output and status as QEMU."""
    assert _iss(elf, config) == (ran.stdout, ran.stderr, ran.status)


@pytest.mark.parametrize("vlen", [128, 256, 1024])
def test_vector_intrinsics_match_numpy(qemu, vmacc_elf, vlen):
    config = dataclasses.replace(DEFAULT, vector=VectorConfig(vlen=vlen, lanes=4))
    ran = oracle.run(vmacc_elf, config, qemu=qemu)
    assert (ran.status, ran.stderr) == (0, b"")
    assert ran.stdout == vmacc_expected(vlen)
    _iss_agrees(vmacc_elf, config, ran)


def test_vector_program_without_a_vector_unit_is_sigill(qemu, vmacc_elf):
    """A config without an engine gives QEMU no V: the first vector instruction (or
    vector CSR read) is an illegal instruction, status 132, as on our interpreter."""
    ran = oracle.run(vmacc_elf, DEFAULT, qemu=qemu)
    assert ran.status == 132 and ran.stdout == b""
