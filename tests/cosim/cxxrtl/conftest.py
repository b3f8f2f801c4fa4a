import pytest

from cosim.cxxrtl import CxxrtlUnavailable, build
from cosim.cxxrtl.build import find_compiler


@pytest.fixture(scope="session")
def cxx():
    """Skip when there is no C++ compiler (the fallback tests do not use this)."""
    try:
        find_compiler()
    except CxxrtlUnavailable as exc:
        pytest.skip(str(exc))


@pytest.fixture(scope="session")
def built(cxx):
    """build() into the shared cache (build/cxxrtl): instant after the first test run."""
    def make(design, **options):
        return build(design, progress=None, **options)
    return make
