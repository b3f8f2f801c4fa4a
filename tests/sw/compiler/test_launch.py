"""The kernel launcher (sw/compiler/launch.py), with hand-written kernels under the launch
ABI (sw/compiler/abi.py) standing in for the compiler's back end."""

from __future__ import annotations

import re

import numpy as np
import pytest

import oxcore
from oxcore.errors import OxCoreError
from sw.compiler import language as tl
from sw.compiler.abi import argument_offset
from sw.compiler.artifact import CompiledKernel, Param
from sw.compiler.launch import (LaunchError, build_launch_program, launch,
                                run_launch_program)

BLOCK = 4

# out[i] = x[i] + y[i] for i in [pid0 * BLOCK, min(n, (pid0 + 1) * BLOCK))
ADD_I32 = f"""
    .text
    .globl add_i32
add_i32:
    lw t0, 0(a0)                /* program_id(0) */
    lw t1, {argument_offset(3)}(a0)   /* n */
    li t2, {BLOCK}
    mul t3, t0, t2              /* first element */
    add t4, t3, t2              /* end of the block */
    bge t1, t4, 1f
    mv t4, t1                   /* the last block stops at n */
1:  lw a1, {argument_offset(0)}(a0)
    lw a2, {argument_offset(1)}(a0)
    lw a3, {argument_offset(2)}(a0)
2:  bge t3, t4, 3f
    slli t5, t3, 2
    add t6, a1, t5
    lw a4, 0(t6)
    add t6, a2, t5
    lw a5, 0(t6)
    add a4, a4, a5
    add t6, a3, t5
    sw a4, 0(t6)
    addi t3, t3, 1
    j 2b
3:  ret
"""

# out[(pid2 * G1 + pid1) * G0 + pid0] = pid0 + 100 * pid1 + 10000 * pid2
GRID_IDS = f"""
    .text
    .globl grid_ids
grid_ids:
    lw t0, 0(a0)
    lw t1, 4(a0)
    lw t2, 8(a0)
    lw t3, 12(a0)               /* num_programs(0) */
    lw t4, 16(a0)               /* num_programs(1) */
    mul t5, t2, t4
    add t5, t5, t1
    mul t5, t5, t3
    add t5, t5, t0              /* element index */
    li t6, 100
    mul a1, t1, t6
    add a1, a1, t0
    li t6, 10000
    mul a2, t2, t6
    add a1, a1, a2              /* the value */
    lw a2, {argument_offset(0)}(a0)
    slli t5, t5, 2
    add a2, a2, t5
    sw a1, 0(a2)
    ret
"""

# out[i] = x[i] + 1 (bytes, wrapping) for i < n, one program
INC_U8 = f"""
    .text
    .globl inc_u8
inc_u8:
    lw a1, {argument_offset(0)}(a0)
    lw a2, {argument_offset(1)}(a0)
    lw a3, {argument_offset(2)}(a0)
    li t0, 0
1:  bge t0, a3, 2f
    add t1, a1, t0
    lbu t2, 0(t1)
    addi t2, t2, 1
    add t1, a2, t0
    sb t2, 0(t1)
    addi t0, t0, 1
    j 1b
2:  ret
"""

# out[0] = a, out[1] = b: the record words of two scalars
SCALARS = f"""
    .text
    .globl scalars
scalars:
    lw a1, {argument_offset(0)}(a0)
    lw t0, {argument_offset(1)}(a0)
    lw t1, {argument_offset(2)}(a0)
    sh t0, 0(a1)
    sh t1, 2(a1)
    ret
"""

# a load from address 0: outside RAM
BAD = """
    .text
    .globl bad
bad:
    nop
    lw t0, 0(zero)
    ret
"""


def ptr(name: str, pointee: str) -> Param:
    return Param(name, "*" + pointee)


def add_kernel(config: str = "default") -> CompiledKernel:
    return CompiledKernel("add_i32", ADD_I32,
                          (ptr("x", "i32"), ptr("y", "i32"), ptr("out", "i32"),
                           Param("n", "i32")), (("BLOCK", BLOCK),), config)


GRID_KERNEL = CompiledKernel("grid_ids", GRID_IDS, (ptr("out", "i32"),), (), "default")
INC_KERNEL = CompiledKernel("inc_u8", INC_U8, (ptr("x", "u8"), ptr("out", "u8"),
                                               Param("n", "i32")), (), "default")
SCALAR_KERNEL = CompiledKernel("scalars", SCALARS, (ptr("out", "i16"), Param("a", "i16"),
                                                    Param("b", "i32")), (), "default")
BAD_KERNEL = CompiledKernel("bad", BAD, (), (), "default")


def run(compiled: CompiledKernel, grid, *args, config: str = "default", **options):
    elf, layout = build_launch_program(compiled, grid, args, config)
    return run_launch_program(elf, layout, config, **options)


def random_i32(rng, n: int) -> np.ndarray:
    return rng.integers(-2**31, 2**31, size=n, dtype=np.int32)


# ---- results against numpy ------------------------------------------------------------

@pytest.mark.parametrize("n", [1, 4, 13])
def test_add_matches_numpy(n):
    rng = np.random.default_rng(n)
    x, y = random_i32(rng, n), random_i32(rng, n)
    out = np.zeros(n, np.int32)
    result = run(add_kernel(), (-(-n // BLOCK),), x, y, out, n)
    want = (x.astype(np.int64) + y.astype(np.int64) + 2**31) % 2**32 - 2**31
    got_x, got_y, got_out = result.arrays
    assert np.array_equal(got_out, want)
    assert np.array_equal(got_x, x) and np.array_equal(got_y, y)
    assert got_out.dtype == np.int32 and got_out.shape == (n,)
    assert result.cycles is None and result.total_cycles is None  # no cycles on the ISS
    assert result.instructions > 0 and result.elf.is_file()


def test_a_short_grid_leaves_the_rest_alone():
    x, y = np.arange(8, dtype=np.int32), np.full(8, 10, np.int32)
    out = np.full(8, -1, np.int32)
    result = run(add_kernel(), 1, x, y, out, 8)  # one program: the first block only
    assert result.arrays[2].tolist() == [10, 11, 12, 13, -1, -1, -1, -1]


@pytest.mark.parametrize("grid", [(3, 2), (2, 3, 2), (1, 1, 4), 5])
def test_program_ids_and_grid_order(grid):
    dims = (grid,) if isinstance(grid, int) else grid
    dims = dims + (1,) * (3 - len(dims))
    out = np.full(int(np.prod(dims)), -1, np.int32)
    result = run(GRID_KERNEL, grid, out)
    p2, p1, p0 = np.meshgrid(*(np.arange(d) for d in dims[::-1]), indexing="ij")
    want = (p0 + 100 * p1 + 10000 * p2).ravel()
    assert np.array_equal(result.arrays[0], want)
    assert result.layout.grid == dims


def test_byte_arrays_keep_shape_and_wrap():
    x = np.arange(250, 250 + 24, dtype=np.int64).astype(np.uint8).reshape(4, 6)
    out = np.zeros((4, 6), np.uint8)
    got_x, got_out = run(INC_KERNEL, 1, x, out, x.size).arrays
    assert got_out.shape == (4, 6) and got_out.dtype == np.uint8
    assert np.array_equal(got_out, (x + np.uint8(1)))  # uint8 wraps: 255 + 1 = 0
    assert np.array_equal(got_x, x)


def test_non_contiguous_input_is_laid_out_densely():
    base = np.arange(48, dtype=np.uint8).reshape(6, 8)
    x = base[::2, ::2]  # a strided view
    out = np.zeros(x.shape, np.uint8)
    assert np.array_equal(run(INC_KERNEL, 1, x, out, x.size).arrays[1], x + 1)


@pytest.mark.parametrize("a,b", [(-5, -2**31), (32767, 2**31 - 1), (-32768, 7)])
def test_scalars_are_sign_extended_record_words(a, b):
    out = np.zeros(2, np.int16)
    result = run(SCALAR_KERNEL, 1, out, a, b)
    low_half = (b + 2**15) % 2**16 - 2**15  # `sh` stores b's low 16 bits
    assert result.arrays[0].tolist() == [a, low_half]
    words = result.layout.arguments
    assert words[1] == a & 0xFFFF_FFFF and words[2] == b & 0xFFFF_FFFF


def test_layout_places_arrays_aligned_after_the_record():
    x = np.zeros(3, np.int32)
    elf, layout = build_launch_program(add_kernel(), 1, [x, x, x, 3], "default")
    assert [slot.symbol for slot in layout.arrays] == \
        ["launch_arg_x", "launch_arg_y", "launch_arg_out"]
    assert all(slot.addr % 64 == 0 and slot.nbytes == 12 for slot in layout.arrays)
    assert layout.arguments[:3] == tuple(slot.addr for slot in layout.arrays)
    assert layout.kernel_begin < layout.kernel_end
    assert elf.with_suffix("").name.startswith("add_i32-default-")


# ---- errors ---------------------------------------------------------------------------

def test_wrong_number_of_arguments():
    x = np.zeros(4, np.int32)
    with pytest.raises(LaunchError, match=re.escape(
            "kernel add_i32 takes 4 runtime arguments (x, y, out, n), got 3")):
        build_launch_program(add_kernel(), 1, [x, x, x], "default")


@pytest.mark.parametrize("dtype", ["float32", "int64", "uint16", "bool"])
def test_array_dtype_without_a_pointer_type(dtype):
    bad = np.zeros(4, dtype)
    with pytest.raises(LaunchError, match=re.escape(
            f"argument y: numpy dtype {dtype} has no pointer type (supported: int8 -> "
            f"*i8, int16 -> *i16, int32 -> *i32, uint8 -> *u8)")):
        build_launch_program(add_kernel(), 1, [np.zeros(4, np.int32), bad,
                                               np.zeros(4, np.int32), 4], "default")


def test_array_of_the_wrong_pointer_type():
    x = np.zeros(4, np.int32)
    with pytest.raises(LaunchError, match=re.escape(
            "argument out: a int8 array is *i8, but the kernel was compiled for *i32")):
        build_launch_program(add_kernel(), 1, [x, x, np.zeros(4, np.int8), 4], "default")


def test_scalar_and_pointer_swapped():
    x = np.zeros(4, np.int32)
    with pytest.raises(LaunchError, match=re.escape(
            "argument n: the kernel takes a scalar (i32): pass an int, not ndarray")):
        build_launch_program(add_kernel(), 1, [x, x, x, x], "default")
    with pytest.raises(LaunchError, match=re.escape(
            "argument x: the kernel takes a pointer (*i32): pass a numpy array, not int")):
        build_launch_program(add_kernel(), 1, [4, x, x, 4], "default")


def test_arrays_too_big_for_ram_say_how_many_bytes_over():
    def build(n: int):
        out = np.zeros(2, np.int16)
        big = np.zeros(n, np.uint8)
        return build_launch_program(INC_KERNEL_SMALL, 1, [out.view(np.uint8), big, n],
                                    "small")
    with pytest.raises(LaunchError, match=r"do not fit in RAM: 20000 bytes of arrays \+ "
                                          r"\d+ bytes of program and launch data \+ 1024 "
                                          r"bytes of stack are (\d+) bytes over the "
                                          r"16384 bytes of RAM of config 'small'") as info:
        build(20000 - 4)  # + the 4 bytes of `out`
    over = int(re.search(r"are (\d+) bytes over", str(info.value)).group(1))
    assert over > 20000 - 16384
    build(20000 - 4 - over)  # exactly fits: the last array ends at top of RAM - stack
    with pytest.raises(LaunchError, match=r"are 1 bytes over"):
        build(20000 - 4 - over + 1)


INC_KERNEL_SMALL = CompiledKernel("inc_u8", INC_U8, INC_KERNEL.params, (), "small")


@pytest.mark.parametrize("grid", [0, -1, (), (1, 2, 3, 4), (2, 0), (2.0,), "4", (True,),
                                  None, (2**31,)])
def test_grid_must_be_one_to_three_positive_ints(grid):
    with pytest.raises(LaunchError, match=re.escape(
            f"grid {grid!r}: expected 1 to 3 positive integers (the number of programs "
            f"along axes 0, 1, 2)")):
        build_launch_program(GRID_KERNEL, grid, [np.zeros(1, np.int32)], "default")


@pytest.mark.parametrize("n,bits", [(2**31, 32), (-2**31 - 1, 32)])
def test_scalar_out_of_int32_range(n, bits):
    x = np.zeros(4, np.int32)
    with pytest.raises(LaunchError, match=re.escape(
            f"argument n = {n} is out of int32 range [-2147483648, 2147483647]")):
        build_launch_program(add_kernel(), 1, [x, x, x, n], "default")


def test_scalar_out_of_a_narrower_range():
    with pytest.raises(LaunchError, match=re.escape(
            "argument a = 40000 is out of int16 range [-32768, 32767]")):
        build_launch_program(SCALAR_KERNEL, 1, [np.zeros(2, np.int16), 40000, 0], "default")


def test_kernel_compiled_for_another_config():
    x = np.zeros(4, np.int32)
    with pytest.raises(LaunchError, match=re.escape(
            "kernel add_i32 was compiled for config 'small', not 'default'")):
        build_launch_program(add_kernel("small"), 1, [x, x, x, 4], "default")


def test_trap_reports_pc_and_disassembly():
    with pytest.raises(LaunchError) as info:
        run(BAD_KERNEL, 2)
    text = str(info.value)
    assert text.startswith("launch of bad on grid (2, 1, 1): trap: load access fault at pc ")
    assert re.search(r"pc 0x[0-9a-f]{8}: 0x[0-9a-f]{8}  lw t0, 0\(zero\)", text)
    assert text.endswith("(in bad+0x4)")
    assert "Traceback" not in text and isinstance(info.value, OxCoreError)


def test_assembler_errors_point_into_the_written_source():
    broken = CompiledKernel("broken", "    .text\n    .globl broken\nbroken:\n    frob t0\n",
                            (), (), "default")
    with pytest.raises(OxCoreError, match=r"build/launch/broken-default-\w+\.s:\d+:\d+: "
                                          r"error: .*frob"):
        build_launch_program(broken, 1, [], "default")


def test_unknown_simulator():
    elf, layout = build_launch_program(GRID_KERNEL, 1, [np.zeros(1, np.int32)], "default")
    with pytest.raises(LaunchError, match=re.escape("sim='qemu': choose one of iss, rtl")):
        run_launch_program(elf, layout, "default", sim="qemu")


# ---- kernel[grid](...) and oxcore.launch ------------------------------------------------

@tl.kernel
def add_i32(x, y, out, n, BLOCK: tl.constexpr):
    offsets = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offsets < n
    tl.store(out + offsets, tl.load(x + offsets, mask) + tl.load(y + offsets, mask), mask)


@pytest.fixture
def fake_compiler(monkeypatch):
    """sw.compiler.driver.compile_kernel returning the hand-written add_i32."""
    calls = []

    def compile_kernel(kernel, signature, config, num_stages=None):
        calls.append((kernel, signature, config.name) + ((num_stages,) if num_stages else ()))
        return add_kernel(config.name)
    monkeypatch.setattr("sw.compiler.driver.compile_kernel", compile_kernel,
                        raising=False)
    return calls


def test_kernel_getitem_launches_like_triton(fake_compiler):
    rng = np.random.default_rng(7)
    n = 10
    x, y = random_i32(rng, n), random_i32(rng, n)
    out = np.zeros(n, np.int32)
    result = add_i32[(tl_cdiv(n, BLOCK),)](x, y, out, n, BLOCK=BLOCK)
    assert fake_compiler == [(add_i32, "x:*i32,y:*i32,out:*i32,n:i32,BLOCK=4", "default")]
    assert np.array_equal(out, x + y)  # the caller's array, as a Triton launch leaves it
    assert np.array_equal(result.arrays[2], out) and result.sim == "iss"
    # Triton's launch option num_stages goes to the compiler, not into the signature
    add_i32[(tl_cdiv(n, BLOCK),)](x, y, out, n, BLOCK=BLOCK, num_stages=1)
    assert fake_compiler[-1] == (add_i32, "x:*i32,y:*i32,out:*i32,n:i32,BLOCK=4", "default", 1)


def tl_cdiv(a: int, b: int) -> int:
    return -(-a // b)


def test_grid_callable_and_oxcore_launch(fake_compiler):
    x = np.arange(6, dtype=np.int32)
    out = np.zeros(6, np.int32)
    oxcore.launch(add_i32, lambda meta: (tl_cdiv(6, meta["BLOCK"]),), x, x, out, 6,
                  BLOCK=BLOCK)
    assert out.tolist() == [0, 2, 4, 6, 8, 10]


def test_launch_errors_before_compiling(fake_compiler):
    x = np.zeros(4, np.int32)
    with pytest.raises(LaunchError, match=re.escape(
            "kernel add_i32 takes 4 runtime arguments (x, y, out, n), got 3")):
        add_i32[(1,)](x, x, x, BLOCK=4)
    with pytest.raises(LaunchError, match=re.escape(
            "kernel add_i32: constexpr BLOCK needs a value (pass BLOCK=...)")):
        add_i32[(1,)](x, x, x, 4)
    with pytest.raises(LaunchError, match=re.escape(
            "argument x: numpy dtype float64 has no pointer type")):
        add_i32[(1,)](np.zeros(4), x, x, 4, BLOCK=4)
    with pytest.raises(LaunchError, match=re.escape(
            "argument n = 4294967296 is out of int32 range")):
        add_i32[(1,)](x, x, x, 2**32, BLOCK=4)
    with pytest.raises(LaunchError, match=re.escape("grid (0,): expected 1 to 3")):
        add_i32[(0,)](x, x, x, 4, BLOCK=4)
    with pytest.raises(LaunchError, match=re.escape("sim='fpga': choose one of iss, rtl")):
        add_i32[(1,)](x, x, x, 4, BLOCK=4, sim="fpga")
    assert fake_compiler == []


# ---- the RTL, every instruction checked against the interpreter ---------------------------

def test_rtl_lockstep_run(fake_compiler):
    x = np.array([1, -2, 3, 2**31 - 1, 5, 6], np.int32)
    y = np.array([10, 20, -30, 1, 50, 60], np.int32)
    out = np.zeros(6, np.int32)
    result = add_i32[(2,)](x, y, out, 6, BLOCK=BLOCK, sim="rtl")
    assert out.tolist() == [11, 18, -27, -2**31, 55, 66]
    assert result.sim == "rtl" and result.instructions < 300
    assert 0 < result.cycles < result.total_cycles


# out[0] = x[0], through lb (sign-extending) and sw
LOAD_I8 = f"""
    .text
    .globl load_i8
load_i8:
    lw a1, {argument_offset(0)}(a0)
    lw a2, {argument_offset(1)}(a0)
    lb t0, 0(a1)
    sw t0, 0(a2)
    ret
"""
LOAD_KERNEL = CompiledKernel("load_i8", LOAD_I8, (ptr("x", "i8"), ptr("out", "i32")), (),
                             "default")


def test_rtl_divergence_is_a_clear_error():
    x, out = np.array([-3], np.int8), np.zeros(1, np.int32)
    assert run(LOAD_KERNEL, 1, x, out, sim="rtl").arrays[1].tolist() == [-3]
    with pytest.raises(LaunchError) as info:
        run(LOAD_KERNEL, 1, x, out, sim="rtl", faults=("lb-no-sign-extend",))
    text = str(info.value)
    assert text.startswith("launch of load_i8 on grid (1, 1, 1) (RTL in lockstep): the RTL "
                           "diverged from the interpreter\ncosim: MISMATCH at instruction #")
    assert re.search(r"pc 0x[0-9a-f]{8}: 0x[0-9a-f]{8}  lb t0, 0\(a1\)", text)
    assert "--fault lb-no-sign-extend" in text  # the command that shows the waveform


def test_rtl_trap_is_a_clear_error():
    with pytest.raises(LaunchError, match=re.escape(
            "launch of bad on grid (1, 1, 1) (RTL in lockstep): trap (load access fault) "
            "at pc ")) as info:
        run(BAD_KERNEL, 1, sim="rtl")
    assert re.search(r"lw t0, 0\(zero\) \(in bad\+0x4\)$", str(info.value))


def test_import_oxcore_stays_light():
    import subprocess
    import sys
    from pathlib import Path
    code = ("import sys, oxcore\n"
            "assert 'sw.compiler.launch' not in sys.modules and 'numpy' not in sys.modules\n"
            "from sw.compiler.launch import launch\n"
            "assert oxcore.launch is launch\n")
    root = Path(__file__).resolve().parents[3]
    done = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True,
                          text=True)
    assert done.returncode == 0, done.stderr


def test_launch_returns_the_arrays_themselves():
    """`oxcore.launch` gives the arrays as a sequence (unpacked or indexed, as the
    issue's API reads), besides LaunchResult's fields and the in-place copy."""
    import oxcore
    from sw.ops import elementwise as ew
    rng = np.random.default_rng(5)
    x, y = random_i32(rng, 40), random_i32(rng, 40)
    out = np.zeros(40, np.int32)
    result = oxcore.launch(ew.add, 1, x, y, out, 40, BLOCK=64, config="vector")
    got_x, got_y, got_out = result
    want = (x.astype(np.int64) + y + 2**31) % 2**32 - 2**31
    assert len(result) == 3 and np.array_equal(result[2], want)
    assert np.array_equal(got_out, want) and np.array_equal(got_x, x)
    assert np.array_equal(out, want)  # (the caller's array too)
