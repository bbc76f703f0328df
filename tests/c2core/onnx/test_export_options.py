"""Export options: opsets and IR versions, input shapes, unsupported ops listed
up front, progress/cancel, atomic writes, and the external-data branch."""

from __future__ import annotations

import os

import numpy as np
import onnx
import onnxruntime as ort
import pytest

from c2core.builder import NetBuilder, model_from
from c2core.errors import C2Error, Cancelled, UnsupportedOpsError
from c2core.onnx import export_onnx


def small_model(shape=(1, 3, 8, 8), with_shape=True):
    rng = np.random.default_rng(30)
    b = NetBuilder("small")
    b.inputs("data")
    b.op("Conv", ["data", "w", "b"], "c", kernel=3, pad=1)
    b.op("Relu", "c", "c")
    b.op("MaxPool", "c", "p", kernel=2, stride=2)
    b.op("FC", ["p", "fw", "fb"], "fc")
    b.op("Softmax", "fc", "prob")
    b.outputs("prob")
    W = {"w": rng.standard_normal((4, 3, 3, 3)).astype(np.float32), "b": np.zeros(4, np.float32),
         "fw": rng.standard_normal((5, 4 * 4 * 4)).astype(np.float32) * 0.1, "fb": np.zeros(5, np.float32)}
    m = model_from(b.net, W)
    if with_shape:
        m.value_info = {"data": (1, list(shape))}
    return m


def ort_run(model_or_path, x):
    src = model_or_path if isinstance(model_or_path, str) else model_or_path.SerializeToString()
    return ort.InferenceSession(src, providers=["CPUExecutionProvider"]).run(None, {"data": x})[0]


@pytest.mark.parametrize("opset", range(13, 22))
def test_every_opset_13_to_21_has_a_matching_ir_version_and_runs(opset):
    m = small_model()
    p = export_onnx(m, opset=opset)
    assert p.opset_import[0].version == opset
    ir = onnx.helper.find_min_ir_version_for([onnx.helper.make_opsetid("", opset)])
    assert p.ir_version == ir
    # VERSION_TABLE: the first ONNX release carrying this opset defines this IR version.
    first = next(row for row in onnx.helper.VERSION_TABLE if row[2] >= opset)
    assert first[1] == ir
    y = ort_run(p, np.ones((1, 3, 8, 8), np.float32))
    assert y.shape == (1, 5) and abs(y.sum() - 1) < 1e-5


@pytest.mark.parametrize("opset", [12, 22, 9])
def test_opset_outside_13_21_is_refused(opset):
    with pytest.raises(C2Error, match="opset"):
        export_onnx(small_model(), opset=opset)


def test_unsupported_ops_are_listed_together_before_anything_is_written(tmp_path):
    b = NetBuilder("bad")
    b.inputs("data")
    b.op("Relu", "data", "a")
    b.op("FancyOp", "a", "b")
    b.op("Relu", "b", "c")
    b.op("OtherUnknown", "c", "d")
    b.op("FancyOp", "d", "e")
    b.outputs("e")
    m = model_from(b.net, {})
    m.value_info = {"data": (1, [1, 2])}
    out = tmp_path / "bad.onnx"
    with pytest.raises(UnsupportedOpsError) as ei:
        export_onnx(m, str(out))
    assert ei.value.ops == ["FancyOp", "OtherUnknown"]
    assert "FancyOp, OtherUnknown" in str(ei.value)
    assert not out.exists() and os.listdir(tmp_path) == []


def test_missing_input_shape_is_a_clear_error_and_argument_wins_over_value_info():
    with pytest.raises(C2Error, match="--input-shape"):
        export_onnx(small_model(with_shape=False))
    with pytest.raises(C2Error, match="not data inputs"):
        export_onnx(small_model(), input_shapes={"nope": (1, 2)})
    p = export_onnx(small_model(shape=(7, 3, 8, 8)), input_shapes={"data": (2, 3, 8, 8)})
    assert [d.dim_value for d in p.graph.input[0].type.tensor_type.shape.dim] == [2, 3, 8, 8]



def test_missing_weight_is_named_with_its_first_user_like_the_predictor(tmp_path):
    """Not 'blob b is read before any op provides it': the init net lacks it."""
    full = small_model()
    full.predict_net.external_input.extend(["w", "b", "fw", "fb"])  # as real nets declare them
    weights = full.weight_arrays()
    del weights["b"]
    m = model_from(full.predict_net, weights)
    m.value_info = full.value_info
    out = tmp_path / "m.onnx"
    with pytest.raises(C2Error, match=r"^weight 'b' is missing from the init net \(used by op #0 Conv\)$"):
        export_onnx(m, str(out))
    del weights["fb"]
    m = model_from(full.predict_net, weights)
    m.value_info = full.value_info
    with pytest.raises(C2Error, match=r"^weights 'b' \(used by op #0 Conv\), 'fb' \(used by op #3 FC\) are missing"):
        export_onnx(m, str(out))
    assert not out.exists()

def test_bad_int8_mode_is_refused():
    with pytest.raises(C2Error, match="int8"):
        export_onnx(small_model(), int8="int4")


def test_progress_is_monotonic_and_cancel_stops_between_ops(tmp_path):
    seen = []
    export_onnx(small_model(), progress=lambda f, msg: seen.append((f, msg)))
    fr = [f for f, _ in seen]
    assert fr == sorted(fr) and fr[-1] == 1.0 and len(fr) >= 5
    assert any("Conv" in msg for _, msg in seen)

    from c2core.tasks import CancelToken

    class CancelOnThirdCheck(CancelToken):
        calls = 0

        @property
        def cancelled(self):
            self.calls += 1
            return self.calls > 2

    out = tmp_path / "c.onnx"
    cancel = CancelOnThirdCheck()
    with pytest.raises(Cancelled):
        export_onnx(small_model(), str(out), cancel=cancel)
    assert cancel.calls == 3 and not out.exists() and os.listdir(tmp_path) == []


def test_write_is_atomic_and_replaces_only_on_success(tmp_path):
    out = tmp_path / "m.onnx"
    out.write_bytes(b"old")
    b = NetBuilder("bad")
    b.inputs("data")
    b.op("Reshape", "data", "y", shape=[7, -1])  # 2*3 elements cannot be 7 x N
    b.outputs("y")
    m = model_from(b.net, {})
    m.value_info = {"data": (1, [2, 3])}
    with pytest.raises(C2Error):
        export_onnx(m, str(out))
    assert out.read_bytes() == b"old" and os.listdir(tmp_path) == ["m.onnx"]
    export_onnx(small_model(), str(out))
    x = np.random.default_rng(0).standard_normal((1, 3, 8, 8)).astype(np.float32)
    assert ort_run(str(out), x).shape == (1, 5)
    assert sorted(os.listdir(tmp_path)) == ["m.onnx"]


def test_external_data_branch_with_a_lowered_threshold(tmp_path):
    m = small_model()
    out = tmp_path / "big.onnx"
    p = export_onnx(m, str(out), external_data_threshold=1000)
    assert sorted(os.listdir(tmp_path)) == ["big.onnx", "big.onnx.data"]
    loaded = onnx.load(str(out), load_external_data=False)
    ext = [t.name for t in loaded.graph.initializer if t.data_location == onnx.TensorProto.EXTERNAL]
    # the FC weight (stored transposed under a new name: the original, unread, is not kept) goes external
    big = [t.name for t in loaded.graph.initializer if len(t.raw_data) > 1000 or t.data_location == onnx.TensorProto.EXTERNAL]
    assert ext and ext == big
    assert os.path.getsize(out) < 2000 and os.path.getsize(tmp_path / "big.onnx.data") > 1000
    onnx.checker.check_model(str(out), full_check=True)
    x = np.random.default_rng(1).standard_normal((1, 3, 8, 8)).astype(np.float32)
    assert np.array_equal(ort_run(str(out), x), ort_run(p, x))
    # Below the threshold: one self-contained file.
    export_onnx(m, str(tmp_path / "small.onnx"))
    assert not (tmp_path / "small.onnx.data").exists()


def test_pass_through_outputs_keep_their_names():
    b = NetBuilder("pass")
    b.inputs("data")
    b.op("Relu", "data", "r")
    b.outputs("r", "data", "w")
    m = model_from(b.net, {"w": np.arange(3, dtype=np.float32)})
    m.value_info = {"data": (1, [2])}
    p = export_onnx(m)
    names = [o.name for o in p.graph.output]
    assert names == ["r", "data", "w"]  # an input or weight may itself be a graph output
    out = ort.InferenceSession(p.SerializeToString()).run(None, {"data": np.array([-1, 2], np.float32)})
    assert out[0].tolist() == [0, 2] and out[1].tolist() == [-1, 2] and out[2].tolist() == [0, 1, 2]


def test_importing_c2core_onnx_does_not_import_onnx():
    import subprocess
    import sys

    code = "import sys, c2core.onnx, c2core.cli.convert; print('onnx' in sys.modules, 'onnxruntime' in sys.modules)"
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert r.stdout.split() == ["False", "False"]
