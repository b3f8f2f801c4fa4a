"""OxCoreConfig's engine sections: defaults, validation with one clear message per bad
value, TOML tables, and presets without engines (the scalar core)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from oxcore.config import (PRESETS, OxCoreConfig, TensorConfig, VectorConfig,
                           load_config, parse_sweep, sweep, with_overrides)
from oxcore.errors import ConfigError


def _toml(tmp_path: Path, text: str, name: str = "cfg.toml") -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_scalar_presets_have_no_engines():
    for name in ("default", "small"):
        config = PRESETS[name]
        assert config.vector is None and config.tensor is None and config.engines == {}


def test_vector_preset_is_default_with_the_vector_engine():
    vector = PRESETS["vector"]
    assert vector.engines == {"vector": VectorConfig()}
    assert vector.replace(name="default", vector=None) == PRESETS["default"]


def test_section_defaults():
    vector, tensor = VectorConfig(), TensorConfig()
    assert (vector.vlen, vector.lanes, vector.port_bits) == (256, 4, 128)
    assert (tensor.tdim, tensor.port_bits) == (8, 256)
    config = OxCoreConfig(vector=vector, tensor=tensor)
    assert config.engines == {"vector": vector, "tensor": tensor}


@pytest.mark.parametrize("section, field, value, rule", [
    (VectorConfig, "vlen", 32, "must be a power of two from 64 to 1024"),
    (VectorConfig, "vlen", 2048, "must be a power of two from 64 to 1024"),
    (VectorConfig, "vlen", 96, "must be a power of two from 64 to 1024"),
    (VectorConfig, "lanes", 3, "must be a power of two from 1 to 32"),
    (VectorConfig, "lanes", 0, "must be a power of two from 1 to 32"),
    (VectorConfig, "lanes", True, "must be a power of two from 1 to 32"),
    (VectorConfig, "queue_depth", 0, "must be an integer from 1 to 64"),
    (VectorConfig, "queue_depth", "4", "must be an integer from 1 to 64"),
    (TensorConfig, "tdim", 12, "must be 4, 8 or 16"),
    (TensorConfig, "port_bits", 100, "must be a power of two from 32 to 1024"),
    (TensorConfig, "port_bits", 2048, "must be a power of two from 32 to 1024"),
    (TensorConfig, "queue_depth", 65, "must be an integer from 1 to 64"),
    (TensorConfig, "port_stage", 1, "must be true or false"),
    (VectorConfig, "port_stage", "yes", "must be true or false"),
])
def test_bad_values_name_section_field_and_rule(section, field, value, rule):
    with pytest.raises(ConfigError) as info:
        section(**{field: value})
    assert str(info.value) == f"[{section.SECTION}] {field} = {value!r}: {rule}"


def test_lanes_must_fit_vlen():
    with pytest.raises(ConfigError, match=re.escape(
            "[vector] lanes = 16: lanes x 32 = 512 bits must not exceed vlen = 256")):
        VectorConfig(lanes=16)
    assert VectorConfig(vlen=512, lanes=16).port_bits == 512


def test_section_field_must_be_a_section():
    with pytest.raises(ConfigError, match="vector must be a VectorConfig or None"):
        OxCoreConfig(vector={"lanes": 4})


def test_toml_sections(tmp_path):
    spec = _toml(tmp_path, 'preset = "small"\n[vector]\nlanes = 8\n\n[tensor]\ntdim = 16\n')
    config = load_config(spec)
    assert config.name == "cfg" and config.mem_size == PRESETS["small"].mem_size
    assert config.vector == VectorConfig(lanes=8)
    assert config.tensor == TensorConfig(tdim=16)
    assert load_config(_toml(tmp_path, "[vector]\n", "empty.toml")).vector == VectorConfig()
    assert load_config(_toml(tmp_path, "mem_size = 32768\n", "plain.toml")).engines == {}


@pytest.mark.parametrize("text, message", [
    ("[vector]\nlanes = 3\n", "cfg.toml: [vector] lanes = 3: must be a power of two from 1 to 32"),
    ("[tensor]\ntdim = 5\n", "cfg.toml: [tensor] tdim = 5: must be 4, 8 or 16"),
    ("[vector]\nlane = 4\n",
     "cfg.toml: [vector] unknown field 'lane' (known: lanes, port_stage, queue_depth, vlen)"),
    ("vector = 4\n", "cfg.toml: [vector] must be a table"),
    ("[matrix]\n", "cfg.toml: config 'cfg': unknown field 'matrix'"),
])
def test_toml_errors_name_file_section_and_field(tmp_path, text, message):
    spec = _toml(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_config(spec)
    assert str(info.value).startswith(spec.replace("cfg.toml", "") + message), str(info.value)


def test_section_replace_validates():
    assert VectorConfig().replace(lanes=2).lanes == 2
    with pytest.raises(ConfigError, match=r"\[vector\] unknown field 'width'"):
        VectorConfig().replace(width=2)


# ---- overrides and sweeps (`oxcore cosim --sweep`) ---------------------------------------

def test_sweep_values_read_as_toml_else_as_text():
    assert parse_sweep("vector.lanes=2,4, 8") == ("vector.lanes", [2, 4, 8])
    assert parse_sweep("mem_size=0x10000,65_536") == ("mem_size", [0x10000, 65536])
    assert parse_sweep("registered_fetch=true,false") == ("registered_fetch", [True, False])
    assert parse_sweep("branch_predictor=static,nlp") == ("branch_predictor", ["static", "nlp"])


def test_an_override_changes_that_field_only_and_names_the_variant():
    lanes2 = with_overrides(PRESETS["vector"], {"vector.lanes": 2})
    assert lanes2 == PRESETS["vector"].replace(name="vector[vector.lanes=2]",
                                               vector=VectorConfig(lanes=2))
    both = with_overrides(PRESETS["vector"], {"tensor.tdim": 4, "mem_size": 0x20000})
    assert both.name == "vector[tensor.tdim=4,mem_size=0x20000]"
    assert both.tensor == TensorConfig(tdim=4) and both.vector == VectorConfig()
    assert both.mem_size == 0x20000


def test_a_sweep_is_every_combination_first_field_slowest():
    variants = sweep(PRESETS["vector"], ["vector.lanes=2,4", "vector.vlen=128,256"])
    assert [(c.vector.lanes, c.vector.vlen) for c in variants] == [
        (2, 128), (2, 256), (4, 128), (4, 256)]
    assert variants[1].name == "vector[vector.lanes=2,vector.vlen=256]"


@pytest.mark.parametrize("specs, message", [
    (["lanes=2"], "lanes=2: lanes is a field of an engine's section: vector.lanes"),
    (["vector=2"], "vector=2: name one of [vector]'s fields (vector.vlen, vector.lanes, "
                   "vector.queue_depth, vector.port_stage)"),
    (["vectr.lanes=2"], "vectr.lanes=2: unknown section 'vectr' (sections: vector, tensor)"),
    (["vector.lane=2"],
     "[vector] unknown field 'lane' (known: lanes, port_stage, queue_depth, vlen)"),
    (["vector.lanes=2,3"], "[vector] lanes = 3: must be a power of two from 1 to 32"),
    (["mem_size=1000"], "mem_size = 1000: must be from 4096 to 1073741824"),
    (["name=x"], "name cannot be swept"),
    (["lanes"], "--sweep 'lanes': expected FIELD=V1,V2,..."),
    (["vector.lanes=2", "vector.lanes=4"], "--sweep vector.lanes: given twice"),
])
def test_bad_sweeps_name_the_field(specs, message):
    with pytest.raises(ConfigError) as info:
        sweep(PRESETS["vector"], specs)
    assert message in str(info.value)


def test_a_variant_name_is_a_config_spec():
    """`load_config` reads ``base[FIELD=VALUE,...]``: each sweep variant's name gives
    that variant back (--config after a sweep, and a divergence's rerun command)."""
    for variant in sweep(PRESETS["vector"], ["vector.lanes=2,8", "mem_size=0x20000",
                                             "registered_fetch=false"]):
        assert load_config(variant.name) == variant
    with pytest.raises(ConfigError, match=r"one value a field in \[\.\.\.\]"):
        load_config("vector[vector.lanes=2,vector.lanes=4]")
    with pytest.raises(ConfigError, match="expected FIELD=VALUE"):
        load_config("vector[vector.lanes=2,4]")
    # a variant's variants: one list of overrides, the later value of a field winning
    nested = sweep(load_config("vector[vector.lanes=2]"), ["vector.vlen=512", "vector.lanes=4"])
    assert [v.name for v in nested] == ["vector[vector.lanes=4,vector.vlen=512]"]
    assert load_config(nested[0].name) == nested[0]


@pytest.mark.parametrize("spec", ["branch_predictor=static,static", "vector.lanes=4,0x4"])
def test_a_sweep_value_given_twice_is_refused(spec):
    with pytest.raises(ConfigError, match="comes twice"):
        sweep(PRESETS["vector"], [spec])
