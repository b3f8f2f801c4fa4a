"""The library operators as `oxcore cosim` kernels (sw/kernels COMPILED_KERNELS): each
registry entry's launch (arguments, grid, constexprs) built as `make cosim` builds it,
with random inputs, run on the interpreter and its outputs checked against numpy, at
the default shape and at SHAPE= overrides; a SHAPE that empties an array is refused."""

from __future__ import annotations

import io

import pytest

from cosim.iss import Interpreter
from cosim.kernels import check_outputs, prepare
from oxcore.config import PRESETS
from oxcore.errors import OxCoreError
from sw.kernels import KERNELS

CASES = [("bias", None), ("bias", "77"), ("bias_scalar", None), ("bias_scalar", "4099"),
         ("matvec", None), ("matvec", "3,33"), ("transpose", None), ("transpose", "1,7"),
         ("transpose_i32", "5,3"), ("maxpool2d", None), ("maxpool2d", "2,7,9,5,3,3,2"),
         ("maxpool2d", "1,5,6,70,2,3,1")]


def _run_entry(name: str, shape: str | None, config_name: str, seed: int) -> None:
    """The registry entry's launch at `shape` on the interpreter, outputs vs numpy."""
    kernel = KERNELS[name]
    config = PRESETS[config_name]
    case = prepare(kernel, kernel.parse_shape(shape), config, seed=seed)
    interp = Interpreter(config, case.program, io.BytesIO(), io.BytesIO())
    stop = interp.run(5_000_000)
    assert stop.trap is None and stop.exit_code == 0
    check = check_outputs(case, interp.machine.read_bytes)
    assert check.ok, check.errors


@pytest.mark.parametrize("name,shape", CASES)
def test_registry_entry_runs_on_the_interpreter(name, shape):
    kernel = KERNELS[name]
    assert kernel.engines == ("vector",) and kernel.default_config == "vector"
    _run_entry(name, shape, "vector", seed=5)


def test_a_window_larger_than_the_image_is_refused():
    with pytest.raises(OxCoreError, match="makes array Z empty"):
        KERNELS["maxpool2d"].parse_shape("1,2,2,8,3,3,2")


def test_only_the_padding_may_be_zero():
    conv = KERNELS["conv2d"]
    assert conv.parse_shape("1,8,8,32,32,1,1,0")["P"] == 0  # a 1x1 conv has no padding
    with pytest.raises(OxCoreError, match=r"positive integers .* \(P may be 0\)"):
        conv.parse_shape("1,8,8,32,32,1,0,0")  # stride 0
    with pytest.raises(OxCoreError, match="positive integers M,N,K, got"):
        KERNELS["gemm"].parse_shape("64,0,64")


@pytest.mark.parametrize("shape", [None, "17,33,9", "40,8,96"])
def test_gemm_with_b_row_major_runs_on_the_interpreter(shape):
    """gemm_kn: B given as [K, N], loaded by tld.bt, against numpy's A @ B."""
    _run_entry("gemm_kn", shape, "tensor", seed=3)
