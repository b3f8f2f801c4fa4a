"""Fixtures of the co-simulation suites: `qemu`, the qemu-riscv32 oracle."""

from __future__ import annotations

from pathlib import Path

import pytest

from cosim.oracles import qemu as qemu_oracle


@pytest.fixture(scope="session")
def qemu() -> Path:
    """qemu-riscv32's path; the test is skipped when it is not installed."""
    path = qemu_oracle.find_qemu()
    if path is None:
        pytest.skip(f"{qemu_oracle.EXECUTABLE} not found: {qemu_oracle.INSTALL_HINT}")
    return path
