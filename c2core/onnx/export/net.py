"""A whole Caffe2 `Model` -> `onnx.ModelProto`.

Order of work: refuse the opset / int8 mode if invalid; list every op type
that has no exact exporter (sub-nets of If included) and raise them together;
fix the data inputs' shapes (argument > value_info.json > init-net
placeholder); then export op by op, polling `cancel()` and reporting
`progress(fraction, message)` between ops. The result passes
`onnx.checker.check_model(full_check=True)` (which runs strict shape
inference) before it is returned or written. The IR version is the smallest
one that carries the chosen opset (`onnx.helper.find_min_ir_version_for`,
i.e. onnx.helper.VERSION_TABLE), so older runtimes accept it.
"""

from __future__ import annotations

import time

import numpy as np

from ...args import Args
from ...errors import C2Error, Cancelled, UnsupportedOpsError
from ...fills import DTYPE_OF_PROTO

MIN_OPSET, MAX_OPSET, DEFAULT_OPSET = 13, 21, 17
INT8_MODES = ("qdq", "exact", "float")
QUANTIZED_OUTPUTS_KEY = "c2core:quantized_outputs"
PRODUCER = "caffe2-studio c2core"
# Float ops that only move values: a dequantized Int8 blob stays one through them.
_MOVES_VALUES = frozenset({"NCHW2NHWC", "NHWC2NCHW", "Transpose", "Reshape", "Flatten", "Squeeze", "ExpandDims",
                           "Copy", "Alias", "Identity"})
BIG_WEIGHT_BYTES = 1 << 16  # weights larger than this skip the checker's copy (see below)


def unsupported_ops(net) -> list[str]:
    """Op types in `net` (and its If/While sub-nets) with no exact ONNX exporter."""
    from .registry import lookup

    bad = set()
    for op in net.op:
        if lookup(op.type) is None:
            bad.add(op.type)
        for a in op.arg:
            if a.HasField("n"):
                bad.update(unsupported_ops(a.n))
            for n in a.nets:
                bad.update(unsupported_ops(n))
    return sorted(bad)


def _names_read(nodes) -> set:
    """Every name the nodes read, sub-graphs (If branches, Loop bodies) included."""
    out = set()
    for n in nodes:
        out.update(n.input)
        for a in n.attribute:
            for g in ([a.g] if a.HasField("g") else []) + list(a.graphs):
                out |= _names_read(g.node) | {o.name for o in g.output}
    return out


def _input_dtype(model, name):
    vi = model.value_info.get(name)
    if vi is not None:
        dt = DTYPE_OF_PROTO.get(int(vi[0]))
        if dt is not None and dt is not np.object_:
            return np.dtype(dt)
    from ...inputs import consumer_dtype

    return np.dtype(consumer_dtype(model, name) or np.float32)


def resolve_input_shapes(model, input_shapes=None) -> dict[str, tuple]:
    """Shapes for the model's data inputs; C2Error naming the missing ones."""
    given = {k: tuple(int(d) for d in v) for k, v in (input_shapes or {}).items()}
    data = model.data_inputs
    unknown = sorted(set(given) - set(data))
    if unknown:
        raise C2Error(f"names {', '.join(unknown)}, not data inputs of the model (those are: {', '.join(data)})",
                      "--input-shape")
    declared = model.input_shapes()
    out, missing = {}, []
    for n in data:
        s = given.get(n, declared.get(n))
        if s is None:
            missing.append(n)
        else:
            out[n] = tuple(s)
    if missing:
        raise C2Error(f"shape of input(s) {', '.join(missing)} unknown: give --input-shape NAME=1,3,224,224 "
                      "(or a value_info.json)", model.predict_path)
    return out


def export_onnx(model, path=None, *, opset: int = DEFAULT_OPSET, input_shapes=None, dynamic_batch: bool = False,
                int8: str = "qdq", progress=None, cancel=None, external_data_threshold: int | None = None):
    """Export `model` to ONNX; write it atomically to `path` when given. Returns the ModelProto."""
    import onnx
    from onnx import helper, numpy_helper

    from .context import ExportContext, Quant
    from .registry import lookup

    if not (MIN_OPSET <= int(opset) <= MAX_OPSET):
        raise C2Error(f"opset {opset} not supported: choose {MIN_OPSET}..{MAX_OPSET}")
    if int8 not in INT8_MODES:
        raise C2Error(f"int8 mode '{int8}': choose one of {', '.join(INT8_MODES)}")
    net = model.predict_net
    bad = unsupported_ops(net)
    if bad:
        raise UnsupportedOpsError(bad, "the ONNX exporter (no exact mapping)", model.predict_path)

    model.require_weights()
    lacking = model.missing_weights_error()
    if lacking is not None:
        raise lacking
    shapes = resolve_input_shapes(model, input_shapes)
    data_inputs = list(shapes)
    weights_all = model.weights
    weights = {k: w.array for k, w in weights_all.items() if k not in shapes}
    strings = [k for k, a in weights.items() if a.dtype == object]
    if strings:
        raise C2Error(f"string tensors cannot be exported to ONNX: {', '.join(strings[:5])}")

    last_write, readers = {}, {}
    reserved = set(weights) | set(data_inputs) | set(net.external_output)
    for i, op in enumerate(net.op):
        for b in op.input:
            readers.setdefault(b, []).append(i)
            reserved.add(b)
        for b in op.output:
            last_write[b] = i
            reserved.add(b)
    batches = {s[0] for s in shapes.values() if s}
    ctx = ExportContext(opset=int(opset), weights=weights, last_write=last_write, reserved=reserved,
                        readers=readers, outputs=frozenset(net.external_output), int8=int8,
                        dynamic_batch=bool(dynamic_batch))
    ctx.batch = next(iter(batches)) if len(batches) == 1 else None
    for k, w in weights_all.items():
        if w.scale is not None and k in weights:
            ctx.quant[k] = Quant(float(w.scale), int(w.zero_point or 0))

    graph_inputs = []
    for n in data_inputs:
        dims = list(shapes[n])
        if dynamic_batch and dims:
            dims[0] = "batch"
        et = helper.np_dtype_to_tensor_dtype(_input_dtype(model, n))
        ctx.set_type(n, et, dims)
        ctx.current[n] = n
        ctx.used.add(n)
        graph_inputs.append(helper.make_tensor_value_info(n, et, dims))

    n_ops = len(net.op)
    t0 = time.perf_counter()
    for i, op in enumerate(net.op):
        if cancel is not None and cancel.cancelled:
            raise Cancelled("ONNX export cancelled")
        if progress is not None:
            progress(i / max(n_ops, 1) * 0.8, f"op {i + 1}/{n_ops}: {op.type}")
        ctx.op_index, ctx.op = i, op
        source = ctx.current.get(op.input[0]) if op.type in _MOVES_VALUES and op.input else None
        try:
            lookup(op.type)(ctx, op, Args(op.arg, op.type))
        except C2Error as e:
            label = f"op #{i} {op.type}" + (f" '{op.name}'" if op.name else "") + f" ({', '.join(op.input)} -> {', '.join(op.output)})"
            hint = " (the model has no weights: give its init net)" if model.structure_only else ""
            raise C2Error(f"{label}: {e.reason}{hint}", model.predict_path) from None
        except (IndexError, TypeError, ValueError, KeyError, ZeroDivisionError, OverflowError) as e:
            # An op the schema checks let through but whose arguments and shapes make no
            # sense together (a Conv on a rank-2 tensor): the file's fault, one line.
            # Developer checks (C2CORE_STRICT, the test suite) keep the traceback.
            from ...errors import strict_checks

            if strict_checks():
                raise
            label = f"op #{i} {op.type}" + (f" '{op.name}'" if op.name else "")
            first = (str(e).strip().splitlines() or [""])[0][:200]
            raise C2Error(f"{label}: cannot be exported with these arguments and input shapes "
                          f"({type(e).__name__}: {first})", model.predict_path) from None
        if source in ctx.dequantized:
            # values only move: the output is still measured in the Int8 blob's steps
            ctx.dequantized[ctx.current[op.output[0]]] = ctx.dequantized[source]

    outputs = []
    for b in net.external_output:
        name = ctx.current.get(b)
        if name is None:
            name = ctx.input(b) if b in weights else None
        if name is None:
            raise C2Error(f"external output '{b}' is never produced", model.predict_path)
        if name != b:
            # A pass-through (input or weight) or a blob shadowed by an input name.
            final = b if b not in ctx.used else ctx.fresh(b + "_out")
            ctx.node1("Identity", [name], final)
            name = final
        t = ctx.types.get(name)
        if t is None:
            raise C2Error(f"type of output '{b}' could not be inferred", model.predict_path)
        vi = helper.make_value_info(name, t)
        outputs.append(vi)

    if progress is not None:
        progress(0.85, "building ONNX model")
    # The checker (full_check: strict shape inference) runs on a skeleton in which
    # large weights are typed graph inputs: same graph, same types, no 100s of MB
    # serialised twice. The weights are then added to the real model once, raw.
    # Exporters that reshape a weight (PRelu's slope, a transposed filter) leave the
    # original unread: keep only initializers a node or an output reads (ORT warns otherwise).
    read = _names_read(ctx.nodes) | {o.name for o in outputs}
    for k in [k for k in ctx.initializers if k not in read]:
        del ctx.initializers[k]
    big = {k for k, a in ctx.initializers.items() if a.nbytes > BIG_WEIGHT_BYTES}
    small = [numpy_helper.from_array(np.require(a, requirements='C'), k) for k, a in ctx.initializers.items() if k not in big]
    stand_ins = [helper.make_tensor_value_info(k, helper.np_dtype_to_tensor_dtype(ctx.initializers[k].dtype),
                                               list(ctx.initializers[k].shape)) for k in big]
    graph = helper.make_graph(ctx.nodes, _graph_name(model), graph_inputs + stand_ins, outputs, initializer=small)
    opsets = [helper.make_opsetid("", int(opset))]
    proto = helper.make_model(graph, opset_imports=opsets, producer_name=PRODUCER,
                              ir_version=helper.find_min_ir_version_for(opsets))
    if any(not o.type.tensor_type.HasField("shape") for o in proto.graph.output):
        _complete_output_types(proto, model)
    from ... import __version__

    proto.producer_version = __version__
    qouts = {o.name: {"scale": ctx.quant[o.name].scale, "zero_point": ctx.quant[o.name].zero_point, "form": int8}
             for o in outputs if o.name in ctx.quant}
    qouts.update({o.name: {"scale": ctx.dequantized[o.name].scale, "zero_point": ctx.dequantized[o.name].zero_point,
                           "form": int8, "dequantized": True} for o in outputs if o.name in ctx.dequantized})
    if qouts:
        # Int8 outputs' quantization, so a verifier can compare a float-form
        # output with the executor's uint8 blob (real = scale * (q - zero_point)).
        import json

        proto.metadata_props.add(key=QUANTIZED_OUTPUTS_KEY, value=json.dumps(qouts, sort_keys=True))
    proto.doc_string = f"Exported from Caffe2 net '{model.name}' by c2core (opset {opset})."
    from .. import save as _save

    threshold = _save.EXTERNAL_DATA_THRESHOLD if external_data_threshold is None else external_data_threshold
    if progress is not None:
        progress(0.9, "checking the ONNX model")
    try:
        onnx.checker.check_model(proto, full_check=True)
    except (onnx.checker.ValidationError, onnx.shape_inference.InferenceError) as e:
        raise C2Error(f"exported model fails the ONNX checker: {str(e).splitlines()[0]}", model.predict_path) from None
    del proto.graph.input[len(graph_inputs):]
    for k in big:
        _add_raw_initializer(proto.graph, k, ctx.initializers[k])
    if path is not None:
        _save.save_onnx(proto, path, external_data_threshold=threshold)
    if progress is not None:
        progress(1.0, f"exported {n_ops} ops in {time.perf_counter() - t0:.2f} s")
    return proto


def _add_raw_initializer(graph, name: str, a: np.ndarray) -> None:
    from onnx import helper

    t = graph.initializer.add()
    t.name = name
    t.data_type = helper.np_dtype_to_tensor_dtype(a.dtype)
    t.dims.extend(int(d) for d in a.shape)
    t.raw_data = np.ascontiguousarray(a, dtype=a.dtype.newbyteorder("<")).tobytes()


def _complete_output_types(proto, model) -> None:
    """Output shapes that per-node inference missed, from whole-graph inference with data propagation."""
    from onnx import shape_inference

    inferred = shape_inference.infer_shapes(proto, data_prop=True)
    known = {v.name: v.type for v in list(inferred.graph.value_info) + list(inferred.graph.output)}
    for o in proto.graph.output:
        if not o.type.tensor_type.HasField("shape"):
            t = known.get(o.name)
            if t is None or not t.tensor_type.HasField("shape"):
                raise C2Error(f"shape of output '{o.name}' could not be inferred", model.predict_path)
            o.type.CopyFrom(t)


def _graph_name(model) -> str:
    return model.name or "caffe2_net"
