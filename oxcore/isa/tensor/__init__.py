"""The tensor unit of the golden interpreter: Xoxtensor semantics on numpy.

`state` holds the tile registers and the tensor CSRs, `requant` the int8 epilogue of
``tst.b`` (the vector engine's fixed-point chain), `unit` what each row of
:mod:`oxcore.isa.ext.xoxtensor` calls (``tensor.multiply_accumulate(...)``).
"""

from oxcore.isa.tensor.requant import requantize
from oxcore.isa.tensor.state import TensorState
from oxcore.isa.tensor.unit import TensorUnit

__all__ = ["TensorState", "TensorUnit", "requantize"]
