"""The vector unit of the golden interpreter: RVV 1.0 Zve32x semantics on numpy.

`state` holds the registers and CSRs, `arith` the element operations, `unit` what each
row of :mod:`oxcore.isa.ext.zve32x` calls (``vec.binary(...)``, ``vec.load_unit(...)``).
"""

from oxcore.isa.vector.state import VectorState, VType
from oxcore.isa.vector.unit import VectorUnit

__all__ = ["VectorState", "VType", "VectorUnit"]
