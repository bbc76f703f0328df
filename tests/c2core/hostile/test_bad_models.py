"""Broken and hostile models: one `error:` line naming the file and op, exit 2, never a traceback.

Each case is a reproducer from the audit of issue 13 (a traceback, a hang or a
misleading message before the fix).
"""

from __future__ import annotations

import math
import time

import numpy as np
import pytest

from c2core.builder import NetBuilder, model_from
from c2core.io.save import save_model
from c2core.proto import caffe2_pb2
from tests.c2core.hostile.cli_run import cli as _cli
from tests.c2core.hostile.cli_run import error_line as _error
from tests.references.tiny_classifier import tiny_classifier


@pytest.fixture()
def pair(tmp_path):
    m, _ = tiny_classifier()
    d = tmp_path / "m"
    save_model(m, str(d))
    (d / "value_info.json").write_text('{"data": [1, [1, 3, 8, 8]]}')
    np.save(tmp_path / "x.npy", np.zeros((1, 3, 8, 8), np.float32))
    return d


def _edit_predict(d, fn):
    net = caffe2_pb2.NetDef()
    net.ParseFromString((d / "predict_net.pb").read_bytes())
    fn(net)
    (d / "predict_net.pb").write_bytes(net.SerializeToString())


def _set(op, name, **field):
    for a in list(op.arg):
        if a.name == name:
            op.arg.remove(a)
    a = op.arg.add(name=name)
    for k, v in field.items():
        if isinstance(v, list):
            getattr(a, k).extend(v)
        else:
            setattr(a, k, v)


ARG_CASES = {
    "kernel-string": (0, "kernel", {"s": b"three"}, "op #0 Conv: argument 'kernel' must be an integer, got 'three'"),
    "stride-nan": (0, "stride", {"f": math.nan}, "op #0 Conv: argument 'stride' must be an integer, got nan"),
    "global-pooling-bytes": (2, "global_pooling", {"s": b"\xff"},
                             "op #2 AveragePool: argument 'global_pooling' must be an integer"),
    "kernel-zero": (0, "kernel", {"i": 0}, "argument 'kernel' must be positive"),
    "pad-negative": (0, "pad", {"i": -2}, "argument 'pad' must be non-negative"),
    "pads-strings": (0, "pads", {"strings": [b"a"]}, "argument 'pads' must be a list of integers"),
    "order-float": (0, "order", {"f": 1.5}, "argument 'order' must be UTF-8 text"),
}


@pytest.mark.parametrize("case", list(ARG_CASES), ids=list(ARG_CASES))
@pytest.mark.parametrize("cmd", ["info", "draw", "run", "convert"])
def test_argument_types_checked_at_open(pair, tmp_path, capsys, case, cmd):
    i, name, field, phrase = ARG_CASES[case]
    _edit_predict(pair, lambda net: _set(net.op[i], name, **field))
    argv = {"info": ["info", pair], "draw": ["draw", pair, "-o", tmp_path / "g.dot"],
            "run": ["run", pair, "-i", tmp_path / "x.npy", "-o", tmp_path / "o.npz"],
            "convert": ["convert", pair, "-o", tmp_path / "o.onnx"]}[cmd]
    rc, _, err = _cli(argv, capsys)
    line = _error(err)
    assert rc == 2 and phrase in line and "predict_net.pb" in line, line


@pytest.mark.parametrize("what", ["inputs", "outputs"])
@pytest.mark.parametrize("cmd", ["run", "convert"])
def test_missing_inputs_or_outputs(pair, tmp_path, capsys, what, cmd):
    def drop(net):
        if what == "inputs":
            del net.op[0].input[1:]  # Conv without its filter
        else:
            del net.op[3].output[:]  # FC without an output

    _edit_predict(pair, drop)
    argv = (["run", pair, "-i", tmp_path / "x.npy", "-o", tmp_path / "o.npz"] if cmd == "run"
            else ["convert", pair, "-o", tmp_path / "o.onnx"])
    rc, _, err = _cli(argv, capsys)
    line = _error(err)
    want = "op #0 Conv: has 1 input(s), needs at least 2 (X, filter)" if what == "inputs" else \
        "op #3 FC: has 0 output(s), needs at least 1 (Y)"
    assert rc == 2 and want in line, line


@pytest.mark.parametrize("name", ["file", "allow_pickle", "a\x00b", "../../x", "__names__", "gpu_0/softmax"])
def test_run_npz_keeps_any_output_name(pair, tmp_path, capsys, name):
    from c2core.io.npz import read_npz

    def rename(net):
        net.op[4].output[0] = name
        net.external_output[0] = name

    _edit_predict(pair, rename)
    out = tmp_path / "sub" / "o.npz"
    rc, stdout, err = _cli(["run", pair, "-i", tmp_path / "x.npy", "-o", out], capsys)
    assert rc == 0, err
    got = read_npz(out)
    assert list(got) == [name] and got[name].shape == (1, 5)
    np.testing.assert_allclose(got[name].sum(), 1.0, rtol=1e-5)  # softmax probabilities
    assert "numpy.load" in stdout
    z = np.load(out)
    plain = name in ("file", "allow_pickle", "gpu_0/softmax")
    assert ("__names__" in z.files) != plain and (plain or "out_0" in z.files)
    assert sorted(p.name for p in (tmp_path / "sub").iterdir()) == ["o.npz"]  # nothing outside, no temp left


def test_huge_blob_name_refused(pair, capsys, tmp_path):
    _edit_predict(pair, lambda net: net.op[1].output.__setitem__(0, "n" * (1 << 20)))
    rc, _, err = _cli(["run", pair, "-i", tmp_path / "x.npy", "-o", tmp_path / "o.npz"], capsys)
    line = _error(err)
    assert rc == 2 and "1,048,576 characters" in line and len(line) < 400


def test_nul_and_control_names_draw(tmp_path, capsys):
    net = caffe2_pb2.NetDef(name="n\x00x", external_input=["a\x00b"], external_output=["c\x01\n"])
    net.op.add(type="Relu", input=["a\x00b"], output=["c\x01\n"])
    p = tmp_path / "nul.pb"
    p.write_bytes(net.SerializeToString())
    rc, _, err = _cli(["draw", p, "-o", tmp_path / "g.svg"], capsys)
    assert rc == 0, err
    svg = (tmp_path / "g.svg").read_text()
    assert "a\\x00b" in svg and "\x00" not in svg


def test_text_nested_too_deep(tmp_path, capsys):
    p = tmp_path / "deep.pbtxt"
    p.write_text("op { type: 'If' arg { name: 'then_net' n { " * 120 + "} } }" * 120)
    rc, _, err = _cli(["info", p], capsys)
    line = _error(err)
    assert rc == 2 and "nested 360 deep" in line


def _nested_bytes(depth: int) -> bytes:
    from tests.c2core.fuzz.fuzzer import _field

    inner = caffe2_pb2.OperatorDef(type="Relu", input=["c"], output=["y"]).SerializeToString()
    for _ in range(depth):
        arg = _field(1, b"then_net") + _field(8, _field(2, inner))
        inner = _field(1, b"c") + _field(4, b"If") + _field(5, arg)
    return _field(7, b"c") + _field(2, inner)


def test_binary_subnets_nested_too_deep(tmp_path, capsys):
    for depth, phrase in ((34, "sub-nets (If/While bodies) nested 34 deep"),
                          (33, "sub-nets nested more than 32 deep")):
        p = tmp_path / f"deep{depth}.pb"
        p.write_bytes(_nested_bytes(depth))
        rc, _, err = _cli(["info", p], capsys)
        line = _error(err)
        assert rc == 2 and phrase in line and "truncated" not in line, line


def test_invalid_utf8_pbtxt_is_reported_as_text(tmp_path, capsys):
    p = tmp_path / "bad.pbtxt"
    p.write_bytes(b"name: 'x\xff'\nop { type: 'Relu' input: 'a' output: 'b' }\n")
    rc, _, err = _cli(["info", p], capsys)
    line = _error(err)
    assert rc == 2 and "not valid UTF-8" in line and "binary protobuf" not in line


def test_invalid_utf8_inside_subnet(tmp_path, capsys):
    net = caffe2_pb2.NetDef(external_input=["c"])
    op = net.op.add(type="If", input=["c"], output=["c"])
    op.arg.add(name="then_net").n.op.add(type="Relu", input=["c"], output=["y"])
    data = net.SerializeToString().replace(b"\x12\x01y", b"\x12\x01\xff")
    p = tmp_path / "sub.pb"
    p.write_bytes(data)
    rc, _, err = _cli(["draw", p, "-o", tmp_path / "g.svg"], capsys)
    line = _error(err)
    assert rc == 2 and "then_net" in line and "not valid UTF-8" in line


def test_empty_init_net_message(pair, tmp_path, capsys):
    (pair / "init_net.pb").write_bytes(caffe2_pb2.NetDef(name="init", external_output=["w"]).SerializeToString())
    rc, out, err = _cli(["run", pair, "-i", tmp_path / "x.npy", "-o", tmp_path / "o.npz"], capsys)
    line = _error(err)
    assert "(e.g. ?)" not in err + out and "computation ops" not in line
    assert rc == 2 and "missing from the init net" in line, line


def test_misaligned_minidb_raw_data():
    from c2core.errors import C2FormatError
    from c2core.fills import tensor_proto_to_array

    t = caffe2_pb2.TensorProto(name="w", dims=[4], data_type=1, raw_data=b"\0" * 15)
    with pytest.raises(C2FormatError, match=r"needs 16 bytes of raw_data but 15"):
        tensor_proto_to_array(t, "m.minidb")


def test_while_iteration_cap(capsys):
    from c2core.errors import C2Error
    from c2core.runtime import Predictor

    body = NetBuilder("body")
    body.op("Copy", "c", "c")
    for cap, args in ((1000, {"max_iterations": 1000}), (100_000, {})):
        nb = NetBuilder("loop").inputs("c").outputs("c")
        nb.op("While", "c", "c", loop_net=body.net, **args)
        p = Predictor(model_from(nb.net, {"unused": np.zeros(1, np.float32)}))
        t0 = time.perf_counter()
        with pytest.raises(C2Error, match=rf"op #0 While: loop still running after {cap:,} iterations"):
            p.run({"c": np.array([True])})
        assert time.perf_counter() - t0 < 120
    # a loop that ends is untouched: counts to 5
    body = NetBuilder("body")
    body.op("Add", ["i", "one"], "i")
    body.op("LT", ["i", "five"], "c")
    nb = NetBuilder("count").inputs("c", "i").outputs("i")
    nb.op("While", ["c", "i"], ["c", "i"], loop_net=body.net, max_iterations=10)
    m = model_from(nb.net, {"one": np.array(1, np.int64), "five": np.array(5, np.int64)})
    assert int(Predictor(m).run({"c": np.array([True]), "i": np.array(0, np.int64)})["i"]) == 5


def test_draw_timeout_and_node_limit(tmp_path, monkeypatch):
    import c2core.draw as draw
    from c2core.errors import C2Error

    nb = NetBuilder("chain").inputs("x").outputs("y0")
    prev = "x"
    for i in range(400):
        nb.op("Relu", prev, f"y{i}" if i else "y0")
        prev = f"y{i}" if i else "y0"
    m = model_from(nb.net, {"unused": np.zeros(1, np.float32)})
    with pytest.raises(C2Error, match=r"Graphviz did not finish laying out .* within 0.01 s"):
        draw.draw(m, str(tmp_path / "g.svg"), timeout=0.01)
    assert not (tmp_path / "g.svg").exists()
    monkeypatch.setattr(draw, "MAX_DOT_NODES", 100)
    t0 = time.perf_counter()
    with pytest.raises(C2Error, match=r"more than Graphviz lays out .*write a .dot file"):
        draw.draw(m, str(tmp_path / "g.svg"))
    assert time.perf_counter() - t0 < 5
    draw.draw(m, str(tmp_path / "g.dot"))  # the .dot is always written
    assert (tmp_path / "g.dot").read_text().count("Relu") == 400


def test_ort_error_becomes_c2error_naming_the_op():
    from c2core.engine_errors import engine_failure

    net = caffe2_pb2.NetDef()
    net.op.add(type="Conv", name="conv1", input=["x", "w"], output=["c"])
    e = RuntimeError("[ONNXRuntimeError] : 6 : RUNTIME_EXCEPTION : Non-zero status code returned while running "
                     "Conv node. Name:'conv1' Status Message: Invalid input shape\nmore lines")
    err = engine_failure(e, "ONNX Runtime", "running the converted model", net, "m.onnx")
    assert str(err) == ("m.onnx: ONNX Runtime failed running the converted model at node 'conv1' (op #0 Conv "
                        "'conv1'): [ONNXRuntimeError] : 6 : RUNTIME_EXCEPTION : Non-zero status code returned while "
                        "running Conv node. Name:'conv1' Status Message: Invalid input shape")


def test_backend_engine_exception_is_one_line(pair, tmp_path, monkeypatch):
    from c2core.backends.onnxruntime import OnnxRuntimeBackend
    from c2core.errors import C2Error

    def boom(self, inputs):
        raise RuntimeError("Non-zero status code returned while running Relu node. Name:'relu' Status Message: x")

    monkeypatch.setattr(OnnxRuntimeBackend, "_run", boom)
    b = OnnxRuntimeBackend()
    b.prepared, b.input_names = True, ["data"]
    with pytest.raises(C2Error, match=r"onnxruntime failed running at node 'relu'"):
        b.run({"data": np.zeros((1, 3, 8, 8), np.float32)})


def test_onnx_names_with_invalid_utf8(tmp_path, capsys):
    from onnx import TensorProto, helper

    g = helper.make_graph([helper.make_node("Relu", ["x"], ["pool"])], "g",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])],
                          [helper.make_tensor_value_info("pool", TensorProto.FLOAT, [1, 4])])
    data = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]).SerializeToString()
    p = tmp_path / "bad.onnx"
    p.write_bytes(data.replace(b"pool", b"po\xefl"))
    rc, _, err = _cli(["import", p, "-o", tmp_path / "out"], capsys)
    line = _error(err)
    assert rc == 2 and "bad.onnx" in line and "not valid UTF-8" in line
    assert not (tmp_path / "out").exists()


def test_draw_50k_op_chain_refused_at_once_dot_still_written(tmp_path, capsys):
    net = caffe2_pb2.NetDef(external_input=["x"])
    prev = "x"
    for i in range(50000):
        net.op.add(type="Relu", input=[prev], output=[f"y{i}"])
        prev = f"y{i}"
    net.external_output.append(prev)
    p = tmp_path / "chain.pb"
    p.write_bytes(net.SerializeToString())
    t0 = time.perf_counter()
    rc, _, err = _cli(["draw", p, "-o", tmp_path / "g.svg"], capsys)
    line = _error(err)
    assert rc == 2 and "chain.pb" in line and "100,001 nodes (50,000 ops)" in line and "write a .dot file" in line
    assert time.perf_counter() - t0 < 30 and not (tmp_path / "g.svg").exists()


def test_minidb_meta_keys_not_utf8(tmp_path, capsys):
    from tests.c2core.io.caffe2_minidb_writer import save_to_db

    m, w = tiny_classifier()
    db = tmp_path / "m.minidb"
    save_to_db(str(db), m.predict_net, w, ["data"], ["prob"], {"data": [1, 3, 8, 8], "prob": [1, 5]})
    data = db.read_bytes()
    assert b"INPUTS_BLOB_TYPE" in data
    db.write_bytes(data.replace(b"INPUTS_BLOB_TYPE", b"INPUTS_BLOB_TYP\xff"))
    rc, out, err = _cli(["info", db], capsys)
    assert rc == 0 and "Traceback" not in err


@pytest.mark.parametrize("field", [{"f": math.nan}, {"s": b"int"}, {"floats": [math.nan, 1.0]}])
def test_fill_dtype_of_wrong_type(pair, tmp_path, capsys, field):
    init = caffe2_pb2.NetDef()
    init.ParseFromString((pair / "init_net.pb").read_bytes())
    op = next(o for o in init.op if o.output[0] == "fc_w")
    _set(op, "dtype", **field)
    (pair / "init_net.pb").write_bytes(init.SerializeToString())
    rc, _, err = _cli(["draw", pair, "-o", tmp_path / "g.dot"], capsys)
    assert rc == 0 and "argument 'dtype' must be an integer" in err  # the structure still draws
    rc, _, err = _cli(["run", pair, "-i", tmp_path / "x.npy", "-o", tmp_path / "o.npz"], capsys)
    line = _error(err)
    assert rc == 2 and "init_net.pb" in line and "'fc_w': argument 'dtype' must be an integer" in line


def test_onnx_malformed_node_is_one_line(tmp_path, capsys):
    import onnx
    from onnx import TensorProto, helper

    g = helper.make_graph([helper.make_node("Conv", ["x"], ["y"], name="c1")], "g",  # a Conv without its weights
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 4, 4])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)])
    p = tmp_path / "conv1.onnx"
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]), str(p))
    rc, _, err = _cli(["import", p, "-o", tmp_path / "out"], capsys)
    line = _error(err)
    assert rc == 2 and "conv1.onnx" in line and "ONNX node 'c1' (Conv) is malformed" in line


def test_conv_on_a_rank2_input_cannot_be_exported(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("C2CORE_STRICT", raising=False)  # as a user runs it
    nb = NetBuilder("odd").inputs("x", "w").outputs("y")
    nb.op("Conv", ["x", "w"], "y")
    m = model_from(nb.net, {"w": np.ones((2, 4), np.float32)})
    m.value_info = {"x": (1, [1, 4])}
    save_model(m, str(tmp_path / "m"))
    (tmp_path / "m" / "value_info.json").write_text('{"x": [1, [1, 4]]}')
    rc, _, err = _cli(["convert", tmp_path / "m", "-o", tmp_path / "o.onnx"], capsys)
    line = _error(err)
    assert rc == 2 and "op #0 Conv" in line, line
    assert not (tmp_path / "o.onnx").exists()
