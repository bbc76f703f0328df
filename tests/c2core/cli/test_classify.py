"""`c2core classify`: JSON shape, text output, exit 2 for non-images."""

import json

import numpy as np
from PIL import Image

from c2core.cli.main import main
from tests.c2core.backends import onnx_nets as nets



def _setup(tmp_path):
    model, w = nets.conv_net(tmp_path / "m.onnx", classes=4)
    (tmp_path / "model.json").write_text(json.dumps({"preprocessing": "torchvision", "labels": ["w", "x", "y", "z"]}))
    img = tmp_path / "cat.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (20, 30, 3), dtype=np.uint8)).save(img)
    return str(model), w, str(img)


def test_json_output(tmp_path, capsys):
    model, w, img = _setup(tmp_path)
    rc = main(["classify", model, img, img, "--backend", "onnxruntime", "--top", "2", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert rc == 0 and len(out) == 2
    r = out[0]
    assert set(r) == {"image", "backend", "latency_ms", "top"} and r["backend"] == "onnxruntime"
    assert [set(t) for t in r["top"]] == [{"index", "label", "score"}] * 2
    from c2core.classify import get_preset

    x = get_preset("torchvision").for_input_size(8).apply(Image.open(img).convert("RGB"))[None]
    p = nets.conv_net_reference(x, w, softmax=True)[0]
    assert r["top"][0]["index"] == int(np.argmax(p))
    assert abs(r["top"][0]["score"] - p.max()) < 1e-4
    assert r["top"][0]["label"] == "wxyz"[int(np.argmax(p))]


def test_text_output(tmp_path, capsys):
    model, _, img = _setup(tmp_path)
    assert main(["classify", model, img, "--backend", "openvino", "--top", "3"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith(img) and "openvino" in lines[0]
    assert len(lines) == 4 and lines[1].strip().startswith("1. ")


def test_non_image_exits_2_with_reason(tmp_path, capsys):
    model, _, img = _setup(tmp_path)
    bad = tmp_path / "readme.txt"
    bad.write_text("not a picture")
    assert main(["classify", model, img, str(bad), "--backend", "onnxruntime"]) == 2
    err = capsys.readouterr().err
    assert "readme.txt" in err and "not an image" in err


def test_unknown_backend_exits_2(tmp_path, capsys):
    model, _, img = _setup(tmp_path)
    assert main(["classify", model, img, "--backend", "mxnet"]) == 2
    assert "unknown backend" in capsys.readouterr().err


def test_default_backend_is_the_model_files_own(tmp_path, capsys):
    """`classify model.onnx img` used the c2 backend by default and refused ('not a onnx file')."""
    import numpy as np
    from PIL import Image

    from c2core.cli.main import main
    from c2core.io.save import save_model
    from tests.references.tiny_classifier import tiny_classifier

    m, _ = tiny_classifier()
    save_model(m, str(tmp_path / "m"))
    (tmp_path / "m" / "value_info.json").write_text('{"data": [1, [1, 3, 8, 8]]}')
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (12, 12, 3), dtype=np.uint8)).save(tmp_path / "i.png")
    assert main(["convert", str(tmp_path / "m"), "-o", str(tmp_path / "m.onnx")]) == 0
    capsys.readouterr()
    rows = {}
    for path in (tmp_path / "m", tmp_path / "m.onnx"):
        assert main(["classify", str(path), str(tmp_path / "i.png"), "--json", "--preset", "torchvision"]) == 0
        out = json.loads(capsys.readouterr().out)[0]
        rows[out["backend"]] = [(e["index"], e["score"]) for e in out["top"]]
    assert set(rows) == {"c2", "onnxruntime"}
    for (i, p), (j, q) in zip(rows["c2"], rows["onnxruntime"]):
        assert i == j and abs(p - q) < 1e-5
    assert main(["classify", str(tmp_path / "m.onnx"), str(tmp_path / "i.png"), "--backend", "c2"]) == 2
    assert "not an ONNX file (use --backend onnxruntime)" in capsys.readouterr().err
