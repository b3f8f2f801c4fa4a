"""A quantized MLP on scikit-learn's 8x8 digits, run on OxCore's tensor engine.

    .venv/bin/python examples/digits_mlp.py              # the RTL, every test digit
    .venv/bin/python examples/digits_mlp.py --sim iss    # the golden interpreter

The network, 64 pixels -> 32 (ReLU) -> 10 classes, is trained in float with numpy
(full-batch gradient descent with momentum, fixed seed), then quantized the TFLite way:
int8 weights with one scale per layer, int32 biases at the input scale times the weight
scale, int8 activations, and between layers a fixed-point multiplier and shift (Q0.31,
tst.b's `tqmul`/`tqshift`). Each layer is one call of the library's `gemm_q` (sw/ops/
gemm.py: bias, ReLU and requantization fused into the tensor engine's GEMM); the class
is the largest int8 logit. The same integer network in numpy (`sw.ops.gemm.reference_q`)
must give the same logits, digit for digit; the float network's accuracy is printed
next to the quantized one's.

scikit-learn provides the dataset only: the `examples` extra, not installed by `make
venv` (``.venv/bin/pip install -c constraints.txt -e '.[examples]'``).
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sw.ops.gemm import reference_q, run_gemm_q  # noqa: E402

HIDDEN = 32
CLASSES = 10
PIXEL_SCALE = 7  # pixels 0..16 -> int8 0..112: x_q = 7 * pixel


@dataclass(frozen=True)
class FloatMlp:
    w1: np.ndarray  # [HIDDEN, 64] (a Linear layer's [out, in])
    b1: np.ndarray
    w2: np.ndarray  # [CLASSES, HIDDEN]
    b2: np.ndarray

    def hidden(self, x: np.ndarray) -> np.ndarray:
        return np.maximum(x @ self.w1.T + self.b1, 0)

    def logits(self, x: np.ndarray) -> np.ndarray:
        return self.hidden(x) @ self.w2.T + self.b2


@dataclass(frozen=True)
class QuantLayer:
    """One gemm_q call: int8 weights [out, in], int32 bias, the requantization."""

    weight: np.ndarray
    bias: np.ndarray
    multiplier: int
    shift: int
    relu: bool


def load_digits() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(train pixels, train labels, test pixels, test labels): 1,437 / 360 digits,
    pixels 0..16, a fixed split."""
    try:
        from sklearn.datasets import load_digits as sklearn_digits
    except ImportError:
        raise SystemExit("digits_mlp: needs scikit-learn for the dataset: "
                         ".venv/bin/pip install -c constraints.txt -e '.[examples]'") from None
    digits = sklearn_digits()
    order = np.random.default_rng(0).permutation(len(digits.target))
    x, y = digits.data[order].astype(np.int64), digits.target[order]
    split = len(y) * 4 // 5
    return x[:split], y[:split], x[split:], y[split:]


def train(x: np.ndarray, y: np.ndarray, epochs: int = 400, rate: float = 0.5,
          momentum: float = 0.9) -> FloatMlp:
    """Softmax cross-entropy, full batch, inputs scaled to 0..1."""
    rng = np.random.default_rng(1)
    inputs = x / 16.0
    params = [rng.normal(0, 0.2, (HIDDEN, 64)), np.zeros(HIDDEN),
              rng.normal(0, 0.2, (CLASSES, HIDDEN)), np.zeros(CLASSES)]
    velocity = [np.zeros_like(p) for p in params]
    onehot = np.eye(CLASSES)[y]
    for _ in range(epochs):
        w1, b1, w2, b2 = params
        pre = inputs @ w1.T + b1
        hidden = np.maximum(pre, 0)
        logits = hidden @ w2.T + b2
        prob = np.exp(logits - logits.max(axis=1, keepdims=True))
        prob /= prob.sum(axis=1, keepdims=True)
        d_logits = (prob - onehot) / len(y)
        d_hidden = (d_logits @ w2) * (pre > 0)
        grads = [d_hidden.T @ inputs, d_hidden.sum(0), d_logits.T @ hidden, d_logits.sum(0)]
        for p, v, g in zip(params, velocity, grads):
            v *= momentum
            v -= rate * g
            p += v
    return FloatMlp(*params)


def quantize_multiplier(real: float) -> tuple[int, int]:
    """(M, shift) with real = M / 2**31 / 2**shift, M in [2**30, 2**31): tst.b's
    tqmul and tqshift for a rescale factor 0 < real < 1."""
    if not 0 < real < 1:
        raise ValueError(f"rescale factor {real} outside (0, 1)")
    shift = 0
    while real * 2 ** shift < 0.5:
        shift += 1
    multiplier = round(real * 2 ** shift * 2 ** 31)
    if multiplier == 2 ** 31:  # rounded up to 1.0
        multiplier, shift = 2 ** 30, shift - 1
    return multiplier, shift


def quantize(model: FloatMlp, x_train: np.ndarray) -> list[QuantLayer]:
    """Per-layer symmetric int8 weights; activations' scales calibrated on the training
    set (zero point 0: the hidden layer is a ReLU's output, the logits are compared)."""
    input_scale = 1 / (16 * PIXEL_SCALE)  # x / 16 = x_q * input_scale
    hidden_scale = model.hidden(x_train / 16).max() / 127
    logit_scale = np.abs(model.logits(x_train / 16)).max() / 127
    layers = []
    scale_in = input_scale
    for weight, bias, scale_out, relu in ((model.w1, model.b1, hidden_scale, True),
                                          (model.w2, model.b2, logit_scale, False)):
        weight_scale = np.abs(weight).max() / 127
        weight_q = np.clip(np.round(weight / weight_scale), -127, 127).astype(np.int8)
        bias_q = np.round(bias / (scale_in * weight_scale)).astype(np.int32)
        multiplier, shift = quantize_multiplier(scale_in * weight_scale / scale_out)
        layers.append(QuantLayer(weight_q, bias_q, multiplier, shift, relu))
        scale_in = scale_out
    return layers


def run_on_oxcore(layers: list[QuantLayer], pixels: np.ndarray, sim: str) -> np.ndarray:
    """int8 logits of each digit, each layer one gemm_q launch (`sim` iss or rtl)."""
    activation = (pixels * PIXEL_SCALE).astype(np.int8)
    for layer in layers:
        activation = run_gemm_q(activation, layer.weight, layer.bias, layer.multiplier,
                                layer.shift, 0, layer.relu, sim=sim)
    return activation


def run_in_numpy(layers: list[QuantLayer], pixels: np.ndarray) -> np.ndarray:
    """The same integer network in numpy (the library's reference of gemm_q)."""
    activation = (pixels * PIXEL_SCALE).astype(np.int8)
    for layer in layers:
        activation = reference_q(activation, layer.weight, layer.bias, layer.multiplier,
                                 layer.shift, 0, layer.relu)
    return activation


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sim", choices=("iss", "rtl"), default="rtl",
                        help="the golden interpreter or the RTL in lockstep (default)")
    parser.add_argument("--samples", type=int, default=None,
                        help="test digits to classify (default: all 360)")
    args = parser.parse_args(argv)
    x_train, y_train, x_test, y_test = load_digits()
    if args.samples is not None:
        x_test, y_test = x_test[:args.samples], y_test[:args.samples]
    model = train(x_train, y_train)
    layers = quantize(model, x_train)
    logits = run_on_oxcore(layers, x_test, args.sim)
    expected = run_in_numpy(layers, x_test)
    same = np.array_equal(logits, expected)
    predicted = logits.argmax(axis=1)
    float_accuracy = (model.logits(x_test / 16).argmax(axis=1) == y_test).mean()
    print(f"digits MLP 64-{HIDDEN}-{CLASSES}, int8, {len(y_test)} test digits on OxCore "
          f"({args.sim}): accuracy {100 * (predicted == y_test).mean():.1f}% "
          f"(float model: {100 * float_accuracy:.1f}%)")
    print(f"logits {'match' if same else 'DIFFER FROM'} the integer network in numpy"
          + ("" if same else f" ({int((logits != expected).any(axis=1).sum())} digits)"))
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
