"""The pipeline's stages, one file each, in the order `core.Core` elaborates them:
`writeback`, `memory_access`, `execute`, `decode` (ID: decode, register read, issue),
`fetch`, then `engines` (dispatch and completion, only with engines) and `perf` (the
performance events). The five stages are components (`fetch.Fetch`, `decode.Decode`,
`execute.Execute`, `memory_access.MemoryAccess`, `writeback.Writeback`, wired by
`core.Core.elaborate`); `engines` and `perf` are functions of a `pipeline.Pipeline`.
"""
