"""OxCore RTL (Amaranth HDL): the scalar RV32IM+Zicsr pipeline and its engine platform.

One unit per module: `decoder` (generated from `oxcore.isa`) with its per-mnemonic
`control` table, `alu`, `multiplier` (pipelined), `divider` (iterative), `regfile`,
`lsu`, `branch` (resolution and prediction), `hazard`, `csr` (counters), `scoreboard`
(registers engines will write), `memory` (the RAM), `bus` (the memory-port signature),
`arbiter`, `banked_ram`, `engine` (the engine interface), `pipeline` (what the stages
share), `stages/` (one file per pipeline stage), `core` (the five-stage pipeline's
ports) and `top` (core + RAM for a program).
`cosim.rtl_sim` runs `top` in Amaranth's simulator and emits retire records.
"""
