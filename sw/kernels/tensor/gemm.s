/* gemm: C[M][N] = A[M][K] x B[K][N] on the tensor engine, int8 x int8 -> int32, or with
 * QUANT=1 requantized to int8 by tst.b (the int8 inference epilogue). B comes
 * transposed, BT[N][K] (the layout of a Linear layer's weights), because tmma
 * multiplies by its second operand's transpose: a TDIM x 4*TDIM tile of A and one of
 * BT are both TDIM rows of 4*TDIM consecutive bytes, one port word a row.
 *
 * Built by cosim/kernels.py with our assembler, after `.equ` lines for M, N, K, QUANT
 * (and tst.b's QMUL, QSHIFT, QZP, QRM), SYS_EXIT and TDIM (the configuration's; the
 * kernel checks the tdim CSR against it).
 *
 * Main region: 2 x 2 register blocking. A block of C is 2 x 2 tiles held in m0..m3
 * for all of K; each k-step loads two tiles of A (m4, m5) and two of BT (m6, m7), a
 * TDIM-row load each, and issues four tmma of 4*TDIM cycles each, so the load/store
 * unit is busy (4*TDIM + 4) cycles of every 16*TDIM. Instruction order is the
 * schedule: the engine issues in order, a tile load as soon as no running tmma reads
 * its tile, so each load below sits right after the last tmma that reads the tile's
 * previous contents and the array never waits for an operand. Between blocks the
 * stores of the finished block and the next block's first loads are interleaved with
 * the next block's first tmma (`boundary`), so the array runs on across blocks too.
 *
 * Edges (M or N not multiples of 2*TDIM, K not a multiple of 4*TDIM) go through
 * `edge_tiles`: one tile at a time with trows/tcolb cutting the loads and stores to the
 * matrix (loads zero the rest, so partial tiles multiply correctly). When K has a
 * remainder, its part of the main region's sums is computed first into W (int32)
 * and the main blocks start from those sums (tld.w) instead of zero.
 */
    .equ T, TDIM
    .equ KB, 4 * T                  /* k bytes of an operand tile */
    .equ BLK, 2 * T                 /* rows (and columns) of a block of C */
    .equ MF, M / BLK * BLK          /* the main region: whole blocks, whole k-steps */
    .equ NF, N / BLK * BLK
    .equ KF, K / KB * KB
    .equ BIG, 1 << 24
    .equ MAIN, (MF + BIG - 1) / BIG * ((NF + BIG - 1) / BIG) * ((KF + BIG - 1) / BIG)
    .equ KREM, (K - KF + BIG - 1) / BIG     /* 1: K has a remainder */
    .equ INIT_W, MAIN * KREM        /* main blocks start from partial sums in W */
    .equ MS, MAIN * MF              /* the main region's rows and columns (0: none) */
    .equ NS, MAIN * NF
    .equ ESZ, 4 - 3 * QUANT         /* bytes of an element of C */
    .equ CS, N * ESZ                /* C's row stride */
    .equ WS, 4 * N                  /* W's row stride (int32) */

/* Store tile \tile of C at (\base), rows CS apart: tst.w, or tst.b when QUANT. */
.macro TST tile, base
    .rept 1 - QUANT
    tst.w \tile, (\base), s5
    .endr
    .rept QUANT
    tst.b \tile, (\base), s5
    .endr
.endm

/* Start accumulators m\a and m\b (side by side, \rows rows of C below the block at s8):
 * tzero, or their partial sums from W. */
.macro INIT2 a, b, rows
    .rept INIT_W
    li a4, \rows * WS
    add a4, a4, s8
    tld.w m\a, (a4), s9
    addi a4, a4, 4 * T
    tld.w m\b, (a4), s9
    .endr
    .rept 1 - INIT_W
    tzero m\a
    tzero m\b
    .endr
.endm

/* Store accumulators m\a and m\b of the block whose C is at s3, \rows rows down. */
.macro STORE2 a, b, rows
    li a5, \rows * CS
    add a5, a5, s3
    TST m\a, a5
    addi a5, a5, T * ESZ
    TST m\b, a5
.endm

/* The engine's performance counters into PERF[\slot * 6 ...] (for bench/tensor_gemm.py). */
.macro COUNTERS slot
    la t3, PERF + \slot * 24
    .irp name, tactive, tmacs, tstall_operand, tstall_port, tqfull, tbusy
    csrr t1, \name
    sw t1, 0(t3)
    addi t3, t3, 4
    .endr
.endm

/* One k-step at byte offset t0: A0 = s0 + t0, BT0 = s1 + t0, A1 and BT1 T rows on. */
.macro STEP
    add a0, s0, t0
    tld.b m4, (a0), s4
    add a1, s1, t0
    tld.b m6, (a1), s4
    tmma m0, m4, m6
    add a2, a1, s10
    tld.b m7, (a2), s4
    tmma m1, m4, m7
    add a3, a0, s10
    tld.b m5, (a3), s4
    tmma m2, m5, m6
    tmma m3, m5, m7
.endm

    .text
    .globl _start
_start:
    csrr t1, tdim                   /* built for this TDIM? else exit code 3 */
    li t2, T
    bne t1, t2, wrong_tdim
    .rept QUANT
    li t1, QMUL
    csrw tqmul, t1
    csrwi tqshift, QSHIFT
    li t1, QZP
    csrw tqzp, t1
    csrwi tqrm, QRM
    .endr
    COUNTERS 0
    .globl kernel_begin
kernel_begin:
    /* 1. the K remainder of the main region, into W */
    .rept INIT_W
    li a0, 0
    li a1, MS
    li a2, 0
    li a3, NS
    li a4, KF
    la a5, W
    li a6, WS
    li a7, 0
    call edge_tiles
    .endr
    /* 2. the main region, 2 x 2 blocks */
    .rept MAIN
    call main_region
    .endr
    /* 3. the right strip, then the bottom strip (everything, without a main region) */
    li a0, 0
    li a1, MS
    li a2, NS
    li a3, N
    li a4, 0
    la a5, C
    li a6, CS
    li a7, QUANT
    call edge_tiles
    li a0, MS
    li a1, M
    li a2, 0
    li a3, N
    li a4, 0
    la a5, C
    li a6, CS
    li a7, QUANT
    call edge_tiles
    csrr t1, tdim                   /* in order after every tile store: wait for it */
    li t2, T
    bne t1, t2, wrong_tdim
    .globl kernel_end
kernel_end:
    COUNTERS 1
    li a0, 0
    li a7, SYS_EXIT
    ecall
wrong_tdim:
    li a0, 3
    li a7, SYS_EXIT
    ecall

/* The main region: blocks row by row. s0/s1: A and BT rows of the block, s2: its C,
 * s3: the C of the block whose accumulators are being stored, s8: its W; s6, s7: blocks
 * left in the row, rows left. */
main_region:
    la s0, A
    la s1, BT
    la s2, C
    la s8, W
    li s4, K
    li s5, CS
    li s9, WS
    li s10, T * K
    li s6, NS / BLK
    li s7, MS / BLK
    INIT2 0, 1, 0
    INIT2 2, 3, T
    li t0, 0
    STEP
k_loop:
    addi t0, t0, KB
    li a6, KF
    bge t0, a6, block_done
    STEP
    j k_loop
block_done:
    mv s3, s2
    addi s6, s6, -1
    beqz s6, next_row
    li a6, BLK * K
    add s1, s1, a6
    addi s2, s2, BLK * ESZ
    addi s8, s8, BLK * 4
    j boundary
next_row:
    addi s7, s7, -1
    beqz s7, main_done
    li s6, NS / BLK
    la s1, BT
    li a6, BLK * K
    add s0, s0, a6
    li a6, BLK * CS - (NS - BLK) * ESZ  /* from the row's last block to the next row */
    add s2, s2, a6
    li a6, BLK * WS - (NS - BLK) * 4
    add s8, s8, a6
boundary:                           /* the last tmma (into m3) of the block at s3 runs */
    STORE2 0, 1, 0
    tld.b m4, (s0), s4              /* the next block's step 0 */
    tld.b m6, (s1), s4
    INIT2 0, 1, 0
    tmma m0, m4, m6
    STORE2 2, 3, T
    add a2, s1, s10
    tld.b m7, (a2), s4
    INIT2 2, 3, T
    tmma m1, m4, m7
    add a3, s0, s10
    tld.b m5, (a3), s4
    tmma m2, m5, m6
    tmma m3, m5, m7
    li t0, 0
    j k_loop
main_done:
    STORE2 0, 1, 0
    STORE2 2, 3, T
    ret

/* Tiles of C for rows [a0, a1), columns [a2, a3), k from a4 to K, one at a time, each
 * stored (a7 = 0: tst.w, 1: tst.b) at a5 + row * a6 + column * element size. trows and
 * tcolb cut every load and store to the matrix; they are 0 (whole tiles) again after.
 * t0, t1, t2: row, column, k; t3, t4: rows and columns of this tile; t5, t6 scratch. */
edge_tiles:
    mv t0, a0
edge_row:
    bge t0, a1, edge_done
    li t3, M
    sub t3, t3, t0
    li t6, T
    blt t3, t6, 1f
    mv t3, t6
1:  mv t1, a2
edge_column:
    bge t1, a3, edge_next_row
    li t4, N
    sub t4, t4, t1
    li t6, T
    blt t4, t6, 2f
    mv t4, t6
2:  tzero m0
    mv t2, a4
edge_k:
    li t5, K
    bge t2, t5, edge_store
    sub t5, t5, t2
    li t6, KB
    blt t5, t6, 3f
    mv t5, t6
3:  csrw tcolb, t5                  /* the k bytes of this step */
    csrw trows, t3
    li t6, K
    mul t5, t0, t6
    add t5, t5, t2
    la t6, A
    add t5, t5, t6
    li t6, K
    tld.b m1, (t5), t6
    csrw trows, t4
    li t6, K
    mul t5, t1, t6
    add t5, t5, t2
    la t6, BT
    add t5, t5, t6
    li t6, K
    tld.b m2, (t5), t6
    tmma m0, m1, m2
    addi t2, t2, KB
    j edge_k
edge_store:
    csrw trows, t3
    slli t5, t4, 2
    csrw tcolb, t5                  /* tst.b stores tcolb / 4 elements a row */
    mul t5, t0, a6
    add t5, t5, a5
    beqz a7, 4f
    add t5, t5, t1
    tst.b m0, (t5), a6
    j 5f
4:  slli t6, t1, 2
    add t5, t5, t6
    tst.w m0, (t5), a6
5:  csrw trows, zero
    csrw tcolb, zero
    addi t1, t1, T
    j edge_column
edge_next_row:
    addi t0, t0, T
    j edge_row
edge_done:
    ret

/* The kernel's arrays, in .data (the harness writes the inputs into the image). */
    .data
    .p2align 6
    .globl A
A:  .zero M * K
    .size A, M * K
    .p2align 6
    .globl BT
BT: .zero N * K
    .size BT, N * K
    .p2align 6
    .globl C
C:  .zero M * N * ESZ
    .size C, M * N * ESZ
    .globl PERF
PERF: .zero 48                      /* counters at kernel_begin, at kernel_end */
    .size PERF, 48
    .p2align 6
W:  .zero INIT_W * M * N * 4 + 4     /* the K remainder's int32 partial sums */
