"""The extensions OxCore implements, one module each, described once as data.

Each module defines one :class:`~oxcore.isa.extension.Extension`: its instruction rows
(mnemonic, format, fixed fields, operand syntax, semantics, summary and the row
attributes), its CSRs and register files, and the predicate that says whether a core
configuration has it. `oxcore.isa.isa_for` selects them per configuration.

Semantics are written in the semantics language (see :mod:`oxcore.isa.semantics`):
``x[r]`` reads a register as an unsigned 32-bit value, ``x[rd] = v`` writes
``v mod 2**32`` (writes to x0 are dropped; another register file an extension declares,
say ``v``, is read and written as ``v[vd]``, modulo its width), ``sx(v)`` is the signed
view of a 32-bit value, ``jump(t)`` sets the next pc (taking effect after the
instruction; the target is checked first, so a misaligned jump traps with no effect),
and ``load``/``store``/``csr_read``/``csr_write``/``ecall``/``ebreak`` are the effects
on the machine (a CSR an extension declares writable keeps what is written).
"""
