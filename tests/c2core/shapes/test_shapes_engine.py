"""The inference walk: unknown ops, in-place versions, dtypes, API shape."""

import dataclasses

import pytest

from c2core.builder import NetBuilder
from c2core.shapes import BlobInfo, infer_shapes, infer_shapes_versioned, supported_op_types
from shapes_helpers import model_of


def test_unknown_op_mid_net_only_poisons_its_dependents():
    b = NetBuilder("n")
    b.op("Relu", ["X"], ["a"])
    b.op("MysteryOp", ["a"], ["b", "b2"])
    b.op("Relu", ["b"], ["c"])
    b.op("Conv", ["c", "W"], ["d"], kernel=1)
    b.op("MaxPool", ["a"], ["e"], kernel=2, stride=2)
    b.op("Conv", ["X", "W"], ["f"], kernel=1)
    m = model_of(b.net, {"W": (4, 3, 1, 1)})
    per_op = infer_shapes_versioned(m, {"X": (1, 3, 8, 8)})
    assert len(per_op) == len(b.net.op)
    assert per_op[0][0].shape == (1, 3, 8, 8)
    assert per_op[1] == [BlobInfo(None, None), BlobInfo(None, None)]
    assert per_op[2][0].shape is None
    assert per_op[3][0].shape is None
    assert per_op[4][0].shape == (1, 3, 4, 4)
    assert per_op[5][0].shape == (1, 4, 8, 8)


def test_in_place_versions():
    b = NetBuilder("n")
    b.op("Relu", ["X"], ["X"])
    b.op("Reshape", ["X"], ["X", "old"], shape=[0, -1])
    b.op("Relu", ["X"], ["X"])
    per_op = infer_shapes_versioned(model_of(b.net), {"X": (2, 3, 4)})
    assert [o[0].shape for o in per_op] == [(2, 3, 4), (2, 12), (2, 12)]
    infos = infer_shapes(model_of(b.net), {"X": (2, 3, 4)})
    assert infos["X"].shape == (2, 12)
    assert infos["old"] == BlobInfo((3,), "int64")


def test_input_dtypes_and_weights_are_seeded():
    b = NetBuilder("n")
    b.op("Relu", ["X"], ["Y"])
    infos = infer_shapes(model_of(b.net, {"W": (3, 3)}, {"W": "float64"}), {"X": (2,)}, {"X": "uint8"})
    assert infos["Y"] == BlobInfo((2,), "uint8")
    assert infos["W"] == BlobInfo((3, 3), "float64")


def test_model_input_shapes_used_by_default():
    b = NetBuilder("n").inputs("data")
    b.op("Relu", ["data"], ["Y"])
    m = model_of(b.net)
    m.value_info = {"data": [10, [4, 5]]}  # elem_type 10 = INT64 in caffe2.TensorProto
    infos = infer_shapes(m)
    assert infos["Y"] == BlobInfo((4, 5), "int64")


def test_broken_rule_input_does_not_abort():
    b = NetBuilder("n")
    b.op("Reshape", ["X"], ["Y", "old"], shape=[7, -1])  # 6 elements: impossible
    b.op("Relu", ["X"], ["Z"])
    infos = infer_shapes(model_of(b.net), {"X": (2, 3)})
    assert infos["Y"].shape is None and infos["Z"].shape == (2, 3)


def test_blobinfo_is_frozen_and_prints():
    i = BlobInfo((1, -1, 4), "float32")
    with pytest.raises(dataclasses.FrozenInstanceError):
        i.shape = (1,)
    assert str(i) == "float32[1,?,4]" and not i.known and i.numel is None and i.rank == 3
    assert BlobInfo((2, 3), "int64").numel == 6 and str(BlobInfo()) == "?[?]"


def test_every_rule_op_is_in_the_schema():
    from c2core.schema import known_op_types

    assert supported_op_types() <= known_op_types()


def test_shapes_package_does_not_import_torch_or_onnx():
    import subprocess
    import sys

    code = "import sys, c2core.shapes; print(any(m in sys.modules for m in ('torch', 'onnx')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_init_net_placeholder_is_not_an_input_shape():
    import numpy as np

    from c2core.builder import model_from

    b = NetBuilder("n").inputs("data", "W")
    b.op("Conv", ["data", "W"], ["y"], kernel=1)
    b.op("Relu", ["data"], ["r"])
    m = model_from(b.net, {"data": np.zeros((1,), np.float32), "W": np.zeros((4, 3, 1, 1), np.float32)})
    infos = infer_shapes(m)
    assert infos["y"].shape is None and infos["r"].shape is None
    assert infer_shapes(m, {"data": (1, 3, 5, 5)})["y"].shape == (1, 4, 5, 5)


def test_small_constant_weights_feed_shape_inputs():
    import numpy as np

    from c2core.builder import model_from

    b = NetBuilder("n").inputs("X", "shape", "starts", "ends", "scales")
    b.op("Reshape", ["X", "shape"], ["r", "old"])
    b.op("Slice", ["X", "starts", "ends"], ["s"])
    b.op("ResizeNearest", ["img", "scales"], ["z"])
    b.op("Reshape", ["X", "shape2"], ["r2", "old2"])  # shape2 exists nowhere: unknown
    b.op("Shape", ["X"], ["shape"])  # overwrites the constant: later readers know only its length
    b.op("Reshape", ["X", "shape"], ["r3", "old3"])
    weights = {
        "shape": np.array([4, -1], np.int64), "starts": np.array([0, 1], np.int32),
        "ends": np.array([-1, 3], np.int32), "scales": np.array([2.0, 0.5], np.float32),
    }
    m = model_from(b.net, weights)
    infos = infer_shapes(m, {"X": (2, 3, 4), "img": (1, 3, 8, 8)})
    assert infos["r"].shape == (4, 6)
    assert infos["s"].shape == (2, 2, 4)
    assert infos["z"].shape == (1, 3, 16, 4)
    assert infos["r2"].shape is None
    assert infos["r3"].shape == (-1, -1, -1)


def test_free_batch_dimension_propagates():
    b = NetBuilder("n")
    b.op("Conv", ["X", "W"], ["c"], kernel=3, pad=1)
    b.op("FC", ["c", "fw", "fb"], ["y"])
    m = model_of(b.net, {"W": (4, 3, 3, 3), "fw": (10, 4 * 8 * 8), "fb": (10,)})
    infos = infer_shapes(m, {"X": (None, 3, 8, 8)})
    assert infos["c"].shape == (-1, 4, 8, 8) and infos["y"].shape == (-1, 10)
