"""The vector engine (RVV 1.0 Zve32x): decoder, lanes and sequencer (`engine`)."""

from hw.oxcore.vector.engine import VectorEngine

__all__ = ["VectorEngine"]
