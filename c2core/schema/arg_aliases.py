"""Spellings of one argument: `stride` / `strides` / `stride_h`+`stride_w` are one setting.

Caffe2's conv and pool ops accept a window argument in several forms (a
single value, a list, per-axis values; pads also per side). A viewer that
lists an op's arguments should show the spelling the op actually uses and
a schema default only for an argument the op sets under none of its
spellings: `stride 1 (default)` beside a set `strides [2, 2]` is wrong.
"""

from __future__ import annotations

FAMILIES = {
    "kernel": ("kernel", "kernels", "kernel_h", "kernel_w"),
    "stride": ("stride", "strides", "stride_h", "stride_w"),
    "pad": ("pad", "pads", "pad_t", "pad_l", "pad_b", "pad_r"),
    "dilation": ("dilation", "dilations", "dilation_h", "dilation_w"),
    "adj": ("adj", "adjs", "adj_h", "adj_w"),
}
_FAMILY_OF = {name: fam for fam, names in FAMILIES.items() for name in names}


def family(name: str) -> str:
    """The argument a spelling belongs to (`strides` -> `stride`); the name itself otherwise."""
    return _FAMILY_OF.get(name, name)


def defaults_to_show(op_type: str, set_names) -> dict:
    """Schema arguments of `op_type` with a default that the op does not set under any
    spelling: name -> schema entry, one spelling per argument (the schema's first)."""
    from . import op_schema

    schema_args = (op_schema(op_type) or {}).get("args", {}) or {}
    taken = {family(n) for n in set_names}
    out = {}
    for name, spec in schema_args.items():
        fam = family(name)
        if "default" not in spec or fam in taken:
            continue
        taken.add(fam)  # one default row per argument
        out[name] = spec
    return out
