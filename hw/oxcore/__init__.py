"""OxCore RTL (Amaranth HDL): the scalar RV32IM+Zicsr pipeline.

One unit per module: `decoder` (generated from `oxcore.isa`) with its per-mnemonic
`control` table, `alu`, `multiplier` (pipelined), `divider` (iterative), `regfile`,
`lsu`, `branch` (resolution and prediction), `hazard`, `csr` (counters), `memory`
(the RAM), `core` (the five-stage pipeline) and `top` (core + RAM for a program).
`cosim.rtl_sim` runs `top` in Amaranth's simulator and emits retire records.
"""
