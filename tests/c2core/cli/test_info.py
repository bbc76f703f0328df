"""`c2core info`: the JSON contract, the human summary, exit codes, no torch/onnx import."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from c2core.builder import NetBuilder, init_net_from
from c2core.io.save import save_net

C2CORE = [sys.executable, "-m", "c2core.cli.main"]
CORPUS_OPS = {"bvlc_alexnet": 23, "densenet121": 668, "inception_v1": 142, "resnet50": 175, "vgg19": 45}


def cli(*args):
    return subprocess.run(C2CORE + [str(a) for a in args], capture_output=True, text=True, timeout=120)


@pytest.fixture
def small_pair(tmp_path):
    """data (1,3,8,8) -> Conv 4x3x3x3 p1 -> Relu -> FC 10 -> Softmax; weights 4*27+4+10*256+10."""
    b = NetBuilder("small")
    b.op("Conv", ["data", "conv_w", "conv_b"], "conv", kernel=3, pad=1)
    b.op("Relu", "conv", "conv")
    b.op("FC", ["conv", "fc_w", "fc_b"], "fc")
    b.op("Softmax", "fc", "prob")
    b.inputs("data", "conv_w", "conv_b", "fc_w", "fc_b").outputs("prob")
    w = {"conv_w": np.ones((4, 3, 3, 3), np.float32), "conv_b": np.ones(4, np.float32),
         "fc_w": np.ones((10, 256), np.float32), "fc_b": np.ones(10, np.float64)}
    save_net(b.net, str(tmp_path / "predict_net.pbtxt"))
    save_net(init_net_from(w), str(tmp_path / "init_net.pb"))
    (tmp_path / "value_info.json").write_text(json.dumps({"data": [1, [1, 3, 8, 8]]}))
    return tmp_path


def test_json_contract(small_pair):
    r = cli("info", small_pair / "predict_net.pbtxt", "--json")
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)  # exactly one object
    for key in ("name", "num_ops", "op_types", "external_inputs", "external_outputs", "num_parameters",
                "weights_bytes", "inputs", "outputs"):
        assert key in d
    assert d["name"] == "small" and d["num_ops"] == 4
    assert d["op_types"] == {"Conv": 1, "Relu": 1, "FC": 1, "Softmax": 1}
    assert d["external_inputs"] == ["data", "conv_w", "conv_b", "fc_w", "fc_b"]
    assert d["external_outputs"] == ["prob"]
    assert d["num_parameters"] == 108 + 4 + 2560 + 10
    assert d["weights_bytes"] == (108 + 4 + 2560) * 4 + 10 * 8
    assert d["inputs"] == [{"name": "data", "shape": [1, 3, 8, 8], "dtype": "float32"}]
    assert d["formats"] == {"predict": "text", "init": "binary"}
    assert d["warnings"] == [] and d["unknown_ops"] == []
    out = d["outputs"][0]
    assert out["name"] == "prob"
    try:
        import c2core.shapes  # noqa: F401
    except ImportError:
        assert out["shape"] is None
    else:
        # Conv keeps 8x8 (k3 p1), FC: 10 outputs -> prob [1, 10]
        assert out["shape"] == [1, 10] and out["dtype"] == "float32"


def test_input_shape_overrides_value_info(small_pair):
    r = cli("info", small_pair, "--json", "--input-shape", "data=2,3,8,8")
    d = json.loads(r.stdout)
    assert d["inputs"][0]["shape"] == [2, 3, 8, 8]
    if d["outputs"][0]["shape"] is not None:
        assert d["outputs"][0]["shape"] == [2, 10]


def test_human_summary(small_pair):
    r = cli("info", small_pair / "init_net.pb")  # the init half picked: pairs by name
    assert r.returncode == 0, r.stderr
    text = r.stdout
    assert text.splitlines()[0] == "small"
    assert "predict_net.pbtxt (text), init_net.pb (binary)" in text
    assert "ops:         4" in text
    assert "Conv 1" in text and "Softmax 1" in text
    assert "data  float32 [1, 3, 8, 8]" in text
    assert "2,682 (10.8 KB)" in text


def test_structure_only_and_unknown_ops(tmp_path):
    b = NetBuilder("odd")
    b.op("Relu", "data", "x")
    b.op("TotallyNewOp", "x", "y")
    b.inputs("data").outputs("y")
    save_net(b.net, str(tmp_path / "net.pb"))
    d = json.loads(cli("info", tmp_path / "net.pb", "--json").stdout)
    assert d["structure_only"] and d["num_parameters"] == 0 and d["weights_bytes"] == 0
    assert d["unknown_ops"] == ["TotallyNewOp"]
    assert d["inputs"] == [{"name": "data", "shape": None, "dtype": None}]
    assert d["outputs"] == [{"name": "y", "shape": None, "dtype": None}]
    text = cli("info", tmp_path / "net.pb").stdout
    assert "unknown ops: TotallyNewOp" in text and "structure only" in text


def test_bad_file_exit_2(tmp_path):
    p = tmp_path / "broken.pb"
    p.write_bytes(b"\x0a\xff\xff\xff")
    r = cli("info", p)
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1 and r.stderr.startswith("error: ") and "broken.pb" in r.stderr
    assert "Traceback" not in r.stderr and r.stdout == ""


def test_info_imports_neither_torch_nor_onnx(small_pair):
    code = ("import sys; from c2core.cli.main import main; rc = main(['info', sys.argv[1], '--json']); "
            "bad = [m for m in ('torch', 'onnx', 'onnxruntime', 'openvino', 'PySide6') if m in sys.modules]; "
            "print('LOADED', bad, file=sys.stderr); sys.exit(rc or (3 if bad else 0))")
    r = subprocess.run([sys.executable, "-c", code, str(small_pair)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "LOADED []" in r.stderr


@pytest.mark.parametrize("name", sorted(CORPUS_OPS))
def test_corpus_summaries(corpus_dir, name):
    from c2core.cli.info import summary
    from c2core.io import open_model

    d = summary(open_model(str(corpus_dir / name)))
    assert d["num_ops"] == CORPUS_OPS[name]
    assert sum(d["op_types"].values()) == CORPUS_OPS[name]
    assert len(d["inputs"]) == 1 and d["inputs"][0]["shape"] == [1, 3, 224, 224]
    assert d["inputs"][0]["dtype"] == "float32"
    assert d["unknown_ops"] == []
    json.dumps(d)


def test_unknown_sizes_are_null_in_json_and_question_marks_in_text(corpus_dir):
    """A structure-only classifier knows the batch but not the class count."""
    import json
    import subprocess
    import sys

    net = str(corpus_dir / "inception_v1" / "predict_net.pbtxt")
    r = subprocess.run([sys.executable, "-m", "c2core.cli.main", "info", net, "--json"], capture_output=True, text=True)
    out = json.loads(r.stdout)["outputs"]
    assert out == [{"name": "prob", "shape": [1, None], "dtype": "float32"}]
    r = subprocess.run([sys.executable, "-m", "c2core.cli.main", "info", net], capture_output=True, text=True)
    assert "prob  float32 [1, ?]" in r.stdout


def test_undeclared_input_shows_the_resolvers_shape_marked_assumed(small_pair):
    """No value_info.json: the input resolver's inferred shape (3 channels from the Conv
    filter, spatial 224 assumed) is shown and marked, never `?`; still no torch/onnx."""
    os.remove(small_pair / "value_info.json")
    code = ("import sys; from c2core.cli.main import main; rc = main(['info', sys.argv[1], '--json']); "
            "bad = [m for m in ('torch', 'onnx') if m in sys.modules]; "
            "print('LOADED', bad, file=sys.stderr); sys.exit(rc or (3 if bad else 0))")
    r = subprocess.run([sys.executable, "-c", code, str(small_pair)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and "LOADED []" in r.stderr, r.stderr
    d = json.loads(r.stdout)
    assert d["inputs"] == [{"name": "data", "shape": [1, 3, 224, 224], "dtype": "float32", "assumed": True}]
    # this net's FC wants 4*8*8 features, so 224 does not fit: the output is not claimed
    assert d["outputs"] == [{"name": "prob", "shape": None, "dtype": None}]
    assert sum("224 assumed" in w for w in d["warnings"]) == 1
    text = cli("info", small_pair).stdout
    assert "data  float32 [1, 3, 224, 224]  (assumed: see warnings)" in text


def test_assumed_input_gives_assumed_output_shapes(tmp_path):
    """Conv -> global AveragePool -> FC fits any spatial size: outputs follow, marked."""
    b = NetBuilder("gap")
    b.op("Conv", ["data", "conv_w", "conv_b"], "conv", kernel=3, pad=1, order="NHWC")
    b.op("AveragePool", "conv", "pool", global_pooling=1, order="NHWC")
    b.op("FC", ["pool", "fc_w", "fc_b"], "fc")
    b.inputs("data", "conv_w", "conv_b", "fc_w", "fc_b").outputs("fc")
    w = {"conv_w": np.ones((4, 3, 3, 2), np.float32), "conv_b": np.ones(4, np.float32),
         "fc_w": np.ones((7, 4), np.float32), "fc_b": np.ones(7, np.float32)}
    save_net(b.net, str(tmp_path / "predict_net.pb"))
    save_net(init_net_from(w), str(tmp_path / "init_net.pb"))
    d = json.loads(cli("info", tmp_path, "--json").stdout)
    assert d["inputs"] == [{"name": "data", "shape": [1, 224, 224, 2], "dtype": "float32", "assumed": True}]
    assert d["outputs"] == [{"name": "fc", "shape": [1, 7], "dtype": "float32", "assumed": True}]
    d = json.loads(cli("info", tmp_path, "--json", "--input-shape", "data=2,5,5,2").stdout)
    assert d["inputs"] == [{"name": "data", "shape": [2, 5, 5, 2], "dtype": "float32"}]
    assert d["outputs"] == [{"name": "fc", "shape": [2, 7], "dtype": "float32"}]
