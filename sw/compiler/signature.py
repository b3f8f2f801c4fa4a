"""Launch signatures: what a kernel is specialised on.

``x:*i8,y:*i8,n:i32,BLOCK=64`` gives each runtime parameter its type (``*T``: a pointer
to T) and each constexpr parameter its value. Pointer element types: i8, i16, i32, u8;
scalar types: i8, i16, i32; constexpr values: integers, ``true``/``false``, ``None``
and quoted strings (``ACTIVATION="relu"``). A runtime parameter given a value instead
of a type is specialised on it (Triton specialises a launch on integer arguments equal
to 1, and on None): the kernel is compiled with that constant, and takes no argument
for it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from xdsl.dialects.builtin import IntegerType, i32
from xdsl.ir import Attribute

from oxcore.errors import OxCoreError
from sw.compiler.dialect import PointerType, i8, i16, ui8

POINTEE_TYPES: dict[str, IntegerType] = {"i8": i8, "i16": i16, "i32": i32, "u8": ui8}
SCALAR_TYPES: dict[str, IntegerType] = {"i8": i8, "i16": i16, "i32": i32}
Constexpr = int | bool | str | None
_ENTRY = re.compile(r"^\s*([A-Za-z_]\w*)\s*(?::\s*(\*?)\s*(\w+)|=\s*(\S(?:.*\S)?))\s*$")


class SignatureError(OxCoreError):
    """A malformed --signature, or one that does not fit the kernel's parameters."""


@dataclass(frozen=True)
class Signature:
    """Runtime parameter types (IR types) and constexpr values, by parameter name."""

    types: dict[str, Attribute]
    constexprs: dict[str, Constexpr]
    text: str = ""

    def __str__(self) -> str:
        return self.text


def _constexpr_value(name: str, text: str) -> Constexpr:
    if text in ("true", "True"):
        return True
    if text in ("false", "False"):
        return False
    if text == "None":
        return None
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    try:
        return int(text, 0)
    except ValueError:
        raise SignatureError(f"--signature: constexpr {name}={text} is not an integer, "
                             f"true/false, None or a quoted string") from None


def constexpr_text(value: Constexpr) -> str:
    """How `value` is written in a signature (`_constexpr_value` reads it back)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "None"
    if isinstance(value, str):
        if any(c in value for c in ",'\"") or value != value.strip() \
                or not value.isprintable():
            raise SignatureError(f"constexpr string {value!r}: a signature's strings "
                                 f"cannot hold commas, quotes, control characters or "
                                 f"surrounding spaces")
        return f'"{value}"'
    return str(int(value))


def _runtime_type(name: str, star: str, type_text: str) -> Attribute:
    table = POINTEE_TYPES if star else SCALAR_TYPES
    if type_text not in table:
        allowed = ", ".join(("*" if star else "") + t for t in table)
        raise SignatureError(f"--signature: {name} has unsupported type "
                             f"'{star}{type_text}' (supported: {allowed})")
    return PointerType(table[type_text]) if star else table[type_text]


def parse_signature(text: str) -> Signature:
    """`x:*i8,n:i32,BLOCK=64` -> Signature; errors name the offending entry."""
    types: dict[str, Attribute] = {}
    constexprs: dict[str, Constexpr] = {}
    for entry in filter(str.strip, text.split(",")):
        match = _ENTRY.match(entry)
        if match is None:
            raise SignatureError(f"--signature: cannot read '{entry.strip()}' (expected "
                                 f"NAME:TYPE, NAME:*TYPE or NAME=VALUE)")
        name, star, type_text, value = match.groups()
        if name in types or name in constexprs:
            raise SignatureError(f"--signature: {name} is given twice")
        if value is not None:
            constexprs[name] = _constexpr_value(name, value)
        else:
            types[name] = _runtime_type(name, star, type_text)
    return Signature(types, constexprs, text)
