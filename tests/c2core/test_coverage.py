"""Op coverage is consistent across layers (issue 10).

One table (c2core.schema.support.table: `python -m c2core.coverage
--table` prints it) lists per op type: schema entry, shape rule, executor
kernel, ONNX exporter, and whether the ONNX importer emits it. Every gap
between layers fails here unless it is in an allow-list below, each with the
reason. The manifest itself (support.json) must equal the imported registries.
"""

import subprocess
import sys

import pytest

from c2core import coverage
from c2core.schema import support

# ---------------------------------------------------------------------------------
# Allow-lists: op type -> why the gap is intended. Keep each entry's reason true.

# In the schema (so drawn, inspected and named in errors) but no static shape rule.
NO_SHAPE_RULE = {
    "ATen": "runs an arbitrary PyTorch operator: outputs depend on its name and overload",
    "Python": "a Python callback: outputs are whatever the callback returns",
    "Print": "has no outputs",
    "NoOp": "variadic pass-through with no declared relation between inputs and outputs",
    "CreateScope": "outputs a workspace scope, not a tensor",
    "Do": "runs a sub-net in another workspace; blob mapping is by index lists",
    "ONNXWhile": "loop-carried shapes can change per iteration",
    "FlexibleTopK": "output length is the data-dependent sum of per-row k",
}

# Run by the executor, but no exact ONNX mapping: default conversion refuses nets with them.
NOT_EXPORTED = {
    "GaussianFill": "random values: ONNX RandomNormal uses another generator, parity cannot hold",
    "UniformFill": "random values (see GaussianFill)",
    "UniformIntFill": "random values (see GaussianFill)",
    "XavierFill": "random values (see GaussianFill)",
    "MSRAFill": "random values (see GaussianFill)",
    "GenerateProposals": "RPN decode + NMS with Caffe2's exact tie-breaking and legacy +1 boxes: no ONNX op sequence matches",
    "GenerateProposalsCPP": "old name of GenerateProposals (same reason)",
    "BoxWithNMSLimit": "per-class NMS with Caffe2's limits and score ordering: ONNX NonMaxSuppression differs",
    "BBoxTransform": "only met next to BoxWithNMSLimit in Detectron heads, which cannot be exported either",
    "CollectRpnProposals": "FPN proposal routing: top-k across levels by score with data-dependent sizes (see GenerateProposals)",
    "DistributeFpnProposals": "FPN proposal routing (see CollectRpnProposals)",
    "CollectAndDistributeFpnRpnProposals": "FPN proposal routing (see CollectRpnProposals)",
    "While": "loop with a cond_net: ONNX Loop export is not implemented (If is)",
    "IsEmpty": "only meaningful with control flow that is not exported (While)",
    "RecurrentNetwork": "step nets would become ONNX Loop/LSTM: not implemented; conversion refuses RNN nets by name",
    "LSTMUnit": "only inside RecurrentNetwork step nets (see RecurrentNetwork)",
    "OneHot": "met in init nets (UniformIntFill -> Cast -> OneHot), which run at load time into weights; never a predict-net node so far",
    "Upsample": "an old spelling whose `mode` picks ResizeNearest or UpsampleBilinear; exporting it would duplicate those exporters",
}

# In the schema but not run by the executor (the executor refuses such nets by name).
NOT_EXECUTED = {
    # training-only: never part of a deployed predict net
    **dict.fromkeys(["Accuracy", "AveragedLoss", "CrossEntropy", "LabelCrossEntropy", "SigmoidCrossEntropyWithLogits",
                     "SmoothL1Loss", "SoftmaxWithLoss", "SquaredL2Distance", "Iter", "CountUp", "WeightedSum"],
                    "training/optimizer op: not part of inference nets"),
    # sparse / recommendation ops: need lengths-based segment semantics not implemented
    **dict.fromkeys(["LengthsSum", "SparseLengthsSum", "LengthsRangeFill", "BatchGather",
                     "FloatToFused8BitRowwiseQuantized", "Fused8BitRowwiseQuantizedToFloat"],
                    "sparse/embedding op family: out of scope for the vision models this project targets"),
    # control flow and callbacks with no portable meaning
    **dict.fromkeys(["ATen", "Python", "Print", "NoOp", "CreateScope", "Do", "ONNXWhile", "HasElements"],
                    "needs a PyTorch/Python runtime or workspace scopes that the executor does not model"),
    # detection and int8 variants without a kernel yet
    **dict.fromkeys(["HeatmapMaxKeypoint", "PSRoIPool", "RoIPool", "RoIAlignRotated", "Int8RoIAlign", "Int8ConvTranspose",
                     "Int8Slice", "MaxPoolWithIndex", "ResizeNearest3D"],
                    "no kernel yet: rare in deployed models; refused by name, never approximated"),
    # math without a kernel yet
    **dict.fromkeys(["ColwiseMax", "RowwiseMax", "Cube", "CumSum", "DotProduct", "Expand", "FlexibleTopK", "Gelu", "Logit",
                     "Normalize", "Range", "RangeFill", "ReduceTailSum", "ReluN", "SumElements", "SumSqrElements",
                     "TopK", "Where", "FloatToHalf", "HalfToFloat"],
                    "no kernel yet: not met in the model zoo / corpus nets; refused by name, never approximated"),
}


def _gaps(rows):
    gaps = []
    for t, r in rows.items():
        if not r["schema"]:
            gaps.append(f"{t}: supported by {[c for c in support.LAYERS if r[c]]} but has no schema entry")
        if r["schema"] and not r["shapes"] and t not in NO_SHAPE_RULE:
            gaps.append(f"{t}: no shape rule")
        if r["exporter"] and not r["executor"]:
            gaps.append(f"{t}: exportable but not executable (conversion's parity check needs the executor)")
        if r["importer"] and not (r["executor"] and r["shapes"] and r["exporter"]):
            gaps.append(f"{t}: the ONNX importer emits it but it lacks a layer")
        if r["executor"] and not r["exporter"] and t not in NOT_EXPORTED:
            gaps.append(f"{t}: executable but no ONNX exporter")
        if r["schema"] and not r["executor"] and t not in NOT_EXECUTED:
            gaps.append(f"{t}: in the schema but no executor kernel")
    return gaps


def test_every_gap_between_layers_is_allow_listed():
    rows = support.table()
    gaps = _gaps(rows)
    assert not gaps, "coverage gaps (fix them or allow-list with a reason):\n" + "\n".join(gaps) + "\n\n" + support.format_table(rows)


def test_allow_lists_hold_no_stale_entries():
    rows = support.table()
    stale = [t for t in NO_SHAPE_RULE if rows.get(t, {}).get("shapes")]
    stale += [t for t in NOT_EXPORTED if not rows.get(t, {}).get("executor") or rows[t]["exporter"]]
    stale += [t for t in NOT_EXECUTED if not rows.get(t, {}).get("schema") or rows[t]["executor"]]
    assert not stale, f"allow-listed but no longer a gap (remove them): {stale}"


def test_the_manifest_equals_the_registries():
    """support.json is generated; a stale one would make unsupported_ops lie."""
    assert support.dumps(coverage.generate()) == open(support.PATH, encoding="utf-8").read(), \
        "c2core/schema/support.json is stale: run python -m c2core.coverage"


def test_support_checks_read_the_manifest_without_torch():
    code = (
        "import sys, json\n"
        "from c2core.builder import NetBuilder\n"
        "from c2core.runtime import unsupported_ops\n"
        "b = NetBuilder('n'); b.op('Relu', 'x', 'y'); b.op('SoftmaxWithLoss', ['y', 'l'], ['p', 'loss'])\n"
        "print(json.dumps([unsupported_ops(b.net), 'torch' in sys.modules]))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == '[["SoftmaxWithLoss"], false]'


def test_importer_declares_what_it_emits(tmp_path):
    """Strict mode checks each converter's `emits` on every import the tests run; here a
    converter that emits an undeclared op type is caught."""
    import onnx
    from onnx import TensorProto, helper

    from c2core.onnx.importer import import_onnx
    from c2core.onnx.importer.registry import CONVERTERS

    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3])
    graph = helper.make_graph([helper.make_node("Relu", ["x"], ["y"])], "g", [x], [y])
    path = tmp_path / "m.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), path)
    real = CONVERTERS._entries["Relu"]
    CONVERTERS._entries["Relu"] = real._replace(emits=("Sigmoid",))
    try:
        with pytest.raises(AssertionError, match=r"emitted \['Relu'\] not declared"):
            import_onnx(str(path), str(tmp_path / "out"))
    finally:
        CONVERTERS._entries["Relu"] = real
