"""The compiled-kernel cache (sw/compiler/cache.py): a hit returns what compiling would,
anything that changes the code misses, and a damaged entry is never trusted."""

from __future__ import annotations

import importlib.util
import json

import pytest

from oxcore.config import load_config
from sw.compiler import cache, driver
from sw.compiler.launch import launch
from tests.sw.compiler import kernels

VECTOR = load_config("vector")
SIGNATURE = "x_ptr:*i32,y_ptr:*i32,out_ptr:*i32,n_elements:i32,BLOCK=32"


@pytest.fixture
def disk_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("OXCORE_KERNEL_CACHE", "1")
    monkeypatch.setenv("OXCORE_CACHE_DIR", str(tmp_path))
    cache.clear_memory()
    yield tmp_path / "kernels"
    cache.clear_memory()


@pytest.fixture
def no_compiler(monkeypatch):
    """Compiling fails from here on: what the test gets comes from the cache."""
    def refuse(*args, **kwargs):
        raise AssertionError("compiled although the cache holds this kernel")
    monkeypatch.setattr(driver, "compile_to_ir", refuse)


def compile_vector_add(signature: str = SIGNATURE, config=VECTOR):
    return driver.compile_kernel(kernels.vector_add, signature, config)


def test_a_new_process_reads_the_kernel_from_disk(disk_cache, request):
    compiled = compile_vector_add()
    entries = list(disk_cache.glob("*.json"))
    assert len(entries) == 1
    cache.clear_memory()  # as a new process
    request.getfixturevalue("no_compiler")
    assert compile_vector_add() == compiled


def test_the_cached_kernel_runs(disk_cache):
    import numpy as np
    compile_vector_add()
    cache.clear_memory()
    x = np.arange(40, dtype=np.int32)
    y = np.full(40, 7, dtype=np.int32)
    out = np.zeros(40, dtype=np.int32)
    result = launch(kernels.vector_add, (2,), x, y, out, 40, BLOCK=32, config=VECTOR)
    assert (result.arrays[2] == x + 7).all()


@pytest.mark.parametrize("change", ["signature", "config", "compiler"])
def test_what_changes_the_code_misses(disk_cache, monkeypatch, change):
    compile_vector_add()
    cache.clear_memory()
    if change == "signature":
        compile_vector_add(SIGNATURE.replace("BLOCK=32", "BLOCK=64"))
    elif change == "config":
        compile_vector_add(config=VECTOR.replace(vector=VECTOR.vector.replace(lanes=2)))
    else:
        monkeypatch.setattr(cache, "compiler_digest", lambda: "an edited compiler")
        compile_vector_add()
    assert len(list(disk_cache.glob("*.json"))) == 2


def _module(path, source: str):
    path.write_text(source)
    spec = importlib.util.spec_from_file_location(f"cache_test_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


KERNEL_SOURCE = '''
import sw.compiler.language as tl
SCALE = {scale}

@tl.kernel
def scaled(x_ptr, out_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    x = tl.load(x_ptr + offs, mask=offs < n)
    tl.store(out_ptr + offs, x * {factor}, mask=offs < n)
'''


def test_a_global_or_an_edit_of_the_kernel_changes_the_key(tmp_path):
    keys = set()
    for name, scale, factor in (("a", 2, "SCALE"), ("b", 3, "SCALE"), ("c", 2, "SCALE + 0")):
        module = _module(tmp_path / f"{name}.py", KERNEL_SOURCE.format(scale=scale,
                                                                       factor=factor))
        keys.add(cache.kernel_key(module.scaled, "x_ptr:*i32,out_ptr:*i32,n:i32,BLOCK=32",
                                  VECTOR, None))
    assert None not in keys and len(keys) == 3
    same = _module(tmp_path / "d.py", KERNEL_SOURCE.format(scale=2, factor="SCALE"))
    assert cache.kernel_key(same.scaled, "x_ptr:*i32,out_ptr:*i32,n:i32,BLOCK=32",
                            VECTOR, None) in keys


HELPER_SOURCE = '''
import sw.compiler.language as tl
SHIFT = {shift}

@tl.jit
def inner(x):
    return x << SHIFT

@tl.jit
def helper(x):
    return inner(x) + {add}

@tl.kernel
def calls(x_ptr, out_ptr, BLOCK: tl.constexpr):
    offs = tl.arange(0, BLOCK)
    tl.store(out_ptr + offs, helper(tl.load(x_ptr + offs)))
'''


def test_an_edit_of_a_helper_or_its_globals_changes_the_key(tmp_path):
    """A helper function is inlined into the kernel: its source and the globals it
    reads (through the helpers it calls in turn) are part of the kernel's key."""
    keys = set()
    for name, shift, add in (("a", 1, 5), ("b", 2, 5), ("c", 1, 6)):
        module = _module(tmp_path / f"h{name}.py", HELPER_SOURCE.format(shift=shift, add=add))
        keys.add(cache.kernel_key(module.calls, "x_ptr:*i32,out_ptr:*i32,BLOCK=8", VECTOR,
                                  None))
    assert None not in keys and len(keys) == 3
    same = _module(tmp_path / "hd.py", HELPER_SOURCE.format(shift=1, add=5))
    assert cache.kernel_key(same.calls, "x_ptr:*i32,out_ptr:*i32,BLOCK=8", VECTOR,
                            None) in keys


LIBRARY_SOURCE = '''
import sw.compiler.language as tl
SHIFT = {shift}

@tl.jit
def shifted(x, k: tl.constexpr = SHIFT):
    return (x << k) + {add}
'''

CALLER_SOURCE = '''
import sw.compiler.language as tl
import {library} as lib

@tl.kernel
def calls(x_ptr, out_ptr, BLOCK: tl.constexpr):
    offs = tl.arange(0, BLOCK)
    tl.store(out_ptr + offs, lib.shifted(tl.load(x_ptr + offs)))
'''


def test_a_helper_called_as_a_module_attribute_with_a_global_default(tmp_path,
                                                                      monkeypatch):
    """`lib.shifted(x)`, whose constexpr default reads the library's global: its body
    and that global are both in the caller's key."""
    import sys
    monkeypatch.syspath_prepend(str(tmp_path))
    keys = set()
    for name, shift, add in (("a", 1, 5), ("b", 2, 5), ("c", 1, 6)):
        (tmp_path / name).mkdir()
        library = _module(tmp_path / name / "helper_library.py",  # (one module name)
                          LIBRARY_SOURCE.format(shift=shift, add=add))
        monkeypatch.setitem(sys.modules, "helper_library", library)  # (one name each time)
        caller = _module(tmp_path / f"caller_{name}.py",
                         CALLER_SOURCE.format(library="helper_library"))
        keys.add(cache.kernel_key(caller.calls, "x_ptr:*i32,out_ptr:*i32,BLOCK=8", VECTOR,
                                  None))
    assert None not in keys and len(keys) == 3


@pytest.mark.parametrize("damage", ["not json", '{"format": 0}', '{"format": 1}'])
def test_a_damaged_entry_is_compiled_again(disk_cache, damage):
    compiled = compile_vector_add()
    (entry,) = disk_cache.glob("*.json")
    entry.write_text(damage)
    cache.clear_memory()
    assert compile_vector_add() == compiled
    assert json.loads(entry.read_text())["asm"] == compiled.asm  # replaced


def test_off_switch(disk_cache, monkeypatch):
    monkeypatch.setenv("OXCORE_KERNEL_CACHE", "0")
    compile_vector_add()
    assert not disk_cache.exists() or not list(disk_cache.glob("*.json"))
