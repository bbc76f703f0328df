"""Models as they are found: predictor_exporter minidbs, any file names, init nets
that compute, placeholder-filled inputs, and a corrupt init net beside a sound graph."""

import os
import subprocess
import sys

import numpy as np
import pytest

from c2core.builder import NetBuilder, make_arg
from c2core.errors import C2FormatError
from c2core.io import open_model
from c2core.io.save import save_net
from c2core.proto import caffe2_pb2

from caffe2_minidb_writer import save_to_db
from io_synthetic import tiny_predict, tiny_weights, write_pair

C2CORE = [sys.executable, "-m", "c2core.cli.main"]


def cli(*args):
    return subprocess.run(C2CORE + [str(a) for a in args], capture_output=True, text=True, timeout=300)


def _bare_predict():
    net = tiny_predict()
    del net.external_input[:]
    del net.external_output[:]
    return net


def _reference_output(tmp_path, x):
    """The same model as a plain .pb pair, run by the executor."""
    from c2core.runtime import Predictor

    p, _ = write_pair(tmp_path / "ref")
    return Predictor(open_model(str(p))).run({"data": x})["prob"]


@pytest.mark.parametrize("name,chunk,legacy", [("", None, False), ("", 50, False), ("squeeze", 7, False),
                                                ("", None, True)])
def test_minidb_as_predictor_exporter_writes_it(tmp_path, name, chunk, legacy):
    """Caffe2's keys (PREDICT_NET_TYPE...), the Load-ing global init net, the predict init
    net's zero-fills, and BlobSerializer chunks `conv_w#%0`... all read back exactly."""
    w = tiny_weights()
    path = tmp_path / "model.minidb"
    save_to_db(path, _bare_predict(), w, ["data"], ["prob"], {"data": (1, 3, 8, 8), "prob": (1, 10)},
               name=name, chunk_size=chunk, legacy=legacy)
    assert (b"conv_w#%0" in path.read_bytes()) == (not legacy)
    if chunk:
        assert b"fc_w#%1" in path.read_bytes()
    m = open_model(str(path))
    assert m.warnings == []
    assert m.data_inputs == ["data"]
    assert m.input_shapes() == {"data": (1, 3, 8, 8)}  # from the predict init net's fill
    assert set(m.weights) == set(w)  # inputs' and outputs' zero-fills are not weights
    for k, a in w.items():
        np.testing.assert_array_equal(m.weights[k].array, a)
    x = np.random.default_rng(0).standard_normal((1, 3, 8, 8)).astype(np.float32)
    from c2core.runtime import Predictor

    np.testing.assert_array_equal(Predictor(m).run({"data": x})["prob"], _reference_output(tmp_path, x))


def test_minidb_missing_chunk_is_a_clear_error(tmp_path):
    path = tmp_path / "model.db"
    save_to_db(path, _bare_predict(), tiny_weights(), ["data"], ["prob"], {"data": (1, 3, 8, 8), "prob": (1, 10)},
               chunk_size=40)
    from c2core.io.minidb import iter_records, write_records

    recs = [(k, v) for k, v in iter_records(path.read_bytes(), str(path)) if k != "fc_w#%1"]
    with open(path, "wb") as f:
        write_records(recs, f)
    m = open_model(str(path))  # the structure still opens
    assert any("fc_w" in w and "missing" in w for w in m.warnings), m.warnings
    with pytest.raises(C2FormatError, match="chunk is missing"):
        m.weights  # noqa: B018


def test_minidb_init_net_extra_ops_run(tmp_path):
    """extra_init_net ops (appended to the predict init net) make blobs the predict net reads."""
    w = tiny_weights()
    fc_b = w.pop("fc_b")
    op = caffe2_pb2.OperatorDef(type="ConstantFill", output=["fc_b"])
    op.arg.extend([make_arg("shape", [10]), make_arg("value", 0.0)])
    path = tmp_path / "m.minidb"
    save_to_db(path, _bare_predict(), w, ["data"], ["prob"], {"data": (1, 3, 8, 8), "prob": (1, 10)},
               extra_init_ops=[op])
    m = open_model(str(path))
    np.testing.assert_array_equal(m.weights["fc_b"].array, fc_b)


@pytest.mark.parametrize("pname,iname", [("X_predict.model", "X_init.model"), ("X_predict", "X_init"),
                                         ("net.bin", "weights.bin"), ("a", "b")])
def test_any_file_names_pair_by_content(tmp_path, pname, iname):
    p, i = write_pair(tmp_path / "m", pname, iname)
    (tmp_path / "m" / "labels.txt").write_text("a\nb\n")
    for target in (tmp_path / "m", p, i):
        m = open_model(str(target))
        assert (m.predict_path, m.init_path) == (str(p), str(i)), target
        assert set(m.weights) == set(tiny_weights())


def _cast_onehot_init():
    """An init net that computes: UniformIntFill -> Cast -> OneHot -> Reshape (a mask constant)."""
    b = NetBuilder("init")
    b.op("UniformIntFill", [], "idx_i32", shape=[6], min=0, max=3)
    b.op("Cast", "idx_i32", "idx", to=10)
    b.op("GivenTensorInt64Fill", [], "depth", shape=[], values=[4])
    b.op("OneHot", ["idx", "depth"], "hot")
    b.op("GivenTensorInt64Fill", [], "new_shape", shape=[2], values=[3, 8])
    b.op("Reshape", ["hot", "new_shape"], ["mask", "old_shape"])
    return b.net


def test_init_net_that_computes_runs_with_the_executor(tmp_path):
    pb = NetBuilder("predict")
    pb.op("Mul", ["data", "mask"], "out")
    pb.inputs("data", "mask").outputs("out")
    (tmp_path / "m").mkdir()
    save_net(pb.net, str(tmp_path / "m" / "predict_net.pb"))
    save_net(_cast_onehot_init(), str(tmp_path / "m" / "init_net.pb"))
    m = open_model(str(tmp_path / "m"))
    assert m.data_inputs == ["data"]
    assert m.weight_specs["mask"].shape == (3, 8)  # by shape inference, nothing run
    mask = m.weights["mask"].array
    # independent reference: one row of 4 per index, seeded indices in [0, 3]
    idx = m.weights["idx"].array
    assert idx.dtype == np.int64 and idx.min() >= 0 and idx.max() <= 3
    np.testing.assert_array_equal(mask, np.eye(4, dtype=np.float32)[idx].reshape(3, 8))
    np.testing.assert_array_equal(open_model(str(tmp_path / "m")).weights["mask"].array, mask)  # seeded: same twice
    from c2core.runtime import Predictor

    x = np.full((3, 8), 2.0, np.float32)
    np.testing.assert_array_equal(Predictor(m).run({"data": x})["out"], 2.0 * mask)


def test_placeholder_fill_is_not_the_input_shape(tmp_path):
    """A 1-element data placeholder in the init net, listed after the weights."""
    w = tiny_weights()
    net = tiny_predict()
    del net.external_input[:]
    net.external_input.extend(["conv_w", "conv_b", "fc_w", "fc_b", "data"])
    from c2core.builder import init_net_from

    init = init_net_from(w)
    ph = init.op.add(type="ConstantFill", output=["data"])
    ph.arg.extend([make_arg("shape", [1]), make_arg("value", 0.0)])
    (tmp_path / "m").mkdir()
    save_net(net, str(tmp_path / "m" / "predict_net.pb"))
    save_net(init, str(tmp_path / "m" / "init_net.pb"))
    m = open_model(str(tmp_path / "m"))
    assert m.data_inputs == ["data"]
    assert "data" not in m.parameter_names
    assert m.input_shapes() == {}
    from c2core.shapes import infer_shapes

    assert infer_shapes(m)["data"].shape is None
    assert infer_shapes(m, {"data": (1, 3, 8, 8)})["prob"].shape == (1, 10)
    from c2core.runtime import Predictor

    x = np.ones((2, 3, 8, 8), np.float32)
    assert Predictor(m).run({"data": x})["prob"].shape == (2, 10)


def _corrupt_pair(tmp_path):
    p, i = write_pair(tmp_path / "m")
    data = i.read_bytes()
    i.write_bytes(data[: len(data) // 2])
    return p, i


def test_corrupt_init_keeps_the_graph_api(tmp_path):
    p, i = _corrupt_pair(tmp_path)
    m = open_model(str(p))
    assert len(m.predict_net.op) == 4 and m.data_inputs == ["data"]
    assert any(w.startswith("init_net.pb: ") and "structure only" in w for w in m.warnings), m.warnings
    from c2core.draw import build_dot

    assert "Conv" in str(build_dot(m).to_string())  # drawing needs only the structure

    with pytest.raises(C2FormatError, match="truncated or corrupt") as e:
        from c2core.runtime import Predictor

        Predictor(m)
    assert os.path.basename(e.value.path) == "init_net.pb"


def test_corrupt_init_cli(tmp_path):
    p, i = _corrupt_pair(tmp_path)
    r = cli("info", p)
    assert r.returncode == 0, r.stderr
    assert "init_net.pb" in r.stderr + r.stdout and "structure only" in r.stderr + r.stdout
    r = cli("draw", p, "-o", tmp_path / "g.dot")
    assert r.returncode == 0 and "init_net.pb" in r.stderr and "structure only" in r.stderr, r.stderr
    x = tmp_path / "x.npy"
    np.save(x, np.ones((1, 3, 8, 8), np.float32))
    for args in (("run", p, "--input", x, "-o", tmp_path / "o.npz"), ("convert", p, "--to", "onnx", "-o", tmp_path / "o.onnx")):
        r = cli(*args)
        assert r.returncode == 2, (args, r.stderr)
        line = r.stderr.strip().splitlines()
        assert len(line) == 1 and line[0].startswith("error: ") and "init_net.pb" in line[0] and "truncated" in line[0], r.stderr
        assert not (tmp_path / "o.npz").exists() and not (tmp_path / "o.onnx").exists()


def test_minidb_byte_encoded_fp16_and_uint8(tmp_path):
    """BlobSerializer's byte_data form (caffe2_serialize_using_bytes_as_holder / _fp16_as_bytes)."""
    from c2core.io.minidb import Minidb

    half = np.array([[0.5, -1.25], [3.0, 65504.0]], np.float16)
    u8 = np.array([0, 7, 255], np.uint8)
    chunks = {}
    for name, a, dt in (("h", half, 12), ("u", u8, 6)):
        t = caffe2_pb2.TensorProto(name=name, data_type=dt, byte_data=a.tobytes())
        t.dims.extend(a.shape)
        t.segment.begin, t.segment.end = 0, a.size
        b = caffe2_pb2.BlobProto(name=name, type="Tensor")
        b.tensor.CopyFrom(t)
        chunks[name] = [b.SerializeToString()]
    db = Minidb("x.minidb", caffe2_pb2.NetDef(), None, None, [], [], [], chunks)
    np.testing.assert_array_equal(db.blob("h").array, half)
    np.testing.assert_array_equal(db.blob("u").array, u8)


def test_zero_byte_init_net_is_an_empty_init_net(tmp_path):
    """An init net with no ops and no name serializes to 0 bytes (save_model writes it so for
    a model whose init net is empty): it is an empty NetDef, as Caffe2 reads it, not a
    broken file; every command used to refuse the pair with 'init_net.pb: file is empty'."""
    b = NetBuilder("relu_only")
    b.op("Relu", "data", "y")
    b.inputs("data").outputs("y")
    (tmp_path / "m").mkdir()
    save_net(b.net, str(tmp_path / "m" / "predict_net.pb"))
    save_net(caffe2_pb2.NetDef(), str(tmp_path / "m" / "init_net.pb"))
    assert os.path.getsize(tmp_path / "m" / "init_net.pb") == 0
    m = open_model(str(tmp_path / "m"))
    assert m.init_path == str(tmp_path / "m" / "init_net.pb") and not m.weights
    assert any("init net holds no ops" in w for w in m.warnings)
    x = np.linspace(-2, 2, 12, dtype=np.float32).reshape(3, 4)
    np.save(tmp_path / "x.npy", x)
    r = cli("run", tmp_path / "m", "--input", f"data={tmp_path / 'x.npy'}", "-o", tmp_path / "o.npz")
    assert r.returncode == 0, r.stderr
    np.testing.assert_array_equal(np.load(tmp_path / "o.npz")["y"], np.maximum(x, 0))
    with pytest.raises(C2FormatError, match="file is empty"):  # an empty file given as THE net stays refused
        open_model(str(tmp_path / "m" / "init_net.pb"))


def test_init_net_that_only_names_itself_is_an_empty_init_net(tmp_path):
    """`core.Net("init")` of a weightless model serializes to its name only: it was refused as
    'not a Caffe2 NetDef (parsed, but holds no ops...)' on every command."""
    b = NetBuilder("relu_only")
    b.op("Relu", "data", "y")
    b.inputs("data").outputs("y")
    (tmp_path / "m").mkdir()
    save_net(b.net, str(tmp_path / "m" / "predict_net.pb"))
    save_net(caffe2_pb2.NetDef(name="init"), str(tmp_path / "m" / "init_net.pb"))
    m = open_model(str(tmp_path / "m"))
    assert m.weights_error is None and any("init net holds no ops" in w for w in m.warnings)


def test_op_without_a_type_is_named(tmp_path):
    net = caffe2_pb2.NetDef(name="n")
    net.op.add(input=["data"], output=["y"])
    net.external_input.append("data")
    save_net(net, str(tmp_path / "predict_net.pb"))
    with pytest.raises(C2FormatError, match=r"op #0 has no type"):
        open_model(str(tmp_path / "predict_net.pb"))


def test_folder_with_a_second_predict_net_says_which_was_opened(tmp_path):
    """predict_net.pb beside a different predict_net.pbtxt: the .pb is opened, and the
    folder's other net is named (it was passed over silently)."""
    from c2core.builder import init_net_from

    other = NetBuilder("other")
    other.op("Sigmoid", "data", "y")
    other.inputs("data").outputs("y")
    (tmp_path / "m").mkdir()
    save_net(tiny_predict(), str(tmp_path / "m" / "predict_net.pb"))
    save_net(init_net_from(tiny_weights()), str(tmp_path / "m" / "init_net.pb"))
    save_net(other.net, str(tmp_path / "m" / "predict_net.pbtxt"))
    m = open_model(str(tmp_path / "m"))
    assert m.predict_path == str(tmp_path / "m" / "predict_net.pb")
    assert ("the folder also holds predict_net.pbtxt: opened predict_net.pb; give a file's path to open another"
            in m.warnings)
    assert not any("folder also holds" in w for w in open_model(str(tmp_path / "m" / "predict_net.pb")).warnings)


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16"])
def test_text_files_saved_by_windows_editors(tmp_path, encoding):
    """A .pbtxt with a byte-order mark (UTF-8 BOM, or UTF-16) was 'binary protobuf parse
    failed'; value_info.json / model.json / labels with a BOM were 'not valid JSON'."""
    from google.protobuf import text_format

    from c2core.builder import init_net_from
    from c2core.classify.labels import load_labels
    from c2core.io.sidecar import read_sidecar

    (tmp_path / "m").mkdir()
    text = text_format.MessageToString(tiny_predict()).replace("\n", "\r\n")
    (tmp_path / "m" / "predict_net.pbtxt").write_bytes(text.encode(encoding))
    save_net(init_net_from(tiny_weights()), str(tmp_path / "m" / "init_net.pb"))
    (tmp_path / "m" / "value_info.json").write_bytes('{"data": [1, [1, 3, 8, 8]]}'.encode(encoding if encoding != "utf-16" else "utf-8-sig"))
    (tmp_path / "m" / "model.json").write_bytes('{"preprocess": {"preset": "torchvision"}}'.encode("utf-8-sig"))
    (tmp_path / "l.txt").write_bytes("cat\ndog\n".encode("utf-8-sig"))
    m = open_model(str(tmp_path / "m"))
    assert m.formats["predict"] == "text" and list(m.predict_net.op) == list(tiny_predict().op)
    assert m.value_info == {"data": (1, [1, 3, 8, 8])} or m.value_info["data"][1] == [1, 3, 8, 8]
    assert read_sidecar(str(tmp_path / "m")).get("preprocess") == {"preset": "torchvision"}
    assert load_labels(str(tmp_path / "l.txt"))[:2] == ["cat", "dog"]
