"""Commit-port layouts, generated from the retire schema (`oxcore.retire`).

A port is a `lib.data` struct: `valid`, the header (order, pc, insn) and one slot per
effect kind, each with its own `valid` and the kind's fields. Field names are the
schema's, so the simulators' decoders (`oxcore.retire.batch.batch_from_port`) read
them back without restating anything.
"""

from __future__ import annotations

from amaranth.lib import data

from oxcore.retire import PortSpec


def commit_layout(spec: PortSpec) -> data.StructLayout:
    """The Amaranth layout of a commit port."""
    members: dict[str, object] = {}
    for name, width in spec.fields().items():
        members[name] = data.StructLayout(width) if isinstance(width, dict) else width
    return data.StructLayout(members)
