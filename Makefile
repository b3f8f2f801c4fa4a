# OxCore co-design framework. Every target bootstraps .venv first (pinned, from PyPI).
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
JOBS   ?= auto

N      ?= 20

KERNEL ?= gemm
# make fpga: PROG, else a KERNEL given by the user (not the cosim default above), else
# the SoC's own hello program.
FPGA_PROGRAM_ARGS = $(if $(PROG),--prog $(PROG),$(if $(filter-out file,$(origin KERNEL)),--kernel $(KERNEL)))

.PHONY: venv test test-long cosim docs bench fuzz fpga fpga-check fpga-timing clean distclean help

help:
	@echo "make cosim KERNEL=gemm [SHAPE=M,N,K] [SEED=1] [CONFIG=small] [SIM=cxxrtl|pysim] [VCD=f.vcd]"
	@echo "               [SWEEP='tensor.tdim=4,8,16 ...']  the kernel on each configuration, one table"
	@echo "make venv      create .venv with pinned tools (idempotent)"
	@echo "make test      run the test suite (pytest -n $(JOBS))"
	@echo "make test-long the tests make test skips for their minutes of tool time (not in CI)"
	@echo "make docs      regenerate generated docs (docs/isa.md, sw/cc/runtime/oxcore_tensor.h)"
	@echo "make bench     run benchmarks, print figures and write build/bench/*.json"
	@echo "make fuzz N=20 long randomized campaigns (N scales their size; not in CI;"
	@echo "               the vector ones compare with qemu-riscv32, skipped without it,"
	@echo "               and co-simulate the same programs on the RTL)"
	@echo "make fpga BOARD=ulx3s [PROG=x.elf|KERNEL=c_gemm] [CONFIG=..] [PROGRAM=1]"
	@echo "make fpga-check  full place-and-route checks of every board (not in CI)"
	@echo "make fpga-timing UNIT=lane [CONFIG=vector] [PLACE_ONLY=1] [FAST=1]  one unit alone:"
	@echo "               Fmax and its critical path by HDL line"
	@echo "make fpga-timing UNIT=vector FAST=1 DEPTH=1  no place and route: the deepest"
	@echo "               paths of the synthesized netlist, each endpoint once (minutes);"
	@echo "               BY_LINE=25: also the 25 HDL lines with the most cells (the area);"
	@echo "               FANOUT=20: also the 20 nets with the most loads"
	@echo "make fpga-timing UNIT=tensor CONFIG=tensor CONGESTION=1  router2's congestion"
	@echo "               summed by design signal (congestion.txt)"
	@echo "               (FLOORPLAN=0, here and for make fpga: the MAC array's DSPs"
	@echo "               placed freely, not pinned to a block in the die's middle)"

venv: $(STAMP)

# pyproject.toml pins our direct dependencies; constraints.txt pins everything they
# pull in, so every machine gets the same versions.
$(STAMP): pyproject.toml constraints.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
	@touch $(STAMP)

test: $(STAMP)
	$(PY) -m pytest -n $(JOBS) --dist worksteal -q

# Synthesis fit checks, post-synthesis netlist runs, CXXRTL speed and the vector
# engine's CXXRTL models: minutes of tool time each (tests marked `long`).
test-long: $(STAMP)
	OXCORE_LONG_TESTS=1 $(PY) -m pytest -n $(JOBS) -q -m long

# The main job: a kernel on the RTL, checked instruction by instruction against the
# golden interpreter and its outputs against numpy.
cosim: $(STAMP)
	$(VENV)/bin/oxcore cosim --kernel $(KERNEL)$(if $(SHAPE), --shape=$(SHAPE))$(if \
		$(SEED), --seed=$(SEED))$(if $(CONFIG), --config $(CONFIG))$(if $(SIM), --backend \
		$(SIM))$(if $(VCD), --vcd $(VCD))$(if $(SWEEP), $(addprefix --sweep=,$(SWEEP)))

docs: $(STAMP)
	$(PY) -m oxcore.docgen docs
	$(PY) -m sw.cc.tensor_header

bench: $(STAMP)
	$(PY) -m bench.run

fuzz: $(STAMP)
	OXCORE_FUZZ_SCALE=$(N) $(PY) -m pytest -n $(JOBS) -q \
		tests/cosim/iss/test_unicorn_lockstep.py tests/cosim/iss/test_modes.py \
		tests/sw/compiler/test_vector_fuzz.py
	$(PY) -m cosim.fuzz --count $$(( $(N) * 10 )) --out build/fuzz
	$(PY) -m cosim.vector_fuzz --seeds $$(( $(N) * 10 )) --vlen 128 --vlen 256 --vstart-rate 0.1 \
		--out build/vector-fuzz
	$(PY) -m cosim.vector_fuzz --seeds $$(( $(N) * 25 )) --vlen 256 --length 4 --wild \
		--out build/vector-fuzz-wild
	$(PY) -m cosim.vector_fuzz --rtl --seeds $(N) --vlen 128 --vlen 256 --lanes 2 --lanes 4 \
		--vstart-rate 0.1 --out build/vector-fuzz-rtl
	$(PY) -m cosim.vector_fuzz --rtl --wild --seeds $$(( $(N) * 2 )) --vlen 256 --length 4 \
		--out build/vector-fuzz-rtl-wild
	$(PY) -m cosim.tensor_fuzz --seeds $$(( $(N) * 2 )) --tdim 4 --tdim 8 --out build/tensor-fuzz
	$(PY) -m cosim.gemm_fuzz --cases $$(( $(N) * 25 )) --rtl-every 25 --out build/gemm-fuzz

fpga: $(STAMP)
	$(PY) -m fpga build --board $(or $(BOARD),ulx3s) $(FPGA_PROGRAM_ARGS) \
		$(if $(CONFIG),--config $(CONFIG)) $(if $(filter 1,$(PROGRAM)),--program) \
		$(if $(ROUTER),--router $(ROUTER)) $(if $(PLACER),--placer $(PLACER)) \
		$(if $(filter 0,$(FLOORPLAN)),--no-floorplan)

fpga-check: $(STAMP)
	$(PY) -m fpga check

fpga-timing: $(STAMP)
	$(PY) -m fpga timing --unit $(or $(UNIT),lane) $(if $(CONFIG),--config $(CONFIG)) \
		$(if $(filter 1,$(PLACE_ONLY)),--place-only) $(if $(filter 1,$(FAST)),--no-abc9) \
		$(if $(filter 1,$(DEPTH)),--depth) $(if $(BY_LINE),--by-line $(BY_LINE)) \
		$(if $(FANOUT),--fanout $(FANOUT)) \
		$(if $(PLACER),--placer $(PLACER)) $(if $(filter 1,$(CONGESTION)),--congestion) \
		$(if $(filter 0,$(FLOORPLAN)),--no-floorplan)

# clean keeps the tool caches (zig's C++ runtime, compiled CXXRTL models, YoWASP):
# rebuilding them costs minutes. distclean removes everything, .venv included.
clean:
	find build -mindepth 1 -maxdepth 1 ! -name cache ! -name cxxrtl -exec rm -rf {} + 2>/dev/null || true
	rm -rf .pytest_cache

distclean:
	rm -rf build .pytest_cache $(VENV)
