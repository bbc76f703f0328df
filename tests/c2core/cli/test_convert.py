"""`c2core convert --to onnx`: writes a verified model, prints the report, exit 2
with the reason on bad input or failed verification (and then writes nothing)."""

import json
import os
import subprocess
import sys

import numpy as np
import onnx
import onnxruntime as ort
import pytest

from c2core.builder import NetBuilder, init_net_from
from c2core.cli.main import main
from c2core.io.save import save_net


@pytest.fixture
def pair(tmp_path):
    rng = np.random.default_rng(50)
    b = NetBuilder("conv_pool")
    b.op("Conv", ["data", "w", "b"], "c", kernel=3, pad=1)
    b.op("Relu", "c", "c")
    b.op("MaxPool", "c", "p", kernel=3, stride=2, legacy_pad=3)
    b.op("Softmax", "p", "prob")
    b.inputs("data", "w", "b").outputs("prob")
    w = {"w": rng.standard_normal((4, 3, 3, 3)).astype(np.float32), "b": rng.standard_normal(4).astype(np.float32)}
    d = tmp_path / "model"
    d.mkdir()
    save_net(b.net, str(d / "predict_net.pb"))
    save_net(init_net_from(w), str(d / "init_net.pb"))
    (d / "value_info.json").write_text(json.dumps({"data": [1, [1, 3, 10, 10]]}))
    return d


def test_convert_writes_a_verified_model_and_prints_the_report(pair, tmp_path, capsys):
    out = tmp_path / "m.onnx"
    assert main(["convert", str(pair), "--to", "onnx", "-o", str(out)]) == 0
    text = capsys.readouterr().out
    assert "opset 17" in text and "PASSED" in text and "prob" in text and "max_rel" in text
    m = onnx.load(str(out))
    assert m.opset_import[0].version == 17 and m.ir_version == 8
    y = ort.InferenceSession(str(out)).run(None, {"data": np.ones((1, 3, 10, 10), np.float32)})[0]
    assert y.shape == (1, 4, 5, 5)  # Caffe2 ceil pooling: ceil((10 - 3) / 2) + 1 = 5


def test_options_opset_shape_dynamic_batch_and_npy_input(pair, tmp_path, capsys):
    x = np.random.default_rng(1).standard_normal((2, 3, 12, 12)).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    out = tmp_path / "d.onnx"
    rc = main(["convert", str(pair / "predict_net.pb"), "-o", str(out), "--opset", "21", "--input-shape", "data=2,3,12,12",
               "--dynamic-batch", "--input", f"data={tmp_path / 'x.npy'}", "--rtol", "1e-5"])
    assert rc == 0
    text = capsys.readouterr().out
    assert "file x.npy" in text and "rtol 1e-05" in text
    m = onnx.load(str(out))
    assert m.opset_import[0].version == 21 and m.ir_version == 10
    assert m.graph.input[0].type.tensor_type.shape.dim[0].dim_param == "batch"
    y = ort.InferenceSession(str(out)).run(None, {"data": np.ones((5, 3, 12, 12), np.float32)})[0]
    assert y.shape == (5, 4, 6, 6)


def test_no_verify_skips_the_executor(pair, tmp_path, capsys):
    out = tmp_path / "nv.onnx"
    assert main(["convert", str(pair), "-o", str(out), "--no-verify"]) == 0
    assert "verification skipped" in capsys.readouterr().out and out.exists()


def test_failed_verification_exits_2_and_writes_nothing(pair, tmp_path, capsys):
    out = tmp_path / "f.onnx"
    rc = main(["convert", str(pair), "-o", str(out), "--rtol", "1e-12"])
    cap = capsys.readouterr()
    assert rc == 2
    assert "FAIL" in cap.out and "verification failed" in cap.err and "nothing was written" in cap.err
    assert not out.exists() and sorted(os.listdir(tmp_path)) == ["model"]
    rc = main(["convert", str(pair), "-o", str(out), "--rtol", "1e-12", "--keep-failed"])
    assert rc == 2 and out.exists() and "kept" in capsys.readouterr().err


@pytest.mark.parametrize("args,msg", [
    (["--input-shape", "data=1,x,3"], "integers"),
    (["--input-shape", "nope=1,3,10,10"], "not data inputs"),
    (["--opset", "9"], "opset 9"),
    (["--input", "data=/no/such.npy"], "no such file"),
])
def test_bad_input_exits_2_with_the_reason(pair, tmp_path, capsys, args, msg):
    rc = main(["convert", str(pair), "-o", str(tmp_path / "x.onnx")] + args)
    assert rc == 2 and msg in capsys.readouterr().err
    assert not (tmp_path / "x.onnx").exists()


def test_unsupported_ops_and_structure_only_exit_2(tmp_path):
    b = NetBuilder("odd")
    b.op("Relu", "data", "a")
    b.op("NoSuchOp", "a", "b")
    b.inputs("data", "w").outputs("b")
    save_net(b.net, str(tmp_path / "predict_net.pb"))
    save_net(init_net_from({"w": np.ones(2, np.float32)}), str(tmp_path / "init_net.pb"))
    cmd = [sys.executable, "-m", "c2core.cli.main", "convert", str(tmp_path / "predict_net.pb"), "-o",
           str(tmp_path / "o.onnx"), "--input-shape", "data=1,2"]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and "NoSuchOp" in r.stderr and "Traceback" not in r.stderr
    os.remove(tmp_path / "init_net.pb")
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and "no weights" in r.stderr


def test_target_table_names_modules_with_the_two_hooks():
    import importlib

    from c2core.cli.convert import TARGETS

    assert "onnx" in TARGETS
    for name, module in TARGETS.items():
        mod = importlib.import_module(module)
        assert callable(mod.add_target_arguments) and callable(mod.convert_target), name
