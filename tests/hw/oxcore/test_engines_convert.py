"""A core with both engines converts to RTLIL: Amaranth rejects a combinational cycle
there, which the Python simulator runs without noticing, and the CXXRTL backend (the
default of `make cosim`) and synthesis need the conversion. (The tensor engine had one:
its early load request's address reached the banked RAM's arbiter, whose ready came
back into it through a store's end; later the vector engine, below.)"""

from amaranth.back import rtlil

from cosim.tensor_fuzz import config, load_source, program
from hw.oxcore.top import Top


# (the whole core with both engines to RTLIL, under a minute: in make test, since the
# Python simulator runs a loop without noticing; one went unnoticed for six sessions
# while this test was only in make test-long: a quick-started vector load's address
# into the banked RAM's arbitration, whose ready came back through the vector
# instruction's end)
def test_a_core_with_both_engines_has_no_combinational_loop(tmp_path):
    cfg = config(4)  # default + [vector] + [tensor]
    top = Top(cfg, load_source(program(["    tzero m0"]), cfg, tmp_path, "t").program)
    ports = [top.core.retire.as_value()] + [c.signal.as_value() for c in top.engine_commits]
    text = rtlil.convert(top, name="top", ports=ports)
    assert "tlsu_commit" in text and "vlsu_commit" in text  # both engines are in
