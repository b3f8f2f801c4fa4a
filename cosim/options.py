"""Checks of command-line values that argparse's types cannot express, shared by
`oxcore run` and `oxcore cosim`, so that every bad value gets the same kind of one line:
the option, the value and the rule."""

from __future__ import annotations

import argparse

from oxcore.errors import OxCoreError


def flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def require_positive(args: argparse.Namespace, *names: str) -> None:
    """Limits such as --max-instructions and --max-cycles: at least 1 when given."""
    for name in names:
        value = getattr(args, name, None)
        if value is not None and value < 1:
            raise OxCoreError(f"{flag(name)} {value}: must be a positive integer")


def require_non_negative(args: argparse.Namespace, *names: str) -> None:
    for name in names:
        value = getattr(args, name, None)
        if value is not None and value < 0:
            raise OxCoreError(f"{flag(name)} {value}: must be a non-negative integer")


# Without --max-instructions, a run stops after this many instructions: a program that
# never ends is reported (as an instruction limit) instead of running until killed.
RUNAWAY_GUARD = 1_000_000_000
GUARD_NOTE = (f"the default guard of {RUNAWAY_GUARD:,} instructions against runaway "
              "programs; raise it with --max-instructions")


def guard_instructions(args: argparse.Namespace) -> bool:
    """Apply the default instruction guard when no limit was given; True if applied."""
    if getattr(args, "max_instructions", None) is None:
        args.max_instructions = RUNAWAY_GUARD
        return True
    return False
