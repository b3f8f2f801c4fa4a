"""The pass pipeline: the IR after every pass prints, re-parses and verifies with
xDSL's verifier (locations included); each pass does its one job."""

from __future__ import annotations

import pytest
from xdsl.dialects.builtin import ModuleOp
from xdsl.parser import Parser
from xdsl.passes import ModulePass

from sw.compiler.driver import compile_to_ir
from sw.compiler.passes import (PIPELINE, FoldBlockConstantsPass, compiler_context,
                                print_module, run_pipeline)
from tests.sw.compiler import kernels
from tests.sw.compiler.conftest import SIGNATURES, ops_named


def reparse(module: ModuleOp) -> ModuleOp:
    parsed = Parser(compiler_context(), print_module(module, debuginfo=True)).parse_module()
    parsed.verify()
    return parsed


def test_pipeline_is_a_readable_list() -> None:
    assert [p.name for p in PIPELINE] == ["verify-types", "fold-block-constants",
                                          "canonicalize", "licm", "cse"]


@pytest.mark.parametrize("name", sorted(SIGNATURES))
def test_ir_after_every_pass_reparses_and_verifies(name: str) -> None:
    seen: list[str] = []

    def check(module_pass: ModulePass | None, module: ModuleOp) -> None:
        seen.append(module_pass.name if module_pass else "frontend")
        parsed = reparse(module)
        assert parsed.is_structurally_equivalent(module), seen[-1]
        locations = [op.location for op in parsed.walk()]
        assert locations == [op.location for op in module.walk()]

    compile_to_ir(getattr(kernels, name), SIGNATURES[name], after_pass=check)
    assert seen == ["frontend", *(p.name for p in PIPELINE)]


def test_fold_block_constants_turns_splatted_constants_into_block_constants() -> None:
    text = '''
    builtin.module {
      func.func @k(%p: !oxcore_block.block<4x8x!oxcore_block.ptr<i8>>) {
        %c = arith.constant 3 : i32
        %s = oxcore_block.splat %c : i32 -> !oxcore_block.block<1x8xi32>
        %b = oxcore_block.broadcast %s : !oxcore_block.block<1x8xi32>
                                       -> !oxcore_block.block<4x8xi32>
        %q = oxcore_block.addptr %p, %b : !oxcore_block.block<4x8x!oxcore_block.ptr<i8>>,
                                          !oxcore_block.block<4x8xi32>
        %v = oxcore_block.load %q : !oxcore_block.block<4x8x!oxcore_block.ptr<i8>>
                                    -> !oxcore_block.block<4x8xi8>
        func.return
      }
    }'''
    module = Parser(compiler_context(), text).parse_module()
    run_pipeline(module, [FoldBlockConstantsPass()])
    (offset,) = ops_named(module, "oxcore_block.addptr")
    constant = offset.offset.owner
    assert constant.name == "oxcore_block.constant" and constant.value.value.data == 3
    assert offset.offset.type.dims == (4, 8)


def test_pass_manager_prints_ir_after_all() -> None:
    from io import StringIO

    from sw.compiler.frontend import build_kernel_ir
    from sw.compiler.passes import PassManager
    from sw.compiler.signature import parse_signature
    module = build_kernel_ir(kernels.relu, parse_signature(SIGNATURES["relu"]))
    output = StringIO()
    PassManager(PIPELINE, print_ir_after_all=True, output=output).run(module)
    dumps = output.getvalue().split("// -----// IR Dump After ")[1:]
    assert [d.split(" ", 1)[0] for d in dumps] == [p.name for p in PIPELINE]
    assert dumps[-1].split("\n", 1)[1] == print_module(module)


def test_canonicalize_and_cse_leave_one_op_per_value() -> None:
    module = compile_to_ir(kernels.gemm, SIGNATURES["gemm"])
    aranges = ops_named(module, "oxcore_block.arange")
    assert sorted(op.end.value.data for op in aranges) == [8, 16, 32]  # BLOCK_M, _N, _K
    constants = [op.value.value.data for op in ops_named(module, "arith.constant")]
    assert len(constants) == len(set(constants))


def test_print_ir_after_all_dumps_every_stage(capsys) -> None:
    from oxcore.cli import main
    code = main(["compile", kernels.__file__, "--kernel", "vector_add",
                 "--signature", SIGNATURES["vector_add"], "--print-ir-after-all"])
    out = capsys.readouterr().out
    assert code == 0
    headers = [line for line in out.splitlines() if line.startswith("// -----// IR Dump")]
    assert headers == [f"// -----// IR Dump After {name} //----- //"
                       for name in ["frontend", *(p.name for p in PIPELINE)]]
    assert out.endswith(print_module(compile_to_ir(kernels.vector_add,
                                                   SIGNATURES["vector_add"])))
    for dump in out.split("// -----// IR Dump After ")[1:]:
        Parser(compiler_context(), dump.split("\n", 1)[1]).parse_module().verify()
