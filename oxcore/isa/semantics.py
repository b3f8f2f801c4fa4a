"""The semantics language of the ISA table, and its lowering to executable Python.

Each instruction's `semantics` (rows in :mod:`oxcore.isa.ext`) is a few lines of Python
over:

- ``x[r]``: register r as an unsigned 32-bit value; ``x[rd] = v`` writes ``v mod 2**32``,
  and a write to x0 is dropped (its value is still computed: a load to x0 still loads);
- ``f[r]`` for any other register file ``f`` an extension declares (``v[vd]``): the
  same, modulo ``2**width`` of that file (the configuration decides the width);
- ``pc`` and the operand fields (``rd``, ``rs1``, ``imm``, ``shamt``, ``csr``, ...);
- ``jump(t)``: the next pc is t (checked for alignment before any effect);
- ``load(a, n)``, ``store(a, n, v)``, ``csr_read(c)``, ``csr_write(c, v)``, ``ecall()``,
  ``ebreak()``: effects on the machine (see :class:`cosim.iss.machine.Machine`); a CSR
  an extension declares writable keeps the value written;
- pure helpers defined below: ``sx``, ``sext``, ``div``, ``divu``, ``rem``, ``remu``;
- ``unit.method(...)``: a call into the state of an extension's engine (the vector
  unit is ``vec``, :mod:`oxcore.isa.vector`), which owns that engine's registers and
  CSRs; the pc is passed last, so a trap names the instruction.

`lower` turns one instruction's semantics into statements for either the readable
reference interpreter (operands are variables) or the block translator (operands are
constants folded in). Both come from the same text, so they cannot disagree.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from functools import cache

from typing import TYPE_CHECKING

from oxcore.isa.kinds import XREG

if TYPE_CHECKING:
    from oxcore.isa.instruction import Instruction

MASK32 = 0xFFFF_FFFF
SIGN32 = 0x8000_0000


def sx(value: int) -> int:
    """Signed view of a 32-bit value."""
    return (value ^ SIGN32) - SIGN32


def sext(value: int, bits: int) -> int:
    """Sign-extend the low `bits` bits of `value`."""
    sign = 1 << (bits - 1)
    return ((value & ((1 << bits) - 1)) ^ sign) - sign


def div(a: int, b: int) -> int:
    """Signed division rounding toward zero; x/0 = -1; INT_MIN/-1 = INT_MIN (wraps)."""
    if b == 0:
        return -1
    q = abs(a) // abs(b)
    return -q if (a < 0) != (b < 0) else q


def divu(a: int, b: int) -> int:
    """Unsigned division; x/0 = 2**32 - 1."""
    return a // b if b else MASK32


def rem(a: int, b: int) -> int:
    """Signed remainder with the dividend's sign; x%0 = x; INT_MIN%-1 = 0."""
    if b == 0:
        return a
    r = abs(a) % abs(b)
    return -r if a < 0 else r


def remu(a: int, b: int) -> int:
    """Unsigned remainder; x%0 = x."""
    return a % b if b else a


PURE_HELPERS = {"sx": sx, "sext": sext, "div": div, "divu": divu, "rem": rem, "remu": remu}

# Effect functions: the lowered code passes the instruction's pc so a trap names it.
EFFECTS_WITH_PC = {"csr_read", "csr_write", "ecall", "ebreak"}


@dataclass(frozen=True)
class Traits:
    """What the interpreter needs to know of an instruction, from its row attributes."""

    writes_rd: bool  # assigns x[rd]
    jumps: bool  # control flow: ends a translated block
    memory: str | None  # "load", "store" or None
    environment: bool  # ecall/ebreak/csr/engine-unit access: must see exact machine state


@cache
def _parse(semantics: str) -> ast.Module:
    return ast.parse(semantics)


def calls(semantics: str) -> frozenset[str]:
    """Names of the functions the semantics call (effects and helpers)."""
    return frozenset(node.func.id for node in ast.walk(_parse(semantics))
                     if isinstance(node, ast.Call) and isinstance(node.func, ast.Name))


def _is_unit_call(node: ast.AST) -> bool:
    """``unit.method(...)``: a call into an engine's state."""
    return (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Name))


def unit_calls(semantics: str) -> frozenset[str]:
    """Names of the engine units the semantics call (``vec`` for ``vec.binary(...)``)."""
    return frozenset(node.func.value.id for node in ast.walk(_parse(semantics))
                     if _is_unit_call(node))


@cache
def register_accesses(semantics: str) -> tuple[dict[str, tuple[str, ...]],
                                               dict[str, tuple[str, ...]]]:
    """(reads, writes): register file name -> operand names indexed, in text order.

    ``x[rs1]`` read, ``x[rd] = ...`` written: the semantics are the one statement of
    which registers an instruction uses, so nothing restates it.
    """
    reads: dict[str, list[str]] = {}
    writes: dict[str, list[str]] = {}
    for node in ast.walk(_parse(semantics)):
        if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) \
                and isinstance(node.slice, ast.Name):
            side = writes if isinstance(node.ctx, ast.Store) else reads
            names = side.setdefault(node.value.id, [])
            if node.slice.id not in names:
                names.append(node.slice.id)
    return ({k: tuple(v) for k, v in reads.items()}, {k: tuple(v) for k, v in writes.items()})


@cache
def traits(ins: "Instruction") -> Traits:
    return Traits("rd" in ins.writes.get("x", ()), ins.flow is not None,
                  ins.memory.kind if ins.memory else None,
                  bool(calls(ins.semantics) & EFFECTS_WITH_PC)
                  or bool(unit_calls(ins.semantics)))


def _is_x(node: ast.AST) -> bool:
    return (isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name)
            and node.value.id == "x")


def _register_file_name(node: ast.AST) -> str | None:
    """The register file a subscript target writes (``v`` for ``v[vd] = ...``)."""
    if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name):
        return node.value.id
    return None


class _Operand(str):
    """A known operand whose value is filled in later by `str.format` (template)."""


class _Lowering(ast.NodeTransformer):
    """Rewrites semantics into plain Python over `x`, `npc` and machine helpers.

    `consts` binds pc and operand names to values: an int (folded in), or an `_Operand`
    (becomes a ``{name}`` template field: a known constant, non-zero for registers).
    Names not in `consts` stay variables (reference interpreter).
    `aligned_jump` says a constant jump target is known to be 4-byte aligned.
    """

    def __init__(self, consts: dict[str, int | _Operand], aligned_jump: bool) -> None:
        self.consts = consts
        self.aligned_jump = aligned_jump

    def _bound(self, name: str) -> ast.expr:
        value = self.consts.get(name)
        if isinstance(value, _Operand):
            return ast.Name(f"__operand_{name}", ast.Load())
        if value is not None:
            return ast.Constant(value)
        return ast.Name(name, ast.Load())

    def visit_Name(self, node: ast.Name) -> ast.expr:
        if isinstance(node.ctx, ast.Load) and node.id in self.consts:
            return self._bound(node.id)
        return node

    def _pc(self) -> ast.expr:
        return self._bound("pc")

    def visit_Subscript(self, node: ast.Subscript) -> ast.expr:
        node = self.generic_visit(node)
        # x[0] reads as constant 0 once the index is known.
        if _is_x(node) and isinstance(node.ctx, ast.Load) and \
                isinstance(node.slice, ast.Constant) and node.slice.value == 0:
            return ast.Constant(0)
        return node

    def visit_Call(self, node: ast.Call) -> ast.expr:
        node = self.generic_visit(node)
        name = node.func.id if isinstance(node.func, ast.Name) else None
        if name == "sx":  # inline the hot helpers: same definitions, no call overhead
            return _expr(f"(({_src(node.args[0])}) ^ {SIGN32}) - {SIGN32}")
        if name == "sext" and isinstance(node.args[1], ast.Constant):
            bits = node.args[1].value
            sign = 1 << (bits - 1)
            return _expr(f"(({_src(node.args[0])}) & {(1 << bits) - 1} ^ {sign}) - {sign}")
        if name == "load":
            size = node.args[1].value
            return _expr(f"load{size}({_src(node.args[0])}, {_src(self._pc())})")
        if name == "store":
            size = node.args[1].value
            return _expr(f"store{size}({_src(node.args[0])}, {_src(node.args[2])}, "
                         f"{_src(self._pc())})")
        if name in EFFECTS_WITH_PC or _is_unit_call(node):
            node.args.append(self._pc())
        return node

    def visit_Expr(self, node: ast.Expr) -> ast.stmt:
        call = node.value
        if isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and \
                call.func.id == "jump":
            target = self.visit(call.args[0])
            if _is_constant(target):
                folded = _fold(target)
                if folded is not None and folded % 4 == 0:  # aligned constant: no check
                    return _stmt(f"npc = {folded & MASK32}")
                if folded is None and self.aligned_jump:
                    return _stmt(f"npc = ({_src(target)}) & {MASK32}")
            return _stmt(f"npc = jump_target({_src(target)}, {_src(self._pc())})")
        return self.generic_visit(node)

    def visit_Assign(self, node: ast.Assign) -> ast.stmt | list[ast.stmt]:
        target = node.targets[0]
        regfile = _register_file_name(target)
        if regfile is not None and regfile != "x":  # no zero register: mask to its width
            value = _src(self.visit(node.value))
            index = _src(self.visit(target.slice))
            return _stmt(f"{regfile}[{index}] = ({value}) & {register_mask(regfile)}")
        if not _is_x(target):
            return self.generic_visit(node)
        value = _src(self.visit(node.value))
        index = self.visit(target.slice)
        if isinstance(index, ast.Constant) and index.value == 0:
            return _stmt(f"_ = {value}")  # x0: evaluate for effects, drop the result
        if isinstance(index, ast.Constant) or index.id.startswith("__operand_"):
            return _stmt(f"x[{_src(index)}] = ({value}) & {MASK32}")
        idx = _src(index)
        return [_stmt(f"_v = {value}"), _stmt(f"if {idx}:\n    x[{idx}] = _v & {MASK32}")]


def register_mask(regfile: str) -> str:
    """Name of the width mask of register file `regfile` in the helper namespace."""
    return f"__mask_{regfile}"


def _is_constant(node: ast.expr) -> bool:
    """No register, call or free variable: only constants and template operands."""
    return not any(isinstance(n, (ast.Call, ast.Subscript)) or
                   (isinstance(n, ast.Name) and not n.id.startswith("__operand_"))
                   for n in ast.walk(node))


def _fold(node: ast.expr) -> int | None:
    """The value of a constant expression without template operands, else None."""
    if any(isinstance(n, ast.Name) for n in ast.walk(node)):
        return None
    expression = ast.fix_missing_locations(ast.Expression(node))
    return eval(compile(expression, "<fold>", "eval"), {"__builtins__": {}})


def _src(node: ast.AST) -> str:
    return ast.unparse(node)


def _expr(text: str) -> ast.expr:
    return ast.parse(text, mode="eval").body


def _stmt(text: str) -> ast.stmt:
    return ast.parse(text).body[0]


def _lower(semantics: str, consts: dict[str, int | _Operand], aligned_jump: bool) -> str:
    lowering = _Lowering(consts, aligned_jump)
    body: list[ast.stmt] = []
    for stmt in ast.parse(semantics).body:  # a fresh tree: the transformer edits in place
        lowered = lowering.visit(stmt)
        body.extend(lowered if isinstance(lowered, list) else [lowered])
    return ast.unparse(ast.fix_missing_locations(ast.Module(body=body, type_ignores=[])))


def lower(ins: Instruction) -> str:
    """Statements for the reference interpreter: `pc` and operands are variables."""
    return _lower(ins.semantics, {}, aligned_jump=False)


@cache
def _template(ins: Instruction, zero_registers: frozenset[str], aligned_jump: bool) -> str:
    """Lowered statements with ``{field}`` holes; registers known to be x0 folded in."""
    consts: dict[str, int | _Operand] = {"pc": _Operand("pc")}
    for field in ins.operands:
        consts[field.name] = 0 if field.name in zero_registers else _Operand(field.name)
    text = _lower(ins.semantics, consts, aligned_jump)
    if "{" in text or "}" in text:
        raise ValueError(f"{ins.mnemonic}: braces in lowered semantics break templates")
    return re.sub(r"__operand_(\w+)", r"({\1})", text)


def lower_constant(ins: Instruction, values: dict[str, int]) -> str:
    """Statements for one instruction at a known pc with known operands (translator)."""
    zero = frozenset(f.name for f in ins.operands if f.kind == XREG and values[f.name] == 0)
    aligned = values.get("imm", 0) % 4 == 0 and values["pc"] % 4 == 0
    return _template(ins, zero, aligned).format(**values)
