"""Convert an FP32 ONNX model to FP16: initializers, constants, I/O and casts.

TensorRT 11 builds strongly typed networks only: the precision of every
tensor is what the ONNX graph says, so an FP16 engine comes from an FP16 ONNX
model. This module makes one with the `onnx` package alone:

- float32 initializers and `Constant`/`ConstantOfShape` values become float16
  (clipped to ±65504, the FP16 range), `Cast(to=FLOAT)` becomes `Cast(to=FLOAT16)`;
- graph inputs/outputs become float16, or stay float32 with a Cast at the
  border when `keep_io_types=True`;
- inputs the ONNX spec requires to be float32 (`Resize` scales, `Upsample`
  scales) stay float32 (a Cast is inserted when they are computed);
- ops in `keep_fp32_ops` (by default reductions and softmax, which accumulate
  many terms) run in float32 between a Cast to FLOAT and a Cast back.
"""

from __future__ import annotations

import numpy as np

FP16_MAX = 65504.0

# op type -> input slots that must be tensor(float) whatever the data type
FP32_SLOTS = {"Resize": {2}, "Upsample": {1}}
DEFAULT_KEEP_FP32 = frozenset({"Softmax", "LogSoftmax", "ReduceSum", "ReduceSumSquare", "ReduceMean",
                               "ReduceL2", "ReduceLogSumExp"})


def _to_fp16_array(a: np.ndarray) -> tuple[np.ndarray, int]:
    clipped = int(np.count_nonzero(np.abs(a[np.isfinite(a)]) > FP16_MAX))
    return np.clip(a, -FP16_MAX, FP16_MAX).astype(np.float16), clipped


def convert_to_fp16(model, keep_io_types: bool = False, keep_fp32_ops=DEFAULT_KEEP_FP32):
    """A new ModelProto with FP16 weights and arithmetic; `model` is left untouched.

    The returned model carries `metadata_props` entry `c2core.fp16_clipped`
    counting weights that exceeded the FP16 range.
    """
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    FLOAT, HALF = TensorProto.FLOAT, TensorProto.FLOAT16
    m = onnx.ModelProto()
    m.CopyFrom(model)
    g = m.graph
    try:
        inferred = onnx.shape_inference.infer_shapes(m).graph
    except Exception:
        inferred = g
    elem = {}
    for vi in list(inferred.input) + list(inferred.output) + list(inferred.value_info):
        elem[vi.name] = vi.type.tensor_type.elem_type
    for t in g.initializer:
        elem[t.name] = t.data_type
    keep_fp32_ops = set(keep_fp32_ops or ())

    def fp32_context(node, slot: int) -> bool:
        return node.op_type in keep_fp32_ops or slot in FP32_SLOTS.get(node.op_type, ())

    # Which float constants (initializers, Constant outputs) some op reads as FP16?
    const_names = {t.name for t in g.initializer if t.data_type == FLOAT}
    for n in g.node:
        if n.op_type == "Constant" and n.attribute and n.attribute[0].name == "value" and n.attribute[0].t.data_type == FLOAT:
            const_names.add(n.output[0])
    needed_fp16 = set()
    for n in g.node:
        for slot, name in enumerate(n.input):
            if name in const_names and not fp32_context(n, slot):
                needed_fp16.add(name)
    graph_outputs = {o.name for o in g.output}
    needed_fp16 |= const_names & graph_outputs
    clipped = 0
    for t in g.initializer:
        if t.name in needed_fp16:
            arr, c = _to_fp16_array(numpy_helper.to_array(t))
            clipped += c
            t.CopyFrom(numpy_helper.from_array(arr, t.name))
            elem[t.name] = HALF

    # A tensor is FP16 after conversion if it was float and is not a kept FP32 constant.
    def is_half(name: str) -> bool:
        if name in const_names:
            return name in needed_fp16
        return elem.get(name) == FLOAT

    new_nodes = []
    counter = [0]

    def fresh(base: str) -> str:
        counter[0] += 1
        return f"{base}__c2fp16_{counter[0]}"

    graph_inputs = [i for i in g.input if i.name not in {t.name for t in g.initializer}]
    rename_input = {}
    for vi in graph_inputs:
        if vi.type.tensor_type.elem_type != FLOAT:
            continue
        if keep_io_types:
            half_name = fresh(vi.name)
            new_nodes.append(helper.make_node("Cast", [vi.name], [half_name], to=HALF))
            rename_input[vi.name] = half_name
        else:
            vi.type.tensor_type.elem_type = HALF

    output_fix = {}  # original output name -> internal fp16 name
    if keep_io_types:
        for o in g.output:
            if o.type.tensor_type.elem_type == FLOAT:
                output_fix[o.name] = fresh(o.name)
    else:
        for o in g.output:
            if o.type.tensor_type.elem_type == FLOAT:
                o.type.tensor_type.elem_type = HALF

    for n in g.node:
        n_inputs = [rename_input.get(x, x) for x in n.input]
        n_inputs = [output_fix.get(x, x) for x in n_inputs]
        del n.input[:]
        n.input.extend(n_inputs)
        if n.op_type == "Constant" and n.attribute and n.attribute[0].name == "value":
            t = n.attribute[0].t
            if t.data_type == FLOAT and n.output[0] in needed_fp16:
                arr, c = _to_fp16_array(numpy_helper.to_array(t))
                clipped += c
                t.CopyFrom(numpy_helper.from_array(arr, t.name))
        elif n.op_type == "ConstantOfShape":
            for a in n.attribute:
                if a.name == "value" and a.t.data_type == FLOAT:
                    a.t.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(a.t).astype(np.float16), a.t.name))
        elif n.op_type == "Cast":
            for a in n.attribute:
                if a.name == "to" and a.i == FLOAT:
                    a.i = HALF
        before = []
        for slot, name in enumerate(n.input):
            if name and fp32_context(n, slot) and is_half(_orig(name, rename_input, output_fix)):
                f32 = fresh(name)
                before.append(helper.make_node("Cast", [name], [f32], to=FLOAT))
                n.input[slot] = f32
        after = []
        if n.op_type in keep_fp32_ops:
            for i, name in enumerate(n.output):
                if elem.get(name) == FLOAT:
                    f32 = fresh(name)
                    after.append(helper.make_node("Cast", [f32], [name], to=HALF))
                    n.output[i] = f32
        for i, name in enumerate(n.output):
            if name in output_fix:
                n.output[i] = output_fix[name]
        new_nodes.extend(before)
        new_nodes.append(n)
        for c in after:
            if c.output[0] in output_fix:
                c.output[0] = output_fix[c.output[0]]
            new_nodes.append(c)
    for orig, internal in output_fix.items():
        new_nodes.append(helper.make_node("Cast", [internal], [orig], to=FLOAT))
    # Graph outputs that are graph inputs or initializers directly are left as they are.
    del g.node[:]
    g.node.extend(new_nodes)
    del g.value_info[:]
    m = onnx.shape_inference.infer_shapes(m)
    prop = m.metadata_props.add()
    prop.key, prop.value = "c2core.fp16_clipped", str(clipped)
    onnx.checker.check_model(m)
    return m


def _orig(name: str, rename_input: dict, output_fix: dict) -> str:
    for table in (rename_input, output_fix):
        for k, v in table.items():
            if v == name:
                return k
    return name


def convert_file_to_fp16(src: str, dst: str, keep_io_types: bool = False, keep_fp32_ops=DEFAULT_KEEP_FP32) -> str:
    import onnx

    onnx.save(convert_to_fp16(onnx.load(src), keep_io_types, keep_fp32_ops), dst)
    return dst
