"""Every test directory is a package, so test modules import as `tests.<path>` and a
directory named like a real package (tests/oxcore, tests/cosim, ...) can never shadow it."""

from pathlib import Path

TESTS = Path(__file__).parent


def test_every_test_directory_is_a_package() -> None:
    missing = [str(d.relative_to(TESTS.parent)) for d in TESTS.rglob("*")
               if d.is_dir() and d.name != "__pycache__" and any(d.glob("test_*.py"))
               and not (d / "__init__.py").exists()]
    assert not missing, f"add __init__.py to: {missing}"


def test_real_packages_are_imported() -> None:
    import cosim
    import oxcore
    root = TESTS.parent.resolve()
    assert Path(oxcore.__file__).resolve().parent == root / "oxcore"
    assert Path(cosim.__file__).resolve().parent == root / "cosim"
