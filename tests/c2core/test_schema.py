"""ops.json: well-formed, covers the corpus and fill ops, defaults match Caffe2's sources."""

import json
import pathlib
import re

import pytest

from c2core import schema
from c2core.fills import FILL_OPS

PATH = pathlib.Path(schema.__file__).with_name("ops.json")
ARG_TYPES = {"int", "float", "string", "ints", "floats", "strings", "net", "nets", "tensor"}


def test_json_well_formed():
    data = json.loads(PATH.read_text(encoding="utf-8"))
    assert data["version"] == 1
    ops = data["ops"]
    assert len(ops) >= 150
    for name, s in ops.items():
        assert re.fullmatch(r"[A-Za-z0-9_]+", name)
        assert s["category"] in schema.CATEGORIES, name
        assert isinstance(s["doc"], str) and s["doc"] and "\n" not in s["doc"], name
        for slot in s["inputs"] + s["outputs"]:
            assert isinstance(slot["name"], str) and slot["name"]
            assert isinstance(slot["optional"], bool)
        assert isinstance(s.get("inplace", False), bool)
        for arg, spec in s["args"].items():
            assert spec["type"] in ARG_TYPES, (name, arg)
            if "default" in spec:
                d = spec["default"]
                ok = {
                    "int": lambda v: isinstance(v, int) and not isinstance(v, bool),
                    "float": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
                    "string": lambda v: isinstance(v, str),
                    "ints": lambda v: isinstance(v, list) and all(isinstance(x, int) for x in v),
                    "floats": lambda v: isinstance(v, list) and all(isinstance(x, (int, float)) for x in v),
                }.get(spec["type"], lambda v: True)
                assert ok(d), (name, arg, d)


def test_generator_and_json_agree():
    from c2core.schema import build_ops

    assert json.loads(PATH.read_text(encoding="utf-8")) == json.loads(json.dumps(build_ops.build()))


def test_corpus_ops_present(corpus_dir):
    types = set()
    for p in corpus_dir.glob("*/predict_net.pbtxt"):
        types |= set(re.findall(r'^\s*type: "(\w+)"', p.read_text(), flags=re.M))
    assert types and types <= schema.known_op_types()


def test_fill_ops_and_families_present():
    required = set(FILL_OPS) | {
        "Conv", "ConvTranspose", "FC", "FCTransposed", "Relu", "LeakyRelu", "PRelu", "Elu", "Sigmoid", "Tanh",
        "Softplus", "Clip", "Swish", "MaxPool", "AveragePool", "LpPool", "MaxPool1D", "MaxPool2D", "MaxPool3D",
        "SpatialBN", "LRN", "InstanceNorm", "LayerNorm", "GroupNorm", "Softmax", "Concat", "Split", "Sum", "Add",
        "Sub", "Mul", "Div", "Pow", "Max", "Min", "Dropout", "Reshape", "Flatten", "FlattenToVec", "Transpose",
        "Squeeze", "ExpandDims", "Slice", "Gather", "ChannelShuffle", "ResizeNearest", "UpsampleBilinear",
        "PadImage", "Copy", "Alias", "StopGradient", "EnsureCPUOutput", "Cast", "Scale", "Shape", "ReduceMean",
        "ReduceSum", "ReduceMax", "ReduceMin", "ReduceFrontSum", "ReduceBackSum", "ReduceFrontMean",
        "ReduceBackMean", "ArgMax", "ArgMin", "BatchMatMul", "MatMul", "Exp", "Log", "Sqrt", "Abs", "Negative",
        "NCHW2NHWC", "NHWC2NCHW", "Int8Conv", "Int8ConvRelu", "Int8FC", "Int8Sum", "Int8SumRelu", "Int8Add",
        "Int8Quantize", "Int8Dequantize", "Int8AveragePool", "Int8MaxPool", "Int8Softmax", "Int8Relu",
        "Int8Reshape", "Int8Flatten", "Int8Concat", "RoIAlign", "GenerateProposals", "BBoxTransform",
        "BoxWithNMSLimit", "If", "While", "RecurrentNetwork", "IsEmpty", "Accuracy", "LabelCrossEntropy",
        "AveragedLoss", "Where", "Not", "And", "Or", "EQ", "LT", "GT", "ATen",
    }
    assert required - schema.known_op_types() == set()


@pytest.mark.parametrize(
    "op, arg, expected",
    [
        ("SpatialBN", "epsilon", 1e-5), ("SpatialBN", "is_test", 0), ("SpatialBN", "order", "NCHW"),
        ("LRN", "size", 0), ("LRN", "alpha", 0.0), ("LRN", "beta", 0.0), ("LRN", "bias", 1.0),
        ("Softmax", "axis", 1), ("FC", "axis", 1), ("FC", "axis_w", 1), ("Concat", "axis", 1),
        ("Conv", "legacy_pad", 0), ("Conv", "order", "NCHW"), ("Conv", "stride", 1), ("Conv", "pad", 0),
        ("Conv", "group", 1), ("Conv", "dilation", 1), ("MaxPool", "global_pooling", 0),
        ("Int8Conv", "order", "NHWC"), ("Int8Conv", "Y_zero_point", 0), ("LeakyRelu", "alpha", 0.01),
        ("Elu", "alpha", 1.0), ("Dropout", "ratio", 0.5), ("Dropout", "is_test", 0), ("Flatten", "axis", 1),
        ("LayerNorm", "epsilon", 1e-5), ("LayerNorm", "axis", 1), ("GroupNorm", "group", 32),
        ("InstanceNorm", "epsilon", 1e-5), ("ArgMax", "axis", -1), ("ArgMax", "keepdims", 1),
        ("ReduceMean", "keepdims", 1), ("ReduceFrontSum", "num_reduce_dim", 1), ("Add", "broadcast", 0),
        ("Add", "axis", -1), ("RoIAlign", "sampling_ratio", -1), ("RoIAlign", "spatial_scale", 1.0),
        ("GenerateProposals", "spatial_scale", 0.0625), ("GenerateProposals", "nms_thresh", 0.7),
        ("BBoxTransform", "weights", [1.0, 1.0, 1.0, 1.0]), ("BoxWithNMSLimit", "score_thresh", 0.05),
        ("BoxWithNMSLimit", "detections_per_im", 100), ("ResizeNearest", "width_scale", 1.0),
        ("ConstantFill", "dtype", 1), ("Scale", "scale", 1.0), ("Accuracy", "top_k", 1),
    ],
)
def test_defaults_match_caffe2(op, arg, expected):
    assert schema.arg_default(op, arg) == expected


def test_required_args_have_no_default():
    assert "default" not in schema.arg_spec("Conv", "kernel")
    assert "default" not in schema.arg_spec("Clip", "min")
    assert schema.arg_spec("Conv", "nonexistent") is None


def test_helpers():
    assert schema.input_names("Conv") == ["X", "filter", "bias"]
    assert schema.output_names("Concat") == ["concat_result", "split_info"]
    assert schema.slot_name("Conv", 1) == "filter"
    assert schema.slot_name("Sum", 2) == "data_2" and schema.slot_name("If", 1) == "inputs_0"
    assert schema.category("Conv") == "Layer" and schema.category("NoSuchOp") == "Unknown"
    assert schema.category("GivenTensorFill") == "Data" and schema.category("Relu") == "Activation"
