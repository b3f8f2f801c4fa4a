"""FPGA builds with the open toolchain from PyPI (YoWASP Yosys + nextpnr), via amaranth-boards.

Modules: `boards` (the four boards, `SOC_SIGNATURE`, `BoardTop`), `flow` (build a SoC
for a board: bitstream + report, programming), `report` (nextpnr/Yosys report parsing),
`area` (synthesis-only per-unit area), `postsynth` (simulate the mapped netlist),
`uart` (transmitter + line decoder), `soc_lite` (the demo SoC), `tools` (YoWASP tool
locations and environment), `cli` (``python -m fpga``). See docs/fpga.md.
"""
