"""The one input resolver (c2core.inputs): every source of a shape, in order, and the
commands that run a model on a bare predict/init pair (no value_info.json)."""

import json
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from c2core.builder import NetBuilder, init_net_from
from c2core.errors import C2Error
from c2core.inputs import parse_input_shapes, resolve_inputs
from c2core.io import open_model
from c2core.io.save import save_net

C2CORE = [sys.executable, "-m", "c2core.cli.main"]


def cli(*args):
    return subprocess.run(C2CORE + [str(a) for a in args], capture_output=True, text=True, timeout=600)


def bare_classifier(folder, classes=3, extra_input=False, seed=0):
    """A bare pair (no value_info.json): Conv 3->4 k3 p1, Relu, global AveragePool, FC -> classes, Softmax."""
    rng = np.random.default_rng(seed)
    w = {"conv_w": rng.standard_normal((4, 3, 3, 3)).astype(np.float32) * 0.1,
         "conv_b": rng.standard_normal(4).astype(np.float32) * 0.1,
         "fc_w": rng.standard_normal((classes, 4)).astype(np.float32),
         "fc_b": rng.standard_normal(classes).astype(np.float32)}
    b = NetBuilder("bare")
    b.op("Conv", ["data", "conv_w", "conv_b"], "c", kernel=3, pad=1)
    b.op("Relu", "c", "c")
    b.op("AveragePool", "c", "p", global_pooling=1)
    b.op("FC", ["p", "fc_w", "fc_b"], "fc")
    b.op("Softmax", "fc", "prob")
    ins = ["data"] + (["im_info"] if extra_input else []) + list(w)
    b.inputs(*ins).outputs("prob")
    folder.mkdir(parents=True, exist_ok=True)
    save_net(b.net, str(folder / "predict_net.pb"))
    save_net(init_net_from(w), str(folder / "init_net.pb"))
    return w


def numpy_ref(x, w):
    """Independent NumPy forward pass of `bare_classifier` (NCHW)."""
    n, c, h, wd = x.shape
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    out = np.zeros((n, 4, h, wd), np.float64)
    for i in range(3):
        for j in range(3):
            out += np.einsum("nchw,oc->nohw", xp[:, :, i:i + h, j:j + wd], w["conv_w"][:, :, i, j])
    out = np.maximum(out + w["conv_b"][None, :, None, None], 0)
    logits = out.mean(axis=(2, 3)) @ w["fc_w"].T + w["fc_b"]
    e = np.exp(logits - logits.max(1, keepdims=True))
    return e / e.sum(1, keepdims=True)


def test_order_of_sources(tmp_path):
    bare_classifier(tmp_path / "m")
    m = open_model(str(tmp_path / "m"))
    r = resolve_inputs(m)
    assert r.shapes == {"data": (1, 3, 224, 224)} and r.sources == {"data": "inferred"}
    assert r.warning.count("\n") == 0 and "3 channels" in r.warning and "conv_w" in r.warning and "224" in r.warning
    assert resolve_inputs(m, image_size=227).shapes == {"data": (1, 3, 227, 227)}
    assert resolve_inputs(m, image_size=227).warning is None
    assert resolve_inputs(m, arrays={"data": np.zeros((2, 3, 9, 9), np.float32)}).shapes == {"data": (2, 3, 9, 9)}
    assert resolve_inputs(m, shapes=parse_input_shapes(["1,3,5,5"], m.data_inputs)).sources == {"data": "given"}
    vi = tmp_path / "vi.json"
    vi.write_text(json.dumps({"data": [1, [1, 3, 32, 32]]}))
    assert resolve_inputs(m, value_info=str(vi)).shapes == {"data": (1, 3, 32, 32)}
    assert resolve_inputs(m, value_info=str(vi), batch=4).shapes == {"data": (4, 3, 32, 32)}
    with pytest.raises(C2Error, match="needs 3 channels"):
        resolve_inputs(m, shapes={"data": (1, 4, 8, 8)})


def test_fc_and_nhwc_consumers(tmp_path):
    b = NetBuilder("n")
    b.op("Conv", ["data", "w"], "y", kernel=1, order="NHWC")
    b.inputs("data", "w").outputs("y")
    from c2core.builder import model_from

    m = model_from(b.net, {"w": np.zeros((8, 1, 1, 5), np.float32)})
    assert resolve_inputs(m).shapes == {"data": (1, 224, 224, 5)}
    b = NetBuilder("f")
    b.op("FC", ["x", "w", "b"], "y")
    b.inputs("x", "w", "b").outputs("y")
    m = model_from(b.net, {"w": np.zeros((2, 7), np.float32), "b": np.zeros(2, np.float32)})
    r = resolve_inputs(m)
    assert r.shapes == {"x": (1, 7)} and "7 features" in r.warning


def test_unread_declared_input_is_not_required(tmp_path):
    """Caffe2 only fails when an op reads a missing blob: `im_info` is declared, never read."""
    w = bare_classifier(tmp_path / "m", extra_input=True)
    m = open_model(str(tmp_path / "m"))
    assert m.data_inputs == ["data"]
    assert resolve_inputs(m).unused == ["im_info"]
    from c2core.runtime import Predictor

    x = np.random.default_rng(1).standard_normal((1, 3, 6, 6)).astype(np.float32)
    np.testing.assert_allclose(Predictor(m).run({"data": x})["prob"], numpy_ref(x, w), rtol=1e-5, atol=1e-6)
    from c2core.onnx.export import export_onnx

    proto = export_onnx(m, input_shapes={"data": (1, 3, 6, 6)})
    assert [i.name for i in proto.graph.input] == ["data"]


def _photo(path, seed=0):
    a = np.random.default_rng(seed).integers(0, 256, (30, 40, 3), dtype=np.uint8)
    Image.fromarray(a).save(path)
    return path


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["c2", "onnxruntime", "openvino"])
def test_classify_bare_pair_on_every_backend(tmp_path, backend):
    """No value_info.json, no shape given: the preset's crop defines the input."""
    w = bare_classifier(tmp_path / "m")
    img = _photo(tmp_path / "cat.png")
    labels = tmp_path / "labels.txt"
    labels.write_text("ant\nbee\ncow\n")
    r = cli("classify", tmp_path / "m", img, "--backend", backend, "--json", "--labels", labels, "--top", "3")
    assert r.returncode == 0, r.stderr
    assert "preset 'caffe'" in r.stderr and "--preset" in r.stderr and "assumed" not in r.stderr
    res = json.loads(r.stdout)[0]
    from c2core.classify import get_preset

    x = get_preset("caffe").apply(Image.open(img).convert("RGB"))[None]
    probs = numpy_ref(x.astype(np.float64), w)[0]
    assert [t["index"] for t in res["top"]] == list(np.argsort(-probs)[:3])
    np.testing.assert_allclose([t["score"] for t in res["top"]], np.sort(probs)[::-1][:3], rtol=1e-4, atol=1e-5)
    assert [t["label"] for t in res["top"]] == [["ant", "bee", "cow"][i] for i in np.argsort(-probs)[:3]]


@pytest.mark.slow
def test_compare_and_bench_bare_pair(tmp_path):
    bare_classifier(tmp_path / "m")
    r = cli("compare", tmp_path / "m", "--backends", "onnxruntime,openvino", "--json")
    assert r.returncode == 0, r.stderr
    assert len([ln for ln in r.stderr.splitlines() if ln.startswith("warning:")]) == 1 and "assumed" in r.stderr
    rep = json.loads(r.stdout)
    assert rep["ok"] and rep["inputs"] == {"data": [1, 3, 224, 224]}, rep
    assert sorted(res["backend"] for res in rep["results"]) == ["onnxruntime", "openvino"]
    r = cli("compare", tmp_path / "m", "--backends", "onnxruntime", "--input-shape", "data=1,3,16,16")
    assert r.returncode == 0 and "assumed" not in r.stderr, r.stderr
    r = cli("bench", tmp_path / "m", "--backends", "c2,onnxruntime,openvino", "--runs", "2", "--warmup", "0",
            "--input-shape", "1,3,16,16", "--json")
    assert r.returncode == 0, r.stderr
    assert sorted(x["backend"] for x in json.loads(r.stdout)) == ["c2", "onnxruntime", "openvino"]


def test_convert_takes_the_shape_from_the_input_file(tmp_path):
    w = bare_classifier(tmp_path / "m")
    x = np.random.default_rng(2).standard_normal((1, 3, 10, 10)).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    r = cli("convert", tmp_path / "m", "-o", tmp_path / "m.onnx", "--input", tmp_path / "x.npy")
    assert r.returncode == 0, r.stderr
    import onnx

    dims = [d.dim_value for d in onnx.load(str(tmp_path / "m.onnx")).graph.input[0].type.tensor_type.shape.dim]
    assert dims == [1, 3, 10, 10]
    r = cli("run", tmp_path / "m", "--input", tmp_path / "x.npy", "-o", tmp_path / "o.npz")
    assert r.returncode == 0, r.stderr
    np.testing.assert_allclose(np.load(tmp_path / "o.npz")["prob"], numpy_ref(x, w), rtol=1e-5, atol=1e-6)
    r = cli("run", tmp_path / "m", "--input-shape", "1,3,5,5", "-o", tmp_path / "o2.npz")
    assert r.returncode == 0 and np.load(tmp_path / "o2.npz")["prob"].shape == (1, 3), r.stderr


@pytest.mark.parametrize("dims, want, assumed", [
    ([-1, 3, 16, 16], (1, 3, 16, 16), False),  # "any batch", as real value_info files often say
    ([0, 3, 16, 16], (1, 3, 16, 16), False),
    ([-1, 3, -1, -1], (1, 3, 224, 224), True),  # spatial sizes from the consumer, said in the warning
    ([-1, -1, 12, 12], (1, 3, 12, 12), True),  # channels from the Conv filter
])
def test_any_size_dimensions_become_concrete(tmp_path, dims, want, assumed):
    bare_classifier(tmp_path / "m")
    (tmp_path / "m" / "value_info.json").write_text(json.dumps({"data": [1, dims]}))
    r = resolve_inputs(open_model(str(tmp_path / "m")))
    assert r.shapes == {"data": want}
    assert (r.warning is not None) == assumed
    assert resolve_inputs(open_model(str(tmp_path / "m")), batch=2).shapes == {"data": (2,) + want[1:]}


def test_any_batch_value_info_converts_and_compares(tmp_path):
    """value_info [-1, 3, 16, 16] used to fail convert ('negative dimension') and compare (0 rows)."""
    w = bare_classifier(tmp_path / "m")
    (tmp_path / "m" / "value_info.json").write_text(json.dumps({"data": [1, [-1, 3, 16, 16]]}))
    r = cli("convert", tmp_path / "m", "-o", tmp_path / "m.onnx")
    assert r.returncode == 0, r.stderr
    import onnxruntime as ort

    x = np.random.default_rng(5).standard_normal((1, 3, 16, 16)).astype(np.float32)
    s = ort.InferenceSession(str(tmp_path / "m.onnx"), providers=["CPUExecutionProvider"])
    np.testing.assert_allclose(s.run(None, {"data": x})[0], numpy_ref(x, w), rtol=1e-5, atol=1e-6)
    (tmp_path / "m" / "value_info.json").write_text(json.dumps({"data": [1, [0, 3, 16, 16]]}))
    r = cli("compare", tmp_path / "m", "--backends", "onnxruntime")
    assert r.returncode == 0 and "data [1, 3, 16, 16]" in r.stdout, r.stdout + r.stderr


def test_value_info_that_cannot_feed_the_net_is_blamed(tmp_path):
    """4 channels declared for a 3-channel Conv: one line naming value_info.json, before
    anything runs (was a native ONNX Runtime log line and an error at node 'relu_nchwc')."""
    bare_classifier(tmp_path / "m")
    vi = tmp_path / "m" / "value_info.json"
    vi.write_text(json.dumps({"data": [1, [1, 4, 16, 16]]}))
    with pytest.raises(C2Error) as e:
        resolve_inputs(open_model(str(tmp_path / "m")))
    assert e.value.path == str(vi) and "needs 3 channels" in e.value.reason
    assert "conv_w' [4, 3, 3, 3])" in e.value.reason  # the filter shape is quoted whole
    r = cli("convert", tmp_path / "m", "-o", tmp_path / "m.onnx")
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and r.stderr.startswith(f"error: {vi}: "), r.stderr
    assert not (tmp_path / "m.onnx").exists()


def _nhwc_front(folder, front):
    """`front` ops from `data`, then the bare classifier's Conv/Relu/pool/FC/Softmax on 'x' (NCHW)."""
    rng = np.random.default_rng(3)
    w = {"conv_w": rng.standard_normal((4, 3, 3, 3)).astype(np.float32) * 0.1,
         "conv_b": rng.standard_normal(4).astype(np.float32) * 0.1,
         "fc_w": rng.standard_normal((3, 4)).astype(np.float32),
         "fc_b": rng.standard_normal(3).astype(np.float32),
         "mean": np.array([0.25], np.float32)}
    b = NetBuilder("front")
    for t, i, o, kw in front:
        b.op(t, i, o, **kw)
    b.op("Conv", ["x", "conv_w", "conv_b"], "c", kernel=3, pad=1)
    b.op("Relu", "c", "c")
    b.op("AveragePool", "c", "p", global_pooling=1)
    b.op("FC", ["p", "fc_w", "fc_b"], "fc")
    b.op("Softmax", "fc", "prob")
    b.inputs("data", *w).outputs("prob")
    folder.mkdir(parents=True, exist_ok=True)
    save_net(b.net, str(folder / "predict_net.pb"))
    save_net(init_net_from(w), str(folder / "init_net.pb"))
    return w


@pytest.mark.parametrize("front, shape, layout", [
    ([("NHWC2NCHW", "data", "x", {})], (1, 224, 224, 3), "NHWC"),
    ([("Transpose", "data", "x", {"axes": [0, 3, 1, 2]})], (1, 224, 224, 3), "NHWC"),
    ([("Cast", "data", "f", {"to": 1}), ("Sub", ["f", "mean"], "x", {"broadcast": 1})], (1, 3, 224, 224), "NCHW"),
    ([("NHWC2NCHW", "data", "t", {}), ("Copy", "t", "x", {})], (1, 224, 224, 3), "NHWC"),
])
def test_guess_looks_through_layout_and_same_shape_ops(tmp_path, front, shape, layout):
    """Real nets often start with NHWC2NCHW or Cast -> Sub mean: the inferred input shape
    is the Conv's, mapped back (was: unknown, and classify fed NCHW into NHWC2NCHW)."""
    _nhwc_front(tmp_path / "m", front)
    r = resolve_inputs(open_model(str(tmp_path / "m")))
    assert r.shapes == {"data": shape} and r.layout == layout and r.sources == {"data": "inferred"}
    assert f"through {front[0][0]}" in r.warning
    r = resolve_inputs(open_model(str(tmp_path / "m")), image_size=32)
    assert r.shapes == {"data": (1, 32, 32, 3) if layout == "NHWC" else (1, 3, 32, 32)}


def test_two_data_inputs_added_are_not_looked_through(tmp_path):
    b = NetBuilder("two")
    b.op("Add", ["data", "other"], "x")
    b.op("Conv", ["x", "conv_w"], "c", kernel=1)
    b.inputs("data", "other", "conv_w").outputs("c")
    (tmp_path / "m").mkdir()
    save_net(b.net, str(tmp_path / "m" / "predict_net.pb"))
    save_net(init_net_from({"conv_w": np.ones((2, 3, 1, 1), np.float32)}), str(tmp_path / "m" / "init_net.pb"))
    assert resolve_inputs(open_model(str(tmp_path / "m"))).shapes == {}


@pytest.mark.parametrize("backend", ["c2", "onnxruntime"])
def test_classify_nhwc_front_matches_numpy(tmp_path, backend):
    from c2core.classify import Classifier, get_preset

    w = _nhwc_front(tmp_path / "m", [("NHWC2NCHW", "data", "x", {})])
    img = _photo(tmp_path / "i.png")
    with Classifier(str(tmp_path / "m"), backend=backend, preset="torchvision") as clf:
        res = clf.classify_paths([img], top=3)[0]
    x = get_preset("torchvision").apply(Image.open(img).convert("RGB"))[None].astype(np.float64)  # NCHW
    want = numpy_ref(x, w)[0]
    got = {int(e["index"]): e["score"] for e in res["top"]}
    assert len(got) == 3
    for k, p in got.items():
        assert p == pytest.approx(want[k], abs=1e-5)


def test_fc_first_consumer_takes_any_rank_with_the_right_feature_count(tmp_path):
    """FC (axis 1) flattens [N, 1, 4, 4] into 16 features: a 4-D value_info or --input-shape is
    fine (was refused: 'needs rank 2'); a wrong product is named."""
    b = NetBuilder("mlp")
    b.op("FC", ["data", "fc_w", "fc_b"], "y")
    b.inputs("data", "fc_w", "fc_b").outputs("y")
    (tmp_path / "m").mkdir()
    w = {"fc_w": np.arange(32, dtype=np.float32).reshape(2, 16) / 32, "fc_b": np.array([0.5, -1], np.float32)}
    save_net(b.net, str(tmp_path / "m" / "predict_net.pb"))
    save_net(init_net_from(w), str(tmp_path / "m" / "init_net.pb"))
    (tmp_path / "m" / "value_info.json").write_text(json.dumps({"data": [1, [1, 1, 4, 4]]}))
    m = open_model(str(tmp_path / "m"))
    assert resolve_inputs(m).shapes == {"data": (1, 1, 4, 4)}
    assert resolve_inputs(m, shapes={"data": (3, 16)}).shapes == {"data": (3, 16)}
    with pytest.raises(C2Error, match="needs 16 features .* not 12"):
        resolve_inputs(m, shapes={"data": (1, 3, 4)})
    x = np.linspace(-1, 1, 16, dtype=np.float32).reshape(1, 1, 4, 4)
    np.save(tmp_path / "x.npy", x)
    r = cli("run", tmp_path / "m", "--input", tmp_path / "x.npy", "-o", tmp_path / "o.npz")
    assert r.returncode == 0, r.stderr
    np.testing.assert_allclose(np.load(tmp_path / "o.npz")["y"], x.reshape(1, 16) @ w["fc_w"].T + w["fc_b"], rtol=1e-6)
