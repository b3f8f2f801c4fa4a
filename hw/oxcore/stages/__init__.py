"""The pipeline's stages, one file each, in the order `core.Core` elaborates them:
`writeback`, `memory_access`, `execute`, `decode` (ID: decode, register read, issue),
`fetch`, then `engines` (dispatch and completion, only with engines) and `perf` (the
performance events). `fetch.Fetch`, `decode.Decode`, `memory_access.MemoryAccess`
and `writeback.Writeback` are components (wired by `core.Core.elaborate`); the others
are functions of a `pipeline.Pipeline`.
"""
