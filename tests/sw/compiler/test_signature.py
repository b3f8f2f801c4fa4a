"""Launch signatures: `x:*i8,n:i32,BLOCK=64` -> IR types and constexpr values."""

from __future__ import annotations

from xdsl.dialects.builtin import i32

from sw.compiler.dialect import PointerType, i8, i16, ui8
from sw.compiler.signature import parse_signature


def test_types_and_constexprs() -> None:
    signature = parse_signature(" a:*i8, b : *u8 ,c:*i16,n:i32,s:i16, BLOCK=64, "
                                "MASKED=true,SHIFT=-2,WIDTH=0x10")
    assert signature.types == {"a": PointerType(i8), "b": PointerType(ui8),
                               "c": PointerType(i16), "n": i32, "s": i16}
    assert signature.constexprs == {"BLOCK": 64, "MASKED": True, "SHIFT": -2, "WIDTH": 16}


def test_empty_signature() -> None:
    signature = parse_signature("")
    assert (signature.types, signature.constexprs) == ({}, {})
