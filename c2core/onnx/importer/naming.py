"""Readable, Caffe2-style blob names for an imported net (`import_onnx(..., names="readable")`).

torch's exporter names weights `onnx::Conv_686` and activations
`/_blocks.1/Clip_1_output_0`; Caffe2's own zoo nets say `conv1`, `conv1_w`,
`conv1_b`, `res_conv1_bn_s`, `pool5`. After conversion every blob is renamed
by these rules (the ONNX graph and the converters are not touched, so the
numbers cannot change):

Kept exactly: every graph input and output name (users feed and fetch by
them: `data`, `logits`), initializers listed as graph inputs included.

Label of an ONNX node (one per node that emitted Caffe2 ops):
- From the node name, a torch module path: split at `/`, drop a scope that
  the next one repeats with a `.` (torch writes `/layer1/layer1.0/conv1/Conv`),
  in each part turn runs of non-alphanumerics into `_` and strip `_` at the
  ends, join with `_`, lowercase.
- The last part is the op type (`Conv`, `Clip_1`). It is dropped when the
  node is the only op-emitting node in its module scope, sub-scopes included
  (`/_blocks.1/_depthwise_conv/Conv` -> `blocks_1_depthwise_conv`); otherwise
  it stays, in snake case (`/_blocks.1/Clip_1` -> `blocks_1_clip_1`, since
  `_blocks.1` also runs its convs; `/GlobalAveragePool` ->
  `global_average_pool`). Nodes folded away or aliased (Constant, a Pad
  folded into its Conv, Identity, Dropout) do not count.
- No usable node name (empty, digits only): the node's first output name if it
  is one a person wrote (not digits only, no `::`), else `<op_type>_<n>`
  (snake case, n counting from 1 per ONNX op type).
- Labels are made unique in op order with `_2`, `_3`, ...

Activations: an ONNX node's output is its label (`<label>_<i>` for a node
with several outputs, e.g. Split). Extra blobs a converter made from an
output name (`<out>_old_shape`, `<out>_split_info`, `<out>_ab`, `<out>_slice`)
keep their suffix after the label (`<label>_old_shape`). Since ONNX is SSA
and the importer never writes in place, a Conv -> Clip -> Add chain gets one
distinct name per op.

Weights are named after the first op that reads them: `<consumer>_<slot>`,
where `<consumer>` is the name of the blob that op writes (its node label
when that blob is a kept graph output: `fc_w`, not `logits_w`) and `<slot>`
follows Caffe2's zoo: Conv / ConvTranspose / FC `w`, `b`; SpatialBN `s`, `b`,
`rm`, `riv` (scale, bias, running mean, running variance: ResNet-50's
`res_conv1_bn_s` ... `res_conv1_bn_riv`); InstanceNorm `s`, `b`; PRelu `slope`; any other op the
lowercased input name from the op schema (`Add` input B -> `_b`).

Every new name is unique (suffix `_2`, `_3`, ...) and depends only on the
graph, so the same model always gets the same names.
"""

from __future__ import annotations

import re

_WEIGHT_SLOTS = {
    "Conv": {1: "w", 2: "b"},
    "ConvTranspose": {1: "w", 2: "b"},
    "FC": {1: "w", 2: "b"},
    "FCTransposed": {1: "w", 2: "b"},
    "SpatialBN": {1: "s", 2: "b", 3: "rm", 4: "riv"},
    "InstanceNorm": {1: "s", 2: "b"},
    "PRelu": {1: "slope"},
}

NAMING_MODES = ("readable", "keep")


def snake(op_part: str) -> str:
    """`GlobalAveragePool_1` -> `global_average_pool_1`, `PRelu` -> `prelu`."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", op_part).lower()


def sanitize(name: str) -> str:
    """A torch module path or any ONNX name as one lowercase identifier-like word."""
    parts: list[str] = []
    for p in (p for p in name.split("/") if p):
        if parts and p.startswith(parts[-1] + "."):
            parts.pop()  # '/layer1/layer1.0': the outer scope is repeated in the inner one
        parts.append(p)
    words = (re.sub(r"[^0-9A-Za-z]+", "_", p).strip("_") for p in parts)
    return "_".join(w for w in words if w).lower()


def _meaningful(word: str) -> bool:
    return bool(word) and not word.isdigit()


def _op_part(part: str, op_type: str) -> bool:
    return re.fullmatch(re.escape(op_type) + r"(_\d+)?", part) is not None


def _split_name(node):
    """(scope, op part) when the node name is a module path ending in its op type, else None."""
    parts = [p for p in node.name.strip().split("/") if p]
    if len(parts) >= 2 and _op_part(parts[-1], node.op_type):
        return "/".join(parts[:-1]), parts[-1]
    return None


def _raw_label(node, scope_counts: dict) -> str | None:
    split = _split_name(node)
    if split is not None:
        scope, op = split
        s = sanitize(scope)
        if s and scope_counts.get(scope) == 1:
            return s
        return f"{s}_{snake(op)}" if s else snake(op)
    if node.name.strip():
        parts = [p for p in node.name.split("/") if p]
        if len(parts) == 1 and _op_part(parts[0], node.op_type):
            return snake(parts[0])
        s = sanitize(node.name)
        if _meaningful(s):
            return s
    out = next((o for o in node.output if o), "")
    if "::" not in out:
        s = sanitize(out)
        if _meaningful(s):
            return s
    return None


def claim_name(taken: set, base: str, first: int = 2) -> str:
    """`base`, or `base_<first>`, `base_<first+1>`, ... : the first not in
    `taken`, which it joins. Shared by the readable renamer and the import
    context's temporaries."""
    name, i = base, first
    while name in taken:
        name = f"{base}_{i}"
        i += 1
    taken.add(name)
    return name


class _Names:
    def __init__(self, taken):
        self.taken = set(taken)

    def unique(self, base: str) -> str:
        return claim_name(self.taken, base)


def _weight_slot(op_type: str, index: int) -> str:
    fixed = _WEIGHT_SLOTS.get(op_type, {}).get(index)
    if fixed:
        return fixed
    from ...schema import slot_name

    return sanitize(slot_name(op_type, index)) or f"input_{index}"


def readable_names(ops, origins, weights, keep) -> dict[str, str]:
    """{old blob name: new name} for the emitted `ops` (each made while converting
    `origins[i]`, an ONNX NodeProto or None), the `weights` names and the names to `keep`."""
    keep = set(keep)
    # 1. one label per op-emitting ONNX node, in op order
    nodes, seen = [], set()
    for node in origins:
        if node is not None and id(node) not in seen:
            seen.add(id(node))
            nodes.append(node)
    scope_counts: dict[str, int] = {}
    for node in nodes:
        split = _split_name(node)
        if split is not None:  # the node counts for its scope and every enclosing one
            parts = split[0].split("/")
            for k in range(1, len(parts) + 1):
                scope = "/".join(parts[:k])
                scope_counts[scope] = scope_counts.get(scope, 0) + 1
    names = _Names(keep)
    labels: dict[int, str] = {}
    fallback_count: dict[str, int] = {}
    for node in nodes:
        raw = _raw_label(node, scope_counts)
        if raw is None:
            n = fallback_count[node.op_type] = fallback_count.get(node.op_type, 0) + 1
            raw = f"{snake(node.op_type)}_{n}"
        if raw in keep and raw in node.output:
            labels[id(node)] = raw  # the node writes a kept output of that very name
        else:
            labels[id(node)] = names.unique(raw)

    # 2. activations: what each op writes
    mapping: dict[str, str] = {}
    weight_set = set(weights)
    op_label: list[str] = []
    for op, node in zip(ops, origins):
        label = labels.get(id(node)) if node is not None else None
        for b in op.output:
            if b in keep or b in weight_set or b in mapping:
                continue
            mapping[b] = _activation_name(b, node, label, names)
        first = op.output[0] if len(op.output) else ""
        if first in keep or not first:
            op_label.append(label or sanitize(first) or snake(op.type))
        else:
            op_label.append(mapping.get(first, first))

    # 3. weights: after the first op that reads them
    for op, lab in zip(ops, op_label):
        for i, b in enumerate(op.input):
            if b in weight_set and b not in keep and b not in mapping:
                mapping[b] = names.unique(f"{lab}_{_weight_slot(op.type, i)}")
    for w in weights:  # never read (should not happen): a cleaned-up own name
        if w not in keep and w not in mapping:
            mapping[w] = names.unique(sanitize(w) or "weight")
    return mapping


def _activation_name(blob: str, node, label: str | None, names: _Names) -> str:
    if node is None or label is None:
        return names.unique(sanitize(blob) or "blob")
    outs = [o for o in node.output if o]
    if blob in outs:
        if len(outs) == 1:
            return label  # reserved for this node in step 1
        return names.unique(f"{label}_{outs.index(blob)}")
    for o in sorted(outs, key=len, reverse=True):
        if blob.startswith(o + "_"):
            return names.unique(label + "_" + (sanitize(blob[len(o) + 1:]) or "1"))
    return names.unique(f"{label}_{sanitize(blob) or 'blob'}")


def rename_blobs(net, weights: dict, mapping: dict[str, str]) -> dict:
    """Apply `mapping` to the predict net in place; returns the weights dict under the new names."""
    for op in net.op:
        for field in (op.input, op.output):
            new = [mapping.get(b, b) for b in field]
            del field[:]
            field.extend(new)
    for field in (net.external_input, net.external_output):
        new = [mapping.get(b, b) for b in field]
        del field[:]
        field.extend(new)
    return {mapping.get(k, k): v for k, v in weights.items()}
