"""RecurrentNetwork + LSTMUnit, built the way caffe2/python/rnn_cell.py builds an LSTM,
checked against an LSTM written independently in NumPy; shapes and drawing too."""

import numpy as np
import pytest

from c2core.builder import NetBuilder, make_arg, model_from
from c2core.runtime import Predictor

T, N, DIN, H = 5, 3, 4, 6


def step_net_text(forget_bias=0.0, drop_states=0):
    b = NetBuilder("lstm_step")
    b.op("FC", ["hidden_t_prev", "gates_t_w", "gates_t_b"], "gates_t", axis=2)
    b.op("Sum", ["gates_t", "input_t"], "gates_t")
    b.op("LSTMUnit", ["hidden_t_prev", "cell_t_prev", "gates_t", "seq_lengths", "timestep"], ["hidden_t", "cell_t"],
         forget_bias=forget_bias, drop_states=drop_states)
    b.inputs("hidden_t_prev", "cell_t_prev", "input_t", "gates_t_w", "gates_t_b", "seq_lengths", "timestep")
    b.outputs("hidden_t", "cell_t")
    from google.protobuf import text_format

    return text_format.MessageToString(b.net)


def lstm_model(forget_bias=0.0, drop_states=0, seed=0):
    rng = np.random.default_rng(seed)
    w = {"i2h_w": (rng.standard_normal((4 * H, DIN)) * 0.5).astype(np.float32),
         "i2h_b": (rng.standard_normal(4 * H) * 0.1).astype(np.float32),
         "gates_t_w": (rng.standard_normal((4 * H, H)) * 0.5).astype(np.float32),
         "gates_t_b": (rng.standard_normal(4 * H) * 0.1).astype(np.float32)}
    b = NetBuilder("lstm")
    b.op("FC", ["input", "i2h_w", "i2h_b"], "input_blob", axis=2)
    rnn = b.op("RecurrentNetwork", ["input_blob", "seq_lengths", "hidden_init", "cell_init", "gates_t_w", "gates_t_b"],
               ["hidden_all", "hidden_last", "cell_all", "cell_last", "hidden_states", "cell_states", "step_workspaces"])
    rnn.arg.extend([
        make_arg("step_net", step_net_text(forget_bias, drop_states)),
        make_arg("recurrent_states", ["hidden_states", "cell_states"]),
        make_arg("initial_recurrent_state_ids", [2, 3]),
        make_arg("link_internal", ["hidden_t_prev", "hidden_t", "cell_t_prev", "cell_t", "input_t"]),
        make_arg("link_external", ["hidden_states", "hidden_states", "cell_states", "cell_states", "input_blob"]),
        make_arg("link_offset", [0, 1, 0, 1, 0]),
        make_arg("link_window", [1, 1, 1, 1, 1]),
        make_arg("alias_src", ["hidden_states", "hidden_states", "cell_states", "cell_states"]),
        make_arg("alias_dst", ["hidden_all", "hidden_last", "cell_all", "cell_last"]),
        make_arg("alias_offset", [1, -1, 1, -1]),
        make_arg("timestep", "timestep"),
    ])
    b.inputs("input", "seq_lengths", "hidden_init", "cell_init", *w).outputs("hidden_all", "hidden_last", "cell_last")
    return model_from(b.net, w), w


def numpy_lstm(x, lengths, h0, c0, w, forget_bias=0.0, drop_states=False):
    """An LSTM written from the equations: gates i, f, o, g; rows past their length keep (or zero) state."""
    sig = lambda v: 1.0 / (1.0 + np.exp(-v))  # noqa: E731
    h, c = h0.astype(np.float64), c0.astype(np.float64)
    hs, cs = [], []
    for t in range(x.shape[0]):
        z = x[t] @ w["i2h_w"].T + w["i2h_b"] + h @ w["gates_t_w"].T + w["gates_t_b"]
        i, f, o, g = z[:, :H], z[:, H:2 * H], z[:, 2 * H:3 * H], z[:, 3 * H:]
        c_new = sig(f + forget_bias) * c + sig(i) * np.tanh(g)
        h_new = sig(o) * np.tanh(c_new)
        valid = (t < lengths)[:, None]
        h = np.where(valid, h_new, 0.0 if drop_states else h)
        c = np.where(valid, c_new, 0.0 if drop_states else c)
        hs.append(h)
        cs.append(c)
    return np.stack(hs), np.stack(cs)


def _feeds(seed=1):
    rng = np.random.default_rng(seed)
    return {"input": rng.standard_normal((T, N, DIN)).astype(np.float32),
            "seq_lengths": np.array([T, 3, 1], np.int32),
            "hidden_init": (rng.standard_normal((1, N, H)) * 0.1).astype(np.float32),
            "cell_init": (rng.standard_normal((1, N, H)) * 0.1).astype(np.float32)}


@pytest.mark.parametrize("forget_bias,drop", [(0.0, 0), (1.0, 1)])
def test_lstm_matches_numpy(forget_bias, drop):
    m, w = lstm_model(forget_bias, drop)
    f = _feeds()
    out = Predictor(m).run(f)
    hs, cs = numpy_lstm(f["input"], f["seq_lengths"], f["hidden_init"][0], f["cell_init"][0], w, forget_bias, bool(drop))
    # float32 executor vs float64 reference over 5 steps
    np.testing.assert_allclose(out["hidden_all"], hs, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(out["hidden_last"], hs[-1:], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(out["cell_last"], cs[-1:], rtol=1e-5, atol=1e-6)


def test_lstm_shapes():
    from c2core.shapes import infer_shapes

    m, _ = lstm_model()
    info = infer_shapes(m, {"input": (T, N, DIN), "seq_lengths": (N,), "hidden_init": (1, N, H), "cell_init": (1, N, H)},
                        {"seq_lengths": "int32"})
    assert info["hidden_states"].shape == (T + 1, N, H)
    assert info["hidden_all"].shape == (T, N, H)
    assert info["hidden_last"].shape == (1, N, H) and info["cell_last"].shape == (1, N, H)


def test_lstm_step_net_is_drawn():
    from c2core.draw import build_dot

    m, _ = lstm_model()
    dot = build_dot(m).to_string()
    assert "LSTMUnit" in dot and "step_net" in dot and "cluster" in dot


def test_lstm_saved_and_opened_from_files_runs(tmp_path):
    """The step_net as rnn_cell stores it (a text-format string argument) must pass the
    schema check made when a model is opened: info/draw/run on the files used to refuse
    it ("argument 'step_net' must be a NetDef")."""
    import json
    import subprocess
    import sys

    from c2core.io import open_model
    from c2core.io.save import save_model

    m, w = lstm_model()
    save_model(m, str(tmp_path / "m"))
    f = _feeds()
    out = Predictor(open_model(str(tmp_path / "m"))).run(f)
    hs, cs = numpy_lstm(f["input"], f["seq_lengths"], f["hidden_init"][0], f["cell_init"][0], w)
    np.testing.assert_allclose(out["hidden_all"], hs, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(out["cell_last"], cs[-1:], rtol=1e-5, atol=1e-6)
    r = subprocess.run([sys.executable, "-m", "c2core.cli.main", "info", str(tmp_path / "m"), "--json"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["op_types"] == {"FC": 1, "RecurrentNetwork": 1}


def test_step_net_string_that_is_not_a_net_is_one_clear_error(tmp_path):
    from c2core.errors import C2Error
    from c2core.io import open_model
    from c2core.io.save import save_model

    m, _ = lstm_model()
    for a in m.predict_net.op[1].arg:
        if a.name == "step_net":
            a.s = b"op { type: \"Relu\" input: "  # truncated text
    save_model(m, str(tmp_path / "m"))
    with pytest.raises(C2Error, match="step_net"):
        Predictor(open_model(str(tmp_path / "m"))).run(_feeds())
