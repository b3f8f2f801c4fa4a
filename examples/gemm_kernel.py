"""The operator library's gemm (sw/ops/gemm.py), here so that `oxcore compile` can be
given a file path (docs/walkthrough.md):

    oxcore compile examples/gemm_kernel.py --config tensor --emit asm \
        --signature "a_ptr:*i8,bt_ptr:*i8,c_ptr:*i32,M:i32,N:i32,K:i32,BLOCK_M=16,BLOCK_N=16,BLOCK_K=32"
"""

from sw.ops.gemm import gemm  # noqa: F401 (`oxcore compile` finds the @kernel here)
