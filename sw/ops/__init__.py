"""The operator library: kernels in the kernel language, each with a numpy reference."""
