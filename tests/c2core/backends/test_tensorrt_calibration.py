"""INT8 calibration, driven the way TensorRT 10 drives a calibrator (LOGIC TESTS, fakes of tests/fakes).

TensorRT 10 calls `get_batch(names)` with every network input name and, from
each returned pointer, copies ONE tensor of that input's full shape (the
calibration profile's kOPT shape on a dynamic network); it never asks
`get_batch_size()`. The first tests play TensorRT's part by hand on a
two-input model over the fake device (which faults on reads past a buffer);
the last one goes through the fake TensorRT 10 builder.
"""

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

from c2core.backends.calibration import CalibrationFeed, calibration_specs, make_calibrator
from c2core.backends.cuda_memory import CudaPython
from c2core.errors import C2Error

SPECS_IN = {"image": {"dtype": "float32", "shape": [-1, 3, 4, 4], "opt": [3, 3, 4, 4]},
            "scale": {"dtype": "float32", "shape": [-1, 2], "opt": [3, 2]}}


def _samples(n, seed=0):
    rng = np.random.default_rng(seed)
    return [{"image": rng.standard_normal((3, 4, 4)).astype(np.float32),
             "scale": rng.standard_normal(2).astype(np.float32)} for _ in range(n)]


def _drive_like_tensorrt(cal, names, specs, cuda):
    """What TensorRT 10 does with a calibrator: full-shape reads from every pointer, in `names` order."""
    got = []
    while True:
        ptrs = cal.get_batch(list(names))
        if ptrs is None:
            return got
        assert len(ptrs) == len(names)
        batch = {}
        for name, p in zip(names, ptrs):
            shape, dtype = specs[name]
            host = np.empty(shape, dtype)
            cuda._call("cudaMemcpy", cuda.rt.cudaMemcpy(host.ctypes.data, p, host.nbytes,
                                                        cuda.rt.cudaMemcpyKind.cudaMemcpyDeviceToHost))
            batch[name] = host
        got.append(batch)


def test_calibrator_two_inputs_full_shapes_kopt_as_tensorrt_reads(fake_trt10):
    specs = calibration_specs(SPECS_IN)  # calibration profile kOPT: batch 3
    assert specs["image"][0] == (3, 3, 4, 4) and specs["scale"][0] == (3, 2)
    samples = _samples(7)
    # the app yields 1-sample batches, the CLI 2-sample ones: both regrouped into batches of 3
    source = [{"image": s["image"][None], "scale": s["scale"][None]} for s in samples[:4]] + \
             [{"image": np.stack([s["image"] for s in samples[4:6]]), "scale": np.stack([s["scale"] for s in samples[4:6]])},
              samples[6]]
    cuda = CudaPython()
    cal = make_calibrator(fake_trt10.trt, source, specs, None, cuda)
    names = ["scale", "image"]  # TensorRT's order, not ours: pointers must follow `names`
    got = _drive_like_tensorrt(cal, names, specs, cuda)
    assert cal.error is None and len(got) == 2 and cal.feed.dropped == 1 and not fake_trt10.state.faults
    for k, batch in enumerate(got):
        for name in names:
            expect = np.stack([s[name] for s in samples[3 * k:3 * k + 3]])
            np.testing.assert_array_equal(batch[name], expect)
    cal.close()
    assert not fake_trt10.state.allocs


def test_calibrator_wrong_sample_shape_is_kept_for_the_build_not_swallowed(fake_trt10):
    specs = calibration_specs({"data": {"dtype": "float32", "shape": [2, 3, 4, 4]}})
    cal = make_calibrator(fake_trt10.trt, [np.zeros((2, 3, 5, 5), np.float32)], specs, None, CudaPython())
    assert cal.get_batch(["data"]) is None
    assert isinstance(cal.error, C2Error) and "reads [2, 3, 4, 4]" in str(cal.error)
    unknown = make_calibrator(fake_trt10.trt, [np.zeros((2, 3, 4, 4), np.float32)], specs, None, CudaPython())
    assert unknown.get_batch(["data", "other"]) is None and "unknown input(s) other" in str(unknown.error)


def test_feed_regroups_any_chunking_and_counts_leftovers():
    specs = calibration_specs({"data": {"dtype": "float32", "shape": [4, 1, 2, 2]}})
    imgs = np.arange(11 * 4, dtype=np.float32).reshape(11, 1, 2, 2)
    feed = CalibrationFeed([imgs[:1], imgs[1:9], imgs[9:]], specs)  # 1, 8, 2 images
    out = []
    while (b := feed.next_batch()) is not None:
        out.append(b["data"])
    assert [o.shape for o in out] == [(4, 1, 2, 2)] * 2 and feed.dropped == 3 and feed.served == 2
    np.testing.assert_array_equal(np.concatenate(out), imgs[:8])
    with pytest.raises(C2Error, match="must be dicts"):
        calibration_specs(SPECS_IN) and CalibrationFeed([np.zeros((3, 3, 4, 4))], calibration_specs(SPECS_IN)).next_batch()


def _two_input_model(path):
    g = helper.make_graph(
        [helper.make_node("GlobalAveragePool", ["image"], ["p"]), helper.make_node("Flatten", ["p"], ["f"]),
         helper.make_node("Slice", ["f", "st", "en", "ax"], ["f2"]), helper.make_node("Mul", ["f2", "scale"], ["out"])],
        "two_inputs",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["N", 3, 4, 4]),
         helper.make_tensor_value_info("scale", TensorProto.FLOAT, ["N", 2])],
        [helper.make_tensor_value_info("out", TensorProto.FLOAT, ["N", 2])],
        initializer=[helper.make_tensor("st", TensorProto.INT64, [1], [0]),
                     helper.make_tensor("en", TensorProto.INT64, [1], [2]),
                     helper.make_tensor("ax", TensorProto.INT64, [1], [1])])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
    m.ir_version = 8
    onnx.checker.check_model(m)
    onnx.save(m, str(path))
    return str(path)


def test_logic_int8_build_two_inputs_dynamic_batch_fake_trt10(tmp_path, fake_trt10):
    """Through the fake TensorRT 10 builder: calibration profile set, every input read at kOPT shape."""
    from c2core.backends.tensorrt import build_plan

    path = _two_input_model(tmp_path / "two.onnx")
    samples = _samples(8, seed=3)
    info = build_plan(path, str(tmp_path / "two.plan"), "int8", batch_range=(1, 3, 8), calibration=samples)
    assert info.calibration == {"tensors": 2, "samples": 6, "dropped": 2,
                                "shape": {"image": [3, 3, 4, 4], "scale": [3, 2]}}
    reads = fake_trt10.state.calibration_reads
    assert len(reads) == 2 and all(set(r) == {"image", "scale"} for r in reads) and not fake_trt10.state.faults


def test_logic_int8_refused_on_tensorrt11_fake_trt11(tmp_path, fake_trt11):
    from c2core.backends.tensorrt import build_plan

    path = _two_input_model(tmp_path / "two.onnx")
    with pytest.raises(C2Error, match="Q/DQ"):
        build_plan(path, str(tmp_path / "two.plan"), "int8", batch_range=(1, 3, 8), calibration=_samples(3))
    with pytest.raises(C2Error, match="removed in TensorRT 11"):
        make_calibrator(fake_trt11.trt, [], {}, None)
