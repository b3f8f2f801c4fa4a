"""OxCore co-design framework: shared pure-Python core (ISA, config, programs, CLI)."""


def __getattr__(name: str):
    """`oxcore.launch` (sw.compiler.launch.launch), imported on first use so that
    `import oxcore` stays light."""
    if name == "launch":
        from sw.compiler.launch import launch
        return launch
    raise AttributeError(f"module 'oxcore' has no attribute {name!r}")
