"""`oxcore compile`: IR on stdout; every bad input one line on stderr, exit status 1."""

from __future__ import annotations

from pathlib import Path

import pytest
from xdsl.parser import Parser

from oxcore.cli import main
from sw.compiler.passes import compiler_context
from tests.sw.compiler import kernels
from tests.sw.compiler.conftest import SIGNATURES, ops_named

ROOT = Path(__file__).resolve().parents[3]
EXAMPLE = ROOT / "examples" / "vector_add_kernel.py"
EXAMPLE_SIGNATURE = "x_ptr:*i8,y_ptr:*i8,out_ptr:*i8,n:i32,BLOCK=64"


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["compile", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_emit_ir_prints_a_module_that_parses(capsys) -> None:
    code, out, err = run(capsys, str(EXAMPLE), "--signature", EXAMPLE_SIGNATURE)
    assert (code, err) == (0, "")
    module = Parser(compiler_context(), out).parse_module()
    module.verify()
    assert len(ops_named(module, "oxcore_block.load")) == 2
    assert ops_named(module, "func.func")[0].sym_name.data == "vector_add"


GEMM = ROOT / "sw" / "ops" / "gemm.py"
GEMM_SIGNATURE = "a_ptr:*i8,bt_ptr:*i8,c_ptr:*i32,M:i32,N:i32,K:i32,BLOCK_M=16,BLOCK_N=16,BLOCK_K=32"


def test_emit_asm_prints_assembly_our_assembler_takes(capsys) -> None:
    from oxcore.config import load_config
    from sw.asm.assembler import assemble_source
    code, out, err = run(capsys, str(GEMM), "--kernel", "gemm", "--signature", GEMM_SIGNATURE,
                         "--config", "tensor", "--emit", "asm")
    assert (code, err) == (0, "")
    assert ".globl gemm" in out and "tmma m" in out and "tld.b m" in out
    image = assemble_source(out, "gemm.s", load_config("tensor"))
    assert any(symbol.name == "gemm" for symbol in image.symbols)


def test_num_stages_sets_k_loop_pipelining(capsys) -> None:
    """--num-stages 2 software-pipelines the gemm's K loop (a guarded prefetch), 1
    (and the default, for B^T's short loads) keeps selection's order; 0 is an error."""
    common = [str(GEMM), "--kernel", "gemm", "--signature", GEMM_SIGNATURE, "--config",
              "tensor", "--emit", "asm"]
    outs = {}
    for stages in ([], ["--num-stages", "1"], ["--num-stages", "2"]):
        code, outs[tuple(stages)], err = run(capsys, *common, *stages)
        assert (code, err) == (0, "")
    assert "nothing to prefetch" in outs[("--num-stages", "2")]
    assert outs[()] == outs[("--num-stages", "1")]
    assert "nothing to prefetch" not in outs[()]
    code, out, err = run(capsys, *common, "--num-stages", "0")
    assert (code, out) == (1, "")
    assert err.startswith("oxcore: error: num_stages=0: give 1 (no K-loop software pipelining)")


def test_emit_elf_writes_the_file(capsys, tmp_path: Path) -> None:
    target = tmp_path / "gemm.elf"
    code, out, err = run(capsys, str(GEMM), "--kernel", "gemm", "--signature", GEMM_SIGNATURE,
                         "--config", "tensor", "--emit", "elf", "-o", str(target))
    assert (code, out, err) == (0, "", "")
    assert target.read_bytes()[:4] == b"\x7fELF"


def test_emit_elf_needs_an_output(capsys) -> None:
    code, out, err = run(capsys, str(GEMM), "--kernel", "gemm", "--signature", GEMM_SIGNATURE,
                         "--config", "tensor", "--emit", "elf")
    assert (code, out) == (1, "")
    assert err == "oxcore: error: --emit elf needs -o FILE\n"


def test_print_ir_after_all_shows_every_back_end_stage(capsys) -> None:
    from sw.compiler.driver import BACKEND_STAGES
    code, out, err = run(capsys, str(GEMM), "--kernel", "gemm", "--signature", GEMM_SIGNATURE,
                         "--config", "tensor", "--emit", "asm", "--print-ir-after-all")
    assert code == 0
    for stage in BACKEND_STAGES:
        assert f"IR Dump After {stage} (machine IR)" in out
    before, after = out.split("After allocate-registers")
    assert "After select-instructions" in before and "%m" in before  # virtual tiles
    assert "%m" not in after and "%x" not in after


def test_a_dot_without_the_tensor_engine_is_an_error_in_the_kernel(capsys) -> None:
    code, out, err = run(capsys, str(GEMM), "--kernel", "gemm", "--signature", GEMM_SIGNATURE,
                         "--emit", "asm")
    line = next(i for i, text in enumerate(GEMM.read_text().splitlines(), 1)
                if "for k in range" in text)  # where the accumulator becomes tiles
    assert code == 1
    assert err.startswith(f"{GEMM}:{line}:5: error: an int32 accumulator block needs the "
                          f"tensor engine, which configuration 'default' has not")


def test_emit_asm_vector_add_on_the_vector_engine(capsys) -> None:
    code, out, err = run(capsys, str(EXAMPLE), "--signature", EXAMPLE_SIGNATURE,
                         "--emit", "asm", "--config", "vector")
    assert (code, err) == (0, "")
    assert "vector_add:" in out and "vadd.vv" in out and "vle8.v" in out


def test_emit_asm_without_a_vector_engine(capsys) -> None:
    code, out, err = run(capsys, str(EXAMPLE), "--signature", EXAMPLE_SIGNATURE,
                         "--emit", "asm")
    assert (code, out) == (1, "")
    assert err == (f"{EXAMPLE}:16:5: error: element-wise work on data blocks (1-D, or a "
                   f"2-D block's rows) runs on the vector engine, which configuration "
                   f"'default' has not (use one with [vector], e.g. --config vector)\n")


ELEMENTWISE_2D = """from sw.compiler import language as tl


@tl.kernel
def add2d(x_ptr, out_ptr, M, N, BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr):
    offs = tl.program_id(0) * BLOCK_M + tl.arange(0, BLOCK_M)
    ptrs = offs[:, None] * N + tl.arange(0, BLOCK_N)[None, :]
    mask = (offs[:, None] < M) & (tl.arange(0, BLOCK_N)[None, :] < N)
    x = tl.load(x_ptr + ptrs, mask=mask, other=0)
    tl.store(out_ptr + ptrs, x + x, mask=mask)
"""


def test_element_wise_work_on_a_2d_block_runs_row_by_row(capsys, tmp_path) -> None:
    """A 2-D block only loaded, added and stored runs on the vector engine, one row at a
    time (split-rows): the IR after that pass has the row loop; without a vector engine
    the error is at the store, the region's first sink."""
    source = tmp_path / "add2d.py"
    source.write_text(ELEMENTWISE_2D)
    signature = ["--signature", "x_ptr:*i32,out_ptr:*i32,M:i32,N:i32,BLOCK_M=4,BLOCK_N=64"]
    code, out, err = run(capsys, str(source), *signature, "--emit", "asm",
                         "--config", "vector", "--print-ir-after-all")
    assert (code, err) == (0, "")
    after_split = out.split("IR Dump After split-rows")[1].split("IR Dump After")[0]
    assert "scf.for %row" in after_split and "oxcore_block.row" in after_split
    assert "vle32.v" in out and "vadd.vv" in out and "vse32.v" in out
    code, out, err = run(capsys, str(source), *signature, "--emit", "asm")
    assert (code, out) == (1, "")
    assert err.startswith(f"{source}:10:5: error: element-wise work on data blocks (1-D, "
                          f"or a 2-D block's rows) runs on the vector engine")


@pytest.mark.parametrize("args, message", [
    (["--signature", "x:*i8"], "has several kernels (vector_add, gemm, row_sum, relu): "
                               "choose one with --kernel"),
    (["--kernel", "softmax", "--signature", "x:*i8"],
     "no kernel 'softmax' (kernels: vector_add, gemm, row_sum, relu)"),
    (["--kernel", "relu"], "--signature is required"),
])
def test_kernel_selection_errors(capsys, args: list[str], message: str) -> None:
    code, out, err = run(capsys, kernels.__file__, *args)
    assert (code, out) == (1, "")
    assert err.startswith("oxcore: error: ") and message in err and err.count("\n") == 1


def test_file_problems_are_one_line(capsys, tmp_path: Path) -> None:
    code, _, err = run(capsys, str(tmp_path / "missing.py"), "--signature", "x:*i8")
    assert code == 1 and err == f"oxcore: error: {tmp_path / 'missing.py'}: no such file\n"
    broken = tmp_path / "broken.py"
    broken.write_text("from sw.compiler import language as tl\n\nraise ValueError('boom')\n")
    code, _, err = run(capsys, str(broken), "--signature", "x:*i8")
    assert code == 1
    assert err == (f"oxcore: error: {broken}:3: importing {broken} failed: "
                   f"ValueError: boom\n")
    empty = tmp_path / "empty.py"
    empty.write_text("X = 1\n")
    code, _, err = run(capsys, str(empty), "--signature", "x:*i8")
    assert err == f"oxcore: error: {empty}: no @kernel function in this file\n"


def test_kernels_are_not_callable_from_python() -> None:
    with pytest.raises(TypeError, match="is compiled, not called"):
        kernels.vector_add(1, 2, 3, 4, 64)


def test_signature_for_each_test_kernel_is_complete(capsys) -> None:
    for name, signature in SIGNATURES.items():
        code, out, err = run(capsys, kernels.__file__, "--kernel", name, "--signature",
                             signature)
        assert (code, err) == (0, ""), name
        assert f"func.func @{name}(" in out


def test_errors_name_the_file_as_given(capsys, monkeypatch) -> None:
    monkeypatch.chdir(ROOT)
    code, out, err = run(capsys, "examples/vector_add_kernel.py", "--signature",
                         "x_ptr:*i8,y_ptr:*i8,out_ptr:*i8,n:i32")
    assert (code, out) == (1, "")
    assert err == ("examples/vector_add_kernel.py:11:42: error: constexpr parameter "
                   "'BLOCK' needs a value in the signature (BLOCK=...)\n")
