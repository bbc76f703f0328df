"""RoIAlign (aligned flag, [R, 5] RoIs) and If with sub-nets, against NumPy
references from roi_align_op.cc / Caffe2's If semantics and the executor."""

from __future__ import annotations

import numpy as np
import onnxruntime as ort
import pytest

from c2core.builder import NetBuilder, model_from
from c2core.errors import C2Error
from c2core.onnx import export_onnx, verify_onnx
from c2core.proto import caffe2_pb2
from tests.references.roi_align import roi_align as caffe2_roi_align


def run(proto, feeds):
    s = ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])
    return s.run(None, feeds)


def roi_model(aligned, ratio=-1):
    b = NetBuilder("roi")
    b.inputs("feat", "rois")
    b.op("RoIAlign", ["feat", "rois"], "y", spatial_scale=0.5, pooled_h=3, pooled_w=2, sampling_ratio=ratio,
         aligned=aligned)
    b.outputs("y")
    m = model_from(b.net, {})
    m.init_net = caffe2_pb2.NetDef()
    m.value_info = {"feat": (1, [2, 3, 10, 12]), "rois": (1, [4, 5])}
    return m


FEAT = np.random.default_rng(70).standard_normal((2, 3, 10, 12)).astype(np.float32)
ROIS = np.array([[0, 2.0, 3.0, 15.0, 12.0], [1, 0.0, 0.0, 1.0, 1.2], [1, 5.5, 2.2, 22.0, 19.0],
                 [0, -3.0, -2.0, 6.0, 4.0]], np.float32)


@pytest.mark.parametrize("aligned", [0, 1])
@pytest.mark.parametrize("ratio", [-1, 2])
def test_roi_align_matches_caffe2_for_both_aligned_modes(aligned, ratio):
    m = roi_model(aligned, ratio)
    got = run(export_onnx(m, opset=17), {"feat": FEAT, "rois": ROIS})[0]
    ref = caffe2_roi_align(FEAT, ROIS, 0.5, 3, 2, ratio, aligned)
    assert got.shape == (4, 3, 3, 2)
    assert np.abs(got - ref).max() <= 1e-5 * np.abs(ref).max()
    naive = caffe2_roi_align(FEAT, ROIS, 0.5, 3, 2, ratio, 1 - aligned)  # the other coordinate mode
    assert np.abs(naive - ref).max() > 1e-2 * np.abs(ref).max()
    r = verify_onnx(m, export_onnx(m, opset=17), inputs={"feat": FEAT, "rois": ROIS})
    assert r.ok, r.format()


def test_roi_align_before_opset_16():
    m = roi_model(0)
    got = run(export_onnx(m, opset=13), {"feat": FEAT, "rois": ROIS})[0]
    ref = caffe2_roi_align(FEAT, ROIS, 0.5, 3, 2, -1, 0)
    assert np.abs(got - ref).max() <= 1e-5 * np.abs(ref).max()
    with pytest.raises(C2Error, match="opset >= 16"):
        export_onnx(roi_model(1), opset=15)


def if_model():
    t = NetBuilder("then")
    t.op("Relu", "x", "y")
    t.op("Scale", "y", "z", scale=2.0)
    e = NetBuilder("else")
    e.op("Sigmoid", "x", "y")  # writes y only: z keeps its outer value
    b = NetBuilder("ifnet")
    b.inputs("cond", "x")
    b.op("Tanh", "x", "z")
    b.op("If", ["cond", "x"], ["y", "z"], then_net=t.net, else_net=e.net)
    b.op("Add", ["y", "z"], "out")
    b.outputs("out", "y")
    m = model_from(b.net, {})
    m.init_net = caffe2_pb2.NetDef()
    m.value_info = {"cond": (5, [1]), "x": (1, [2, 3])}
    return m


@pytest.mark.parametrize("cond", [True, False])
def test_if_runs_the_chosen_sub_net_and_passes_untouched_blobs_through(cond):
    m = if_model()
    proto = export_onnx(m)
    node = next(n for n in proto.graph.node if n.op_type == "If")
    assert {a.name for a in node.attribute} == {"then_branch", "else_branch"}
    x = np.random.default_rng(71).standard_normal((2, 3)).astype(np.float32)
    out, y = run(proto, {"cond": np.array([cond]), "x": x})
    if cond:
        ref_y = np.maximum(x, 0)
        ref_z = ref_y * 2
    else:
        ref_y = 1 / (1 + np.exp(-x))
        ref_z = np.tanh(x)
    assert np.abs(y - ref_y).max() <= 1e-6 and np.abs(out - (ref_y + ref_z)).max() <= 1e-6
    naive = ref_y + ref_y * 2 if not cond else ref_y + np.tanh(x)  # the other branch's z
    assert np.abs(naive - (ref_y + ref_z)).max() > 1e-2
    # the executor agrees on both paths (z keeps Tanh(x) when else runs)
    r = verify_onnx(m, proto, inputs={"cond": np.array([cond]), "x": x})
    assert r.ok, r.format()


def test_reference_failing_on_random_data_says_to_give_real_inputs():
    """Random RoIs have negative sizes, which Caffe2's RoIAlign (aligned) refuses: the
    message names the random inputs and --input, and real RoIs verify."""
    from c2core.errors import C2Error
    from c2core.onnx import export_onnx, verify_onnx

    m = roi_model(1)
    proto = export_onnx(m, input_shapes={"feat": (2, 3, 10, 12), "rois": (4, 5)})
    with pytest.raises(C2Error) as e:
        verify_onnx(m, proto)
    assert "RoIAlign" in e.value.reason and "verification ran on random data for feat, rois" in e.value.reason
    assert "--input NAME=FILE.npy" in e.value.reason
    rep = verify_onnx(m, proto, inputs={"feat": FEAT, "rois": ROIS})
    assert rep.ok
