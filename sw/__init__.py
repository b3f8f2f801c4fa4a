"""Software toolchain: assembler, C driver, compiler."""
