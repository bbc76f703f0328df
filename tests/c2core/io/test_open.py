"""Opening models: every pairing name scheme, init picked, folders, text/binary mixes, minidb."""


import numpy as np
import pytest

from c2core.io import open_model
from c2core.io.save import save_net
from c2core.proto import caffe2_pb2

from caffe2_minidb_writer import write_records
from io_synthetic import tiny_predict, tiny_weights, write_pair


def _check_tiny(m):
    assert len(m.predict_net.op) == 4
    assert m.data_inputs == ["data"]
    w = m.weights
    assert set(w) == {"conv_w", "conv_b", "fc_w", "fc_b"}
    np.testing.assert_array_equal(w["conv_w"].array, tiny_weights()["conv_w"])
    assert m.warnings == []


SCHEMES = [
    ("predict_net.pb", "init_net.pb"),
    ("squeeze.pb", "squeeze_init.pb"),
    ("squeeze_predict_net.pb", "squeeze_init_net.pb"),
    ("model.pb", "model_init.pb"),
    ("X_predict.pb", "X_init.pb"),
]


@pytest.mark.parametrize("predict_name,init_name", SCHEMES)
@pytest.mark.parametrize("pick", ["predict", "init"])
def test_pairing_schemes_from_either_half(tmp_path, predict_name, init_name, pick):
    p, i = write_pair(tmp_path, predict_name, init_name)
    m = open_model(str(p if pick == "predict" else i))
    assert m.predict_path == str(p) and m.init_path == str(i)
    _check_tiny(m)


@pytest.mark.parametrize("pext,iext", [(".pbtxt", ".pb"), (".pb", ".pbtxt"), (".pbtxt", ".pbtxt")])
def test_text_and_binary_mixes(tmp_path, pext, iext):
    p, i = write_pair(tmp_path, "predict_net" + pext, "init_net" + iext)
    m = open_model(str(p))
    assert m.formats == {"predict": "text" if pext == ".pbtxt" else "binary",
                         "init": "text" if iext == ".pbtxt" else "binary"}
    _check_tiny(m)


def test_init_and_predict_told_apart_by_content_not_name(tmp_path):
    # Names say nothing: the opener reads both and picks the init net by its ops.
    p, i = write_pair(tmp_path, "a.pb", "b.pb")
    m = open_model(str(p), init_path=str(i))
    _check_tiny(m)
    m2 = open_model(str(tmp_path))  # folder: content decides which is which
    assert m2.predict_path == str(p) and m2.init_path == str(i)


def test_folder(tmp_path):
    p, i = write_pair(tmp_path / "zoo_model", "predict_net.pb", "init_net.pb")
    (tmp_path / "zoo_model" / "value_info.json").write_text('{"data": [1, [1, 3, 8, 8]]}')
    m = open_model(str(tmp_path / "zoo_model"))
    _check_tiny(m)
    assert m.input_shapes() == {"data": (1, 3, 8, 8)}
    assert m.name == "tiny"


def test_predict_alone_is_structure_only(tmp_path):
    save_net(tiny_predict(), str(tmp_path / "net.pbtxt"))
    m = open_model(str(tmp_path / "net.pbtxt"))
    assert m.structure_only and m.init_net is None
    assert m.weights == {} and m.num_parameters == 0
    assert m.data_inputs == ["data"]  # weights sit in later input slots


def test_init_net_precreating_the_data_blob(tmp_path):
    w = dict(tiny_weights())
    w["data"] = np.zeros((1, 3, 8, 8), np.float32)  # example input filled by the init net
    p, _ = write_pair(tmp_path, weights=w)
    m = open_model(str(p))
    assert m.data_inputs == ["data"]
    assert "data" not in m.parameter_names
    assert m.input_shapes() == {"data": (1, 3, 8, 8)}


def _blob(tensor=None, content=None):
    b = caffe2_pb2.BlobProto()
    if tensor is not None:
        b.type = "Tensor"
        b.tensor.CopyFrom(tensor)
    else:
        b.type = "std::string"
        b.content = content
    return b.SerializeToString()


def _tensor(name, a):
    t = caffe2_pb2.TensorProto(name=name, data_type=1)
    t.dims.extend(a.shape)
    t.float_data.extend(a.ravel().tolist())
    return t


def write_minidb(path, predict, weights, inputs=("data",), outputs=("prob",)):
    """A predictor_exporter minidb: records of (int32 key len, int32 value len, key, value)."""
    meta = caffe2_pb2.MetaNetDef()
    e = meta.nets.add()
    e.key = "predict_net"
    e.value.CopyFrom(predict)
    for key, names in (("inputs_blob", inputs), ("outputs_blob", outputs)):
        bm = meta.blobs.add()
        bm.key = key
        bm.value.extend(names)
    records = [("!!META_NET_DEF", _blob(content=meta.SerializeToString()))]
    records += [(k, _blob(tensor=_tensor(k, a))) for k, a in weights.items()]
    write_records(path, records)


def test_minidb_written_by_hand(tmp_path):
    predict = tiny_predict()
    del predict.external_input[:]
    del predict.external_output[:]
    path = tmp_path / "model.minidb"
    write_minidb(path, predict, tiny_weights())
    m = open_model(str(path))
    assert m.formats == {"predict": "minidb", "init": "minidb"}
    assert m.external_inputs == ["data"] and m.external_outputs == ["prob"]
    assert m.data_inputs == ["data"]
    for k, a in tiny_weights().items():
        np.testing.assert_array_equal(m.weights[k].array, a)
    assert m.num_parameters == sum(a.size for a in tiny_weights().values())
    # a folder holding only the minidb opens it too
    assert len(open_model(str(tmp_path)).predict_net.op) == 4


def test_corpus_nets_open(corpus_dir):
    counts = {"bvlc_alexnet": 23, "densenet121": 668, "inception_v1": 142, "resnet50": 175, "vgg19": 45}
    for name, n in counts.items():
        m = open_model(str(corpus_dir / name))
        assert len(m.predict_net.op) == n
        assert m.formats == {"predict": "text"}
        assert len(m.data_inputs) == 1
        assert m.input_shapes()[m.data_inputs[0]] == (1, 3, 224, 224)
