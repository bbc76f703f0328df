"""ONNX → Caffe2: turn an ONNX model into a Caffe2 predict/init pair.

`import_onnx(path_or_proto, out_dir=None, text=False, names="readable") -> Model`

Steps: load and check the model; fold everything computable at import time
(fold.py: initializers, Constant nodes, Shape of static tensors and the
Shape/Gather/Concat chains exporters build from them); list every node no
converter handles, or handles only in some configurations, and raise one
`UnsupportedOpsError` naming them all; then convert node by node
(convert_*.py) into Caffe2 ops whose semantics the executor in
`c2core.runtime` reproduces. Weights are the constants the emitted ops read,
written as GivenTensor fills. Graph input and output names are always kept;
with `names="readable"` (the default) every other blob gets a Caffe2-style
name derived from the ONNX node names (naming.py: `blocks_1_depthwise_conv`,
`blocks_1_depthwise_conv_w`, `fc_b`), with `names="keep"` the ONNX names
(`onnx::Conv_686`, `/_blocks.1/Clip_1_output_0`) stay.

`out_dir` receives predict_net.pb and init_net.pb (or .pbtxt with `text`),
plus value_info.json with the data inputs' shapes (symbolic dims written as
1), each file written atomically.
"""

from __future__ import annotations

import os

from ...errors import C2Error, C2FormatError, UnsupportedOpsError

__all__ = ["import_onnx", "convert_graph", "fix_input_shapes", "supported_onnx_ops", "write_pair"]

# ONNX elem_type -> Caffe2 DataType, for value_info.json
_VALUE_INFO_TYPE = {1: 1, 6: 2, 2: 6, 3: 7, 5: 9, 7: 10, 10: 12, 11: 13, 9: 5}


def supported_onnx_ops() -> list[str]:
    from .registry import supported_onnx_ops as s

    return s()


def _load(src):
    import onnx

    if isinstance(src, onnx.ModelProto):
        return src, None
    from ..load import load_onnx

    path = os.fspath(src)
    return load_onnx(path), path


# What a converter raises on a node that breaks the ONNX spec (too few inputs,
# an attribute of the wrong type): the file's fault, reported as such.
_MALFORMED = (IndexError, TypeError, ValueError, KeyError, AttributeError, AssertionError, OverflowError)


def malformed_node(node, e: Exception) -> C2Error:
    text = str(e).strip().splitlines()
    return C2FormatError(f"ONNX node '{node.name or (node.output[0] if node.output else '?')}' ({node.op_type}) is "
                         f"malformed: {type(e).__name__}: {text[0][:200] if text else ''}".rstrip(": "))


def convert_graph(model, name: str | None = None, names: str = "readable"):
    """(predict NetDef, weights dict, data input names, ImportContext, Prepared) for an ONNX ModelProto."""
    from .context import ImportContext, node_attrs
    from .fold import prepare
    from .naming import NAMING_MODES, readable_names, rename_blobs
    from ...errors import strict_checks
    from .registry import converter_for

    if names not in NAMING_MODES:
        raise C2Error(f"names must be one of {', '.join(NAMING_MODES)} (got {names!r})")

    from ..tensors import check_names

    check_names(model)
    prep = prepare(model)
    ctx = ImportContext(prep.consts, prep.shapes, prep.dtypes, prep.opset,
                        name=name or model.graph.name or "imported")
    ctx.graph_outputs = set(prep.outputs)
    ctx.consumers = {}
    for node in prep.nodes:
        for i in node.input:
            ctx.consumers.setdefault(i, []).append(node)

    problems = []
    for node in prep.nodes:
        if node.domain not in ("", "ai.onnx"):
            problems.append(f"{node.domain}.{node.op_type}")
            continue
        conv = converter_for(node.op_type)
        if conv is None:
            problems.append(node.op_type)
            continue
        if conv.check is not None:
            try:
                why = conv.check(ctx, node, node_attrs(node))
            except C2Error as e:
                why = e.reason
            except _MALFORMED as e:
                raise malformed_node(node, e) from None
            if why:
                problems.append(f"{node.op_type} ({why})")
    if problems:
        raise UnsupportedOpsError(problems, "the ONNX importer")

    strict = strict_checks()
    for node in prep.nodes:
        ctx.node = node
        conv = converter_for(node.op_type)
        first = len(ctx.builder.net.op)
        try:
            conv.fn(ctx, node, node_attrs(node))
        except _MALFORMED as e:
            if strict and isinstance(e, AssertionError):
                raise
            raise malformed_node(node, e) from None
        if strict:  # the manifest's `importer` layer comes from `emits`: it must be the truth
            extra = {op.type for op in ctx.builder.net.op[first:]} - set(conv.emits)
            if extra:
                raise AssertionError(f"ONNX {node.op_type} converter emitted {sorted(extra)} not declared in its emits=")
    ctx.node = None

    data_inputs = prep.inputs
    net = ctx.builder.net
    # Outputs that are aliases (Identity/Dropout) or constants need a producing op to keep their names.
    for out in prep.outputs:
        src = ctx.resolve(out)
        if src != out or src in prep.consts or src in data_inputs:
            ctx.emit("Copy", [ctx.blob(src)], out)
    weights = {k: v for k, v in ctx.weights.items()}
    net.external_input.extend(data_inputs + [w for w in weights if w not in data_inputs])
    net.external_output.extend(prep.outputs)
    if names == "readable":
        keep = [i.name for i in model.graph.input] + list(prep.outputs)
        mapping = readable_names(net.op, ctx.origins, weights, keep)
        weights = rename_blobs(net, weights, mapping)
    return net, weights, data_inputs, ctx, prep


def _value_info(model, data_inputs) -> dict:
    out = {}
    for vi in model.graph.input:
        if vi.name not in data_inputs:
            continue
        t = vi.type.tensor_type
        if not t.HasField("shape"):
            continue  # shape unknown: nothing to declare
        dims = [d.dim_value if d.HasField("dim_value") and d.dim_value > 0 else 1 for d in t.shape.dim]
        out[vi.name] = (_VALUE_INFO_TYPE.get(t.elem_type, 1), dims)
    return out


def fix_input_shapes(model, input_shapes: dict):
    """A copy of `model` whose named graph inputs have the given static shapes (symbolic batch → fixed)."""
    import onnx

    known = {i.name: i for i in model.graph.input}
    bad = sorted(set(input_shapes) - set(known))
    if bad:
        raise C2Error(f"--input-shape names unknown input(s) {', '.join(bad)} (inputs: {', '.join(known)})")
    out = onnx.ModelProto()
    out.CopyFrom(model)
    for vi in out.graph.input:
        if vi.name in input_shapes:
            dims = [int(d) for d in input_shapes[vi.name]]
            shape = vi.type.tensor_type.shape
            if len(shape.dim) and len(shape.dim) != len(dims):
                raise C2Error(f"input '{vi.name}' has rank {len(shape.dim)}, got shape {dims}")
            shape.ClearField("dim")
            for d in dims:
                shape.dim.add().dim_value = d
    return out


def import_onnx(src, out_dir: str | None = None, text: bool = False, name: str | None = None,
                input_shapes: dict | None = None, names: str = "readable"):
    """Import an ONNX model (path or ModelProto) as a c2core `Model`; write the pair when out_dir is given.

    input_shapes: {input name: dims} fixes symbolic dimensions first, so that shape
    computations on them (x.view(x.size(0), -1)) fold into constant arguments.
    names: "readable" (Caffe2-style names for intermediate blobs and weights) or
    "keep" (the ONNX names); graph inputs and outputs keep their names either way.
    """
    from ...builder import init_net_from
    from ...model import Model

    model, path = _load(src)
    if input_shapes:
        model = fix_input_shapes(model, input_shapes)
    try:
        net, weights, data_inputs, ctx, prep = convert_graph(model, name=name, names=names)
    except UnsupportedOpsError as e:
        raise UnsupportedOpsError(e.ops, "the ONNX importer", path) from None
    except C2Error as e:
        if e.path is None and path:
            raise C2Error(e.reason, path) from None
        raise
    init = init_net_from(weights, name=(net.name or "imported") + "_init")
    m = Model(predict_net=net, init_net=init, formats={"predict": "memory", "init": "memory"})
    m.value_info = _value_info(model, data_inputs)
    m._weights = None
    if out_dir is not None:
        write_pair(m, out_dir, text=text)
    return m


def write_pair(m, out_dir: str, text: bool = False, extra: dict | None = None) -> tuple[str, str | None]:
    """init_net, value_info.json, `extra` files (name -> bytes: labels, model.json), then
    predict_net (.pb or .pbtxt) into out_dir, published together (c2core.io.publish).

    A model without weights gets no init net (an empty one is not a NetDef
    open_model accepts); an old init net in out_dir goes with the same publish.
    """
    from ...io.publish import Staging
    from ...io.save import model_staging_dir, stage_caffe2

    ext = ".pbtxt" if text else ".pb"
    init = m.init_net if m.init_net is not None and len(m.init_net.op) else None
    vi = {k: [int(t), [int(d) for d in dims]] for k, (t, dims) in m.value_info.items()}
    with Staging(model_staging_dir(out_dir), out_dir) as st:
        moves = stage_caffe2(st, out_dir, m.predict_net, init, vi, text)
        for name, data in (extra or {}).items():
            with open(st.path(name), "wb") as f:
                f.write(data)
            moves.insert(-1, (st.path(name), os.path.join(out_dir, name)))
        st.publish(moves)
    pp = os.path.join(out_dir, "predict_net" + ext)
    ip = os.path.join(out_dir, "init_net" + ext) if init is not None else None
    m.predict_path, m.init_path = pp, ip
    m.formats = {"predict": "text" if text else "binary", "init": "text" if text else "binary"}
    return pp, ip
