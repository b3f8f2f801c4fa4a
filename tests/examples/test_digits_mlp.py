"""examples/digits_mlp.py: the quantized MLP's two gemm_q layers on OxCore give the
integer network's logits in numpy, on the interpreter and in lockstep on the RTL.

The pipeline (train, quantize, launch, compare) runs on synthetic 8x8 "digits" (a
random teacher network labels random pixels) so that it needs nothing beyond the
product's dependencies; with scikit-learn installed (the `examples` extra) the real
digits are classified too and the accuracy checked."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "digits_mlp.py"


@pytest.fixture(scope="module")
def mlp():
    spec = importlib.util.spec_from_file_location("digits_mlp", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def _synthetic(count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    pixels = rng.integers(0, 17, (count, 64))
    teacher = rng.normal(0, 1, (10, 64))
    return pixels, (pixels @ teacher.T).argmax(axis=1)


def test_quantized_multiplier_represents_the_scale(mlp):
    for real in (0.9999, 0.5, 0.37, 1e-3, 3.1e-6):
        multiplier, shift = mlp.quantize_multiplier(real)
        assert 2**30 <= multiplier < 2**31 and shift >= 0
        assert abs(multiplier / 2**31 / 2**shift - real) <= real * 2**-30
    with pytest.raises(ValueError):
        mlp.quantize_multiplier(1.5)


@pytest.mark.parametrize("sim", ["iss", "rtl"])
def test_the_network_on_oxcore_gives_numpys_logits(mlp, sim):
    x_train, y_train = _synthetic(400, 1)
    model = mlp.train(x_train, y_train, epochs=60)
    layers = mlp.quantize(model, x_train)
    x_test = _synthetic(24 if sim == "iss" else 8, 2)[0]
    logits = mlp.run_on_oxcore(layers, x_test, sim)
    assert logits.dtype == np.int8 and logits.shape == (len(x_test), 10)
    assert np.array_equal(logits, mlp.run_in_numpy(layers, x_test))
    assert len(np.unique(logits)) > 10  # not all saturated or clamped


def test_real_digits_accuracy(mlp, capsys):
    pytest.importorskip("sklearn", reason="the digits dataset needs scikit-learn (the "
                        "`examples` extra)")
    assert mlp.main(["--sim", "iss", "--samples", "120"]) == 0
    out = capsys.readouterr().out
    accuracy = float(out.split("accuracy ")[1].split("%")[0])
    assert accuracy > 90 and "logits match the integer network in numpy" in out
