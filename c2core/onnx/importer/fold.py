"""Static shapes and constant folding before conversion.

Exporters compute padding amounts, reshape targets and slice bounds with small
chains of Shape/Gather/Unsqueeze/Concat/Cast nodes. Caffe2 wants those as op
arguments, so every node whose inputs are all known is evaluated here with
ONNX's reference evaluator (and `Shape`/`Size` of a tensor whose shape is
static become constants), repeating ONNX shape inference until nothing more
folds. What remains are the nodes that compute on the data.
"""

from __future__ import annotations

import numpy as np

# Never evaluated at import time even with constant inputs.
_NO_FOLD = {"RandomNormal", "RandomUniform", "RandomNormalLike", "RandomUniformLike", "Multinomial", "Bernoulli"}


class Prepared:
    """The graph after folding: the remaining nodes and what is known about every tensor."""

    def __init__(self, model, nodes, consts, shapes, dtypes, opset):
        self.model = model
        self.nodes = nodes
        self.consts = consts
        self.shapes = shapes
        self.dtypes = dtypes
        self.opset = opset

    @property
    def inputs(self) -> list[str]:
        init = {t.name for t in self.model.graph.initializer}
        return [i.name for i in self.model.graph.input if i.name not in init]

    @property
    def outputs(self) -> list[str]:
        return [o.name for o in self.model.graph.output]


def opset_of(model) -> int:
    for o in model.opset_import:
        if o.domain in ("", "ai.onnx"):
            return int(o.version)
    return 1


def _value_infos(model):
    g = model.graph
    return list(g.input) + list(g.value_info) + list(g.output)


def _known(model):
    from onnx import helper

    shapes, dtypes = {}, {}
    for vi in _value_infos(model):
        t = vi.type.tensor_type
        if not vi.type.HasField("tensor_type"):
            continue
        if t.elem_type:
            try:
                dtypes[vi.name] = np.dtype(helper.tensor_dtype_to_np_dtype(t.elem_type))
            except (KeyError, TypeError):
                pass
        if t.HasField("shape"):
            shapes[vi.name] = tuple(d.dim_value if d.HasField("dim_value") and d.dim_value > 0 else None
                                    for d in t.shape.dim)
    return shapes, dtypes


def _infer(model):
    from onnx import shape_inference

    try:
        return shape_inference.infer_shapes(model, data_prop=True)
    except Exception:  # a model shape inference chokes on still converts where shapes are not needed
        return model


def _evaluate(node, values: list, opset: int):
    from onnx.reference import ReferenceEvaluator

    feeds = {n: v for n, v in zip(node.input, values) if n}
    try:
        ev = ReferenceEvaluator(node, opsets={"": opset})
        return ev.run(None, feeds)
    except (KeyboardInterrupt, MemoryError):
        raise
    except Exception:  # noqa: BLE001 - a node the reference cannot compute stays a node; its converter decides
        return None


def _fold_one(node, consts, shapes, opset):
    """Output values when `node` is computable now, else None."""
    if node.domain not in ("", "ai.onnx") or node.op_type in _NO_FOLD:
        return None
    if node.op_type in ("Shape", "Size") and node.input[0] not in consts:
        s = shapes.get(node.input[0])
        if s is None or any(d is None for d in s):
            return None
        if node.op_type == "Size":
            return [np.array(int(np.prod(s)), dtype=np.int64)]
        start, end = 0, len(s)
        for a in node.attribute:
            if a.name == "start":
                start = a.i
            elif a.name == "end":
                end = a.i
        return [np.array(s[slice(start, end)], dtype=np.int64)]
    if any(n and n not in consts for n in node.input):
        return None
    if not node.input and node.op_type != "Constant":
        return None
    return _evaluate(node, [consts[n] if n else None for n in node.input], opset)


def prepare(model, max_rounds: int = 8) -> Prepared:
    """Fold everything computable; returns the remaining nodes with shapes and constants."""

    opset = opset_of(model)
    from ..tensors import check_fold, to_array

    consts = {t.name: to_array(t, what=f"initializer '{t.name}'") for t in model.graph.initializer}
    nodes = list(model.graph.node)
    work = model
    for _ in range(max_rounds):
        inferred = _infer(work)
        shapes, dtypes = _known(inferred)
        kept, changed = [], False
        for node in nodes:
            if all(not n or n in consts for n in node.input):
                check_fold(node, consts, shapes, dtypes)
            vals = _fold_one(node, consts, shapes, opset)
            if vals is None:
                kept.append(node)
                continue
            changed = True
            for name, v in zip(node.output, vals):
                if name:
                    consts[name] = np.asarray(v)
        nodes = kept
        if not changed:
            break
        work = _rebuild(model, nodes, consts)
    shapes, dtypes = _known(_infer(work))
    for k, v in consts.items():
        shapes[k] = tuple(v.shape)
        dtypes[k] = v.dtype
    return Prepared(model, nodes, consts, shapes, dtypes, opset)


def _rebuild(model, nodes, consts):
    """A copy of `model` whose graph holds `nodes` and the constants they read as initializers."""
    from onnx import helper, numpy_helper

    g = model.graph
    needed = {n for node in nodes for n in node.input if n in consts}
    needed.update(o.name for o in g.output if o.name in consts)
    inits = []
    for name in needed:
        a = consts[name]
        if a.dtype == object:
            continue
        inits.append(numpy_helper.from_array(a, name))
    init_names = {t.name for t in g.initializer}
    inputs = [i for i in g.input if i.name not in init_names]
    graph = helper.make_graph(nodes, g.name or "graph", inputs, list(g.output), initializer=inits)
    m = helper.make_model(graph, opset_imports=list(model.opset_import), ir_version=model.ir_version)
    return m
