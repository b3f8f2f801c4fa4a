# hello.S: print a line with the write syscall, then exit with status 3.
#   oxcore asm examples/hello.S -o build/hello.elf && oxcore run build/hello.elf

    .section .rodata
message:
    .ascii "hello from OxCore\n"
message_end:

    .text
    .globl _start
_start:
    li   a0, 1                      # fd = stdout
    la   a1, message                # buf
    li   a2, message_end - message  # len
    li   a7, 64                     # write
    ecall
    li   a0, 3                      # status
    li   a7, 93                     # exit
    ecall
