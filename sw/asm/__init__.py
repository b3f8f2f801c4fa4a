"""Assembler, disassembler and ELF writer for the OxCore ISA."""
