"""Independent implementations that OxCore's simulators are checked against.

`qemu`: QEMU's user-mode emulator (``qemu-riscv32``) runs the same ELF files our
toolchain builds, the vector engine (RVV 1.0, Zve32x) included.
"""
