"""OxCore RTL (Amaranth HDL)."""
