"""gemm: C[M, N] = A[M, K] @ B[K, N], int8 x int8 -> int32, on the tensor engine.

B comes transposed, as BT[N, K] (a Linear layer's weight layout): the tensor engine
multiplies by its second operand's transpose, so each tile of B is N-rows of K
consecutive bytes. The kernel is Triton's matrix multiplication with that layout: one
program per BLOCK_M x BLOCK_N block of C, a loop over K, masks for the edges. The
matrices are contiguous (row strides K, K and N), so the kernel takes no stride
arguments: three fewer values for the scalar core to keep in registers.
"""

from __future__ import annotations

import numpy as np

from sw.compiler import language as tl


@tl.kernel
def gemm(a_ptr, bt_ptr, c_ptr, M, N, K,
         BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr, BLOCK_K: tl.constexpr):
    pid_m = tl.program_id(0)
    pid_n = tl.program_id(1)
    offs_m = pid_m * BLOCK_M + tl.arange(0, BLOCK_M)
    offs_n = pid_n * BLOCK_N + tl.arange(0, BLOCK_N)
    offs_k = tl.arange(0, BLOCK_K)
    a_ptrs = a_ptr + offs_m[:, None] * K + offs_k[None, :]
    b_ptrs = bt_ptr + offs_k[:, None] + offs_n[None, :] * K
    acc = tl.zeros((BLOCK_M, BLOCK_N), dtype=tl.int32)
    for k in range(0, K, BLOCK_K):
        a = tl.load(a_ptrs, mask=(offs_m[:, None] < M) & (offs_k[None, :] < K - k), other=0)
        b = tl.load(b_ptrs, mask=(offs_k[:, None] < K - k) & (offs_n[None, :] < N), other=0)
        acc = tl.dot(a, b, acc)
        a_ptrs += BLOCK_K
        b_ptrs += BLOCK_K
    c_ptrs = c_ptr + offs_m[:, None] * N + offs_n[None, :]
    tl.store(c_ptrs, acc, mask=(offs_m[:, None] < M) & (offs_n[None, :] < N))


#: gemm with its block sizes chosen by simulated cycles (`tl.autotune`): 2x2, 1x2 and
#: 2x1 tiles of accumulators, one or two k-tiles a step, at TDIM 8; a candidate that
#: does not fit the configuration is reported and skipped.
gemm_tuned = tl.autotune(configs=[
    tl.Config({"BLOCK_M": 16, "BLOCK_N": 16, "BLOCK_K": 32}),
    tl.Config({"BLOCK_M": 16, "BLOCK_N": 16, "BLOCK_K": 64}),
    tl.Config({"BLOCK_M": 8, "BLOCK_N": 16, "BLOCK_K": 32}),
    tl.Config({"BLOCK_M": 16, "BLOCK_N": 8, "BLOCK_K": 32}),
], key=["M", "N", "K"])(gemm)


def reference(a: np.ndarray, bt: np.ndarray) -> np.ndarray:
    return (a.astype(np.int64) @ bt.astype(np.int64).T).astype(np.int32)


@tl.kernel
def gemm_kn(a_ptr, b_ptr, c_ptr, M, N, K,
            BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr, BLOCK_K: tl.constexpr):
    """gemm with B row-major, B[K, N] (N consecutive: Triton's layout, and weights not
    stored transposed): each B tile loads transposed (tld.bt), 4*TDIM rows of TDIM
    bytes, four times the port accesses of gemm's B^T tiles."""
    pid_m = tl.program_id(0)
    pid_n = tl.program_id(1)
    offs_m = pid_m * BLOCK_M + tl.arange(0, BLOCK_M)
    offs_n = pid_n * BLOCK_N + tl.arange(0, BLOCK_N)
    offs_k = tl.arange(0, BLOCK_K)
    a_ptrs = a_ptr + offs_m[:, None] * K + offs_k[None, :]
    b_ptrs = b_ptr + offs_k[:, None] * N + offs_n[None, :]
    acc = tl.zeros((BLOCK_M, BLOCK_N), dtype=tl.int32)
    for k in range(0, K, BLOCK_K):
        a = tl.load(a_ptrs, mask=(offs_m[:, None] < M) & (offs_k[None, :] < K - k), other=0)
        b = tl.load(b_ptrs, mask=(offs_k[:, None] < K - k) & (offs_n[None, :] < N), other=0)
        acc = tl.dot(a, b, acc)
        a_ptrs += BLOCK_K
        b_ptrs += BLOCK_K * N
    c_ptrs = c_ptr + offs_m[:, None] * N + offs_n[None, :]
    tl.store(c_ptrs, acc, mask=(offs_m[:, None] < M) & (offs_n[None, :] < N))


def reference_kn(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a.astype(np.int64) @ b.astype(np.int64)).astype(np.int32)


@tl.kernel
def gemm_q(a_ptr, bt_ptr, bias_ptr, c_ptr, M, N, K, multiplier, shift, zero_point,
           BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr, BLOCK_K: tl.constexpr,
           RELU: tl.constexpr):
    """A quantized Linear layer: C = requantize(relu?(A @ B + bias)), int8 out.

    On the tensor engine the bias row is the accumulator's starting value (one tld.w
    with row stride 0: `fold-accumulator-bias`), the ReLU is the store's activation
    clamp (`fuse-requantize-relu`) and the requantization is tst.b's own epilogue, so
    the epilogue costs no instruction per tile beyond the int32 GEMM's."""
    pid_m = tl.program_id(0)
    pid_n = tl.program_id(1)
    offs_m = pid_m * BLOCK_M + tl.arange(0, BLOCK_M)
    offs_n = pid_n * BLOCK_N + tl.arange(0, BLOCK_N)
    offs_k = tl.arange(0, BLOCK_K)
    a_ptrs = a_ptr + offs_m[:, None] * K + offs_k[None, :]
    b_ptrs = bt_ptr + offs_k[:, None] + offs_n[None, :] * K
    acc = tl.zeros((BLOCK_M, BLOCK_N), dtype=tl.int32)
    for k in range(0, K, BLOCK_K):
        a = tl.load(a_ptrs, mask=(offs_m[:, None] < M) & (offs_k[None, :] < K - k), other=0)
        b = tl.load(b_ptrs, mask=(offs_k[:, None] < K - k) & (offs_n[None, :] < N), other=0)
        acc = tl.dot(a, b, acc)
        a_ptrs += BLOCK_K
        b_ptrs += BLOCK_K
    bias = tl.load(bias_ptr + offs_n, mask=offs_n < N, other=0)
    acc = acc + bias[None, :]
    if RELU:
        acc = tl.maximum(acc, 0)
    q = tl.requantize(acc, multiplier, shift, zero_point)
    c_ptrs = c_ptr + offs_m[:, None] * N + offs_n[None, :]
    tl.store(c_ptrs, q, mask=(offs_m[:, None] < M) & (offs_n[None, :] < N))


def _round_half_up(value: np.ndarray, shift: int) -> np.ndarray:
    """value / 2**shift rounded to nearest, ties up (rnu), for int64 `value`."""
    return (value + (1 << (shift - 1))) >> shift if shift > 0 else value


def reference_q(a: np.ndarray, bt: np.ndarray, bias: np.ndarray, multiplier: int,
                shift: int, zero_point: int, relu: bool) -> np.ndarray:
    """gemm_q in numpy, independent of the ISA's code: int32 wrap-around accumulation,
    then the fixed-point chain with rnu rounding (tl.requantize's default)."""
    wide = a.astype(np.int64) @ bt.astype(np.int64).T + bias.astype(np.int64)[None, :]
    acc = ((wide + 2**31) % 2**32 - 2**31)  # int32 wrap-around
    if relu:
        acc = np.maximum(acc, 0)
    return requantize_reference(acc, multiplier, shift, zero_point)


def requantize_reference(acc: np.ndarray, multiplier: int, shift: int,
                         zero_point: int) -> np.ndarray:
    """tl.requantize with rnu rounding, in integer numpy: sat8(sat32(round(sat32(
    round(acc * multiplier / 2**31)) / 2**shift) + zero_point))."""
    acc = np.asarray(acc, dtype=np.int64)
    t = np.clip(_round_half_up(acc * multiplier, 31), -2**31, 2**31 - 1)
    v = np.clip(_round_half_up(t, shift) + zero_point, -2**31, 2**31 - 1)
    return np.clip(v, -128, 127).astype(np.int8)


def run_gemm_q(a: np.ndarray, bt: np.ndarray, bias: np.ndarray, multiplier: int, shift: int,
               zero_point: int, relu: bool = True, *, sim: str = "iss",
               config: str = "tensor", backend: str = "auto") -> np.ndarray:
    """A quantized Linear layer on the tensor engine: int8 C[M, N] = requantize(relu?(
    A[M, K] @ BT[N, K]^T + bias[N])) (`sim` "iss" or "rtl", as `oxcore.launch`), with
    2*TDIM x 2*TDIM blocks and 4*TDIM-deep k-steps; checked arguments."""
    from sw.compiler.launch import LaunchError, launch
    from sw.ops.checks import require_array, require_tensor_engine
    a = require_array("gemm_q", "a", a, 2, ("int8",))
    bt = require_array("gemm_q", "bt", bt, 2, ("int8",))
    bias = require_array("gemm_q", "bias", bias, 1, ("int32",))
    (m, k), n = a.shape, bt.shape[0]
    if bt.shape[1] != k or bias.shape[0] != n:
        raise LaunchError(f"gemm_q: a is {m}x{k}, so bt must be Nx{k} and bias N long; got "
                          f"bt {list(bt.shape)} and bias {list(bias.shape)}")
    if not (-2**31 <= multiplier < 2**31 and 0 <= shift < 32 and -2**31 <= zero_point < 2**31):
        raise LaunchError(f"gemm_q: multiplier {multiplier} and zero point {zero_point} must "
                          f"be int32 and the shift {shift} in 0..31")
    tdim = require_tensor_engine("gemm_q", config)
    block = 2 * tdim
    c = np.zeros((m, n), np.int8)
    launch(gemm_q, (-(-m // block), -(-n // block)), a, bt, bias, c, m, n, k, multiplier,
           shift, zero_point, sim=sim, config=config, backend=backend, BLOCK_M=block,
           BLOCK_N=block, BLOCK_K=4 * tdim, RELU=relu)
    return c
