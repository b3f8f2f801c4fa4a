"""The golden instruction-set interpreter: the executable specification."""
