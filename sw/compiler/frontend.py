"""The front end: a kernel's Python AST -> `oxcore_block` IR for one signature.

The kernel is never run. Its source (``inspect.getsource``) is parsed with ``ast`` and
walked statement by statement, as Triton's code generator does:

- constexpr parameters, integer literals and expressions of them are Python values,
  computed here (``BLOCK * 2`` is a number by the time an op sees it; an ``if`` on a
  constexpr keeps one branch);
- everything else becomes SSA values: scalars in ``arith``, blocks in ``oxcore_block``,
  ``for ... in range`` in ``scf.for`` and ``if`` on a runtime scalar in ``scf.if``, with
  the variables they reassign carried as loop arguments and results;
- operands meet by Triton's rules: a literal takes the other side's type, scalars are
  splatted to blocks, blocks broadcast NumPy-style, differing integer types promote.

Each op records the source location it came from; every rejection is a
:class:`CompileError` at the user's file:line:col.
"""

from __future__ import annotations

import ast
import builtins
import inspect
import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from types import ModuleType
from typing import Any

from xdsl.dialects import arith, func, scf
from xdsl.dialects.builtin import (FileLineColLoc, IntAttr, IntegerAttr, IntegerType, ModuleOp,
                                   Signedness, StringAttr, i1, i32)
from xdsl.ir import Attribute, Block, Operation, Region, SSAValue

from oxcore.errors import CompileError
from sw.compiler import dialect as ob
from sw.compiler import language as tl
from sw.compiler.dialect import BlockType, PointerType, TypeRuleError, i8, i16, ui8
from sw.compiler.signature import Signature
from sw.compiler.signs import never_negative

DTYPE_TYPES: dict[tl.dtype, IntegerType] = {tl.int8: i8, tl.int16: i16, tl.int32: i32,
                                            tl.uint8: ui8}
SCALAR_TYPES = (i1, i8, i16, i32)

_BINARY = {ast.Add: "add", ast.Sub: "sub", ast.Mult: "mul", ast.FloorDiv: "div",
           ast.Mod: "rem", ast.BitAnd: "and", ast.BitOr: "or", ast.BitXor: "xor",
           ast.LShift: "shl", ast.RShift: "shr"}
_PYTHON_BINARY: dict[str, Callable[[Any, Any], Any]] = {
    "add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
    "div": lambda a, b: a // b, "rem": lambda a, b: a % b, "and": lambda a, b: a & b,
    "or": lambda a, b: a | b, "xor": lambda a, b: a ^ b, "shl": lambda a, b: a << b,
    "shr": lambda a, b: a >> b, "max": lambda a, b: a if a >= b else b,
    "min": lambda a, b: a if a <= b else b}
_COMPARE = {ast.Eq: "eq", ast.NotEq: "ne", ast.Lt: "lt", ast.LtE: "le", ast.Gt: "gt",
            ast.GtE: "ge"}
_PYTHON_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "eq": lambda a, b: a == b, "ne": lambda a, b: a != b, "lt": lambda a, b: a < b,
    "le": lambda a, b: a <= b, "gt": lambda a, b: a > b, "ge": lambda a, b: a >= b}

#: What a variable a branch does not assign holds (None is a value: an optional pointer).
_UNBOUND = object()

#: Python built-ins a kernel may use: loops, and min/max as Triton maps them
#: (tl.minimum/tl.maximum on runtime values, Python's on constexprs).
PYTHON_BUILTINS = ("range", "min", "max")

#: Triton's tensor methods the front end takes: `x.sum(axis=1)` is `tl.sum(x, axis=1)`.
TENSOR_MEMBERS = ("sum", "max", "min", "reshape", "view", "trans", "permute",
                  "broadcast_to", "expand_dims", "cast")

Value = Any  # an SSAValue (runtime) or a Python int/bool/dtype/tuple (constexpr)


@dataclass(frozen=True)
class SourceMap:
    """Where the parsed snippet sits in its file, to report real lines and columns."""

    path: str
    first_line: int
    indent: int

    def location(self, node: ast.AST) -> tuple[int, int]:
        return (node.lineno + self.first_line - 1,  # type: ignore[attr-defined]
                node.col_offset + self.indent + 1)  # type: ignore[attr-defined]


def parse_kernel(kernel: tl.Kernel, path: str | None = None
                 ) -> tuple[ast.FunctionDef, SourceMap]:
    """The kernel's `def` node, and how its positions map to the file (named `path` in
    messages, by default the absolute path Python loaded it from)."""
    lines, first_line = inspect.getsourcelines(kernel.fn)
    source = "".join(lines)
    dedented = textwrap.dedent(source)
    indent = len(lines[0]) - len(lines[0].lstrip()) if dedented != source else 0
    tree = ast.parse(dedented)
    definition = tree.body[0]
    assert isinstance(definition, ast.FunctionDef)
    path = path or inspect.getsourcefile(kernel.fn) or "<kernel>"
    return definition, SourceMap(path, first_line, indent)


def is_constexpr(value: Value) -> bool:
    return not isinstance(value, SSAValue)


@dataclass(frozen=True)
class BlockPointer:
    """Triton's block pointer (`tl.make_block_ptr`): a tensor of `shape` at `base` with
    `strides`, and a block of `block_shape` at `offsets` in it (int32 values). A load or
    store through it is one through the pointer block it stands for; `boundary_check`
    masks the dimensions it names. In a loop its offsets are carried (`tl.advance`);
    the rest stays as it was made."""

    base: SSAValue
    shape: tuple[SSAValue, ...]
    strides: tuple[SSAValue, ...]
    offsets: tuple[SSAValue, ...]
    block_shape: tuple[int, ...]
    order: tuple[int, ...]

    def same_layout(self, other: "BlockPointer") -> bool:
        return (self.base, self.shape, self.strides, self.block_shape, self.order) == \
            (other.base, other.shape, other.strides, other.block_shape, other.order)


class KernelBuilder:
    """Walks one kernel's AST and appends IR to the current block."""

    def __init__(self, kernel: tl.Kernel, signature: Signature, path: str | None = None):
        self.kernel, self.signature = kernel, signature
        self.definition, self.source = parse_kernel(kernel, path)
        self.root_path = self.source.path  # (the kernel's file, as messages name it)
        closure = inspect.getclosurevars(kernel.fn).nonlocals
        self.globals: dict[str, Any] = {**kernel.fn.__globals__, **closure}
        self.env: dict[str, Value] = {}
        self.block: Block = Block()
        self.node: ast.AST = self.definition
        self.inlining: list[tl.Kernel] = []  # the helpers being inlined, outermost first
        self.call_sites: list[tuple[str, str]] = []  # theirs: (name, file:line:col)
        self.loop_depth = 0  # loops (runtime or unrolled) around the statement
        self.specialized: list[str] = []  # runtime parameters the signature fixes
        self.pointer_templates: dict[str, BlockPointer] = {}  # carried block pointers
        # boundary-checked block-pointer offsets, proved >= 0 once the kernel is built
        # (`refuse_negative_offsets`), each with the error to raise where it is not
        self.checked_offsets: list[tuple[SSAValue, CompileError]] = []

    # --- plumbing -----------------------------------------------------------------

    def error(self, message: str, node: ast.AST | None = None) -> CompileError:
        line, col = self.source.location(node or self.node)
        return CompileError(message, self.source.path, line, col)

    def error_here(self, message: str) -> CompileError:
        """`error` at the current node, with the helpers being inlined named as their
        callers would name them (`inline`), for an error raised after they return."""
        error = self.error(message)
        for name, called_at in reversed(self.call_sites):
            error = _in_helper(error, name, called_at)
        return error

    def emit(self, op: Operation) -> Operation:
        """Append `op` at the current source position."""
        line, col = self.source.location(self.node)
        op.location = FileLineColLoc(StringAttr(self.source.path), IntAttr(line), IntAttr(col))
        self.block.add_op(op)
        return op

    def build_op(self, factory: Callable[[], Operation]) -> SSAValue | None:
        """Construct (the op's type rule may reject it), emit, return its result."""
        try:
            op = factory()
        except TypeRuleError as exc:
            raise self.error(str(exc)) from None
        self.emit(op)
        return op.results[0] if op.results else None

    # --- the function -------------------------------------------------------------

    def build(self) -> ModuleOp:
        argument_types = self.bind_parameters()
        self.block = Block(arg_types=argument_types)
        runtime = [name for name in self.kernel.parameters if name in self.signature.types]
        self.bind(runtime, self.block.args)
        self.bind_specialized()
        body = self.definition.body
        if body and isinstance(body[-1], ast.Return) and body[-1].value is None:
            body = body[:-1]
        self.statements(body)
        self.node = self.definition
        self.emit(func.ReturnOp())
        self.refuse_negative_offsets()
        function = func.FuncOp(self.kernel.name, (argument_types, ()), Region(self.block))
        line, col = self.source.location(self.definition)
        function.location = FileLineColLoc(StringAttr(self.source.path), IntAttr(line),
                                           IntAttr(col))
        return ModuleOp([function])

    def bind_parameters(self) -> list[Attribute]:
        """Constexprs into the environment; the runtime parameters' IR types, in order."""
        arguments = self.definition.args
        if arguments.vararg or arguments.kwarg or arguments.kwonlyargs:
            raise self.error("kernels take plain positional parameters", self.definition)
        types: list[Attribute] = []
        for parameter in arguments.args:
            name = parameter.arg
            constexpr = parameter.annotation is not None and \
                self.resolve(parameter.annotation) is tl.constexpr
            if constexpr:
                if name not in self.signature.constexprs:
                    raise self.error(f"constexpr parameter '{name}' needs a value in the "
                                     f"signature ({name}=...)", parameter)
                self.env[name] = self.signature.constexprs[name]
            elif name in self.signature.types:
                types.append(self.signature.types[name])
            elif name in self.signature.constexprs:
                value = self.signature.constexprs[name]
                if value is not None and (isinstance(value, bool)
                                          or not isinstance(value, int)):
                    raise self.error(f"runtime parameter '{name}' can be fixed to an "
                                     f"integer or None in the signature (a launch's "
                                     f"specialisation), not {value!r}; annotate it "
                                     f"`: tl.constexpr` to pass other values", parameter)
                self.specialized.append(name)
            else:
                raise self.error(f"parameter '{name}' needs a type in the signature "
                                 f"({name}:*i8, {name}:i32, ...)", parameter)
        unknown = set(self.signature.types) | set(self.signature.constexprs)
        unknown -= {a.arg for a in arguments.args}
        if unknown:
            raise self.error(f"the signature names {', '.join(sorted(unknown))}, which "
                             f"'{self.kernel.name}' does not have", self.definition)
        return types

    def bind_specialized(self) -> None:
        """A runtime parameter the signature gives a value (a launch specialises on
        integer arguments equal to 1, and on None, as Triton's does): an integer is an
        int32 constant, a runtime value of the parameter's type whose value the passes
        know (an expression computes what it computes for any other argument: `x *
        scale` promotes int8 x to int32 either way); None stays a constexpr None, which
        `is None` tests."""
        self.node = self.definition
        for name in self.specialized:
            value = self.signature.constexprs[name]
            if value is None:
                self.env[name] = None
            else:
                self.bind([name], [self.to_value(value, i32)])

    def resolve(self, node: ast.expr) -> Any:
        """A global name or attribute chain (`tl.constexpr`, `tl.load`), or None."""
        if isinstance(node, ast.Name):
            if node.id in PYTHON_BUILTINS and node.id not in self.globals:
                return getattr(builtins, node.id)
            return self.globals.get(node.id)
        if isinstance(node, ast.Attribute):
            base = self.resolve(node.value)
            if isinstance(base, ModuleType):
                return getattr(base, node.attr, None)
        return None

    def bind(self, names: Sequence[str], values: Sequence[SSAValue]) -> None:
        """Variables `names` now hold `values` (which the IR prints under their names);
        a block pointer's carried offsets (`name.offN`, `expand_block_pointers`) make it
        again."""
        for name, value in zip(names, values):
            value.name_hint = name
            self.env[name] = value
        for name in _carried_pointers(names):
            template = self.pointer_templates[name]
            offsets = tuple(self.env[_offset_name(name, i)]
                            for i in range(len(template.offsets)))
            self.env[name] = replace(template, offsets=offsets)

    def expand_block_pointers(self, names: Sequence[str], ending: bool = False
                              ) -> list[str]:
        """The block pointers among `names`, carried through a loop as their offsets:
        hidden variables `name.offN` (names no kernel can write). At the loop body's
        end (`ending`) their other fields must be those the loop started with."""
        hidden = []
        for name in names:
            value = self.env.get(name)
            if not isinstance(value, BlockPointer):
                continue
            template = self.pointer_templates.get(name)
            if ending and template is not None and not template.same_layout(value):
                raise self.error(f"'{name}' is another block pointer after the loop's body: "
                                 f"a loop may only move it (tl.advance)")
            self.pointer_templates[name] = value
            for i, offset in enumerate(value.offsets):
                self.env[_offset_name(name, i)] = offset
                hidden.append(_offset_name(name, i))
        return hidden

    # --- statements ---------------------------------------------------------------

    def statements(self, body: Sequence[ast.stmt]) -> None:
        for index, statement in enumerate(body):
            self.node = statement
            if self.kernel_return(statement):
                return  # (what follows never runs)
            rest = list(body[index + 1:])
            if isinstance(statement, ast.If) and rest and (
                    self.may_return(statement.body) or self.may_return(statement.orelse)):
                self.statement(self.with_rest(statement, rest))
                return
            self.statement(statement)

    # A kernel's early `return` (Triton's `if pid >= n: return`): the statements after
    # an `if` that may return move into the branches that do not always return, so the
    # IR stays structured (`if`s, no jumps).

    def kernel_return(self, node: ast.stmt) -> bool:
        """A `return` that ends this program: in the kernel itself, outside loops."""
        return isinstance(node, ast.Return) and node.value is None and not self.inlining \
            and self.loop_depth == 0

    def may_return(self, body: Sequence[ast.stmt]) -> bool:
        return any(self.kernel_return(node) or isinstance(node, ast.If) and (
            self.may_return(node.body) or self.may_return(node.orelse)) for node in body)

    def always_returns(self, body: Sequence[ast.stmt]) -> bool:
        if not body:
            return False
        last = body[-1]
        return any(self.kernel_return(node) for node in body) \
            or isinstance(last, ast.If) and self.always_returns(last.body) \
            and self.always_returns(last.orelse)

    def with_rest(self, node: ast.If, rest: list[ast.stmt]) -> ast.If:
        """`node` with `rest` (what follows it) appended to each branch that may fall
        through."""
        body = node.body if self.always_returns(node.body) else node.body + rest
        orelse = node.orelse if self.always_returns(node.orelse) else node.orelse + rest
        return ast.copy_location(ast.If(test=node.test, body=body, orelse=orelse), node)

    def statement(self, node: ast.stmt) -> None:
        if isinstance(node, ast.Assign):
            value = self.expression(node.value)
            for target in node.targets:
                self.assign(target, value)
        elif isinstance(node, ast.AugAssign):
            self.node = node
            target = ast.Name(node.target.id, ast.Load()) if isinstance(node.target, ast.Name) \
                else None
            if target is None:
                raise self.error("only a variable can be the target of an augmented "
                                 "assignment", node.target)
            ast.copy_location(target, node.target)
            kind = self.op_kind(node.op, node)
            self.assign(node.target, self.binary(kind, self.expression(target),
                                                 self.expression(node.value)))
        elif isinstance(node, ast.Expr):
            if not (isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)):
                self.expression(node.value)
        elif isinstance(node, ast.For):
            self.for_loop(node)
        elif isinstance(node, ast.While):
            self.while_loop(node)
        elif isinstance(node, ast.If):
            self.if_statement(node)
        elif isinstance(node, ast.Pass):
            pass
        elif isinstance(node, ast.Return):
            if self.loop_depth and not self.inlining:
                raise self.error("'return' inside a loop is not supported (it would end "
                                 "the loop too: compute a flag and test it instead)", node)
            raise self.error("'return' is only allowed without a value in a kernel, and "
                             "as the last statement of a helper function, with its result",
                             node)
        else:
            raise self.error(f"unsupported statement '{type(node).__name__}' in a kernel",
                             node)

    def assign(self, target: ast.expr, value: Value) -> None:
        if isinstance(target, ast.Name):
            self.env[target.id] = value
        elif isinstance(target, ast.Tuple) and isinstance(value, tuple) \
                and len(target.elts) == len(value):
            for element, item in zip(target.elts, value):
                self.assign(element, item)
        else:
            raise self.error("unsupported assignment target (assign to a variable name)",
                             target)

    def for_loop(self, node: ast.For) -> None:
        """`for i in range(...)` -> scf.for; reassigned variables become loop-carried."""
        if not isinstance(node.target, ast.Name) or node.orelse:
            raise self.error("a kernel loop is `for NAME in range(...)`, without `else`", node)
        call = node.iter
        if isinstance(call, ast.Call) and self.resolve(call.func) is tl.static_range:
            self.unrolled_loop(node, call)
            return
        num_stages = None
        if isinstance(call, ast.Call) and self.resolve(call.func) is tl.range:
            values, num_stages = self.tl_range_arguments(call)
        elif isinstance(call, ast.Call) and self.resolve(call.func) is range \
                and 1 <= len(call.args) <= 3 and not call.keywords:
            values = [self.expression(a) for a in call.args]
        else:
            raise self.error("a kernel loop must iterate over range(...), tl.range(...) "
                             "or tl.static_range(...)", node.iter)
        if len(values) == 3 and is_constexpr(values[2]) and values[2] <= 0:
            raise self.error("range step must be positive", call.args[2])
        bounds = [self.scalar_i32(v, a) for v, a in zip(values, call.args)]
        self.node = node
        start, stop, step = (
            [self.constant_i32(0), bounds[0], self.constant_i32(1)] if len(bounds) == 1 else
            [*bounds, self.constant_i32(1)] if len(bounds) == 2 else bounds)
        carried, initial = self.carried_through(node.body)
        body = Block(arg_types=[i32, *(v.type for v in initial)])
        body.args[0].name_hint = node.target.id
        outer_block, outer_env = self.block, dict(self.env)
        self.block = body
        self.env[node.target.id] = body.args[0]
        self.bind(carried, body.args[1:])
        self.loop_body(node.body)
        self.yield_carried(node, carried, initial, body)
        self.block, self.env = outer_block, outer_env
        loop = self.emit(scf.ForOp(start, stop, step, initial, body))
        if num_stages is not None:
            loop.attributes[ob.NUM_STAGES] = IntegerAttr(num_stages, i32)
        self.bind(carried, loop.results)

    def tl_range_arguments(self, call: ast.Call) -> tuple[list[Value], int | None]:
        """`tl.range(start, end, step, num_stages=..., ...)`: its bounds, as range's,
        and its num_stages (a constexpr: 1 or more, or None)."""
        signature = inspect.signature(tl.range.__wrapped__)
        arguments = self.arguments(call, signature)
        values = [arguments[name] for name in ("arg1", "arg2", "step")
                  if arguments[name] is not None]
        if arguments["arg2"] is None and arguments["step"] is not None:
            raise self.error("tl.range with a step needs its end too", call)
        num_stages = arguments["num_stages"]
        if num_stages is not None:
            self.node = call
            num_stages = self.constexpr_int(num_stages, "tl.range's num_stages")
            if num_stages < 1:
                raise self.error(f"tl.range's num_stages must be 1 or more, got "
                                 f"{num_stages}", call)
        return values, num_stages

    def while_loop(self, node: ast.While) -> None:
        """`while cond:` -> scf.while: the condition in its `before` region, the body in
        its `after` region; variables the body reassigns are carried through both."""
        if node.orelse:
            raise self.error("a kernel's while loop has no `else`", node)
        carried, initial = self.carried_through(node.body)
        types = [v.type for v in initial]
        outer_block, outer_env = self.block, dict(self.env)
        before, after = Block(arg_types=types), Block(arg_types=types)
        self.block = before
        self.bind(carried, before.args)
        condition = self.expression(node.test)
        self.node = node
        if is_constexpr(condition):
            raise self.error("a while loop's condition must be a runtime value (a "
                             "constexpr one never or always holds: use an if or a for)",
                             node.test)
        if condition.type != i1:
            condition = self.truth(condition, node.test, "a `while` loop's")
        self.emit(scf.ConditionOp(condition, *before.args))
        self.block, self.env = after, dict(outer_env)
        self.bind(carried, after.args)
        self.loop_body(node.body)
        self.yield_carried(node, carried, initial, after)
        self.block, self.env = outer_block, outer_env
        loop = self.emit(scf.WhileOp(initial, types, Region(before), Region(after)))
        self.bind(carried, loop.results)

    def unrolled_loop(self, node: ast.For, call: ast.Call) -> None:
        """`for i in tl.static_range(a, b, step)`: the body once per value, `i` a constexpr
        (so blocks assigned in the body are plain values, not loop-carried)."""
        if call.keywords or not 1 <= len(call.args) <= 3:
            raise self.error("tl.static_range takes 1 to 3 positional bounds", call)
        bounds = []
        for argument in call.args:
            self.node = argument  # an error points at the bound
            bounds.append(self.constexpr_int(self.expression(argument),
                                             "a tl.static_range bound"))
        self.node = node
        if len(bounds) == 3 and bounds[2] <= 0:
            raise self.error("range step must be positive", call.args[2])
        for value in range(*bounds):
            self.env[node.target.id] = value
            self.loop_body(node.body)
            self.node = node

    def carried_through(self, body: Sequence[ast.stmt]) -> tuple[list[str], list[SSAValue]]:
        """The runtime variables a loop's `body` reassigns (carried through the loop) and
        their values before it; a constexpr it reassigns is an error."""
        assigned = assigned_names(body)
        hidden = self.expand_block_pointers(assigned)
        carried = [name for name in assigned + hidden
                   if name in self.env and not is_constexpr(self.env[name])]
        self.check_loop_constexprs(body)
        return carried, [self.env[name] for name in carried]

    def yield_carried(self, node: ast.stmt, carried: list[str], initial: list[SSAValue],
                      body: Block) -> None:
        """End a loop body with the yield of its carried variables' new values, each of
        the type it entered the loop with."""
        self.node = node
        pointers = _carried_pointers(carried)
        for name in pointers:
            if not isinstance(self.env.get(name), BlockPointer):
                raise self.error(f"'{name}' is no longer a block pointer at the end of the "
                                 f"loop's body", node)
        self.expand_block_pointers(pointers, ending=True)
        results = [self.materialize(self.env[name], before.type, body)
                   for name, before in zip(carried, initial)]
        for name, before, after in zip(carried, initial, results):
            if before.type != after.type:
                raise self.error(f"'{name}' changes type in the loop, from "
                                 f"{ob.type_name(before.type)} to {ob.type_name(after.type)}; "
                                 f"cast it with .to(...)", node)
        self.emit(scf.YieldOp(*results))

    def loop_body(self, body: Sequence[ast.stmt]) -> None:
        self.loop_depth += 1
        try:
            self.statements(body)
        finally:
            self.loop_depth -= 1

    def check_loop_constexprs(self, body: Sequence[ast.stmt]) -> None:
        """A constexpr reassigned in a loop would change every iteration: not allowed."""
        for name in assigned_names(body):
            if name in self.env and is_constexpr(self.env[name]) \
                    and not isinstance(self.env[name], BlockPointer):
                raise self.error(f"'{name}' is a compile-time constant and cannot be "
                                 f"reassigned in a loop; start it as a runtime value "
                                 f"(e.g. tl.zeros(...))", self.node)

    def if_statement(self, node: ast.If) -> None:
        condition = self.expression(node.test)
        if isinstance(condition, BlockPointer):
            raise self.error("an `if` on a block pointer: it is always there (test an "
                             "offset or a flag instead)", node.test)
        if is_constexpr(condition):
            self.statements(node.body if condition else node.orelse)
            return
        self.node = node
        if condition.type != i1:
            condition = self.truth(condition, node.test)
        outer_block, outer_env = self.block, dict(self.env)
        branches = []
        for body in (node.body, node.orelse):
            self.env = dict(outer_env)
            self.block = Block()
            self.statements(body)
            branches.append((self.block, self.env))
        self.block, self.env = outer_block, outer_env
        self.node = node
        # (after an `if` that may return nothing follows: `statements` moved it into
        # the branches that fall through; so nothing is merged)
        merged = [] if self.may_return(node.body) or self.may_return(node.orelse) \
            else self.merge_branches(node, outer_env, branches)
        types = [branches[0][1][name].type for name in merged]
        for block, env in branches:
            block.add_op(self._located(scf.YieldOp(*(env[name] for name in merged)), node))
        op = self.emit(scf.IfOp(condition, types, Region(branches[0][0]),
                                Region(branches[1][0])))
        self.bind(merged, op.results)

    def merge_branches(self, node: ast.If, outer: dict[str, Value],
                       branches: list[tuple[Block, dict[str, Value]]]) -> list[str]:
        """Variables an `if` changes that live on after it, of one type in both branches
        (a constexpr in one branch becomes a constant of the other's type)."""
        merged = []
        for name in dict.fromkeys(n for _, env in branches for n in env):
            values = [env.get(name, _UNBOUND) for _, env in branches]
            if any(v is _UNBOUND for v in values) or all(
                    v is outer.get(name, _UNBOUND) for v in values):
                continue  # new in one branch only (not visible after), or unchanged
            if any(isinstance(v, BlockPointer) for v in values) and values[0] != values[1]:
                merged += self.merge_block_pointer(node, name, branches)
                continue
            if all(is_constexpr(v) for v in values):
                if values[0] != values[1] or type(values[0]) is not type(values[1]):
                    raise self.error(f"'{name}' gets different compile-time values in the "
                                     f"branches of a runtime `if`: make it a runtime value",
                                     node)
                outer[name] = values[0]
                continue
            fixed = [v for v in values if is_constexpr(v) and not isinstance(v, (bool, int))]
            if fixed:  # (None, a string, a dtype: no runtime value can stand for it)
                raise self.error(f"'{name}' is {self.describe(fixed[0])} in one branch of a "
                                 f"runtime `if` and a runtime value in the other", node)
            runtime_type = next(v.type for v in values if not is_constexpr(v))
            for block, env in branches:
                env[name] = self.materialize(env[name], runtime_type, block)
            then_type, else_type = (env[name].type for _, env in branches)
            if then_type != else_type:
                raise self.error(f"'{name}' has type {ob.type_name(then_type)} in one branch "
                                 f"and {ob.type_name(else_type)} in the other", node)
            merged.append(name)
        return merged

    def merge_block_pointer(self, node: ast.If, name: str,
                            branches: list[tuple[Block, dict[str, Value]]]) -> list[str]:
        """A block pointer a branch moves (tl.advance): its offsets leave the `if` as
        hidden variables (`_offset_name`), from which `bind` makes it again; made anew
        in a branch (another base, shape, strides or block), it is an error."""
        (_, then_env), (_, else_env) = branches
        first, second = then_env[name], else_env[name]
        if not (isinstance(first, BlockPointer) and isinstance(second, BlockPointer)
                and first.same_layout(second)):
            raise self.error(f"'{name}' is a different block pointer after each branch of "
                             f"a runtime `if` (made there, or not a block pointer in one): "
                             f"make it before the `if` and only move it there (tl.advance)",
                             node)
        self.pointer_templates[name] = first
        hidden = []
        for i in range(len(first.offsets)):
            hidden.append(_offset_name(name, i))
            for block, env in branches:
                env[hidden[-1]] = self.materialize(env[name].offsets[i], i32, block)
        return hidden

    def materialize(self, value: Value, type_: Attribute, block: Block) -> SSAValue:
        """`value` as an IR value, a constexpr becoming a constant of `type_` in `block`."""
        if not is_constexpr(value):
            return value
        outer, self.block = self.block, block
        try:
            return self.to_value(value, type_)
        finally:
            self.block = outer

    def _located(self, op: Operation, node: ast.AST) -> Operation:
        line, col = self.source.location(node)
        op.location = FileLineColLoc(StringAttr(self.source.path), IntAttr(line), IntAttr(col))
        return op

    # --- expressions --------------------------------------------------------------

    def expression(self, node: ast.expr) -> Value:
        saved, self.node = self.node, node
        try:
            return self._expression(node)
        finally:
            self.node = saved

    def _expression(self, node: ast.expr) -> Value:
        if isinstance(node, ast.Constant):
            if node.value is None or isinstance(node.value, (bool, int, str)):
                return node.value  # (a string: a constexpr to compare, as Triton's)
            raise self.error(f"unsupported constant {node.value!r} (kernels compute on "
                             f"integers)")
        if isinstance(node, ast.Name):
            return self.name(node)
        if isinstance(node, (ast.Tuple, ast.List)):  # (a shape: Triton takes [BLOCK] too)
            return tuple(self.expression(e) for e in node.elts)
        if isinstance(node, ast.BinOp):
            if isinstance(node.op, ast.Div):
                raise self.error("'/' is true division; kernels use integer '//'")
            kind = self.op_kind(node.op, node)
            return self.binary(kind, self.expression(node.left), self.expression(node.right))
        if isinstance(node, ast.UnaryOp):
            return self.unary(node)
        if isinstance(node, ast.Compare):
            return self.compare(node)
        if isinstance(node, ast.BoolOp):
            return self.bool_op(node)
        if isinstance(node, ast.Call):
            return self.call(node)
        if isinstance(node, ast.Attribute):
            resolved = self.resolve(node)
            if resolved is not None:
                return resolved
            if self.resolve(node.value) is tl and node.attr.startswith(
                    ("float", "bfloat", "fp", "int", "uint", "bool")):
                raise self.error(f"unsupported dtype '{ast.unparse(node)}' (supported: "
                                 f"tl.int8, tl.int16, tl.int32, tl.uint8)")
            if not isinstance(self.resolve(node.value), ModuleType):
                return self.value_attribute(self.expression(node.value), node.attr)
            raise self.error(f"unknown name '{ast.unparse(node)}'")
        if isinstance(node, ast.Subscript):
            return self.subscript(node)
        raise self.error(f"unsupported expression '{ast.unparse(node)}' in a kernel")

    def value_attribute(self, value: Value, attribute: str) -> Value:
        """Triton's tensor attributes: `x.T`, `x.dtype` (a pointer's is a
        tl.pointer_type, whose `.element_ty` is what it points to), `x.shape`."""
        if isinstance(value, tl.pointer_type) and attribute == "element_ty":
            return value.element_ty
        if not is_constexpr(value):
            if attribute == "T":
                return self.tl_trans(value, ())
            if attribute == "shape":
                return ob.shape_of(value.type)
            if attribute == "dtype":
                return self.dtype_of(ob.element_of(value.type))
        members = ", ".join(f".{m}()" for m in TENSOR_MEMBERS)
        raise self.error(f"unsupported attribute '.{attribute}' of "
                         f"{self.describe(value)} (kernel values have .T, .dtype, .shape, "
                         f".to(dtype) and {members})")

    def dtype_of(self, element: Attribute) -> tl.dtype | tl.pointer_type:
        if isinstance(element, PointerType):
            return tl.pointer_type(self.dtype_of(element.pointee))
        for dtype, type_ in DTYPE_TYPES.items():
            if type_ == element:
                return dtype
        raise self.error(f"{ob.type_name(element)} values have no tl dtype (a mask: "
                         f"convert it with .to(tl.int8) first)")

    def op_kind(self, op: ast.operator, node: ast.AST) -> str:
        if type(op) not in _BINARY:
            raise self.error(f"unsupported operator '{type(op).__name__}'", node)
        return _BINARY[type(op)]

    def name(self, node: ast.Name) -> Value:
        if node.id in self.env:
            return self.env[node.id]
        if node.id in self.globals:
            value = self.globals[node.id]
            if isinstance(value, (bool, int, str, tl.dtype, ModuleType)) or callable(value):
                return value
            raise self.error(f"global '{node.id}' is a {type(value).__name__}; kernels "
                             f"can use integer and string globals, dtypes and tl functions")
        if node.id in PYTHON_BUILTINS:
            return getattr(builtins, node.id)
        raise self.error(f"undefined name '{node.id}'")

    def unary(self, node: ast.UnaryOp) -> Value:
        operand = self.expression(node.operand)
        if isinstance(node.op, ast.UAdd):
            return operand
        if isinstance(node.op, ast.USub):
            return -operand if is_constexpr(operand) else self.binary("sub", 0, operand)
        if isinstance(node.op, ast.Invert):
            if is_constexpr(operand):
                return ~operand
            if ob.element_of(operand.type) == i1:  # (a condition: logical not, Triton's)
                return self.binary("xor", operand, True)
            return self.binary("xor", operand, -1)
        if is_constexpr(operand):
            return not operand
        raise self.error("'not' on a runtime value: compare it instead (x == 0)")

    def compare(self, node: ast.Compare) -> Value:
        if len(node.ops) != 1:
            raise self.error("chained comparisons are not supported: combine two "
                             "comparisons with '&'")
        if isinstance(node.ops[0], (ast.Is, ast.IsNot)):
            return self.identity_test(node)
        kind = _COMPARE.get(type(node.ops[0]))
        if kind is None:
            raise self.error(f"unsupported comparison '{type(node.ops[0]).__name__}'")
        return self.binary(kind, self.expression(node.left),
                           self.expression(node.comparators[0]), compare=True)

    def identity_test(self, node: ast.Compare) -> bool:
        """`x is None` / `x is not None` (an optional argument, Triton's idiom): a
        compile-time answer; a runtime value is never None."""
        lhs, rhs = self.expression(node.left), self.expression(node.comparators[0])
        if lhs is not None and rhs is not None:
            raise self.error("'is' and 'is not' only test for None in a kernel (compare "
                             "values with == and !=)")
        same = lhs is rhs
        return same if isinstance(node.ops[0], ast.Is) else not same

    def bool_op(self, node: ast.BoolOp) -> Value:
        values = [self.expression(v) for v in node.values]
        if not all(is_constexpr(v) for v in values):
            raise self.error("'and'/'or' need compile-time values; combine runtime "
                             "conditions with '&' and '|'")
        result = values[0]
        for value in values[1:]:
            result = (result and value) if isinstance(node.op, ast.And) else (result or value)
        return result

    def subscript(self, node: ast.Subscript) -> Value:
        """`x[:, None]` / `x[None, :]`: insert size-1 dimensions; `x.shape[0]`: an item
        of a constexpr tuple."""
        value = self.expression(node.value)
        if isinstance(value, tuple):
            index = self.expression(node.slice)
            if not isinstance(index, int) or isinstance(index, bool) \
                    or not -len(value) <= index < len(value):
                raise self.error(f"index {self.describe(index)} of the constexpr tuple "
                                 f"{value!r}: expected an integer constexpr in range")
            return value[index]
        items = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        if is_constexpr(value) or not isinstance(value.type, BlockType):
            raise self.error("only blocks can be indexed, with ':' and 'None'")
        full = [i for i in items if isinstance(i, ast.Slice)]
        if any(not (isinstance(i, ast.Slice) and i.lower is i.upper is i.step is None)
               and not (isinstance(i, ast.Constant) and i.value is None) for i in items) \
                or len(full) != len(value.type.dims):
            raise self.error(f"a block index must be ':' once per dimension "
                             f"({len(value.type.dims)}) plus 'None' for new ones")
        for axis, item in enumerate(items):
            if isinstance(item, ast.Constant):
                value = self.build_op(lambda v=value, a=axis: ob.ExpandDimsOp(v, a))
        return value

    # --- operands meeting -----------------------------------------------------------

    def binary(self, kind: str, lhs: Value, rhs: Value, compare: bool = False) -> Value:
        """lhs <kind> rhs by Triton's rules; compile-time when both sides are."""
        if is_constexpr(lhs) and is_constexpr(rhs):
            return self.python_binary(kind, lhs, rhs, compare)
        if not compare and kind in ("add", "sub"):
            pointer = self.pointer_arithmetic(kind, lhs, rhs)
            if pointer is not None:
                return pointer
        lhs, rhs = self.unify(lhs, rhs, kind)
        if isinstance(lhs.type, BlockType):
            if compare:
                return self.build_op(lambda: ob.CmpOp(kind, lhs, rhs))
            return self.build_op(lambda: ob.BINARY_OPS[kind](lhs, rhs))
        if compare:
            return self.build_op(lambda: arith.CmpiOp(lhs, rhs, ob.SCALAR_PREDICATES[kind]))
        if lhs.type == i1 and kind not in ("and", "or", "xor"):
            raise self.error(f"'{kind}' on booleans: use '&', '|', '^'")
        return self.build_op(lambda: ob.SCALAR_BINARY_OPS[kind](lhs, rhs))

    def python_binary(self, kind: str, lhs: Any, rhs: Any, compare: bool) -> Any:
        if compare and kind in ("eq", "ne") and any(
                isinstance(v, (str, tuple, tl.dtype, tl.pointer_type)) or v is None
                for v in (lhs, rhs)):
            return (lhs == rhs) == (kind == "eq")  # (strings, shapes, dtypes, None)
        if not all(isinstance(v, (bool, int)) for v in (lhs, rhs)):
            raise self.error(f"unsupported operands {lhs!r} and {rhs!r}")
        try:
            return (_PYTHON_COMPARE if compare else _PYTHON_BINARY)[kind](lhs, rhs)
        except ZeroDivisionError:
            raise self.error("division by zero in a compile-time expression") from None

    def pointer_arithmetic(self, kind: str, lhs: Value, rhs: Value) -> Value | None:
        """ptr + offsets (or offsets + ptr, ptr - offsets) -> addptr; None if no pointer."""
        def is_pointer(v: Value) -> bool:
            return not is_constexpr(v) and isinstance(ob.element_of(v.type), PointerType)
        if not (is_pointer(lhs) or is_pointer(rhs)):
            return None
        if is_pointer(lhs) and is_pointer(rhs):
            raise self.error("cannot add or subtract two pointers")
        if is_pointer(rhs):
            if kind == "sub":
                raise self.error("cannot subtract a pointer from an offset")
            lhs, rhs = rhs, lhs
        offset = self.to_value(rhs, i32)
        if ob.element_of(offset.type) not in ob.NUMBER_TYPES:
            raise self.error(f"pointer offsets must be integers, got "
                             f"{ob.type_name(offset.type)}")
        offset = self.convert(offset, i32)
        if kind == "sub":
            offset = self.binary("sub", self.zero_like(offset), offset)
        lhs, offset = self.broadcast_pair(lhs, offset)
        return self.build_op(lambda: ob.AddPtrOp(lhs, offset))

    def zero_like(self, value: SSAValue) -> SSAValue:
        return self.constant(0, value.type)

    def unify(self, lhs: Value, rhs: Value, kind: str) -> tuple[SSAValue, SSAValue]:
        """Literals take the other side's type; then promote, then broadcast."""
        if is_constexpr(lhs):
            lhs = self.to_value(lhs, rhs.type)
        if is_constexpr(rhs):
            rhs = self.to_value(rhs, lhs.type)
        for side in (lhs, rhs):
            if isinstance(ob.element_of(side.type), PointerType):
                raise self.error(f"'{kind}' does not take pointers")
        common = self.promote(ob.element_of(lhs.type), ob.element_of(rhs.type))
        lhs, rhs = self.convert(lhs, common), self.convert(rhs, common)
        return self.broadcast_pair(lhs, rhs)

    def promote(self, a: Attribute, b: Attribute) -> Attribute:
        """Triton's integer promotion: wider wins; equal widths prefer unsigned, and an
        unsigned type at least as wide as the signed one wins."""
        if a == b:
            return a
        if i1 in (a, b):
            return b if a == i1 else a
        assert isinstance(a, IntegerType) and isinstance(b, IntegerType)
        unsigned_a = a.signedness.data == Signedness.UNSIGNED
        unsigned_b = b.signedness.data == Signedness.UNSIGNED
        if unsigned_a == unsigned_b:
            return a if a.width.data >= b.width.data else b
        unsigned, signed = (a, b) if unsigned_a else (b, a)
        return unsigned if unsigned.width.data >= signed.width.data else signed

    def broadcast_pair(self, lhs: SSAValue, rhs: SSAValue) -> tuple[SSAValue, SSAValue]:
        shape = self.broadcast_shape(ob.shape_of(lhs.type), ob.shape_of(rhs.type))
        return self.broadcast_to(lhs, shape), self.broadcast_to(rhs, shape)

    def broadcast_shape(self, a: tuple[int, ...], b: tuple[int, ...]) -> tuple[int, ...]:
        if not a or not b:
            return a or b
        if len(a) != len(b):
            a, b = (1,) * (len(b) - len(a)) + a, (1,) * (len(a) - len(b)) + b
        shape = []
        for x, y in zip(a, b):
            if x != y and 1 not in (x, y):
                raise self.error(f"shape mismatch: cannot broadcast {ob.shape_text(a)} "
                                 f"and {ob.shape_text(b)}")
            shape.append(x if y == 1 else y)
        return tuple(shape)

    def broadcast_to(self, value: SSAValue, shape: tuple[int, ...]) -> SSAValue:
        current = ob.shape_of(value.type)
        if current == shape:
            return value
        if not current:
            return self.build_op(lambda: ob.SplatOp(value, shape))
        while len(current) < len(shape):
            value = self.build_op(lambda v=value: ob.ExpandDimsOp(v, 0))
            current = ob.shape_of(value.type)
        if current == shape:
            return value
        return self.build_op(lambda: ob.BroadcastOp(value, shape))

    def to_value(self, value: Value, type_: Attribute) -> SSAValue:
        """A constexpr as an IR constant of `type_` (a block type or a scalar element
        type); booleans become i1 and offsets for pointers i32. Runtime values pass."""
        if not is_constexpr(value):
            return value
        if value is None:
            raise self.error("None is not a value here (an argument passed as None: test "
                             "it first, `if b_ptr is not None:`)")
        if not isinstance(value, (bool, int)):
            raise self.error(f"expected a number, got {value!r}")
        element = ob.element_of(type_)
        if isinstance(value, bool):
            element = i1
        elif isinstance(element, PointerType) or element == i1:
            element = i32
        if isinstance(type_, BlockType):
            return self.constant(int(value), type_.with_element(element))
        return self.scalar_constant(int(value), element)

    def scalar_constant(self, value: int, element: Attribute) -> SSAValue:
        self.check_fits(value, element)
        if element not in SCALAR_TYPES:
            raise self.error(f"{ob.type_name(element)} scalars are not supported; "
                             f"use a block")
        return self.build_op(lambda: arith.ConstantOp(IntegerAttr(value, element)))

    def check_fits(self, value: int, element: Attribute) -> None:
        assert isinstance(element, IntegerType)
        bits = element.width.data
        low, high = ((0, (1 << bits) - 1) if element.signedness.data == Signedness.UNSIGNED
                     or bits == 1 else (-(1 << bits - 1), (1 << bits - 1) - 1))
        if not low <= value <= high:
            raise self.error(f"constant {value} does not fit in {ob.type_name(element)} "
                             f"[{low}, {high}]")

    def constant(self, value: int, type_: Attribute) -> SSAValue:
        if isinstance(type_, BlockType):
            self.check_fits(value, type_.element_type)
            return self.build_op(lambda: ob.ConstantOp(value, type_))
        return self.scalar_constant(value, type_)

    def constant_i32(self, value: int) -> SSAValue:
        return self.scalar_constant(value, i32)

    def convert(self, value: SSAValue, element: Attribute) -> SSAValue:
        """`value` with element type `element` (extended by its own signedness, or
        truncated)."""
        source = ob.element_of(value.type)
        if source == element:
            return value
        if isinstance(value.type, BlockType):
            return self.build_op(lambda: ob.CastOp(value, element))
        if element not in SCALAR_TYPES:
            raise self.error(f"{ob.type_name(element)} scalars are not supported; use a "
                             f"block")
        if source.width.data < element.width.data:
            return self.build_op(lambda: (arith.ExtUIOp if source == i1 else arith.ExtSIOp)(
                value, element))
        return self.build_op(lambda: arith.TruncIOp(value, element))

    def truth(self, value: SSAValue, node: ast.AST, what: str = "an `if`") -> SSAValue:
        if isinstance(value.type, BlockType):
            raise self.error(f"{what} condition must be a scalar, not a block (reduce it: "
                             f"tl.max(...) > 0)", node)
        return self.binary("ne", value, 0, compare=True)

    def scalar_i32(self, value: Value, node: ast.AST, what: str = "range bounds"
                   ) -> SSAValue:
        """A loop bound (or `what`): an int32 scalar (constexprs become constants)."""
        saved, self.node = self.node, node
        try:
            if is_constexpr(value):
                if not isinstance(value, int) or isinstance(value, bool):
                    raise self.error(f"{what} must be integers, got {self.describe(value)}")
                return self.constant_i32(value)
            if isinstance(value.type, BlockType) or isinstance(value.type, PointerType):
                raise self.error(f"{what} must be integer scalars, got "
                                 f"{ob.type_name(value.type)}")
            return self.convert(value, i32)
        finally:
            self.node = saved

    # --- calls ----------------------------------------------------------------------

    def call(self, node: ast.Call) -> Value:
        """`x.to(dtype)`, Python's min/max, or a `tl` function (recognised by identity)."""
        if isinstance(node.func, ast.Attribute):
            function = self.resolve(node.func)
            if function is None and node.func.attr == "to":
                return self.cast(node)
            if function is None and node.func.attr in TENSOR_MEMBERS and \
                    not isinstance(self.resolve(node.func.value), ModuleType):
                return self.member_call(node)
        else:
            function = self.expression(node.func)
        if function is builtins.min or function is builtins.max:
            return self.python_min_max(node, function.__name__)
        if isinstance(function, tl.Kernel):
            return self.inline(function, node)
        name = getattr(function, "__name__", "")
        if function is None or tl.BUILTINS.get(name) is not function:
            raise self.error(f"'{ast.unparse(node.func)}' cannot be called in a kernel "
                             f"(supported: the tl functions, and helper functions marked "
                             f"@tl.kernel or @tl.jit, which are inlined; see "
                             f"docs/compiler.md)")
        if name in _NODE_CALLS:  # (they read the call's syntax: a string literal)
            return _NODE_CALLS[name](self, node)
        arguments = self.arguments(node, inspect.signature(function.__wrapped__))
        return _CALLS[name](self, **arguments)

    def inline(self, helper: tl.Kernel, node: ast.Call) -> Value:
        """A call of another `@tl.kernel` function (Triton's `@triton.jit` helper): its
        body inlined here, its parameters bound to the call's arguments (constexprs
        stay constexprs), its `return` value (last statement) the call's value. Errors
        inside it point at the helper's own file and line."""
        if helper in self.inlining or helper.fn is self.kernel.fn:
            raise self.error(f"'{helper.name}' calls itself (directly or through other "
                             f"helpers): recursion is not supported in kernels")
        signature = inspect.signature(helper.fn)
        arguments = self.arguments(node, signature)
        for name, parameter in signature.parameters.items():
            if tl.is_constexpr_annotation(parameter.annotation, helper.fn) and \
                    not is_constexpr(arguments.get(name)):
                raise self.error(f"parameter '{name}' of '{helper.name}' is a tl.constexpr: "
                                 f"pass it a compile-time value, not a runtime one")
        line, col = self.source.location(node)
        called_at = f"{self.source.path}:{line}:{col}"
        try:  # (a helper in the kernel's own file is named as the kernel's file is)
            same_file = inspect.getsourcefile(helper.fn) == \
                inspect.getsourcefile(self.kernel.fn)
            definition, source = parse_kernel(helper,
                                              self.root_path if same_file else None)
        except (OSError, TypeError, SyntaxError, AssertionError):
            raise self.error(f"the source of helper '{helper.name}' cannot be read (a "
                             f"helper is a `def` in a file, marked @tl.jit)") from None
        body, result = definition.body, None
        returned = body[-1] if body and isinstance(body[-1], ast.Return) else None
        if returned is not None:
            body = body[:-1]
        closure = inspect.getclosurevars(helper.fn).nonlocals
        saved = self.definition, self.source, self.globals, self.env, self.node
        self.definition, self.source = definition, source
        self.globals = {**helper.fn.__globals__, **closure}
        self.env = dict(arguments)
        templates, self.pointer_templates = self.pointer_templates, {}
        self.inlining.append(helper)
        self.call_sites.append((helper.name, called_at))
        try:
            self.statements(body)
            if returned is not None and returned.value is not None:
                self.node = returned
                result = self.expression(returned.value)
        except CompileError as exc:  # (the call site too: a helper has many callers)
            raise _in_helper(exc, helper.name, called_at) from None
        finally:
            self.inlining.pop()
            self.call_sites.pop()
            self.pointer_templates = templates
            self.definition, self.source, self.globals, self.env, self.node = saved
        return result

    def python_min_max(self, node: ast.Call, kind: str) -> Value:
        """min(a, b, ...) / max(a, b, ...): element-wise, folded when all are constexprs."""
        if len(node.args) < 2 or node.keywords:
            raise self.error(f"{kind}() in a kernel takes two or more values")
        values = [self.expression(a) for a in node.args]
        result = values[0]
        for value in values[1:]:
            result = self.binary(kind, result, value)
        return result

    def member_call(self, node: ast.Call) -> Value:
        """`x.sum(axis=1)`, `x.reshape(...)` ...: Triton's tensor methods, the tl function
        of that name with `x` first."""
        assert isinstance(node.func, ast.Attribute)
        name = node.func.attr
        value = self.expression(node.func.value)
        if is_constexpr(value):
            raise self.error(f".{name}() needs a block, got {self.describe(value)}")
        function = tl.BUILTINS[name]
        arguments = self.arguments(node, inspect.signature(function.__wrapped__), value)
        return _CALLS[name](self, **arguments)

    def arguments(self, node: ast.Call, signature: inspect.Signature,
                  *leading: Value) -> dict[str, Value]:
        """The call's arguments bound to `signature` (after `leading` ones: a method's
        value); a Python default's value where an argument is left out."""
        args = [*leading, *(self.expression(a) for a in node.args)]
        kwargs = {k.arg: self.expression(k.value) for k in node.keywords if k.arg}
        try:
            bound = signature.bind(*args, **kwargs)
        except TypeError as exc:
            raise self.error(f"{ast.unparse(node.func)}(): {exc}") from None
        bound.apply_defaults()
        return dict(bound.arguments)

    def cast(self, node: ast.Call) -> SSAValue:
        assert isinstance(node.func, ast.Attribute)
        value = self.expression(node.func.value)
        args = [self.expression(a) for a in node.args]
        if len(args) != 1 or node.keywords or not isinstance(args[0], tl.dtype):
            raise self.error(".to() takes one dtype: tl.int8, tl.int16, tl.int32, tl.uint8")
        return self.converted(value, DTYPE_TYPES[args[0]])

    def constexpr_int(self, value: Value, what: str) -> int:
        if not is_constexpr(value) or not isinstance(value, int) or isinstance(value, bool):
            raise self.error(f"{what} must be a compile-time integer (a constexpr), got "
                             f"{self.describe(value)}")
        return value

    def describe(self, value: Value) -> str:
        if isinstance(value, BlockPointer):
            return f"a block pointer ({len(value.block_shape)}-D, tl.make_block_ptr)"
        return f"a runtime {ob.type_name(value.type)}" if not is_constexpr(value) \
            else repr(value)

    def dtype_type(self, value: Value) -> IntegerType:
        if not isinstance(value, tl.dtype):
            raise self.error(f"expected a dtype (tl.int8, tl.int16, tl.int32, tl.uint8), "
                             f"got {self.describe(value)}")
        return DTYPE_TYPES[value]

    def shape(self, value: Value) -> tuple[int, ...]:
        dims = value if isinstance(value, (tuple, list)) else (value,)
        shape = tuple(self.constexpr_int(d, "a block dimension") for d in dims)
        for d in shape:
            if d <= 0 or d & (d - 1):
                raise self.error(f"block dimensions must be powers of two, got "
                                 f"{list(shape)}")
        return shape

    def block_value(self, value: Value, what: str) -> SSAValue:
        if is_constexpr(value) or not isinstance(value.type, BlockType):
            raise self.error(f"{what} must be a block, got {self.describe(value)}")
        return value

    # --- tl functions (dispatched by name from _CALLS) ------------------------------

    def tl_program_id(self, axis: Value) -> SSAValue:
        axis = self.constexpr_int(axis, "the grid axis")
        if axis not in (0, 1, 2):
            raise self.error(f"grid axis must be 0, 1 or 2, got {axis}")
        return self.build_op(lambda: ob.ProgramIdOp(axis))

    def tl_num_programs(self, axis: Value) -> SSAValue:
        axis = self.constexpr_int(axis, "the grid axis")
        if axis not in (0, 1, 2):
            raise self.error(f"grid axis must be 0, 1 or 2, got {axis}")
        return self.build_op(lambda: ob.NumProgramsOp(axis))

    def tl_cdiv(self, x: Value, div: Value) -> Value:
        return self.binary("div", self.binary("sub", self.binary("add", x, div), 1), div)

    def tl_arange(self, start: Value, end: Value) -> SSAValue:
        start = self.constexpr_int(start, "arange start")
        end = self.constexpr_int(end, "arange end")
        return self.build_op(lambda: ob.ArangeOp(start, end))

    def tl_static_range(self, start: Value, end: Value, step: Value) -> Value:
        raise self.error("tl.static_range is only a for loop's iterable "
                         "(`for i in tl.static_range(KH):`)")

    def tl_zeros(self, shape: Value, dtype: Value) -> SSAValue:
        """A block of zeros; shape () is a runtime scalar zero (Triton's 0-d zeros), the
        start of a scalar accumulator a loop may update (a constexpr 0 may not)."""
        if isinstance(shape, (tuple, list)) and not shape:
            return self.constant(0, self.dtype_type(dtype))
        return self.constant(0, BlockType(self.shape(shape), self.dtype_type(dtype)))

    def tl_full(self, shape: Value, value: Value, dtype: Value) -> SSAValue:
        block = BlockType(self.shape(shape), self.dtype_type(dtype))
        if is_constexpr(value):
            if not isinstance(value, int):
                raise self.error(f"full value must be an integer, got {value!r}")
            return self.constant(value, block)
        if isinstance(value.type, BlockType):
            raise self.error("full value must be a scalar")
        return self.broadcast_to(self.convert(value, block.element_type), block.dims)

    def tl_load(self, pointer: Value, mask: Value, other: Value, boundary_check: Value,
                padding_option: Value, **_hints: Value) -> SSAValue:
        if isinstance(pointer, BlockPointer):
            pointer, mask, other = self.block_pointer_access(
                pointer, "load", mask, other, boundary_check, padding_option)
        else:
            self.no_block_pointer("load", boundary_check, padding_option)
        pointer = self.pointer_value(pointer, "load")
        if other is not None and mask is None:
            raise self.error("tl.load: `other` needs a `mask` (it fills the masked-off "
                             "lanes)")
        mask = self.mask_for(pointer, mask)
        if other is not None:
            other = self.value_for(pointer, other)
        return self.build_op(lambda: ob.LoadOp(pointer, mask, other))

    def tl_store(self, pointer: Value, value: Value, mask: Value, boundary_check: Value,
                 **_hints: Value) -> None:
        if isinstance(pointer, BlockPointer):
            pointer, mask, _ = self.block_pointer_access(pointer, "store", mask, None,
                                                         boundary_check, "")
        else:
            self.no_block_pointer("store", boundary_check, "")
        pointer = self.pointer_value(pointer, "store")
        mask = self.mask_for(pointer, mask)
        value = self.value_for(pointer, value)
        self.build_op(lambda: ob.StoreOp(pointer, value, mask))

    def tl_make_block_ptr(self, base: Value, shape: Value, strides: Value, offsets: Value,
                          block_shape: Value, order: Value) -> BlockPointer:
        base = self.pointer_value(base, "make_block_ptr")
        if isinstance(base.type, BlockType):
            raise self.error("tl.make_block_ptr's base is one pointer, not a block of them")
        fields = [value if isinstance(value, tuple) else (value,)
                  for value in (shape, strides, offsets, block_shape, order)]
        rank = len(fields[3])
        if rank not in (1, 2) or any(len(f) != rank for f in fields):
            raise self.error(f"tl.make_block_ptr takes 1 or 2 dimensions, the same number "
                             f"in shape, strides, offsets, block_shape and order, got "
                             f"{[len(f) for f in fields]}")
        if sorted(self.constexpr_int(d, "an order entry") for d in fields[4]) != \
                list(range(rank)):
            raise self.error(f"tl.make_block_ptr's order must list the dimensions, got "
                             f"{fields[4]!r}")
        scalars = [tuple(self.scalar_i32(v, self.node, f"tl.make_block_ptr's {what}")
                         for v in f) for f, what in zip(fields[:3], ("shape", "strides",
                                                                     "offsets"))]
        return BlockPointer(base, *scalars, self.shape(fields[3]), tuple(fields[4]))

    def tl_advance(self, base: Value, offsets: Value) -> BlockPointer:
        if not isinstance(base, BlockPointer):
            raise self.error(f"tl.advance takes a block pointer (tl.make_block_ptr), got "
                             f"{self.describe(base)}")
        deltas = offsets if isinstance(offsets, tuple) else (offsets,)
        if len(deltas) != len(base.offsets):
            raise self.error(f"tl.advance: {len(deltas)} offsets for a block pointer of "
                             f"{len(base.offsets)} dimensions")
        moved = tuple(self.scalar_i32(self.binary("add", offset, delta), self.node,
                                      "tl.advance's offsets")
                      for offset, delta in zip(base.offsets, deltas))
        return replace(base, offsets=moved)

    def block_pointer_access(self, pointer: BlockPointer, what: str, mask: Value,
                             other: Value, boundary_check: Value, padding_option: Value
                             ) -> tuple[SSAValue, SSAValue | None, Value]:
        """The pointer block, mask and fill a block pointer's access stands for."""
        if mask is not None or other is not None:
            raise self.error(f"tl.{what} through a block pointer takes boundary_check "
                             f"(and padding_option), not mask or other")
        checked = boundary_check if isinstance(boundary_check, tuple) else \
            (boundary_check,) if boundary_check is not None else ()
        rank = len(pointer.block_shape)
        if any(self.constexpr_int(d, "a boundary_check dimension") not in range(rank)
               for d in checked):
            raise self.error(f"tl.{what}: boundary_check {checked!r} names a dimension a "
                             f"{rank}-D block pointer does not have")
        if padding_option not in ("", None, "zero"):
            raise self.error(f"tl.{what}: padding_option {padding_option!r}: kernels "
                             f"compute on integers, so only \"zero\" (the default)")
        address, condition = None, None
        for dim, size in enumerate(pointer.block_shape):
            index = self.binary("add", pointer.offsets[dim], self.tl_arange(0, size))
            if rank == 2:
                index = self.build_op(lambda v=index, a=1 - dim: ob.ExpandDimsOp(v, a))
            term = self.binary("mul", index, pointer.strides[dim])
            address = term if address is None else self.binary("add", address, term)
            if dim in checked:  # (the upper bound only: Triton also masks index < 0,
                # which the engines' masks cannot say on a row's elements; an offset
                # that might be negative is refused, `refuse_negative_offsets`)
                self.checked_offsets.append((pointer.offsets[dim], self.error_here(
                    f"tl.{what} through a block pointer checks dimension {dim}'s bounds, "
                    f"but its offset there may be negative: OxCore masks only index >= "
                    f"shape, so an element before the tensor would be read or written "
                    f"where Triton masks it. Offsets it accepts are built from program "
                    f"ids, non-negative int32 constants and loop counters (+, *, // by a "
                    f"constant, %, tl.advance by such values); if this one never is "
                    f"negative, write max(offset, 0), else use a pointer block with the "
                    f"mask (offs >= 0) & (offs < n)")))
                bound = self.binary("lt", index, pointer.shape[dim], compare=True)
                condition = bound if condition is None else self.binary("and", condition,
                                                                        bound)
        address = self.binary("add", pointer.base, address)
        if condition is not None:
            condition = self.broadcast_to(condition, pointer.block_shape)
        fill = 0 if condition is not None and what == "load" else None
        return address, condition, fill

    def refuse_negative_offsets(self) -> None:
        """The first boundary-checked block-pointer offset `signs.never_negative` cannot
        prove >= 0, as its access's CompileError (once the whole kernel is built: a
        loop-carried offset needs the loop's yields)."""
        for offset, error in self.checked_offsets:
            if not never_negative(offset):
                raise error

    def no_block_pointer(self, what: str, boundary_check: Value, padding_option: Value
                         ) -> None:
        if boundary_check not in ((), None) or padding_option not in ("", None):
            raise self.error(f"tl.{what}'s boundary_check and padding_option are for "
                             f"block pointers (tl.make_block_ptr), which kernels do not "
                             f"have: mask the access instead")

    def pointer_value(self, pointer: Value, what: str) -> SSAValue:
        if is_constexpr(pointer) or not isinstance(ob.element_of(pointer.type), PointerType):
            raise self.error(f"tl.{what} needs a pointer or a block of pointers, got "
                             f"{self.describe(pointer)}")
        return pointer

    def value_for(self, pointer: SSAValue, value: Value) -> SSAValue:
        """`value` as what `pointer` points to: converted, broadcast to its shape."""
        pointee = self.pointee(pointer)
        loaded = pointer.type.with_element(pointee) if isinstance(pointer.type, BlockType) \
            else pointee
        value = self.to_value(value, loaded)
        if isinstance(value.type, BlockType) and not isinstance(pointer.type, BlockType):
            raise self.error("cannot store a block through a single pointer")
        return self.broadcast_to(self.convert(value, pointee), ob.shape_of(pointer.type))

    def pointee(self, pointer: SSAValue) -> Attribute:
        return ob.element_of(pointer.type).pointee

    def mask_for(self, pointer: SSAValue, mask: Value) -> SSAValue | None:
        if mask is None:
            return None
        mask = self.to_value(mask, i1)
        if ob.element_of(mask.type) != i1:
            raise self.error(f"a mask must be a comparison result (i1), got "
                             f"{ob.type_name(mask.type)}")
        return self.broadcast_to(mask, ob.shape_of(pointer.type))

    def tl_dot(self, a: Value, b: Value, acc: Value, out_dtype: Value,
               **_precision: Value) -> SSAValue:
        if out_dtype not in (None, tl.int32):
            raise self.error(f"tl.dot's out_dtype must be tl.int32 (int8 x int8 "
                             f"accumulates in int32 on the tensor engine), got "
                             f"{self.describe(out_dtype)}")
        a, b = self.block_value(a, "dot operand a"), self.block_value(b, "dot operand b")
        if acc is None:
            m = ob.shape_of(a.type)[0]
            n = ob.shape_of(b.type)[-1]
            acc = self.constant(0, BlockType((m, n), i32))
        acc = self.block_value(acc, "dot accumulator")
        return self.build_op(lambda: ob.DotOp(a, b, acc))

    def tl_where(self, condition: Value, x: Value, y: Value) -> Value:
        condition = self.to_value(condition, i1)
        if is_constexpr(x) and is_constexpr(y):  # (Triton's: int32 literals)
            x = self.to_value(x, i32)
        x, y = self.unify(x, y, "where")
        shape = self.broadcast_shape(ob.shape_of(condition.type), ob.shape_of(x.type))
        condition, x, y = (self.broadcast_to(v, shape) for v in (condition, x, y))
        if ob.element_of(condition.type) != i1:
            raise self.error(f"tl.where condition must be a comparison result (i1), got "
                             f"{ob.type_name(condition.type)}")
        if not isinstance(condition.type, BlockType):
            return self.build_op(lambda: arith.SelectOp(condition, x, y))
        return self.build_op(lambda: ob.SelectOp(condition, x, y))

    def tl_maximum(self, x: Value, y: Value) -> Value:
        return self.binary("max", x, y)

    def tl_minimum(self, x: Value, y: Value) -> Value:
        return self.binary("min", x, y)

    def tl_requantize(self, input: Value, multiplier: Value, shift: Value,  # noqa: A002
                      zero_point: Value, rounding: Value) -> SSAValue:
        """The OxCore extension: an i32 block to i8 by tst.b's chain."""
        value = self.block_value(input, "tl.requantize input")
        if ob.element_of(value.type) != i32:
            raise self.error(f"tl.requantize takes int32 accumulators, got "
                             f"{ob.type_name(value.type)}")
        scalars = []
        for name, scalar in (("multiplier", multiplier), ("shift", shift),
                             ("zero_point", zero_point)):
            scalar = self.to_value(scalar, i32)
            if isinstance(scalar.type, BlockType):
                raise self.error(f"tl.requantize {name} must be a scalar (one value for "
                                 f"the whole block, as tst.b's CSR holds), got a block")
            scalars.append(self.convert(scalar, i32))
        mode = self.constexpr_int(rounding, "tl.requantize rounding")
        return self.build_op(lambda: ob.RequantizeOp(value, *scalars, mode))

    def tl_abs(self, x: Value) -> Value:
        if is_constexpr(x):
            if not isinstance(x, int) or isinstance(x, bool):
                raise self.error(f"tl.abs takes an integer, got {self.describe(x)}")
            return builtins.abs(x)
        if ob.element_of(x.type) == ui8:
            return x
        return self.tl_where(self.binary("lt", x, 0, compare=True), self.binary("sub", 0, x),
                             x)

    def tl_cast(self, input: Value, dtype: Value) -> Value:  # noqa: A002
        if not isinstance(dtype, tl.dtype):
            raise self.error("tl.cast takes a dtype: tl.int8, tl.int16, tl.int32, tl.uint8")
        return self.converted(input, DTYPE_TYPES[dtype])

    def converted(self, value: Value, element: IntegerType) -> Value:
        """`value` as `element`: a constexpr keeps its low bits (as a runtime value's
        conversion does), a runtime value is converted."""
        if is_constexpr(value):
            if not isinstance(value, int) or isinstance(value, bool):
                raise self.error(f"cannot convert {self.describe(value)} to an integer type")
            bits = element.width.data
            low = value & ((1 << bits) - 1)
            if element != ui8 and low >= 1 << (bits - 1):
                low -= 1 << bits
            return self.to_value(low, element)
        return self.convert(value, element)

    def tl_trans(self, input: Value, dims: tuple[Value, ...]) -> SSAValue:  # noqa: A002
        if is_constexpr(input) or len(ob.shape_of(input.type)) != 2:
            raise self.error(f"tl.trans takes a 2-D block, got {self.describe(input)}")
        order = _shape_arguments(dims)
        if order not in ((), (1, 0)):
            raise self.error(f"tl.trans of a 2-D block takes no order or (1, 0), got "
                             f"{order!r}")
        return self.build_op(lambda: ob.TransOp(input))

    def tl_permute(self, input: Value, dims: tuple[Value, ...]) -> Value:  # noqa: A002
        order = _shape_arguments(dims)
        if not is_constexpr(input) and len(ob.shape_of(input.type)) == 2 \
                and order == (0, 1):
            return input
        if order != (1, 0):
            raise self.error(f"tl.permute takes a 2-D block and (1, 0) or (0, 1), got "
                             f"{order!r}")
        return self.tl_trans(input, ())

    def tl_range(self, arg1: Value, arg2: Value, step: Value, **_options: Value) -> Value:
        raise self.error("tl.range is only a for loop's iterable "
                         "(`for k in tl.range(0, K, BLOCK_K, num_stages=2):`)")

    def tl_expand_dims(self, input: Value, axis: Value) -> SSAValue:  # noqa: A002
        value = self.block_value(input, "tl.expand_dims input")
        axes = axis if isinstance(axis, tuple) else (axis,)
        rank = len(ob.shape_of(value.type)) + len(axes)
        positions = []
        for item in axes:
            position = self.constexpr_int(item, "tl.expand_dims axis")
            position += rank if position < 0 else 0
            if not 0 <= position < rank or position in positions:
                raise self.error(f"tl.expand_dims: axis {item} is out of range or "
                                 f"repeated for a result of {rank} dimensions")
            positions.append(position)
        for position in sorted(positions):
            value = self.build_op(lambda v=value, a=position: ob.ExpandDimsOp(v, a))
        return value

    def tl_broadcast_to(self, input: Value, shape: tuple[Value, ...]  # noqa: A002
                        ) -> SSAValue:
        target = self.shape(_shape_arguments(shape))
        value = self.to_value(input, BlockType(target, i32)) if is_constexpr(input) \
            else input
        current = ob.shape_of(value.type)
        if len(current) > len(target) or self.broadcast_shape(current, target) != target:
            raise self.error(f"tl.broadcast_to: cannot broadcast "
                             f"{ob.shape_text(current)} to {ob.shape_text(target)}")
        return self.broadcast_to(value, target)

    def tl_broadcast(self, input: Value, other: Value) -> tuple[SSAValue, SSAValue]:  # noqa: A002
        if is_constexpr(input) or is_constexpr(other):
            raise self.error("tl.broadcast takes two runtime values")
        return self.broadcast_pair(input, other)

    def tl_reshape(self, input: Value, shape: tuple[Value, ...],  # noqa: A002
                   can_reorder: Value) -> SSAValue:
        """Reshapes that insert or drop size-1 dimensions: an inserted one is an
        expand_dims; a dropped one must have been inserted by one (`x[None, :]`,
        `tl.expand_dims`), which the reshape then looks through."""
        value = self.block_value(input, "tl.reshape input")
        target = self.shape(_shape_arguments(shape))
        current = ob.shape_of(value.type)
        kept = tuple(d for d in current if d != 1)
        if kept != tuple(d for d in target if d != 1):
            raise self.error(f"tl.reshape from {ob.shape_text(current)} to "
                             f"{ob.shape_text(target)} regroups elements, which kernels "
                             f"do not support (only size-1 dimensions may be inserted or "
                             f"dropped)")
        if current == target:
            return value
        uniform = value.owner
        if isinstance(uniform, ob.SplatOp):  # (every element one scalar: any shape)
            return self.broadcast_to(uniform.operand, target)
        if isinstance(uniform, ob.ConstantOp):
            return self.constant(uniform.value.value.data,
                                 BlockType(target, value.type.element_type))
        while len(ob.shape_of(value.type)) > len(kept):  # drop the size-1 dimensions
            owner = value.owner
            if not isinstance(owner, ob.ExpandDimsOp):
                raise self.error(f"tl.reshape from {ob.shape_text(current)} to "
                                 f"{ob.shape_text(target)} drops a size-1 dimension that "
                                 f"was not inserted with [None], tl.expand_dims or "
                                 f"keep_dims")
            value = owner.operand
        for axis, size in enumerate(target):  # insert the target's
            if size == 1:
                value = self.build_op(lambda v=value, a=axis: ob.ExpandDimsOp(v, a))
        return value

    def tl_view(self, input: Value, shape: tuple[Value, ...]) -> SSAValue:  # noqa: A002
        return self.tl_reshape(input, shape, True)

    def tl_clamp(self, x: Value, min: Value, max: Value,  # noqa: A002
                 propagate_nan: Value) -> Value:
        return self.binary("min", self.binary("max", x, min), max)

    def tl_assume(self, cond: Value) -> None:
        if is_constexpr(cond) and not cond:
            raise self.error("tl.assume of a condition that is false")
        if not is_constexpr(cond) and ob.element_of(cond.type) != i1:
            raise self.error(f"tl.assume takes a condition (a comparison), got "
                             f"{self.describe(cond)}")
        return None

    def tl_zeros_like(self, input: Value) -> SSAValue:  # noqa: A002
        if is_constexpr(input):
            raise self.error("tl.zeros_like needs a runtime value (its shape and dtype)")
        if isinstance(ob.element_of(input.type), PointerType):
            raise self.error("tl.zeros_like takes an integer value or block, not pointers")
        return self.constant(0, input.type)

    def tl_multiple_of(self, input: Value, values: Value) -> Value:  # noqa: A002
        self.hint_values(values, "tl.multiple_of")
        return input

    def tl_max_contiguous(self, input: Value, values: Value) -> Value:  # noqa: A002
        self.hint_values(values, "tl.max_contiguous")
        return input

    def tl_max_constancy(self, input: Value, values: Value) -> Value:  # noqa: A002
        self.hint_values(values, "tl.max_constancy")
        return input

    def hint_values(self, values: Value, what: str) -> None:
        """A hint's values: a constexpr integer, or a tuple of them (one per dimension)."""
        items = values if isinstance(values, tuple) else (values,)
        for item in items:
            self.constexpr_int(item, f"{what}'s values")

    def static_assert(self, node: ast.Call) -> None:
        """``tl.static_assert(condition, "message")``: the message may be a string (the
        one place a kernel takes one)."""
        arguments = list(node.args) + [k.value for k in node.keywords if k.arg == "msg"]
        if not 1 <= len(arguments) <= 2 or any(k.arg != "msg" for k in node.keywords):
            raise self.error("tl.static_assert takes a condition and an optional message "
                             "(msg=)")
        condition = self.expression(arguments[0])
        message = arguments[1] if len(arguments) == 2 else None
        if message is not None and not (isinstance(message, ast.Constant)
                                        and isinstance(message.value, str)):
            raise self.error("tl.static_assert's message must be a string literal",
                             message)
        if not is_constexpr(condition):
            raise self.error("tl.static_assert needs a compile-time condition (constexprs)")
        if not condition:
            text = f": {message.value}" if message is not None else ""
            raise self.error(f"tl.static_assert failed{text}")

    def tl_sum(self, input: Value, axis: Value, keep_dims: Value,  # noqa: A002
               dtype: Value) -> SSAValue:
        if dtype is not None and not is_constexpr(input):
            input = self.convert(input, self.dtype_type(dtype))  # noqa: A001
        return self.reduce("sum", input, axis, keep_dims)

    def tl_max(self, input: Value, axis: Value, return_indices: Value,  # noqa: A002
               return_indices_tie_break_left: Value, keep_dims: Value) -> Value:
        if self.flag(return_indices, "tl.max's return_indices"):
            return (self.reduce("max", input, axis, keep_dims),
                    self.arg_reduce("max", input, axis, return_indices_tie_break_left,
                                    keep_dims))
        return self.reduce("max", input, axis, keep_dims)

    def tl_min(self, input: Value, axis: Value, return_indices: Value,  # noqa: A002
               return_indices_tie_break_left: Value, keep_dims: Value) -> Value:
        if self.flag(return_indices, "tl.min's return_indices"):
            return (self.reduce("min", input, axis, keep_dims),
                    self.arg_reduce("min", input, axis, return_indices_tie_break_left,
                                    keep_dims))
        return self.reduce("min", input, axis, keep_dims)

    def tl_argmax(self, input: Value, axis: Value, tie_break_left: Value,  # noqa: A002
                  keep_dims: Value) -> SSAValue:
        return self.arg_reduce("max", input, axis, tie_break_left, keep_dims)

    def tl_argmin(self, input: Value, axis: Value, tie_break_left: Value,  # noqa: A002
                  keep_dims: Value) -> SSAValue:
        return self.arg_reduce("min", input, axis, tie_break_left, keep_dims)

    def flag(self, value: Value, what: str) -> bool:
        if not isinstance(value, bool):
            raise self.error(f"{what} must be a constexpr bool, got {self.describe(value)}")
        return value

    def axis_index(self, axis: Value, rank: int, what: str) -> int:
        """A reduction's constexpr axis, a negative one counted from the end."""
        axis = self.constexpr_int(axis, f"{what} axis")
        if not -rank <= axis < rank:
            raise self.error(f"{what} axis {axis} is out of range for a {rank}-D block")
        return axis + rank if axis < 0 else axis

    def arg_reduce(self, kind: str, input: Value, axis: Value,  # noqa: A002
                   tie_break_left: Value, keep_dims: Value) -> SSAValue:
        """The int32 index along `axis` of the max (min), from ops the engines have:
        the extreme kept along `axis`, compared with every element, and the positions
        that hold it reduced by min (the first; by max, the last: `tie_break_left`
        False), positions elsewhere being past either end."""
        what = f"tl.arg{kind}"
        value = self.block_value(input, f"{what} input")
        rank = len(value.type.dims)
        axis = self.axis_index(0 if axis is None and rank == 1 else axis, rank, what)
        left = self.flag(tie_break_left, f"{what}'s tie_break_left")
        extreme = self.reduce(kind, value, axis, keep_dims=True)
        hit = self.binary("eq", value, extreme, compare=True)
        size = value.type.dims[axis]
        positions = self.tl_arange(0, size)
        if rank == 2:
            positions = self.build_op(lambda: ob.ExpandDimsOp(positions, 1 - axis))
        elsewhere = size if left else -1
        candidates = self.tl_where(hit, positions, elsewhere)
        return self.reduce("min" if left else "max", candidates, axis, keep_dims)

    def reduce(self, kind: str, value: Value, axis: Value, keep_dims: Value = False
               ) -> SSAValue:
        """tl.sum/max/min: along `axis`, or over every element (axis None: a scalar);
        `keep_dims` leaves the reduced dimensions in place, of size 1."""
        value = self.block_value(value, f"tl.{kind} input")
        self.flag(keep_dims, f"tl.{kind}'s keep_dims")
        rank = len(value.type.dims)
        if axis is None:  # (axis 0 first: a 2-D block's columns, which split-rows
            for _ in range(rank):  # carries through its row loop, then that 1-D block)
                value = self.build_op(lambda v=value: ob.ReduceOp(kind, v, 0))
            return self.broadcast_to(value, (1,) * rank) if keep_dims else value
        axis = self.axis_index(axis, rank, f"tl.{kind}")
        result = self.build_op(lambda: ob.ReduceOp(kind, value, axis))
        if not keep_dims:
            return result
        if rank == 1:  # (a scalar: a block of one)
            return self.broadcast_to(result, (1,))
        return self.build_op(lambda: ob.ExpandDimsOp(result, axis))


#: tl functions compiled from the call's syntax rather than its argument values.
_NODE_CALLS: dict[str, Callable[..., Value]] = {"static_assert": KernelBuilder.static_assert}
_CALLS: dict[str, Callable[..., Value]] = {
    name: getattr(KernelBuilder, f"tl_{name}") for name in tl.BUILTINS
    if name not in _NODE_CALLS}


def _in_helper(error: CompileError, helper: str, called_at: str) -> CompileError:
    """`error`, raised in helper `helper`, naming the call that inlined it."""
    return CompileError(f"{error.message} (in '{helper}', called at {called_at})",
                        error.path, error.line, error.col)


def _offset_name(pointer: str, dimension: int) -> str:
    """The hidden variable a loop carries a block pointer's offset in (a name no kernel
    can write: it has a dot)."""
    return f"{pointer}.off{dimension}"


def _carried_pointers(names: Sequence[str]) -> list[str]:
    """The block pointers whose offsets (`_offset_name`) are among `names`, once each."""
    return list(dict.fromkeys(n.rpartition(".off")[0] for n in names if ".off" in n))


def _shape_arguments(values: tuple[Value, ...]) -> tuple[Value, ...]:
    """A shape or an order passed as one tuple, `f(x, (2, 3))`, or spread out,
    `f(x, 2, 3)`, as Triton takes both."""
    return tuple(values[0]) if len(values) == 1 and isinstance(values[0], tuple) \
        else values


def assigned_names(body: Sequence[ast.stmt]) -> list[str]:
    """Variables a statement list (re)binds, in order of first assignment."""
    names: dict[str, None] = {}
    for node in body:
        for sub in ast.walk(node):
            if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Store):
                names[sub.id] = None
    return list(names)


def build_kernel_ir(kernel: tl.Kernel, signature: Signature, path: str | None = None
                    ) -> ModuleOp:
    """The `oxcore_block` IR of `kernel` specialised on `signature`; locations name the
    kernel's file `path` (default: where Python loaded it from)."""
    return KernelBuilder(kernel, signature, path).build()
