"""Run small assembly programs for the tensor tests on the interpreter (both modes).

`run_program` places the given data arrays at 64-byte aligned labels, runs the body,
then writes the `out` buffer to stdout and exits. Every program runs twice, in the
fast (translated) mode and in the recording mode, which must agree.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cosim.iss import Interpreter, Stop
from oxcore.config import PRESETS, OxCoreConfig, TensorConfig, VectorConfig
from oxcore.program import load_program
from oxcore.retire import RetireRecord
from sw.asm.assembler import assemble_source
from sw.asm.driver import render


def tensor_config(tdim: int = 8, vector: bool = False) -> OxCoreConfig:
    return PRESETS["default"].replace(
        name=f"tensor{tdim}", tensor=TensorConfig(tdim=tdim),
        vector=VectorConfig(vlen=256) if vector else None)


@dataclass
class Ran:
    out: bytes  # the `out` buffer, as the program wrote it to stdout
    stop: Stop
    interpreter: Interpreter  # the recording run's, after it stopped
    records: list[RetireRecord]

    def out_array(self, dtype, shape=None) -> np.ndarray:
        values = np.frombuffer(self.out, dtype=dtype)
        return values.reshape(shape) if shape is not None else values


def _data_section(data: dict[str, np.ndarray | bytes], out_size: int, out_fill: int) -> str:
    lines = ["    .data"]
    for label, values in {**data, "out": bytes([out_fill]) * out_size}.items():
        raw = values if isinstance(values, bytes) else np.ascontiguousarray(values).tobytes()
        lines += ["    .p2align 6", f"{label}:"]
        lines += [f"    .byte {', '.join(str(b) for b in raw[i:i + 32])}"
                  for i in range(0, len(raw), 32)]
    return "\n".join(lines)


def source(body: str, data: dict[str, np.ndarray | bytes], out_size: int,
           out_fill: int = 0) -> str:
    return f"""{_data_section(data, out_size, out_fill)}
    .text
    .globl _start
_start:
{body}
    la a1, out
    li a0, 1
    li a2, {out_size}
    li a7, 64
    ecall
    li a0, 0
    li a7, 93
    ecall
"""


def run_program(body: str, tmp_path: Path, config: OxCoreConfig,
                data: dict[str, np.ndarray | bytes] | None = None,
                out_size: int = 64, out_fill: int = 0) -> Ran:
    """Run `body` on the interpreter (fast and recording); `out` (out_size bytes of
    out_fill) is written to stdout at the end."""
    elf = tmp_path / "t.elf"
    elf.write_bytes(render(assemble_source(source(body, data or {}, out_size, out_fill), "t.S",
                                           config),
                           "elf", config))
    program = load_program(elf, config)
    fast_out = io.BytesIO()
    fast = Interpreter(config, program, stdout=fast_out, stderr=io.BytesIO())
    fast_stop = fast.run()
    out = io.BytesIO()
    interp = Interpreter(config, program, stdout=out, stderr=io.BytesIO())
    records: list[RetireRecord] = []
    stop = interp.run(on_retire=records.append)
    assert out.getvalue() == fast_out.getvalue()
    assert (stop.instret, stop.trap and stop.trap.cause) == \
           (fast_stop.instret, fast_stop.trap and fast_stop.trap.cause)
    return Ran(out.getvalue(), stop, interp, records)
