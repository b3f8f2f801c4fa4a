"""docs/isa.md is generated from the ISA table and kept up to date (`make docs`)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from oxcore import docgen
from oxcore.isa import CSRS, INSTRUCTIONS

ROOT = Path(__file__).resolve().parents[2]
ISA_MD = ROOT / "docs" / "isa.md"


@pytest.fixture(scope="module")
def isa_md() -> str:
    return ISA_MD.read_text(encoding="utf-8")


def test_committed_isa_md_is_up_to_date():
    """Fails when the ISA table changed without `make docs`."""
    result = subprocess.run([sys.executable, "-m", "oxcore.docgen", "docs", "--check"],
                            cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr + "\nrun `make docs` and commit docs/isa.md"


def test_mentions_every_instruction(isa_md):
    for ins in INSTRUCTIONS:
        assert f"\n### {ins.mnemonic}\n" in isa_md, ins.mnemonic
        assert f"[`{ins.mnemonic}`](#{docgen._anchor(ins)})" in isa_md
        assert f'<a id="{docgen._anchor(ins)}"></a>' in isa_md
        assert f"mask `0x{ins.mask:08x}`, match `0x{ins.match:08x}`" in isa_md
        assert f"```python\n{ins.semantics.rstrip()}\n```" in isa_md
        assert ins.summary in isa_md


def test_mentions_every_csr(isa_md):
    for csr in CSRS:
        assert f"| `0x{csr.number:03x}` | `{csr.name}` |" in isa_md, csr.name


def _section(text: str, mnemonic: str) -> str:
    start = text.index(f"\n### {mnemonic}\n")
    end = text.find("\n### ", start + 1)
    return text[start:end if end != -1 else len(text)]


def test_encoding_tables_show_fixed_bits_and_operands(isa_md):
    add = _section(isa_md, "add")
    assert "| 31:25 | 24:20 | 19:15 | 14:12 | 11:7 | 6:0 |" in add
    assert "| funct7=0000000 | rs2 | rs1 | funct3=000 | rd | opcode=0110011 |" in add
    beq = _section(isa_md, "beq")
    assert "| 31 | 30:25 | 24:20 | 19:15 | 14:12 | 11:8 | 7 | 6:0 |" in beq
    assert ("| imm[12] | imm[10:5] | rs2 | rs1 | funct3=000 | imm[4:1] | imm[11] "
            "| opcode=1100011 |") in beq
    assert "imm[12]=inst[31], imm[10:5]=inst[30:25], imm[4:1]=inst[11:8], imm[11]=inst[7]" \
        in beq
    ecall = _section(isa_md, "ecall")
    assert "mask `0xffffffff`, match `0x00000073`" in ecall


def test_every_encoding_row_covers_32_bits(isa_md):
    for header in re.findall(r"^\| (\d[\d: |]*) \|$", isa_md, flags=re.M):
        covered = []
        for cell in header.split(" | "):
            hi, _, lo = cell.partition(":")
            covered += range(int(lo or hi), int(hi) + 1)
        assert sorted(covered) == list(range(32)), header


def test_check_and_write_in_a_fresh_directory(tmp_path):
    assert docgen.main([str(tmp_path), "--check"]) == 1  # missing
    assert not (tmp_path / "isa.md").exists()
    (tmp_path / "isa.md").write_text("stale\n")
    assert docgen.main([str(tmp_path), "--check"]) == 1
    assert (tmp_path / "isa.md").read_text() == "stale\n"  # --check never writes
    assert docgen.main([str(tmp_path)]) == 0
    assert docgen.main([str(tmp_path), "--check"]) == 0
    assert (tmp_path / "isa.md").read_text(encoding="utf-8") == docgen.render_isa()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["isa.md"]  # no temp files left


def test_output_is_deterministic():
    assert docgen.render_isa() == docgen.render_isa()
    text = docgen.render_isa()
    assert text.endswith("\n") and not text.endswith("\n\n")
    assert str(ROOT) not in text


# ---- the hand-written docs state facts the code defines: keep them in step ----------

MEMORY_MAP_MD = ROOT / "docs" / "memory-map-abi.md"


def _table_rows(text: str, heading: str) -> list[list[str]]:
    """Cells of the first Markdown table under `heading`."""
    body = text[text.index(heading):]
    rows = []
    for line in body.splitlines()[1:]:
        if line.startswith("|"):
            cells = [c.strip() for c in line.strip("|").split("|")]
            if not set("".join(cells)) <= set("-: "):
                rows.append(cells)
        elif rows:
            break
    return rows[1:]  # without the header row


def test_memory_map_exit_status_table_matches_retire():
    from oxcore.retire import TRAP_EXIT_STATUS, TrapCause
    rows = _table_rows(MEMORY_MAP_MD.read_text(), "## Traps and `oxcore run` exit statuses")
    documented = {}
    for stop, mcause, status in rows:
        code = re.match(r"\d+", mcause)
        if code:
            documented[TrapCause(int(code.group()))] = int(re.match(r"\d+", status).group())
    assert documented == TRAP_EXIT_STATUS
    assert any("exit" in r[0] and "& 0xFF" in r[2] for r in rows)


def test_memory_map_matches_config_and_syscalls():
    from oxcore.config import KIB, PRESETS
    from oxcore.isa import CSR_BY_NAME
    text = MEMORY_MAP_MD.read_text()
    default, small = PRESETS["default"], PRESETS["small"]
    assert f"`mem_base` = `0x{default.mem_base >> 16:04X}_{default.mem_base & 0xFFFF:04X}`" \
        in text
    assert f"{default.mem_size // KIB} KiB (`default`), {small.mem_size // KIB} KiB (`small`)" \
        in text
    assert f"`mmio_base` = `0x{default.mmio_base >> 16:04X}_{default.mmio_base & 0xFFFF:04X}`" \
        in text
    assert f"`mmio_size` = `{default.mmio_size:#x}`" in text
    assert small.mem_base == default.mem_base
    from oxcore.abi import SYS_EXIT, SYS_WRITE
    rows = _table_rows(text, "## Syscall ABI")
    assert rows[0][0] == str(SYS_WRITE) and "write" in rows[0][1]
    assert rows[1][0] == str(SYS_EXIT) and "exit" in rows[1][1]
    for name in ("cycle", "cycleh", "time", "timeh", "instret", "instreth", "mhartid"):
        assert f"`{name}`" in text
        assert f"0x{CSR_BY_NAME[name].number:03X}" in text


def test_docs_index_links_exist():
    index = (ROOT / "docs" / "README.md").read_text()
    for target in re.findall(r"\]\(([\w./-]+\.md)(?:#[\w-]*)?\)", index):
        assert (ROOT / "docs" / target).is_file(), target
    assert "isa.md" in index and "memory-map-abi.md" in index


def test_mentions_every_pseudo_instruction(isa_md):
    from oxcore.isa import pseudo
    section = isa_md[isa_md.index("## Pseudo-instructions"):isa_md.index("## CSRs")]
    for row in pseudo.PSEUDOS:
        usage = row.usage.replace("{", "").replace("}", "")
        assert f"| `{usage}` |" in section, usage
