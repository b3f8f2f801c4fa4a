"""Random element-wise kernels against numpy: expression trees of the kernel language's
element-wise operations (arithmetic, bitwise, shifts, division, maximum/minimum,
comparisons and `tl.where`, casts) over int8, int16, int32 and uint8 blocks, written as
kernel source (stored as 1-D or 2-D blocks, or reduced, on the vector engine; on
scalars, for the scalar core), compiled, run on the golden interpreter and compared
with the same expression evaluated in numpy with C's (and Triton's) integer rules:
wrap-around, division toward zero, arithmetic right shifts of signed types.

Operands that C leaves undefined are kept out by construction, as a kernel writer
would: divisors are 1..8 (``(y & 7) + 1``), shift amounts below the width. A failing
case prints its kernel's source. More cases: ``OXCORE_FUZZ_SCALE=N`` (`make fuzz`).
"""

from __future__ import annotations

import importlib.util
import os
import random as pyrandom
from dataclasses import dataclass
from typing import Callable

import numpy as np
import pytest

from sw.compiler.launch import launch

DTYPES = {"int8": np.int8, "int16": np.int16, "int32": np.int32, "uint8": np.uint8}
BITS = {"int8": 8, "int16": 16, "int32": 32, "uint8": 8}
INPUTS = ("a", "b", "c")
CASES = 24 * int(os.environ.get("OXCORE_FUZZ_SCALE", "1"))


@dataclass
class Expr:
    """Kernel source text, and the same value computed by numpy from the inputs."""

    text: str
    dtype: str
    value: Callable[[dict], np.ndarray]


def _cast(expr: Expr, dtype: str) -> Expr:
    if expr.dtype == dtype:
        return expr
    target = DTYPES[dtype]
    return Expr(f"({expr.text}).to(tl.{dtype})", dtype,
                lambda env, e=expr: e.value(env).astype(target))


def _wrap(values: np.ndarray, dtype: str) -> np.ndarray:
    """int64 values to `dtype`, wrapping as the hardware does."""
    bits = BITS[dtype]
    values = values & ((1 << bits) - 1)
    if dtype != "uint8":
        values = np.where(values >= 1 << (bits - 1), values - (1 << bits), values)
    return values.astype(DTYPES[dtype])


def _divide(x: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Quotient rounded toward zero, in int64."""
    q = np.abs(x) // np.abs(d)
    return np.where((x < 0) != (d < 0), -q, q)


class Generator:
    def __init__(self, seed: int, input_types: dict[str, str],
                 dtypes: tuple[str, ...] = tuple(DTYPES)) -> None:
        self.rng = pyrandom.Random(seed)
        self.input_types = input_types
        self.dtypes = list(dtypes)  # what casts and comparisons may go through

    def expr(self, dtype: str, depth: int) -> Expr:
        choice = self.rng.random()
        if depth == 0 or choice < 0.2:
            name = self.rng.choice(INPUTS)
            leaf = Expr(name, self.input_types[name], lambda env, n=name: env[n])
            return _cast(leaf, dtype)
        if choice < 0.3:
            return self.constant_op(dtype, depth)
        if choice < 0.45:
            return self.where(dtype, depth)
        if choice < 0.55:  # a cast through another type
            middle = self.rng.choice(self.dtypes)
            return _cast(_cast(self.expr(middle, depth - 1), middle), dtype)
        return self.binary(dtype, depth)

    def binary(self, dtype: str, depth: int) -> Expr:
        op = self.rng.choice(["+", "-", "*", "&", "|", "^", "max", "min", "//", "%", "<<",
                              ">>"])
        x, y = self.expr(dtype, depth - 1), self.expr(dtype, depth - 1)
        bits = BITS[dtype]
        if op in ("//", "%"):  # divisors 1..8
            text = f"({x.text}) {op} ((({y.text}) & 7) + 1)"

            def value(env, x=x, y=y, op=op):
                a = x.value(env).astype(np.int64)
                d = (y.value(env).astype(np.int64) & 7) + 1
                q = _divide(a, d)
                return _wrap(q if op == "//" else a - q * d, dtype)
            return Expr(text, dtype, value)
        if op in ("<<", ">>"):  # amounts below the width
            text = f"({x.text}) {op} (({y.text}) & {bits - 1})"

            def value(env, x=x, y=y, op=op):
                a = x.value(env).astype(np.int64)
                s = y.value(env).astype(np.int64) & (bits - 1)
                return _wrap(a << s if op == "<<" else a >> s, dtype)
            return Expr(text, dtype, value)
        if op in ("max", "min"):
            name = "maximum" if op == "max" else "minimum"
            return Expr(f"tl.{name}({x.text}, {y.text})", dtype,
                        lambda env, x=x, y=y, f=getattr(np, name): f(x.value(env), y.value(env)))
        python = {"+": lambda p, q: p + q, "-": lambda p, q: p - q, "*": lambda p, q: p * q,
                  "&": lambda p, q: p & q, "|": lambda p, q: p | q,
                  "^": lambda p, q: p ^ q}[op]
        return Expr(f"({x.text}) {op} ({y.text})", dtype,
                    lambda env, x=x, y=y: _wrap(python(x.value(env).astype(np.int64),
                                                       y.value(env).astype(np.int64)), dtype))

    def constant_op(self, dtype: str, depth: int) -> Expr:
        x = self.expr(dtype, depth - 1)
        low = 0 if dtype == "uint8" else -(1 << (BITS[dtype] - 1))
        high = (1 << BITS[dtype]) - 1 if dtype == "uint8" else (1 << (BITS[dtype] - 1)) - 1
        constant = self.rng.choice([0, 1, 3, low, high, self.rng.randint(low, high)])
        op = self.rng.choice(["+", "-", "*", "&", "|", "^"])
        python = {"+": lambda p: p + constant, "-": lambda p: p - constant,
                  "*": lambda p: p * constant, "&": lambda p: p & constant,
                  "|": lambda p: p | constant, "^": lambda p: p ^ constant}[op]
        return Expr(f"({x.text}) {op} {constant}", dtype,
                    lambda env, x=x: _wrap(python(x.value(env).astype(np.int64)), dtype))

    def where(self, dtype: str, depth: int) -> Expr:
        compared = self.rng.choice(self.dtypes)
        p, q = self.expr(compared, depth - 1), self.expr(compared, depth - 1)
        predicate = self.rng.choice(["<", "<=", ">", ">=", "==", "!="])
        x, y = self.expr(dtype, depth - 1), self.expr(dtype, depth - 1)
        compare = {"<": np.less, "<=": np.less_equal, ">": np.greater,
                   ">=": np.greater_equal, "==": np.equal, "!=": np.not_equal}[predicate]
        return Expr(f"tl.where(({p.text}) {predicate} ({q.text}), {x.text}, {y.text})", dtype,
                    lambda env: np.where(compare(p.value(env), q.value(env)), x.value(env),
                                         y.value(env)))


KERNEL = '''from sw.compiler import language as tl


@tl.kernel
def fuzz(a_ptr, b_ptr, c_ptr, out_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    a = tl.load(a_ptr + offs, mask=mask, other=0)
    b = tl.load(b_ptr + offs, mask=mask, other=0)
    c = tl.load(c_ptr + offs, mask=mask, other=0)
    tl.store(out_ptr + offs, {expr}, mask=mask)
'''


KERNEL_2D = '''from sw.compiler import language as tl


@tl.kernel
def fuzz(a_ptr, b_ptr, c_ptr, out_ptr, M, N, BM: tl.constexpr, BN: tl.constexpr):
    offs_m = tl.program_id(0) * BM + tl.arange(0, BM)
    offs_n = tl.program_id(1) * BN + tl.arange(0, BN)
    offs = offs_m[:, None] * N + offs_n[None, :]
    mask = (offs_m[:, None] < M) & (offs_n[None, :] < N)
    a = tl.load(a_ptr + offs, mask=mask, other=0)
    b = tl.load(b_ptr + offs, mask=mask, other=0)
    c = tl.load(c_ptr + offs, mask=mask, other=0)
    tl.store(out_ptr + offs, {expr}, mask=mask)
'''


def _load_kernel(source: str, tmp_path, seed: int):
    """The kernel `fuzz` of `source`, written to a file (the front end reads kernels'
    source from their files, for its file:line:col)."""
    path = tmp_path / f"fuzz_{seed}.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.fuzz


def _inputs(rng: np.random.Generator, types: dict[str, str], n: int) -> dict[str, np.ndarray]:
    """Random elements, with each type's extremes and small values mixed in."""
    env = {}
    for name, dtype in types.items():
        info = np.iinfo(DTYPES[dtype])
        values = rng.integers(info.min, info.max, n, dtype=DTYPES[dtype], endpoint=True)
        special = np.array([info.min, info.max, 0, 1, -1 if info.min < 0 else 2, 7, 8],
                           dtype=np.int64).astype(DTYPES[dtype])
        picks = rng.random(n) < 0.2
        values[picks] = rng.choice(special, int(picks.sum()))
        env[name] = values
    return env


def _case(seed: int, tmp_path, two_d: bool = False):
    """(kernel, its source, the expression, input types, output type) of one seed."""
    rng = pyrandom.Random(seed)
    types = {name: rng.choice(list(DTYPES)) for name in INPUTS}
    out_type = rng.choice(list(DTYPES))
    expr = _cast(Generator(seed, types).expr(out_type, rng.randint(1, 4)), out_type)
    source = (KERNEL_2D if two_d else KERNEL).format(expr=expr.text)
    return _load_kernel(source, tmp_path, seed), source, expr, types, out_type


def _check(out: np.ndarray, want: np.ndarray, env: dict, source: str) -> None:
    assert want.dtype == out.dtype
    wrong = np.flatnonzero(out != want)
    assert not len(wrong), (f"{len(wrong)} of {out.size} elements differ, first at "
                            f"{wrong[0]}: got {out.flat[wrong[0]]}, numpy "
                            f"{want.flat[wrong[0]]}; inputs "
                            f"{ {k: v.flat[wrong[0]] for k, v in env.items()} }\n{source}")


def _run_1d(seed: int, tmp_path, sim: str = "iss") -> None:
    kernel, source, expr, types, out_type = _case(seed, tmp_path)
    n, block = pyrandom.Random(-seed).choice([(100, 64), (700, 512), (37, 256)])
    if sim == "rtl":
        n, block = 37, 32
    env = _inputs(np.random.default_rng(seed), types, n)
    out = np.zeros(n, DTYPES[out_type])
    launch(kernel, -(-n // block), env["a"], env["b"], env["c"], out, n, BLOCK=block,
           config="vector", sim=sim)
    _check(out, expr.value(env), env, source)


@pytest.mark.parametrize("seed", range(CASES))
def test_random_element_wise_kernels_match_numpy(seed: int, tmp_path) -> None:
    _run_1d(seed, tmp_path)


@pytest.mark.parametrize("seed", range(CASES, CASES + CASES // 2))
def test_random_element_wise_2d_kernels_match_numpy(seed: int, tmp_path) -> None:
    """The same expressions on 2-D blocks (split-rows), edges in both dimensions."""
    kernel, source, expr, types, out_type = _case(seed, tmp_path, two_d=True)
    m, n, bm, bn = pyrandom.Random(-seed).choice([(7, 45, 4, 64), (5, 300, 2, 256),
                                                  (9, 20, 8, 16)])
    flat = _inputs(np.random.default_rng(seed), types, m * n)
    env = {k: v.reshape(m, n) for k, v in flat.items()}
    out = np.zeros((m, n), DTYPES[out_type])
    launch(kernel, (-(-m // bm), -(-n // bn)), env["a"], env["b"], env["c"], out, m, n,
           BM=bm, BN=bn, config="vector")
    _check(out, expr.value(env), env, source)


@pytest.mark.long
@pytest.mark.parametrize("seed", range(3))
def test_random_element_wise_kernels_on_the_rtl(seed: int, tmp_path) -> None:
    """In lockstep with the interpreter (every retired instruction compared)."""
    _run_1d(seed, tmp_path, sim="rtl")


KERNEL_REDUCE = '''from sw.compiler import language as tl


@tl.kernel
def fuzz(a_ptr, b_ptr, c_ptr, out_ptr, n, BLOCK: tl.constexpr):
    pid = tl.program_id(0)
    offs = pid * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    a = tl.load(a_ptr + offs, mask=mask, other=0)
    b = tl.load(b_ptr + offs, mask=mask, other=0)
    c = tl.load(c_ptr + offs, mask=mask, other=0)
    tl.store(out_ptr + pid, tl.{reduction}({expr}))
'''


@pytest.mark.parametrize("seed", range(2 * CASES, 2 * CASES + CASES // 2))
def test_random_reductions_match_numpy(seed: int, tmp_path) -> None:
    """tl.sum (wrapping in the block's type) and tl.max of random expressions over
    blocks whose last one ends mid-block: the masked-off elements take part with the
    value the expression has on the loads' `other` (0), as in Triton."""
    rng = pyrandom.Random(seed)
    types = {name: rng.choice(list(DTYPES)) for name in INPUTS}
    out_type = rng.choice(["int8", "int16", "int32"])
    reduction = rng.choice(["sum", "max"])
    expr = _cast(Generator(seed, types).expr(out_type, rng.randint(1, 3)), out_type)
    source = KERNEL_REDUCE.format(expr=expr.text, reduction=reduction)
    kernel = _load_kernel(source, tmp_path, seed)
    n, block = rng.choice([(100, 64), (700, 512), (37, 256), (1000, 1024)])
    programs = -(-n // block)
    env = _inputs(np.random.default_rng(seed), types, n)
    out = np.zeros(programs, DTYPES[out_type])
    launch(kernel, programs, env["a"], env["b"], env["c"], out, n, BLOCK=block,
           config="vector")
    padded = {k: np.concatenate([v, np.zeros(programs * block - n, v.dtype)])
              for k, v in env.items()}
    values = expr.value(padded).reshape(programs, block)
    if reduction == "sum":
        want = _wrap(values.astype(np.int64).sum(axis=1), out_type)
    else:
        want = values.max(axis=1)
    _check(out, want, {k: v[:programs] for k, v in env.items()}, source)


KERNEL_SCALAR = '''from sw.compiler import language as tl


@tl.kernel
def fuzz(a_ptr, b_ptr, c_ptr, out_ptr):
    pid = tl.program_id(0)
    a = tl.load(a_ptr + pid)
    b = tl.load(b_ptr + pid)
    c = tl.load(c_ptr + pid)
    tl.store(out_ptr + pid, {expr})
'''


@pytest.mark.parametrize("seed", range(3 * CASES, 3 * CASES + CASES // 2))
def test_random_scalar_kernels_match_numpy(seed: int, tmp_path) -> None:
    """The same expressions on scalars (the scalar core: no vector engine), one program
    an element; uint8 exists in blocks only."""
    scalar_types = ("int8", "int16", "int32")
    rng = pyrandom.Random(seed)
    types = {name: rng.choice(scalar_types) for name in INPUTS}
    out_type = rng.choice(scalar_types)
    expr = _cast(Generator(seed, types, scalar_types).expr(out_type, rng.randint(1, 3)),
                 out_type)
    source = KERNEL_SCALAR.format(expr=expr.text)
    env = _inputs(np.random.default_rng(seed), types, 16)
    out = np.zeros(16, DTYPES[out_type])
    launch(_load_kernel(source, tmp_path, seed), 16, env["a"], env["b"], env["c"], out, config="default")
    _check(out, expr.value(env), env, source)
