"""The kernel language: the names a kernel uses, Triton-style.

A Triton kernel ports by its import and decorator::

    from sw.compiler import language as tl

    @tl.kernel                     # instead of @triton.jit
    def add(x_ptr, y_ptr, out_ptr, n, BLOCK: tl.constexpr):
        offsets = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
        ...

Nothing here runs: `@kernel` records the function, and the front end
(:mod:`sw.compiler.frontend`) reads its source and recognises these objects by
identity, whatever name the kernel's module imported them under. Pointer arguments are
untyped, as in Triton: their element type comes from the launch signature
(``x_ptr:*i8``), like every scalar argument's type and every constexpr's value.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class dtype:  # noqa: N801 (Triton's spelling: tl.int8 is a tl.dtype)
    """An element type: `tl.int8`, `tl.int16`, `tl.int32`, `tl.uint8`."""

    name: str

    @property
    def bits(self) -> int:
        return int(self.name.lstrip("uint"))

    @property
    def signed(self) -> bool:
        return not self.name.startswith("u")

    def __repr__(self) -> str:
        return f"tl.{self.name}"


int8, int16, int32, uint8 = dtype("int8"), dtype("int16"), dtype("int32"), dtype("uint8")
DTYPES: dict[str, dtype] = {d.name: d for d in (int8, int16, int32, uint8)}


@dataclass(frozen=True)
class pointer_type:  # noqa: N801 (Triton's spelling)
    """What a pointer argument's `.dtype` is: `x_ptr.dtype.element_ty` names the type
    it points to (Triton's idiom for "convert to what the output holds")."""

    element_ty: dtype

    def __repr__(self) -> str:
        return f"tl.pointer_type({self.element_ty!r})"


class constexpr:  # noqa: N801 (Triton's spelling)
    """Annotation of a parameter whose value is fixed when the kernel is specialised
    (``BLOCK: tl.constexpr``): block sizes, flags."""


def is_constexpr_annotation(annotation: Any, fn: Callable[..., Any] | None = None) -> bool:
    """`annotation` (from `inspect.signature` of `fn`) is `tl.constexpr`: the object, or
    the text a postponed annotation keeps, read in `fn`'s globals (so an alias of the
    module or of the name counts) or, failing that, by its last name."""
    if isinstance(annotation, str):
        try:
            annotation = eval(annotation, dict(fn.__globals__) if fn else {})  # noqa: S307
        except Exception:  # (a name the module does not define: judge the text)
            return annotation.split(".")[-1] == "constexpr"
    return annotation is constexpr


@dataclass(frozen=True)
class Kernel:
    """A function marked `@kernel`: compiled from its source, never called by Python.
    Called from another kernel, it is a helper (Triton's `@triton.jit` function called
    from a kernel): the front end inlines it there."""

    fn: Callable[..., Any]
    do_not_specialize: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return self.fn.__name__

    @property
    def parameters(self) -> list[str]:
        return list(inspect.signature(self.fn).parameters)

    @property
    def runtime_parameters(self) -> list[str]:
        """The parameters not annotated `tl.constexpr`, in order: what a launch passes
        positionally."""
        return [name for name, p in inspect.signature(self.fn).parameters.items()
                if not is_constexpr_annotation(p.annotation, self.fn)]

    def __call__(self, *args: Any, **kwargs: Any) -> None:
        raise TypeError(f"kernel '{self.name}' is compiled, not called: "
                        f"use `oxcore compile` (see docs/compiler.md)")

    def __getitem__(self, grid: Any) -> Callable[..., Any]:
        """``kernel[grid](*args, **constexprs)``: compile and run it on `grid`, as a
        Triton launch does (`sw.compiler.launch.launch`; `sim=`, `config=` too)."""
        def launch(*args: Any, **kwargs: Any) -> Any:
            from sw.compiler.launch import launch as run
            return run(self, grid, *args, **kwargs)
        return launch


#: `@triton.jit` options that steer GPU code generation or debugging: accepted, no effect.
_JIT_OPTIONS = ("debug", "noinline", "repr", "launch_metadata",
                "do_not_specialize_on_alignment")


def kernel(fn: Callable[..., Any] | None = None, *,
           do_not_specialize: Sequence[str | int] = (), **options: Any) -> Any:
    """Mark `fn` as a kernel (Triton's `@triton.jit`). A launch specialises the kernel
    on every integer argument equal to 1, as Triton does (a stride of 1 makes a row of
    consecutive elements, which the engines load as such); `do_not_specialize` names
    (or numbers) the parameters to leave alone, as in
    ``@tl.jit(do_not_specialize=["K"])``. Triton's other options (`debug`, `noinline`,
    ...) are accepted and mean nothing here."""
    unknown = [name for name in options if name not in _JIT_OPTIONS]
    if unknown:
        raise TypeError(f"tl.jit: unknown option {unknown[0]!r} (besides "
                        f"do_not_specialize: {', '.join(_JIT_OPTIONS)})")

    def mark(function: Callable[..., Any]) -> Kernel:
        names = list(inspect.signature(function).parameters)
        chosen = []
        for item in do_not_specialize:
            if isinstance(item, int) and not isinstance(item, bool) \
                    and 0 <= item < len(names):
                chosen.append(names[item])
            elif isinstance(item, str) and item in names:
                chosen.append(item)
            else:
                raise TypeError(f"do_not_specialize: {function.__name__} has no "
                                f"parameter {item!r}")
        return Kernel(function, tuple(chosen))
    return mark if fn is None else mark(fn)


jit = kernel  # so `@tl.jit` reads like Triton too


def autotune(configs: list[Any], key: list[str]) -> Callable[[Kernel], Any]:
    """``@autotune(configs=[Config({...}), ...], key=[...])`` above ``@kernel``, as
    Triton's ``@triton.autotune`` (sw/compiler/autotune.py)."""
    from sw.compiler.autotune import autotune as make
    return make(configs, key)


def Config(kwargs: dict[str, Any], num_stages: int | None = None,  # noqa: N802 (Triton's)
           **_launch_options: Any) -> Any:
    """A candidate's constexpr values (``triton.Config``) and `num_stages` (K-loop
    software pipelining: 1 off, 2 or more on; docs/compiler.md); Triton's other launch
    options (num_warps, num_ctas, ...) mean nothing on OxCore and are ignored."""
    from sw.compiler.autotune import Config as Candidate
    return Candidate(dict(kwargs), num_stages)


def _builtin(fn: Callable[..., Any]) -> Callable[..., Any]:
    """A language function: the front end compiles calls to it; Python cannot run it."""
    def outside_a_kernel(*args: Any, **kwargs: Any) -> Any:
        raise TypeError(f"tl.{fn.__name__} can only be used inside an @kernel function")
    outside_a_kernel.__name__ = outside_a_kernel.__qualname__ = fn.__name__
    outside_a_kernel.__doc__ = fn.__doc__
    outside_a_kernel.__wrapped__ = fn  # type: ignore[attr-defined]
    BUILTINS[fn.__name__] = outside_a_kernel
    return outside_a_kernel


#: name -> the function object kernels call; the front end dispatches on these.
BUILTINS: dict[str, Callable[..., Any]] = {}


@_builtin
def program_id(axis):
    """This program's index in the launch grid along `axis` (0, 1 or 2): int32."""


@_builtin
def num_programs(axis):
    """The launch grid's size along `axis`: int32."""


@_builtin
def cdiv(x, div):
    """Ceiling division ``(x + div - 1) // div``."""


@_builtin
def arange(start, end):
    """int32 block [start, ..., end-1]; constexpr bounds, end - start a power of two."""


@_builtin
def zeros(shape, dtype):
    """A block of `shape` (a tuple of constexprs) filled with 0; shape () is a runtime
    scalar 0 (Triton's 0-d zeros: a scalar accumulator a loop may update)."""


@_builtin
def full(shape, value, dtype):
    """A block of `shape` filled with `value`."""


@_builtin
def load(pointer, mask=None, other=None, boundary_check=(), padding_option="",
         cache_modifier="", eviction_policy="", volatile=False):
    """Read through a pointer or a block of pointers; masked-off lanes give `other`
    (0 by default) and do not touch memory. Triton's cache and eviction hints and
    `volatile` are accepted and mean nothing (OxCore has no data cache);
    `boundary_check` and `padding_option` belong to block pointers, which kernels do
    not have."""


@_builtin
def store(pointer, value, mask=None, boundary_check=(), cache_modifier="",
          eviction_policy=""):
    """Write through a pointer or a block of pointers; masked-off lanes write nothing.
    Cache and eviction hints: accepted, no effect."""


@_builtin
def make_block_ptr(base, shape, strides, offsets, block_shape, order):
    """Triton's block pointer: a `block_shape` block at `offsets` in the tensor of
    `shape` and `strides` at `base` (1 or 2 dimensions; `order` is accepted). Loads and
    stores through it are those through the pointer block it stands for; their
    `boundary_check` masks the named dimensions against `shape` (the upper bound: the
    offsets are taken as non-negative), `padding_option` "zero" (or none) fills 0."""


@_builtin
def advance(base, offsets):
    """The block pointer `base` moved by `offsets` (one per dimension)."""


@_builtin
def dot(a, b, acc=None, input_precision=None, allow_tf32=None,
        max_num_imprecise_acc=None, out_dtype=None):
    """int8 [M, K] @ int8 [K, N] -> int32 [M, N], added to `acc` when given.
    `out_dtype` may be tl.int32 (Triton's int8 dot asks for it); the precision options
    are for floats and mean nothing here."""


@_builtin
def static_range(start, end=None, step=1):
    """``for i in tl.static_range(...)``: a loop over constexpr bounds, unrolled by the
    front end (each iteration's `i` is a constexpr); a data block may be updated across
    its iterations (a window's running maximum), which a runtime loop cannot carry."""


@_builtin
def range(arg1, arg2=None, step=None, num_stages=None,  # noqa: A001 (Triton's name)
          loop_unroll_factor=None, disallow_acc_multi_buffer=False, flatten=False,
          warp_specialize=False, disable_licm=False):
    """``for i in tl.range(start, end, step, num_stages=...)``: a runtime loop, as
    ``range`` is; `num_stages` sets this loop's K-loop software pipelining (1 off, 2
    or more on), overriding the launch's. The other options steer GPU code
    generation (unrolling, warp specialisation, multi-buffered accumulators, loop
    flattening, licm): accepted, with no effect on OxCore."""


@_builtin
def where(condition, x, y):
    """Element-wise `x` where `condition` holds, else `y`."""


@_builtin
def maximum(x, y):
    """Element-wise maximum."""


@_builtin
def minimum(x, y):
    """Element-wise minimum."""


@_builtin
def requantize(input, multiplier, shift, zero_point, rounding=0):
    """**OxCore extension** (Triton has no fixed-point requantize): int32 accumulators
    to int8, exactly as the tensor engine's ``tst.b`` stores them (docs/tensor.md):
    ``sat8(sat32(roundoff(sat32(roundoff(x * multiplier, 31)), shift) + zero_point))``,
    gemmlowp/TFLite's chain with RVV rounding. `multiplier` (Q0.31), `shift` (0..31,
    WARL 5 bits) and `zero_point` are int32 scalars; `rounding` is a constexpr in
    vxrm's encoding: 0 rnu (default, ties up), 1 rne, 2 rdn, 3 rod.
    ``tl.requantize(tl.maximum(acc, 0), ...)`` (ReLU) is fused into the store's
    activation clamp (tqmin/tqmax)."""


@_builtin
def abs(x):  # noqa: A001 (Triton's name)
    """Element-wise absolute value (wrapping: the dtype's minimum stays itself; an
    unsigned value is its own)."""


@_builtin
def cast(input, dtype):  # noqa: A002 (Triton's name)
    """`input.to(dtype)`."""


@_builtin
def trans(input, *dims):  # noqa: A002 (Triton's name)
    """A 2-D block's rows and columns exchanged (also `x.T`; `dims` none or (1, 0)). On
    OxCore a transpose costs nothing: the loads it comes from read through transposed
    addresses (`sink-transposes`, docs/compiler.md)."""


@_builtin
def expand_dims(input, axis):  # noqa: A002 (Triton's name)
    """`input` with a size-1 dimension inserted at `axis` (an int or a tuple of them);
    ``x[:, None]`` is ``tl.expand_dims(x, 1)``."""


@_builtin
def broadcast_to(input, *shape):  # noqa: A002 (Triton's name)
    """`input` broadcast to `shape` (NumPy's rules: size-1 dimensions repeat)."""


@_builtin
def broadcast(input, other):  # noqa: A002 (Triton's name)
    """`input` and `other` broadcast to their common shape (a tuple of the two)."""


@_builtin
def reshape(input, *shape, can_reorder=False):  # noqa: A002 (Triton's name)
    """`input` with the same elements in `shape`. The supported reshapes insert or
    drop size-1 dimensions (``[N] <-> [1, N]``, ``[M, 1] -> [M]``); a reshape that
    regroups elements ([M, N] -> [M*N]) is a CompileError."""


@_builtin
def view(input, *shape):  # noqa: A002 (Triton's name)
    """Triton's older spelling of `reshape` (elements may be reordered)."""


@_builtin
def clamp(x, min, max, propagate_nan=None):  # noqa: A002 (Triton's names)
    """Element-wise ``minimum(maximum(x, min), max)``; `propagate_nan` (floats only)
    is accepted and means nothing for integers."""


@_builtin
def assume(cond):
    """Triton's optimisation hint that `cond` holds (``tl.assume(stride > 0)``): the
    condition is compiled for its errors, then dropped; a constexpr that is false is
    a CompileError."""


@_builtin
def permute(input, *dims):  # noqa: A002 (Triton's name)
    """`input`'s dimensions in the order `dims`: for a 2-D block (1, 0) is `trans`,
    (0, 1) `input` itself."""


@_builtin
def zeros_like(input):  # noqa: A002 (Triton's name)
    """A block of zeros of `input`'s shape and dtype (a runtime 0 for a scalar)."""


@_builtin
def multiple_of(input, values):  # noqa: A002 (Triton's name)
    """Triton's hint that `input`'s values are multiples of `values`: `input` itself
    here (the code generator follows index blocks exactly)."""


@_builtin
def max_contiguous(input, values):  # noqa: A002 (Triton's name)
    """Triton's hint that `values` consecutive elements of `input` are consecutive
    integers: `input` itself here."""


@_builtin
def max_constancy(input, values):  # noqa: A002 (Triton's name)
    """Triton's hint that `values` consecutive elements of `input` are equal: `input`
    itself here."""


@_builtin
def static_assert(condition, msg=""):
    """A compile-time check: `condition` (a constexpr) must hold, else a CompileError
    with `msg` at this line."""


@_builtin
def sum(input, axis=None, keep_dims=False, dtype=None):  # noqa: A001 (Triton's name)
    """Sum along `axis` (wrapping, in the input's dtype, or in `dtype` when given: the
    input is converted first); a 1-D block may omit it. `keep_dims` keeps the reduced
    dimension (size 1)."""


@_builtin
def max(input, axis=None, return_indices=False,  # noqa: A001 (Triton's name)
        return_indices_tie_break_left=True, keep_dims=False):
    """Maximum along `axis`; a 1-D block may omit it. `keep_dims` keeps the reduced
    dimension (size 1); `return_indices=True` returns (maximum, its index), as
    `argmax` with `tie_break_left=return_indices_tie_break_left`."""


@_builtin
def min(input, axis=None, return_indices=False,  # noqa: A001 (Triton's name)
        return_indices_tie_break_left=True, keep_dims=False):
    """Minimum along `axis`; a 1-D block may omit it. `keep_dims` keeps the reduced
    dimension (size 1); `return_indices=True` returns (minimum, its index)."""


@_builtin
def argmax(input, axis, tie_break_left=True, keep_dims=False):  # noqa: A002
    """The int32 index along `axis` of the maximum: of its first occurrence
    (`tie_break_left`), else its last."""


@_builtin
def argmin(input, axis, tie_break_left=True, keep_dims=False):  # noqa: A002
    """The int32 index along `axis` of the minimum: of its first occurrence
    (`tie_break_left`), else its last."""


__all__ = ["kernel", "jit", "constexpr", "dtype", "int8", "int16", "int32", "uint8",
           *BUILTINS]
