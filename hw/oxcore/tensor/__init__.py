"""The tensor engine (Xoxtensor): decoder, MAC array, requantizer and engine."""

from hw.oxcore.tensor.engine import TensorEngine

__all__ = ["TensorEngine"]
