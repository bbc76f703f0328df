"""A 0-d input reaches every backend as a 0-d array (np.ascontiguousarray would make it shape [1])."""

import numpy as np

from c2core.backends import ModelSource, create
from c2core.backends.base import Availability, Backend


class _Recording(Backend):
    """Hands back what `run` passed on, so the base class's input handling can be seen."""

    name = "recording"

    @classmethod
    def availability(cls):
        return Availability(True)

    def _prepare(self, source):
        self.input_names = ["s", "x"]
        self.output_names = ["s", "x"]

    def _run(self, inputs):
        self.seen = inputs
        return dict(inputs)


def test_base_run_keeps_shapes_and_makes_inputs_contiguous():
    be = _Recording().prepare(None)
    x = np.arange(24, dtype=np.float32).reshape(4, 6)[:, ::2]  # not contiguous
    out = be.run({"s": np.float32(2.5), "x": x})
    assert be.seen["s"].shape == () and out["s"].shape == () and out["s"] == np.float32(2.5)
    assert be.seen["x"].flags.c_contiguous and be.seen["x"].shape == (4, 3)
    np.testing.assert_array_equal(out["x"], x)


def test_onnxruntime_scalar_input_end_to_end(tmp_path):
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    g = helper.make_graph(
        [helper.make_node("Mul", ["s", "k"], ["y"])], "scalar",
        [helper.make_tensor_value_info("s", TensorProto.FLOAT, [])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [])],
        initializer=[numpy_helper.from_array(np.array(3.0, np.float32), "k")])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 8
    path = str(tmp_path / "scalar.onnx")
    onnx.save(m, path)
    with ModelSource.open(path) as src, create("onnxruntime") as be:
        be.prepare(src)
        out = be.run({"s": np.array(2.0, np.float32)})
    assert out["y"].shape == () and out["y"] == np.float32(6.0)  # 2 * 3, exact in float32
