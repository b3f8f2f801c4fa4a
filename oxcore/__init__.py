"""OxCore co-design framework: shared pure-Python core (ISA, config, programs, CLI)."""
