"""The operator kernels, with their data interface and numpy references.

Each kernel is a C program (scalar baseline, under `c/`) or a hand-written assembly
kernel for an engine (`rvv/`: RVV kernels, the vector engine's reference for the
compiler and the roofline benchmark; `tensor/`: the tensor engine's GEMM, the
compiler's reference for MAC utilization), whose inputs and outputs are global arrays. A harness writes random inputs into those arrays in the program image,
runs it, reads the outputs back from their symbols and compares them with `reference`.
Array dimensions are expressions over the kernel's shape parameters, which reach the C
source as -D defines.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from oxcore.config import OxCoreConfig
from oxcore.errors import OxCoreError

SOURCES = Path(__file__).parent / "c"
RVV_SOURCES = Path(__file__).parent / "rvv"
TENSOR_SOURCES = Path(__file__).parent / "tensor"


@dataclass(frozen=True)
class Array:
    name: str  # the C symbol
    dtype: str  # numpy dtype name: int8, int32, uint32
    dims: tuple[str, ...]  # expressions over shape parameters, e.g. ("H - KH + 1",)
    # random inputs' range, inclusive (default: the dtype's); a bias of the size a real
    # layer's has, so that requantized outputs are not all saturated
    values: tuple[int, int] | None = None

    def shape(self, params: dict[str, int]) -> tuple[int, ...]:
        return tuple(int(eval(d, {"__builtins__": {}}, dict(params))) for d in self.dims)


@dataclass(frozen=True)
class CompiledLaunch:
    """How an operator-library kernel (`sw/ops/`, the kernel language) is compiled and
    launched for a shape: the kernel (`module:function`), its arguments in order (an
    array's name, or an expression over the shape parameters for a scalar), the grid
    and the constexprs (expressions over the shape parameters, `TDIM`, `VLEN`, `LANES`
    of the configuration, and `cdiv`)."""

    kernel: str  # "sw.ops.gemm:gemm"
    arguments: tuple[str, ...]
    grid: tuple[str, ...]
    constexprs: tuple[tuple[str, str], ...] = ()
    # The work the shape needs, for the report's roofline: multiply-accumulates and the
    # bytes that must cross the memory port at least (inputs read once, outputs written).
    macs: str = "0"
    min_bytes: str = "0"
    # For the vector engine's roofline: element operations and their width (bits).
    elements: str = "0"
    element_bits: int = 32

    def load(self):
        import importlib
        module, name = self.kernel.split(":")
        return getattr(importlib.import_module(module), name)

    def source(self) -> Path:
        import importlib.util
        spec = importlib.util.find_spec(self.kernel.split(":")[0])
        assert spec is not None and spec.origin is not None
        return Path(spec.origin)


@dataclass(frozen=True)
class Kernel:
    name: str
    params: tuple[str, ...]  # shape parameters, in SHAPE=... order
    default_shape: tuple[int, ...]
    inputs: tuple[Array, ...]
    outputs: tuple[Array, ...]
    reference: Callable[..., dict[str, np.ndarray]]  # inputs by name -> outputs by name
    source_file: Path | None = None  # default: c/<name>.c
    defines: tuple[tuple[str, int], ...] = ()  # fixed -D values (an RVV kernel's SEW)
    # (.s sources are our assembler's: the defines, the shape and the configuration's
    # TDIM arrive as .equ symbols; .c and .S go through `oxcore cc`)
    engines: tuple[str, ...] = ()  # configuration sections it needs ("vector")
    launch: CompiledLaunch | None = None  # a kernel-language kernel, compiled
    default_config: str | None = None  # the preset used when no --config is given
    # shape parameters the reference takes too, by name (a convolution's stride, a
    # pooling window)
    reference_params: tuple[str, ...] = ()
    may_be_zero: tuple[str, ...] = ()  # shape parameters SHAPE may set to 0 (padding)
    # what a shape needs of the configuration: an error message, or None when it fits
    limit: Callable[[dict[str, int], OxCoreConfig], str | None] | None = None

    def expected(self, inputs: dict[str, np.ndarray], params: dict[str, int]
                 ) -> dict[str, np.ndarray]:
        """The reference's outputs for these inputs and shape."""
        return self.reference(**inputs, **{p: params[p] for p in self.reference_params})

    @property
    def source(self) -> Path:
        if self.launch is not None:
            return self.launch.source()
        return self.source_file or SOURCES / f"{self.name}.c"

    def check_config(self, config: OxCoreConfig) -> None:
        """A clear error if `config` lacks an engine the kernel runs on."""
        missing = [name for name in self.engines if name not in config.engines]
        if missing:
            raise OxCoreError(f"kernel {self.name} runs on the {missing[0]} engine, which "
                              f"config {config.name!r} has not: use a configuration with "
                              f"[{missing[0]}], e.g. --config {missing[0]} (make cosim "
                              f"KERNEL={self.name} CONFIG={missing[0]})")

    def check_shape(self, params: dict[str, int], config: OxCoreConfig) -> None:
        """A clear error if this shape is beyond what the kernel does on `config`."""
        problem = self.limit(params, config) if self.limit is not None else None
        if problem:
            raise OxCoreError(f"kernel {self.name}: {problem}")

    def parse_shape(self, text: str | None) -> dict[str, int]:
        """`"M,N,K"` values in `params` order; None gives the default shape."""
        if not text:
            return dict(zip(self.params, self.default_shape))
        try:
            values = [int(v) for v in text.split(",")]
        except ValueError:
            raise OxCoreError(f"kernel {self.name}: SHAPE {text!r} must be integers "
                              f"{','.join(self.params)}") from None
        if len(values) != len(self.params) or any(
                v < 0 or (v == 0 and name not in self.may_be_zero)
                for name, v in zip(self.params, values)):
            zero = f" ({', '.join(self.may_be_zero)} may be 0)" if self.may_be_zero else ""
            raise OxCoreError(f"kernel {self.name}: SHAPE needs {len(self.params)} positive "
                              f"integers {','.join(self.params)}{zero}, got {text!r}")
        params = dict(zip(self.params, values))
        for array in self.inputs + self.outputs:
            if any(n <= 0 for n in array.shape(params)):
                raise OxCoreError(f"kernel {self.name}: SHAPE {text!r} makes array "
                                  f"{array.name} empty ({array.dims})")
        return params


def _matvec_rows_limit(params: dict[str, int], config: OxCoreConfig) -> str | None:
    """matvec_rows keeps each row whole in one register group of int16 products."""
    from sw.ops.matvec import rows_fit
    vlen = config.vector.vlen if config.vector is not None else 0
    if vlen and not rows_fit(params["K"], vlen):
        return (f"K = {params['K']} does not fit a row in one register group at VLEN "
                f"{vlen} (K <= {8 * vlen // 16}): use KERNEL=matvec, which takes K in "
                f"chunks")
    return None


def _gemm(A: np.ndarray, B: np.ndarray) -> dict[str, np.ndarray]:
    return {"C": (A.astype(np.int64) @ B.astype(np.int64)).astype(np.int32)}


def _conv2d(X: np.ndarray, Wt: np.ndarray) -> dict[str, np.ndarray]:
    kh, kw = Wt.shape[2:]
    windows = np.lib.stride_tricks.sliding_window_view(X.astype(np.int64), (kh, kw),
                                                       axis=(1, 2))
    return {"Y": np.einsum("cyxhw,ochw->oyx", windows, Wt.astype(np.int64)).astype(np.int32)}


def _vadd(X: np.ndarray, Y: np.ndarray) -> dict[str, np.ndarray]:
    return {"Z": X + Y}  # uint32 arithmetic wraps like the hardware


def _dot(X: np.ndarray, Y: np.ndarray) -> dict[str, np.ndarray]:
    return {"S": np.array([np.dot(X.astype(np.int64), Y.astype(np.int64))]).astype(np.int32)}


def _relu(X: np.ndarray) -> dict[str, np.ndarray]:
    return {"Z": np.maximum(X, 0)}


def _wrapping_dot(X: np.ndarray, Y: np.ndarray) -> dict[str, np.ndarray]:
    """The dot product in the elements' own width, wrapping as the vector unit does."""
    total = int(np.dot(X.astype(np.int64), Y.astype(np.int64)))
    bits = 8 * X.dtype.itemsize
    return {"S": np.array([total & ((1 << bits) - 1)], dtype=np.uint64).astype(
        f"uint{bits}").view(X.dtype)}


REQUANT_MULT, REQUANT_SHIFT, REQUANT_ZP = 0x5A3B1C2D, 7, -3  # rvv/requant.S's defaults


def _round_shift(v: np.ndarray, d: int) -> np.ndarray:
    """v / 2**d rounded to nearest, ties up (vxrm rnu), for int64 v."""
    return (v + (1 << (d - 1))) >> d if d > 0 else v


def _requantize(X: np.ndarray) -> dict[str, np.ndarray]:
    """int32 accumulators to int8: sat8(sat16(sat32(round(round(x * m / 2**31) / 2**s)
    + zp))), the saturating rounding doubling high multiply first (only MIN * MIN
    saturates it)."""
    x = X.astype(np.int64)
    t = np.clip(_round_shift(x * REQUANT_MULT, 31), -2**31, 2**31 - 1)
    u = _round_shift(t, REQUANT_SHIFT)
    v = np.clip(u + REQUANT_ZP, -2**31, 2**31 - 1)
    return {"Z": np.clip(np.clip(v, -2**15, 2**15 - 1), -128, 127).astype(np.int8)}


def _rvv(name: str, sew: int, inputs: tuple[str, ...], outputs: tuple[tuple[str, str], ...],
         reference: Callable[..., dict[str, np.ndarray]]) -> Kernel:
    """A hand-written RVV kernel `rvv/<op>.S` at element width `sew` (its arrays int<sew>)."""
    dtype = f"int{sew}"
    return Kernel(f"rvv_{name}_i{sew}", ("N",), (256,),
                  tuple(Array(a, dtype, ("N",)) for a in inputs),
                  tuple(Array(a, dtype, (dims,)) for a, dims in outputs), reference,
                  source_file=RVV_SOURCES / f"{name}.S", defines=(("SEW", sew),),
                  engines=("vector",))


# The RVV kernels: element-wise work of the vector engine (bench/vector_roofline.py).
RVV_KERNELS = (
    _rvv("vadd", 8, ("X", "Y"), (("Z", "N"),), _vadd),
    _rvv("vadd", 32, ("X", "Y"), (("Z", "N"),), _vadd),
    _rvv("relu", 8, ("X",), (("Z", "N"),), _relu),
    _rvv("relu", 32, ("X",), (("Z", "N"),), _relu),
    _rvv("dot", 32, ("X", "Y"), (("S", "1"),), _wrapping_dot),
    # int8 inputs, the exact int32 sum: vwmul + vwredsum (rvv/dot_i8.S says why)
    Kernel("rvv_dot_i8", ("N",), (256,),
           (Array("X", "int8", ("N",)), Array("Y", "int8", ("N",))),
           (Array("S", "int32", ("1",)),), _dot,
           source_file=RVV_SOURCES / "dot_i8.S", engines=("vector",)),
    Kernel("rvv_requant_i8", ("N",), (256,), (Array("X", "int32", ("N",)),),
           (Array("Z", "int8", ("N",)),), _requantize,
           source_file=RVV_SOURCES / "requant.S", engines=("vector",)),
)


# tst.b's parameters in tensor_gemm_q (tensor/gemm.s): multiplier 0.705 (Q0.31), shift 13,
# zero point -3, rounding to nearest with ties up (rnu).
TQ_MULT, TQ_SHIFT, TQ_ZP, TQ_RM = 0x5A3B1C2D, 13, -3, 0


def _tensor_gemm(A: np.ndarray, BT: np.ndarray) -> dict[str, np.ndarray]:
    return {"C": (A.astype(np.int64) @ BT.astype(np.int64).T).astype(np.int32)}


def _tensor_gemm_q(A: np.ndarray, BT: np.ndarray) -> dict[str, np.ndarray]:
    """The int32 product through tst.b's formula: sat8(sat32(round(sat32(round(acc * m /
    2**31)) / 2**shift) + zp)), rounding rnu."""
    acc = A.astype(np.int64) @ BT.astype(np.int64).T
    t = np.clip(_round_shift(acc * TQ_MULT, 31), -2**31, 2**31 - 1)
    u = _round_shift(t, TQ_SHIFT)
    v = np.clip(u + TQ_ZP, -2**31, 2**31 - 1)
    return {"C": np.clip(v, -128, 127).astype(np.int8)}


def _tensor(name: str, dtype: str, reference: Callable[..., dict[str, np.ndarray]],
            quant: int) -> Kernel:
    return Kernel(name, ("M", "N", "K"), (64, 64, 64),
                  (Array("A", "int8", ("M", "K")), Array("BT", "int8", ("N", "K"))),
                  (Array("C", dtype, ("M", "N")),), reference,
                  source_file=TENSOR_SOURCES / "gemm.s",
                  defines=(("QUANT", quant), ("QMUL", TQ_MULT), ("QSHIFT", TQ_SHIFT),
                           ("QZP", TQ_ZP), ("QRM", TQ_RM)),
                  engines=("tensor",))


# The tensor engine's hand-written GEMM (B given transposed), int32 and int8 out.
TENSOR_KERNELS = (
    _tensor("tensor_gemm", "int32", _tensor_gemm, 0),
    _tensor("tensor_gemm_q", "int8", _tensor_gemm_q, 1),
)

def _compiled_gemm(A: np.ndarray, BT: np.ndarray) -> dict[str, np.ndarray]:
    from sw.ops.gemm import reference
    return {"C": reference(A, BT)}


def _compiled_gemm_kn(A: np.ndarray, B: np.ndarray) -> dict[str, np.ndarray]:
    from sw.ops.gemm import reference_kn
    return {"C": reference_kn(A, B)}


def _compiled_conv2d(X: np.ndarray, F: np.ndarray, S: int, P: int) -> dict[str, np.ndarray]:
    """The convolution with padding P: numpy's sums over the taps, not the kernel's
    implicit GEMM."""
    from sw.ops.conv import reference
    return {"Y": reference(X, F, S, P)}


_OH, _OW = "((H + 2 * P - K) // S + 1)", "((W + 2 * P - K) // S + 1)"
def _compiled_gemm_q(A: np.ndarray, BT: np.ndarray, bias: np.ndarray
                     ) -> dict[str, np.ndarray]:
    """gemm_q with RELU: relu(A @ BT^T + bias) (int32, wrapping) through tst.b's chain
    with TQ_MULT, TQ_SHIFT, TQ_ZP, rnu, written here in numpy."""
    wide = A.astype(np.int64) @ BT.astype(np.int64).T + bias.astype(np.int64)[None, :]
    acc = np.maximum((wide + 2**31) % 2**32 - 2**31, 0)
    t = np.clip(_round_shift(acc * TQ_MULT, 31), -2**31, 2**31 - 1)
    v = np.clip(_round_shift(t, TQ_SHIFT) + TQ_ZP, -2**31, 2**31 - 1)
    return {"C": np.clip(v, -128, 127).astype(np.int8)}


def _ew(name: str, inputs: tuple[str, ...], output: Array, reference: Callable,
        element_bits: int, moved: str, extra: tuple[tuple[str, str], ...] = ()) -> Kernel:
    """An element-wise library kernel (sw/ops/elementwise.py) on the vector engine: one
    program of BLOCK = 4096 elements, strip-mined (N up to 4096 runs in one program)."""
    dtype = f"int{element_bits}"
    return Kernel(name, ("N",), (4096,), tuple(Array(a, dtype, ("N",)) for a in inputs),
                  (output,), reference, engines=("vector",), default_config="vector",
                  launch=CompiledLaunch(f"sw.ops.elementwise:{name}",
                                        (*inputs, output.name, "N"), ("cdiv(N, BLOCK)",),
                                        (("BLOCK", "4096"), *extra), min_bytes=moved,
                                        elements="N", element_bits=element_bits))


def _add(X: np.ndarray, Y: np.ndarray) -> dict[str, np.ndarray]:
    from sw.ops.elementwise import reference_add
    return {"Z": reference_add(X, Y)}


def _relu_op(X: np.ndarray) -> dict[str, np.ndarray]:
    from sw.ops.elementwise import reference_relu
    return {"Z": reference_relu(X)}


def _bias(X: np.ndarray, B: np.ndarray) -> dict[str, np.ndarray]:
    from sw.ops.elementwise import reference_bias
    return {"Z": reference_bias(X, B)}


BIAS_SCALAR = -123_456  # bias_scalar's b (a launch argument, in the reference too)


def _bias_scalar(X: np.ndarray) -> dict[str, np.ndarray]:
    from sw.ops.elementwise import reference_bias
    return {"Z": reference_bias(X, BIAS_SCALAR)}


def _reduce_sum(X: np.ndarray) -> dict[str, np.ndarray]:
    from sw.ops.elementwise import reference_reduce_sum
    return {"S": reference_reduce_sum(X, 4096)}


def _reduce_max(X: np.ndarray) -> dict[str, np.ndarray]:
    from sw.ops.elementwise import reference_reduce_max
    return {"S": reference_reduce_max(X, 4096)}


def _matvec(A: np.ndarray, X: np.ndarray) -> dict[str, np.ndarray]:
    from sw.ops.matvec import reference_matvec
    return {"Y": reference_matvec(A, X)}


def _transpose(X: np.ndarray) -> dict[str, np.ndarray]:
    from sw.ops.layout import reference_transpose
    return {"Z": reference_transpose(X)}


def _transpose_kernel(name: str, element_bits: int) -> Kernel:
    """transpose (sw/ops/layout.py) of an int<element_bits> M x N matrix: one program
    per input row, BLOCK 1024 columns strip-mined."""
    dtype = f"int{element_bits}"
    moved = f"2 * M * N * {element_bits // 8}"
    return Kernel(name, ("M", "N"), (32, 32), (Array("X", dtype, ("M", "N")),),
                  (Array("Z", dtype, ("N", "M")),), _transpose, engines=("vector",),
                  default_config="vector",
                  launch=CompiledLaunch("sw.ops.layout:transpose", ("X", "Z", "M", "N"),
                                        ("M",), (("BLOCK", "1024"),), min_bytes=moved,
                                        elements="M * N", element_bits=element_bits))


POOLED = ("((H - KH) // S + 1)", "((W - KW) // S + 1)")  # OH, OW ("valid" pooling)
PIXELS = f"{POOLED[0]} * {POOLED[1]}"


def _maxpool2d(X: np.ndarray, KH: int, KW: int, S: int) -> dict[str, np.ndarray]:
    from sw.ops.pool import reference_maxpool2d
    return {"Z": reference_maxpool2d(X, KH, KW, S)}


# The operator library, compiled from the kernel language (sw/ops/).
COMPILED_KERNELS = (
    Kernel("gemm", ("M", "N", "K"), (64, 64, 64),
           (Array("A", "int8", ("M", "K")), Array("BT", "int8", ("N", "K"))),
           (Array("C", "int32", ("M", "N")),), _compiled_gemm,
           engines=("tensor",), default_config="tensor",
           launch=CompiledLaunch("sw.ops.gemm:gemm",
                                 ("A", "BT", "C", "M", "N", "K"),
                                 ("cdiv(M, BLOCK_M)", "cdiv(N, BLOCK_N)"),
                                 (("BLOCK_M", "2 * TDIM"), ("BLOCK_N", "2 * TDIM"),
                                  ("BLOCK_K", "4 * TDIM")),
                                 macs="M * N * K", min_bytes="M * K + N * K + 4 * M * N")),
    # B row-major, [K, N]: its tiles load transposed (tld.bt)
    Kernel("gemm_kn", ("M", "N", "K"), (64, 64, 64),
           (Array("A", "int8", ("M", "K")), Array("B", "int8", ("K", "N"))),
           (Array("C", "int32", ("M", "N")),), _compiled_gemm_kn,
           engines=("tensor",), default_config="tensor",
           launch=CompiledLaunch("sw.ops.gemm:gemm_kn",
                                 ("A", "B", "C", "M", "N", "K"),
                                 ("cdiv(M, BLOCK_M)", "cdiv(N, BLOCK_N)"),
                                 (("BLOCK_M", "2 * TDIM"), ("BLOCK_N", "2 * TDIM"),
                                  ("BLOCK_K", "4 * TDIM")),
                                 macs="M * N * K", min_bytes="M * K + N * K + 4 * M * N")),
    # int8 Linear layer: bias, ReLU and requantization fused into the tensor engine's
    # accumulator start (tld.w, stride 0) and tst.b's epilogue (tqmin = the zero point)
    Kernel("gemm_q", ("M", "N", "K"), (64, 64, 64),
           (Array("A", "int8", ("M", "K")), Array("BT", "int8", ("N", "K")),
            Array("bias", "int32", ("N",), values=(-1 << 15, 1 << 15))),
           (Array("C", "int8", ("M", "N")),), _compiled_gemm_q,
           engines=("tensor",), default_config="tensor",
           launch=CompiledLaunch("sw.ops.gemm:gemm_q",
                                 ("A", "BT", "bias", "C", "M", "N", "K", str(TQ_MULT),
                                  str(TQ_SHIFT), str(TQ_ZP)),
                                 ("cdiv(M, BLOCK_M)", "cdiv(N, BLOCK_N)"),
                                 (("BLOCK_M", "2 * TDIM"), ("BLOCK_N", "2 * TDIM"),
                                  ("BLOCK_K", "4 * TDIM"), ("RELU", "1")),
                                 macs="M * N * K",
                                 min_bytes="M * K + N * K + 4 * N + M * N")),
    # NHWC conv2d, filters F OHWI, as an implicit GEMM; padding P masked in the kernel
    # (sw/ops/conv.py). SHAPE=N,H,W,C,CO,K,S,P (K x K filters, stride S).
    Kernel("conv2d", ("N", "H", "W", "C", "CO", "K", "S", "P"), (1, 8, 8, 32, 32, 3, 1, 1),
           (Array("X", "int8", ("N", "H", "W", "C")),
            Array("F", "int8", ("CO", "K", "K", "C"))),
           (Array("Y", "int32", ("N", _OH, _OW, "CO")),), _compiled_conv2d,
           engines=("tensor",), default_config="tensor", reference_params=("S", "P"),
           may_be_zero=("P",),
           launch=CompiledLaunch("sw.ops.conv:conv2d",
                                 ("X", "F", "Y", "H", "W", _OH, _OW, "CO"),
                                 (f"cdiv({_OW}, BLOCK_M)", f"N * {_OH}", "cdiv(CO, BLOCK_N)"),
                                 (("C", "C"), ("KH", "K"), ("KW", "K"), ("STRIDE", "S"),
                                  ("PAD", "P"), ("BLOCK_M", "2 * TDIM"),
                                  ("BLOCK_N", "2 * TDIM"), ("BLOCK_K", "4 * TDIM")),
                                 macs=f"N * {_OH} * {_OW} * CO * K * K * C",
                                 min_bytes="N * H * W * C + CO * K * K * C"
                                           f" + 4 * N * {_OH} * {_OW} * CO")),
    _ew("add", ("X", "Y"), Array("Z", "int8", ("N",)), _add, 8, "3 * N"),
    _ew("relu", ("X",), Array("Z", "int8", ("N",)), _relu_op, 8, "2 * N"),
    # the 2-D form (split-rows: row by row), blocks of 16 rows x 64 columns
    Kernel("add_2d", ("M", "N"), (32, 100),
           (Array("X", "int8", ("M", "N")), Array("Y", "int8", ("M", "N"))),
           (Array("Z", "int8", ("M", "N")),), _add, engines=("vector",),
           default_config="vector",
           launch=CompiledLaunch("sw.ops.elementwise:add_2d", ("X", "Y", "Z", "M", "N", "N"),
                                 ("cdiv(M, BM)", "cdiv(N, BN)"),
                                 (("BM", "16"), ("BN", "64")), min_bytes="3 * M * N",
                                 elements="M * N", element_bits=8)),
    # a bias on int32 accumulators: per element, and one scalar for all (a launch argument)
    _ew("bias", ("X", "B"), Array("Z", "int32", ("N",)), _bias, 32, "12 * N"),
    Kernel("bias_scalar", ("N",), (4096,), (Array("X", "int32", ("N",)),),
           (Array("Z", "int32", ("N",)),), _bias_scalar, engines=("vector",),
           default_config="vector",
           launch=CompiledLaunch("sw.ops.elementwise:bias_scalar",
                                 ("X", "Z", "N", str(BIAS_SCALAR)), ("cdiv(N, BLOCK)",),
                                 (("BLOCK", "4096"),), min_bytes="8 * N", elements="N",
                                 element_bits=32)),
    _ew("reduce_sum", ("X",), Array("S", "int32", ("(N + 4095) // 4096",)), _reduce_sum, 8,
        "N"),
    _ew("reduce_max", ("X",), Array("S", "int32", ("(N + 4095) // 4096",)), _reduce_max, 8,
        "N", (("LOWEST", "-128"),)),
    Kernel("matvec", ("M", "K"), (16, 128),
           (Array("A", "int8", ("M", "K")), Array("X", "int8", ("K",))),
           (Array("Y", "int32", ("M",)),), _matvec, engines=("vector",),
           default_config="vector",
           launch=CompiledLaunch("sw.ops.matvec:matvec", ("A", "X", "Y", "M", "K"), ("M",),
                                 (("BLOCK", "1024"),), macs="M * K",
                                 min_bytes="M * K + K + 4 * M", elements="M * K",
                                 element_bits=8)),
    Kernel("matvec_rows", ("M", "K"), (16, 128),
           (Array("A", "int8", ("M", "K")), Array("X", "int8", ("K",))),
           (Array("Y", "int32", ("M",)),), _matvec, engines=("vector",),
           default_config="vector",
           launch=CompiledLaunch("sw.ops.matvec:matvec_rows", ("A", "X", "Y", "M", "K"),
                                 ("cdiv(M, BM)",),
                                 (("BM", "16"), ("BK", "1 << (K - 1).bit_length()")),
                                 macs="M * K", min_bytes="M * K + K + 4 * M",
                                 elements="M * K", element_bits=8),
           limit=_matvec_rows_limit),
    _transpose_kernel("transpose", 8),
    _transpose_kernel("transpose_i32", 32),
    Kernel("maxpool2d", ("N", "H", "W", "C", "KH", "KW", "S"), (1, 12, 12, 32, 2, 2, 2),
           (Array("X", "int8", ("N", "H", "W", "C")),),
           (Array("Z", "int8", ("N", *POOLED, "C")),), _maxpool2d, engines=("vector",),
           reference_params=("KH", "KW", "S"),
           default_config="vector",
           launch=CompiledLaunch("sw.ops.pool:maxpool2d",
                                 ("X", "Z", "H", "W", "C", *POOLED),
                                 (POOLED[1], POOLED[0], "N"),
                                 (("KH", "KH"), ("KW", "KW"), ("STRIDE", "S"),
                                  ("BLOCK", "1024")),
                                 min_bytes=f"N * H * W * C + N * {PIXELS} * C",
                                 elements=f"N * {PIXELS} * C * KH * KW", element_bits=8)),
)

KERNELS: dict[str, Kernel] = {k.name: k for k in (
    *COMPILED_KERNELS,
    # C programs: the scalar baselines
    Kernel("c_gemm", ("M", "N", "K"), (8, 8, 8),
           (Array("A", "int8", ("M", "K")), Array("B", "int8", ("K", "N"))),
           (Array("C", "int32", ("M", "N")),), _gemm, source_file=SOURCES / "gemm.c"),
    Kernel("c_conv2d", ("CI", "CO", "H", "W", "KH", "KW"), (2, 2, 8, 8, 3, 3),
           (Array("X", "int8", ("CI", "H", "W")), Array("Wt", "int8", ("CO", "CI", "KH", "KW"))),
           (Array("Y", "int32", ("CO", "H - KH + 1", "W - KW + 1")),), _conv2d,
           source_file=SOURCES / "conv2d.c"),
    Kernel("c_vadd", ("N",), (64,),
           (Array("X", "uint32", ("N",)), Array("Y", "uint32", ("N",))),
           (Array("Z", "uint32", ("N",)),), _vadd, source_file=SOURCES / "vadd.c"),
    Kernel("c_dot", ("N",), (64,),
           (Array("X", "int8", ("N",)), Array("Y", "int8", ("N",))),
           (Array("S", "int32", ("1",)),), _dot, source_file=SOURCES / "dot.c"),
    Kernel("c_relu", ("N",), (64,),
           (Array("X", "int32", ("N",)),), (Array("Z", "int32", ("N",)),), _relu,
           source_file=SOURCES / "relu.c"),
    *RVV_KERNELS,
    *TENSOR_KERNELS,
)}


def get_kernel(name: str) -> Kernel:
    try:
        return KERNELS[name]
    except KeyError:
        raise OxCoreError(f"unknown kernel {name!r} (kernels: {', '.join(KERNELS)}, all)") \
            from None
