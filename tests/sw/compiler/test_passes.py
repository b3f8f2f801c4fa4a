"""The pass pipeline: the IR after every pass prints, re-parses and verifies with
xDSL's verifier (locations included); each pass does its one job."""

from __future__ import annotations

import pytest
from xdsl.dialects.builtin import ModuleOp
from xdsl.parser import Parser
from xdsl.passes import ModulePass

from sw.compiler.driver import compile_to_ir
from sw.compiler.passes import (PIPELINE, FoldAccumulatorBiasPass, FoldBlockConstantsPass,
                                FuseRequantizeReluPass, compiler_context, print_module,
                                run_pipeline)
from tests.sw.compiler import kernels, quant_kernels
from tests.sw.compiler.conftest import SIGNATURES, ops_named


def reparse(module: ModuleOp) -> ModuleOp:
    parsed = Parser(compiler_context(), print_module(module, debuginfo=True)).parse_module()
    parsed.verify()
    return parsed


def test_pipeline_is_a_readable_list() -> None:
    assert [p.name for p in PIPELINE] == ["verify-types", "unwrap-edge-rows", "sink-transposes",
                                          "fold-block-constants", "fold-accumulator-bias",
                                          "fuse-requantize-relu", "epilogue-through-memory",
                                          "split-rows",
                                          "canonicalize", "licm", "cse",
                                          "merge-twin-counters", "cse"]


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


# ---- the quantized GEMM's epilogue: fold-accumulator-bias, fuse-requantize-relu ----------

def quant_ir(kernel, signature: str, passes: tuple[ModulePass, ...]) -> ModuleOp:
    """`kernel`'s front-end IR after `passes` only (verified after each)."""
    from sw.compiler.frontend import build_kernel_ir
    from sw.compiler.signature import parse_signature
    return run_pipeline(build_kernel_ir(kernel, parse_signature(signature)), passes)


BIAS_PASSES = (FoldBlockConstantsPass(), FoldAccumulatorBiasPass())


def _loop(module: ModuleOp):
    (loop,) = ops_named(module, "scf.for")
    return loop


def test_fold_accumulator_bias_starts_the_accumulator_at_the_bias_row() -> None:
    """acc + bias[None, :] (either operand order) is gone; the loop's accumulator starts
    at a 2-D int32 load of the bias row broadcast over rows (row stride 0), with the
    1-D load's mask broadcast the same way and other = 0; the 1-D load is erased."""
    module = quant_ir(quant_kernels.biased_dot, quant_kernels.BIASED_DOT
                      + ",START=0,FLOOR=0", BIAS_PASSES)
    start = _loop(module).iter_args[0].owner
    assert start.name == "oxcore_block.load"
    assert start.result.type.dims == (16, 16) and str(start.result.type.element_type) == "i32"
    pointers = start.ptr.owner
    assert pointers.name == "oxcore_block.broadcast"
    assert pointers.operand.owner.name == "oxcore_block.expand_dims"
    assert pointers.operand.owner.axis.value.data == 0
    assert start.mask.owner.name == "oxcore_block.broadcast"
    assert start.other.owner.value.value.data == 0
    assert not [op for op in ops_named(module, "oxcore_block.add")
                if len(op.result.type.dims) == 2]
    assert not [op for op in ops_named(module, "oxcore_block.load")
                if len(op.result.type.dims) == 1]
    (requantize,) = ops_named(module, "oxcore_block.requantize")
    assert requantize.operand.owner.name == "oxcore_block.max"  # fed by the loop now
    assert requantize.operand.owner.lhs.owner is _loop(module)
    module.verify()


def test_fold_accumulator_bias_starts_at_a_whole_block() -> None:
    """acc + tl.load(r2d) (a residual): the 2-D load itself moves before the loop and
    starts the accumulator; the add is gone."""
    module = quant_ir(quant_kernels.bias_block, quant_kernels.BIAS_BLOCK, BIAS_PASSES)
    loop = _loop(module)
    start = loop.iter_args[0].owner
    assert start.name == "oxcore_block.load" and start.result.type.dims == (16, 16)
    ops = list(loop.parent_block().ops)
    assert ops.index(start) < ops.index(loop)
    assert not [op for op in ops_named(module, "oxcore_block.add") if len(op.result.type.dims) == 2]
    module.verify()


def test_fold_accumulator_bias_leaves_what_it_cannot_fold() -> None:
    """A loop starting at non-zero values, and a residual loaded after a store (moving
    the load before the loop could read what the store changes), keep their add
    (instruction selection then reports it at the add's line)."""
    nonzero = quant_ir(quant_kernels.biased_dot, quant_kernels.BIASED_DOT
                       + ",START=1,FLOOR=0", BIAS_PASSES)
    assert _loop(nonzero).iter_args[0].owner.name == "oxcore_block.constant"
    assert [op for op in ops_named(nonzero, "oxcore_block.add") if len(op.result.type.dims) == 2]
    stored = quant_ir(quant_kernels.residual_after_store, quant_kernels.RESIDUAL_AFTER_STORE,
                      BIAS_PASSES)
    assert _loop(stored).iter_args[0].owner.name == "oxcore_block.constant"
    assert [op for op in ops_named(stored, "oxcore_block.add") if len(op.result.type.dims) == 2]


@pytest.mark.parametrize("floor, fused", [(0, True), (5, False)])
def test_fuse_requantize_relu_takes_only_max_with_zero(floor: int, fused: bool) -> None:
    module = quant_ir(quant_kernels.biased_dot, quant_kernels.BIASED_DOT
                      + f",START=0,FLOOR={floor}", (*BIAS_PASSES, FuseRequantizeReluPass()))
    (requantize,) = ops_named(module, "oxcore_block.requantize")
    assert requantize.activation.data == ("relu" if fused else "none")
    assert bool(ops_named(module, "oxcore_block.max")) != fused


def test_gemm_q_ir_after_every_pass_reparses_and_verifies() -> None:
    """The library's gemm_q, with tl.requantize's op and its properties, round-trips."""
    from sw.ops.gemm import gemm_q
    stages: list[str] = []

    def check(module_pass: ModulePass | None, module: ModuleOp) -> None:
        stages.append(module_pass.name if module_pass else "frontend")
        assert reparse(module).is_structurally_equivalent(module), stages[-1]

    compile_to_ir(gemm_q, GEMM_Q_SIGNATURE, after_pass=check)
    assert len(stages) == 1 + len(PIPELINE)


GEMM_Q_SIGNATURE = ("a_ptr:*i8,bt_ptr:*i8,bias_ptr:*i32,c_ptr:*i8,M:i32,N:i32,K:i32,"
                    "multiplier:i32,shift:i32,zero_point:i32,BLOCK_M=16,BLOCK_N=16,"
                    "BLOCK_K=32,RELU=true")


def test_print_ir_after_all_names_the_epilogue_passes(capsys) -> None:
    from oxcore.cli import main
    from sw.ops import gemm as library
    code = main(["compile", library.__file__, "--kernel", "gemm_q", "--signature",
                 GEMM_Q_SIGNATURE, "--print-ir-after-all"])
    out = capsys.readouterr().out
    assert code == 0
    after_fold = out.split("IR Dump After fold-accumulator-bias //----- //\n")[1]
    after_fold = after_fold.split("// -----//")[0]
    assert "oxcore_block.max" in after_fold  # not fused yet
    after_fuse = out.split("IR Dump After fuse-requantize-relu //----- //\n")[1]
    assert 'activation = "relu"' in after_fuse.split("// -----//")[0]
