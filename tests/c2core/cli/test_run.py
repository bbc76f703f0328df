"""`c2core run`: outputs and fetched blobs in an .npz by name, exit 2 with a
one-line reason on bad input."""

import subprocess
import sys

import numpy as np
import pytest

from c2core.builder import NetBuilder
from c2core.cli.main import main
from c2core.io.save import save_net
from c2core.builder import init_net_from

rng = np.random.default_rng(12)


@pytest.fixture
def model_dir(tmp_path):
    b = NetBuilder("cli_net")
    b.inputs("data", "w", "b")
    b.op("Conv", ["data", "w", "b"], "c", kernel=3, pad=1)
    b.op("Relu", "c", "c")
    b.op("FlattenToVec", "c", "flat")
    b.op("Softmax", "c", "prob")
    b.outputs("prob")
    w = {"w": rng.standard_normal((2, 3, 3, 3)).astype(np.float32), "b": np.zeros(2, np.float32)}
    save_net(b.net, str(tmp_path / "predict_net.pb"))
    save_net(init_net_from(w), str(tmp_path / "init_net.pb"))
    (tmp_path / "value_info.json").write_text('{"data": [1, [1, 3, 4, 4]]}')
    return tmp_path, w


def conv_relu_softmax(x, w):
    y = np.zeros((1, 2, 4, 4))
    xp = np.pad(x.astype(np.float64), ((0, 0), (0, 0), (1, 1), (1, 1)))
    for i in range(4):
        for j in range(4):
            y[0, :, i, j] = (xp[0, :, i:i + 3, j:j + 3][None] * w).sum(axis=(1, 2, 3))
    c = np.maximum(y, 0)
    e = np.exp(c.reshape(1, -1) - c.max())
    return c, (e / e.sum()).reshape(c.shape)


def test_run_writes_outputs_and_fetched_blobs(model_dir, tmp_path, capsys):
    d, w = model_dir
    x = rng.standard_normal((1, 3, 4, 4)).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    out = tmp_path / "out" / "res.npz"
    rc = main(["run", str(d / "predict_net.pb"), "--input", f"data={tmp_path / 'x.npy'}", "--fetch", "c", "-o", str(out)])
    assert rc == 0
    res = np.load(out)
    assert sorted(res.files) == ["c", "prob"]
    c, prob = conv_relu_softmax(x, w["w"])
    np.testing.assert_allclose(res["prob"], prob, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(res["c"], c, rtol=1e-4, atol=1e-5)
    assert "prob: [1, 2, 4, 4] float32" in capsys.readouterr().out
    # bare FILE feeds the first data input
    rc = main(["run", str(d), "--input", str(tmp_path / "x.npy"), "-o", str(out)])
    assert rc == 0 and sorted(np.load(out).files) == ["prob"]


def _fails(argv, capsys, *needles):
    rc = main(argv)
    err = capsys.readouterr().err.strip()
    assert rc == 2
    assert err.startswith("error: ") and "\n" not in err and "Traceback" not in err
    for n in needles:
        assert n in err, err
    return err


def test_bad_inputs_exit_2_with_one_line(model_dir, tmp_path, capsys):
    d, _ = model_dir
    out = str(tmp_path / "o.npz")
    np.save(tmp_path / "bad_shape.npy", np.zeros((1, 3, 5, 4), np.float32))
    np.save(tmp_path / "bad_dtype.npy", np.zeros((1, 3, 4, 4), np.float64))
    _fails(["run", str(d), "--input", f"data={tmp_path / 'bad_shape.npy'}", "-o", out], capsys, "shape [1, 3, 5, 4]")
    _fails(["run", str(d), "--input", f"data={tmp_path / 'bad_dtype.npy'}", "-o", out], capsys, "dtype float64")
    # no data at all: the hint names both ways, with the declared shape ready to paste
    _fails(["run", str(d), "-o", out], capsys, "no data for input(s) 'data'", "--input NAME=FILE.npy",
           "--input-shape data=1,3,4,4")
    _fails(["run", str(d), "--input", f"data={tmp_path / 'nope.npy'}", "-o", out], capsys, "no such file")
    (tmp_path / "junk.npy").write_bytes(b"not numpy")
    _fails(["run", str(d), "--input", f"data={tmp_path / 'junk.npy'}", "-o", out], capsys, "not a .npy file")
    assert not (tmp_path / "o.npz").exists()


def test_structure_only_and_unsupported_ops(tmp_path, capsys):
    b = NetBuilder("s")
    b.inputs("data", "w")
    b.op("Conv", ["data", "w"], "c", kernel=1)
    b.outputs("c")
    save_net(b.net, str(tmp_path / "alone.pbtxt"), text=True)
    np.save(tmp_path / "x.npy", np.zeros((1, 1, 2, 2), np.float32))
    _fails(["run", str(tmp_path / "alone.pbtxt"), "--input", str(tmp_path / "x.npy"), "-o", str(tmp_path / "o.npz")], capsys, "no weights")
    u = tmp_path / "u"
    u.mkdir()
    b2 = NetBuilder("u")
    b2.inputs("data", "w")
    b2.op("WeirdOpOne", ["data", "w"], "a")
    b2.op("WeirdOpTwo", "a", "b")
    b2.outputs("b")
    save_net(b2.net, str(u / "predict_net.pb"))
    save_net(init_net_from({"w": np.ones(1, np.float32)}), str(u / "init_net.pb"))
    _fails(["run", str(u), "--input", str(tmp_path / "x.npy"), "-o", str(tmp_path / "o.npz")], capsys, "WeirdOpOne, WeirdOpTwo")


def test_console_script_runs(model_dir, tmp_path):
    d, _ = model_dir
    np.save(tmp_path / "x.npy", np.ones((1, 3, 4, 4), np.float32))
    r = subprocess.run([sys.executable, "-m", "c2core.cli.main", "run", str(d), "-i", str(tmp_path / "x.npy"), "-o", str(tmp_path / "r.npz")],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert np.load(tmp_path / "r.npz")["prob"].shape == (1, 2, 4, 4)


def test_input_shape_alone_feeds_the_declared_dtype(tmp_path, capsys):
    """A uint8 input (value_info elem_type 6) given only by --input-shape got float32 N(0,1)
    data and was refused ('expects uint8'): it gets seeded bytes, in a note, and the result
    is the net's formula on exactly those bytes."""
    b = NetBuilder("u8")
    b.op("Cast", "data", "f", to=1)
    b.op("Scale", "f", "y", scale=0.5)
    b.inputs("data").outputs("y")
    save_net(b.net, str(tmp_path / "predict_net.pb"))
    (tmp_path / "value_info.json").write_text('{"data": [6, [1, 3, 4, 4]]}')
    out = tmp_path / "o.npz"
    assert main(["run", str(tmp_path), "--input-shape", "data=1,3,4,4", "--seed", "7", "-o", str(out)]) == 0
    assert "uint8: seeded integers in [0, 256) (seed 7)" in capsys.readouterr().err
    x = np.random.default_rng(7).integers(0, 256, (1, 3, 4, 4)).astype(np.uint8)
    np.testing.assert_array_equal(np.load(out)["y"], x.astype(np.float32) * 0.5)


def test_no_data_hint_for_a_0d_input(tmp_path, capsys):
    """--input-shape cannot spell a 0-d shape: the hint sends a 0-d input (an If condition) to a .npy."""
    b = NetBuilder("cond")
    b.op("Not", "c", "nc")
    b.op("Relu", "x", "y")
    b.inputs("c", "x").outputs("nc", "y")
    save_net(b.net, str(tmp_path / "predict_net.pb"))
    (tmp_path / "value_info.json").write_text('{"c": [5, []], "x": [1, [3]]}')
    _fails(["run", str(tmp_path), "-o", str(tmp_path / "o.npz")], capsys,
           "--input-shape x=3 for seeded random data", "('c': 0-d, from a .npy only)")
