"""C for the vector engine: `oxcore cc` with a vector configuration targets Zve32x, so
RVV intrinsics and clang's loop vectorizer produce code that runs on the interpreter.

References are independent of the interpreter: numpy for the expected output, and
QEMU (when installed) running the same ELF.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
from elftools.elf.elffile import ELFFile

from oxcore import api
from oxcore.config import PRESETS, VectorConfig
from oxcore.isa import isa_for
from sw.cc.driver import compile_c

VECTOR_DIR = Path(__file__).resolve().parents[1] / "programs" / "vector"
CONFIG = dataclasses.replace(PRESETS["default"], name="vector", vector=VectorConfig(vlen=256))


def _lcg(seed: int, count: int, multiplier: int, increment: int) -> np.ndarray:
    values, state = [], seed
    for _ in range(count):
        state = (state * multiplier + increment) & 0xFFFF_FFFF
        values.append(state)
    return np.array(values, dtype=np.uint32).view(np.int32)


def autovec_expected() -> bytes:
    n = 203
    raw = _lcg(7, 4 * n, 1664525, 1013904223).reshape(n, 4).astype(np.int64)
    a, b = raw[:, 0] >> 12, raw[:, 1] >> 12
    x8 = raw[:, 2].astype(np.int8).astype(np.int64)
    y8 = (raw[:, 3] >> 8).astype(np.int8).astype(np.int64)
    add = a + b  # |a|, |b| < 2**19: no wrap
    relu = np.maximum(a, 0)
    q = np.clip((a * 77 + 64) >> 7, -128, 127)
    h = (x8 * y8).astype(np.int16)
    dot = int(np.sum(a * b)) & 0xFFFF_FFFF
    dot = dot - (1 << 32) if dot >> 31 else dot
    lines = [f"{i} {add[i]} {relu[i]} {q[i]} {h[i]}" for i in range(n)]
    lines.append(f"dot {dot}")
    return ("\n".join(lines) + "\n").encode()


def _vector_instructions(elf: Path) -> int:
    isa = isa_for(CONFIG)
    with open(elf, "rb") as handle:
        text = ELFFile(handle).get_section_by_name(".text").data()
    words = np.frombuffer(text[:len(text) // 4 * 4], dtype="<u4")
    return sum(1 for word in words.tolist()
               if (ins := isa.decode(word)) is not None and ins.engine == "vector")


@pytest.fixture(scope="module")
def autovec_elf(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("autovec") / "autovec.elf"
    return compile_c([VECTOR_DIR / "autovec.c"], out, CONFIG, opt="3")


def test_loop_vectorizer_output_runs_on_the_interpreter(autovec_elf):
    assert _vector_instructions(autovec_elf) >= 10  # the loops really were vectorized
    result = api.run(api.load(autovec_elf, CONFIG), "iss")
    assert (result.exit_code, result.stderr) == (0, b"")
    assert result.stdout == autovec_expected()


def test_loop_vectorizer_output_agrees_with_qemu(autovec_elf, qemu):
    from cosim.oracles import qemu as oracle
    ran = oracle.run(autovec_elf, CONFIG, qemu=qemu)
    assert (ran.status, ran.stdout) == (0, autovec_expected())


def test_intrinsics_compile_with_oxcore_cc(tmp_path):
    """The RVV intrinsics program of the QEMU oracle test, built by `oxcore cc` itself."""
    from tests.cosim.test_qemu_oracle import vmacc_expected
    elf = compile_c([VECTOR_DIR / "vmacc_i32.c"], tmp_path / "vmacc.elf", CONFIG)
    assert _vector_instructions(elf) > 0
    result = api.run(api.load(elf, CONFIG), "iss")
    assert (result.exit_code, result.stdout) == (0, vmacc_expected(256))


def test_scalar_config_builds_no_vector_code(tmp_path):
    elf = compile_c([VECTOR_DIR / "autovec.c"], tmp_path / "scalar.elf", PRESETS["default"],
                    opt="3")
    assert _vector_instructions(elf) == 0
