"""Post-training INT8 quantization through the CLI, on a tiny real Caffe2 classifier:
files and sidecar, the report's figures recomputed here with NumPy from the
written models, the --json line, the quantize-once cache, and bad input."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

from c2core.cli.main import main
from c2core.io.save import save_model
from tests.references.tiny_classifier import tiny_classifier


def _photos(folder, n, seed=0):
    from PIL import Image

    os.makedirs(folder, exist_ok=True)
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:32, 0:32]
    for i in range(n):
        a = np.stack([(xx * rng.uniform(2, 8) + yy * rng.uniform(-4, 4) + rng.uniform(0, 255)) % 256
                      for _ in range(3)], -1) + rng.normal(0, 20, (32, 32, 3))
        Image.fromarray(np.clip(a, 0, 255).astype(np.uint8)).save(os.path.join(folder, f"img{i:02d}.png"))
    return folder


@pytest.fixture
def tiny(tmp_path):
    m, _ = tiny_classifier(channels=8, classes=10, softmax=False, seed=3)
    folder = tmp_path / "model"
    save_model(m, str(folder))
    (folder / "value_info.json").write_text(json.dumps({"data": [1, [1, 3, 8, 8]]}))
    (folder / "labels.txt").write_text("\n".join(f"class{i}" for i in range(10)) + "\n")
    (folder / "model.json").write_text(json.dumps({"preprocessing": "torchvision", "labels": "labels.txt"}))
    return folder


def _last_json(out):
    return json.loads(out.strip().splitlines()[-1])


def _preprocessed(paths):
    from c2core.classify import get_preset, load_image

    pre = get_preset("torchvision").for_input_size(8)
    return [pre.apply(load_image(p))[None].astype(np.float32) for p in paths]


@pytest.mark.parametrize("target,engine", [("onnx", "onnxruntime"), ("openvino", "openvino")])
def test_int8_convert_writes_model_sidecar_and_a_true_report(tiny, tmp_path, capsys, target, engine):
    calib = _photos(str(tmp_path / "calib"), 14)
    out = tmp_path / "out" / ("m.onnx" if target == "onnx" else "m.xml")
    rc = main(["convert", str(tiny), "--to", target, "--precision", "int8", "--calib", calib, "--calib-count", "8",
               "-o", str(out), "--json"])
    text = capsys.readouterr().out
    assert rc == 0
    rep = _last_json(text)["quantization"]
    assert "approximate by design" in text and rep["exact"] is False and rep["engine"] == engine
    assert rep["images"] == {"calibration_images": 8, "held_back_images": 6,
                             "held_back_source": "rest of the calibration folder", "skipped_unreadable": 0}
    names = sorted(os.listdir(out.parent))
    assert names == (["labels.txt", "m.onnx", "model.json"] if target == "onnx"
                     else ["labels.txt", "m.bin", "m.xml", "model.json"])  # nothing half-written left
    side = json.loads((out.parent / "model.json").read_text())
    assert side["preprocessing"] == "torchvision" and side["labels"] == "labels.txt"
    assert side["quantization"]["precision"] == "int8" and side["model"] == out.name

    # Recompute the agreement figures from the two models on the held-back images (img08..img13).
    held = _preprocessed([os.path.join(calib, f"img{i:02d}.png") for i in range(8, 14)])
    fp32_onnx = tmp_path / "fp32.onnx"
    assert main(["convert", str(tiny), "-o", str(fp32_onnx)]) == 0
    capsys.readouterr()
    if engine == "onnxruntime":
        import onnxruntime as ort

        s32, s8 = (ort.InferenceSession(str(p), providers=["CPUExecutionProvider"]) for p in (fp32_onnx, out))
        ref = np.concatenate([s32.run(None, {"data": x})[0] for x in held])
        got = np.concatenate([s8.run(None, {"data": x})[0] for x in held])
        types = {n.op_type for n in __import__("onnx").load(str(out)).graph.node}
        assert {"QuantizeLinear", "DequantizeLinear"} <= types  # QDQ form
        # the conv reading the image input stays float: fed by the raw input, float weights (see ptq.py)
        g = __import__("onnx").load(str(out)).graph
        first = [n for n in g.node if n.op_type == "Conv" and n.input[0] == "data"]
        assert len(first) == 1 and first[0].input[1] in {i.name for i in g.initializer}
        assert "kept in float" in rep["method"] and "weight bias correction on" in rep["method"]
    else:
        import openvino as ov

        core = ov.Core()
        c32 = core.compile_model(core.read_model(str(fp32_onnx)), "CPU", {"INFERENCE_PRECISION_HINT": "f32"})
        c8 = core.compile_model(str(out), "CPU", {"INFERENCE_PRECISION_HINT": "f32"})
        ref = np.concatenate([c32(x)[0] for x in held])
        got = np.concatenate([c8(x)[0] for x in held])
        assert "FakeQuantize" in out.read_text() or "fake_quantize" in out.read_text().lower()
    diff = np.abs(got.astype(np.float64) - ref)
    assert rep["max_abs_diff"] == pytest.approx(diff.max(), rel=1e-4, abs=1e-5)
    assert rep["mean_abs_diff"] == pytest.approx(diff.mean(), rel=1e-4, abs=1e-6)
    assert rep["top1_agreement"] == pytest.approx(np.mean(got.argmax(1) == ref.argmax(1)))
    top5 = [r.argmax() in np.argsort(-g)[:5] for g, r in zip(got, ref)]
    assert rep["top5_agreement"] == pytest.approx(np.mean(top5))
    assert 0 < rep["int8_p50_ms"] and 0 < rep["fp32_p50_ms"] and rep["int8_bytes"] > 0
    assert diff.max() > 0  # really quantized


def test_classify_an_int8_artifact_uses_the_sidecar(tiny, tmp_path, capsys):
    calib = _photos(str(tmp_path / "calib"), 10)
    out = tmp_path / "out" / "m.xml"
    assert main(["convert", str(tiny), "--to", "openvino", "--precision", "int8", "--calib", calib, "-o", str(out)]) == 0
    capsys.readouterr()
    img = os.path.join(calib, "img00.png")
    assert main(["classify", str(out), img, "--backend", "openvino", "--json", "--top", "3"]) == 0
    res = json.loads(capsys.readouterr().out)
    assert res[0]["top"][0]["label"].startswith("class")  # the sidecar's labels, not ImageNet's
    captured = capsys.readouterr()
    assert "no preprocessing declared" not in captured.err


def _entries(tmp_path):
    return sorted(p for p in os.listdir(tmp_path / "cache" / "quantized") if not p.startswith("latest-"))


def test_int8_backend_specs_quantize_once(tiny, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("C2CORE_CACHE_DIR", str(tmp_path / "cache"))
    calib = _photos(str(tmp_path / "calib"), 10)
    img = os.path.join(calib, "img01.png")
    assert main(["classify", str(tiny), img, "--backend", "onnxruntime:int8", "--calib", calib, "--json"]) == 0
    first = json.loads(capsys.readouterr().out)
    entries = _entries(tmp_path)
    assert len(entries) == 1 and entries[0].startswith("onnxruntime-")
    model = tmp_path / "cache" / "quantized" / entries[0] / "model.onnx"
    mtime = os.path.getmtime(model)
    assert main(["classify", str(tiny), img, "--backend", "onnxruntime:int8", "--calib", calib, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["top"] == first[0]["top"]
    assert os.path.getmtime(model) == mtime and _entries(tmp_path) == entries
    # a changed calibration set is a new entry
    _photos(str(tmp_path / "calib"), 11, seed=9)
    assert main(["compare", str(tiny), "--backends", "onnxruntime:int8", "--calib", calib,
                 "--reference", "onnxruntime"]) == 0
    assert len(_entries(tmp_path)) == 2
    # without --calib: refused up front
    assert main(["classify", str(tiny), img, "--backend", "openvino:int8"]) == 2
    assert "--calib" in capsys.readouterr().err


def test_bad_calibration_input_exit_2_nothing_written(tiny, tmp_path, capsys):
    out = tmp_path / "out" / "m.onnx"
    base = ["convert", str(tiny), "--precision", "int8", "-o", str(out)]
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "notes.txt").write_text("no images here")
    assert main(base + ["--calib", str(empty)]) == 2
    assert "holds no images" in capsys.readouterr().err
    assert main(base + ["--calib", str(tmp_path / "missing")]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert main(base) == 2
    assert "needs --calib" in capsys.readouterr().err
    broken = tmp_path / "broken"
    broken.mkdir()
    for i in range(3):
        (broken / f"b{i}.jpg").write_bytes(b"not a jpeg" * 10)
    assert main(base + ["--calib", str(broken)]) == 2
    err = capsys.readouterr().err
    assert "none of the 3 image(s) could be read" in err and "Traceback" not in err
    assert not out.parent.exists() or os.listdir(out.parent) == []
    # some unreadable: skipped and counted
    mixed = _photos(str(tmp_path / "mixed"), 6)
    (tmp_path / "mixed" / "zz_bad.png").write_bytes(b"\x89PNG broken")
    assert main(base + ["--calib", mixed, "--calib-count", "100", "--json"]) == 0
    rep = _last_json(capsys.readouterr().out)["quantization"]
    assert rep["images"]["skipped_unreadable"] == 1 and rep["images"]["calibration_images"] == 6
    assert rep["images"]["held_back_source"].startswith("calibration images (none held back")


def test_model_without_an_image_input_is_refused(tmp_path, capsys):
    from c2core.builder import NetBuilder, model_from

    nb = NetBuilder("mlp").inputs("x", "w", "b").outputs("y")
    nb.op("FC", ["x", "w", "b"], "y")
    m = model_from(nb.net, {"w": np.ones((4, 6), np.float32), "b": np.zeros(4, np.float32)})
    save_model(m, str(tmp_path / "mlp"))
    (tmp_path / "mlp" / "value_info.json").write_text(json.dumps({"x": [1, [1, 6]]}))
    calib = _photos(str(tmp_path / "calib"), 3)
    out = tmp_path / "o.xml"
    assert main(["convert", str(tmp_path / "mlp"), "--to", "openvino", "--precision", "int8", "--calib", calib,
                 "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert "N x 3 x H x W image input" in err and not out.exists()


@pytest.mark.parametrize("target", ["onnx", "openvino"])
def test_an_engine_refusing_the_model_is_one_line_exit_2(tiny, tmp_path, capsys, monkeypatch, target):
    """The quantizer/runtime's own multi-line error ends as `error: <model>: <engine> failed <stage>: ...`."""
    import onnx
    from onnx import TensorProto, helper

    from c2core.backends.source import ModelSource

    # a well-formed ONNX file with an op no engine implements, standing in for the FP32 export
    bad = tmp_path / "bad.onnx"
    node = helper.make_node("NoSuchOp", ["data"], ["out"], name="mystery", domain="")
    g = helper.make_graph([node], "g", [helper.make_tensor_value_info("data", TensorProto.FLOAT, [1, 3, 8, 8])],
                          [helper.make_tensor_value_info("out", TensorProto.FLOAT, [1, 10])])
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]), str(bad))
    monkeypatch.setattr(ModelSource, "onnx_path", lambda self: str(bad))
    calib = _photos(str(tmp_path / "calib"), 6)
    out = tmp_path / "out" / ("m.onnx" if target == "onnx" else "m.xml")
    rc = main(["convert", str(tiny), "--to", target, "--precision", "int8", "--calib", calib, "-o", str(out)])
    text = capsys.readouterr().err
    err = [ln for ln in text.strip().splitlines() if not ln.startswith("[")]  # "[ 25%] ..." progress lines
    assert rc == 2 and "Traceback" not in text
    assert len(err) == 1 and err[0].startswith(f"error: {tiny}"), err
    assert ("ONNX Runtime failed quantizing" if target == "onnx" else "OpenVINO") in err[0], err
    assert "NoSuchOp" in err[0] or "mystery" in err[0], err
    assert not out.parent.exists() or os.listdir(out.parent) == []
