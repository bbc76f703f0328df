"""What the importer refuses: every unsupported op listed in one error, bad files named, nothing written."""

import os

import numpy as np
import pytest
from onnx import helper

from c2core.errors import C2FormatError, UnsupportedOpsError
from c2core.onnx.importer import import_onnx, supported_onnx_ops
from tests.c2core.onnx.import_helpers import make_model


def test_all_unsupported_ops_listed_up_front(tmp_path):
    nodes = [
        helper.make_node("Relu", ["x"], ["a"]),
        helper.make_node("Resize", ["a", "", "sc"], ["b"], mode="cubic"),
        helper.make_node("Resize", ["a", "", "sc"], ["b2"], mode="linear"),  # half_pixel: no Caffe2 op
        helper.make_node("Einsum", ["b", "b2"], ["c"], equation="nchw,nchw->nchw"),
        helper.make_node("TopK", ["c", "k"], ["y", "idx"], axis=-1),
    ]
    m = make_model(nodes, [("x", [1, 2, 3, 4])], [("y", None)],
                   {"sc": np.array([1, 1, 2, 2], np.float32), "k": np.array([2], np.int64)}, opset=13)
    with pytest.raises(UnsupportedOpsError) as e:
        import_onnx(m, out_dir=str(tmp_path / "out"))
    ops = e.value.ops
    assert "Einsum" in ops and "TopK" in ops
    assert any(o.startswith("Resize (Resize mode cubic") for o in ops)
    assert any("half_pixel" in o for o in ops)
    assert "the ONNX importer" in str(e.value)
    assert not (tmp_path / "out").exists()


def test_custom_domain_op_is_unsupported():
    n = helper.make_node("MyOp", ["x"], ["y"], domain="com.example")
    m = make_model([n], [("x", [2])], [("y", None)])
    m.opset_import.append(helper.make_opsetid("com.example", 1))
    with pytest.raises(UnsupportedOpsError, match="com.example.MyOp"):
        import_onnx(m)


def test_not_an_onnx_file(tmp_path):
    p = tmp_path / "junk.onnx"
    p.write_bytes(b"\xff\x00 this is not protobuf \x13\x37" * 10)
    with pytest.raises(C2FormatError) as e:
        import_onnx(str(p))
    assert e.value.path == str(p)


def test_missing_file(tmp_path):
    with pytest.raises(C2FormatError, match="no such file"):
        import_onnx(str(tmp_path / "nope.onnx"))


def test_supported_list_covers_the_issue_op_set():
    want = {"Conv", "Gemm", "MatMul", "BatchNormalization", "Relu", "Clip", "LeakyRelu", "Sigmoid", "HardSigmoid",
            "HardSwish", "Mul", "Add", "Sub", "Div", "MaxPool", "AveragePool", "GlobalAveragePool", "Pad", "Concat",
            "Reshape", "Flatten", "Transpose", "Softmax", "Resize", "Upsample", "Slice", "ReduceMean", "Dropout",
            "Identity", "Squeeze", "Unsqueeze", "Gather"}
    assert want <= set(supported_onnx_ops())


def test_writes_pair_and_value_info_text(tmp_path):
    from c2core.io import open_model

    m = make_model([helper.make_node("Gemm", ["x", "w", "b"], ["y"], transB=1)], [("x", ["batch", 3])], [("y", None)],
                   {"w": np.ones((2, 3), np.float32), "b": np.zeros(2, np.float32)})
    out = tmp_path / "pair"
    import_onnx(m, out_dir=str(out), text=True)
    assert sorted(os.listdir(out)) == ["init_net.pbtxt", "predict_net.pbtxt", "value_info.json"]
    back = open_model(str(out))
    assert back.data_inputs == ["x"] and back.external_outputs == ["y"]
    assert back.input_shapes() == {"x": (1, 3)}  # a symbolic batch is written as 1
    np.testing.assert_array_equal(back.weight_arrays()["y_w"], np.ones((2, 3), np.float32))
