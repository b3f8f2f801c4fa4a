"""RV32M: integer multiplication and division (unprivileged spec, chapter 13)."""

from __future__ import annotations

from oxcore.isa.ext.common import op
from oxcore.isa.extension import Extension
from oxcore.isa.instruction import Instruction

INSTRUCTIONS: tuple[Instruction, ...] = (
    op("mul", "RV32M", 0b000, 0b0000001, "x[rd] = x[rs1] * x[rs2]",
        "multiply, low 32 bits"),
    op("mulh", "RV32M", 0b001, 0b0000001, "x[rd] = (sx(x[rs1]) * sx(x[rs2])) >> 32",
        "multiply signed x signed, high 32 bits"),
    op("mulhsu", "RV32M", 0b010, 0b0000001, "x[rd] = (sx(x[rs1]) * x[rs2]) >> 32",
        "multiply signed x unsigned, high 32 bits"),
    op("mulhu", "RV32M", 0b011, 0b0000001, "x[rd] = (x[rs1] * x[rs2]) >> 32",
        "multiply unsigned x unsigned, high 32 bits"),
    op("div", "RV32M", 0b100, 0b0000001, "x[rd] = div(sx(x[rs1]), sx(x[rs2]))",
        "divide signed, rounding toward zero (x/0 = -1, INT_MIN/-1 = INT_MIN)"),
    op("divu", "RV32M", 0b101, 0b0000001, "x[rd] = divu(x[rs1], x[rs2])",
        "divide unsigned (x/0 = 2**32-1)"),
    op("rem", "RV32M", 0b110, 0b0000001, "x[rd] = rem(sx(x[rs1]), sx(x[rs2]))",
        "remainder signed, sign of dividend (x%0 = x, INT_MIN%-1 = 0)"),
    op("remu", "RV32M", 0b111, 0b0000001, "x[rd] = remu(x[rs1], x[rs2])",
        "remainder unsigned (x%0 = x)"),
)

RV32M = Extension("RV32M", "m", INSTRUCTIONS)
