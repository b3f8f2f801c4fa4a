"""A core with both engines converts to RTLIL: Amaranth rejects a combinational cycle
there, which the Python simulator runs without noticing, and the CXXRTL backend (the
default of `make cosim`) and synthesis need the conversion. (The tensor engine had one:
its early load request's address reached the banked RAM's arbiter, whose ready came
back into it through a store's end.)"""

from amaranth.back import rtlil

from cosim.tensor_fuzz import config, program
from hw.oxcore.top import Top
from oxcore import api
from sw.asm.assembler import assemble_source
from sw.asm.driver import render


def test_a_core_with_both_engines_has_no_combinational_loop(tmp_path):
    cfg = config(4)  # default + [vector] + [tensor]
    elf = tmp_path / "t.elf"
    elf.write_bytes(render(assemble_source(program(["    tzero m0"]), "t.S", cfg), "elf", cfg))
    top = Top(cfg, api.load(elf, cfg).program)
    ports = [top.core.retire.as_value()] + [c.signal.as_value() for c in top.engine_commits]
    text = rtlil.convert(top, name="top", ports=ports)
    assert "tlsu_commit" in text and "vlsu_commit" in text  # both engines are in
