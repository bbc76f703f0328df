"""Shape inference on the five zoo nets, from their value_info.json input shapes.

Weights are not in the corpus; tests/zoo_weights.py states them from the
published architectures. Expected activations are worked out by hand with
Caffe2's floor rule, e.g. AlexNet conv1 at 224: (224 - 11) // 4 + 1 = 54.
"""

import time

import pytest

from c2core.io import open_model
from c2core.shapes import infer_shapes, infer_shapes_versioned
from tests.zoo_weights import spec_model

NETS = ["bvlc_alexnet", "densenet121", "inception_v1", "resnet50", "vgg19"]


def _open(corpus_dir, net):
    d = corpus_dir / net
    m = open_model(str(d / "predict_net.pbtxt"), value_info=str(d / "value_info.json"), structure_only=True)
    return m


@pytest.fixture(scope="module")
def zoo(corpus_dir):
    return {n: spec_model(_open(corpus_dir, n), n) for n in NETS}


@pytest.mark.parametrize("net", NETS)
def test_every_output_known(zoo, net):
    m = zoo[net]
    per_op = infer_shapes_versioned(m)
    assert len(per_op) == len(m.predict_net.op)
    unknown = [(op.type, list(op.output)) for op, outs in zip(m.predict_net.op, per_op) if not all(o.known for o in outs)]
    assert unknown == []
    infos = infer_shapes(m)
    for name in m.external_outputs:
        assert infos[name].shape in ((1, 1000), (1, 1000, 1, 1)) and infos[name].dtype == "float32"


EXPECTED = {
    "bvlc_alexnet": {
        "conv1": (1, 96, 54, 54), "pool1": (1, 96, 26, 26), "conv2": (1, 256, 26, 26), "pool2": (1, 256, 12, 12),
        "conv5": (1, 256, 12, 12), "pool5": (1, 256, 6, 6), "fc6": (1, 4096), "fc8": (1, 1000), "prob": (1, 1000),
    },
    "vgg19": {
        "conv1_2": (1, 64, 224, 224), "pool1": (1, 64, 112, 112), "conv3_4": (1, 256, 56, 56),
        "pool5": (1, 512, 7, 7), "fc6": (1, 4096), "prob": (1, 1000),  # fc6 reads 512*7*7 = 25088 features
    },
    "resnet50": {  # the residual Sum writes in place into resX_Y_branch2c_bn
        "gpu_0/conv1": (1, 64, 112, 112), "gpu_0/pool1": (1, 64, 56, 56), "gpu_0/res2_2_branch2c_bn": (1, 256, 56, 56),
        "gpu_0/res3_3_branch2c_bn": (1, 512, 28, 28), "gpu_0/res4_5_branch2c_bn": (1, 1024, 14, 14),
        "gpu_0/res5_2_branch2c_bn": (1, 2048, 7, 7), "gpu_0/pool5": (1, 2048, 1, 1), "gpu_0/pred": (1, 1000),
        "gpu_0/softmax": (1, 1000),
    },
    # The zoo's GoogLeNet pools use Caffe2's floor rule (no legacy_pad): 112 -> 55 -> 27 -> 13 -> 6,
    # and its last AveragePool pads bottom/right by 1 so the 7x7 window fits the 6x6 map.
    "inception_v1": {
        "conv1/7x7_s2": (1, 64, 112, 112), "pool1/3x3_s2": (1, 64, 55, 55), "conv2/3x3": (1, 192, 55, 55),
        "pool2/3x3_s2": (1, 192, 27, 27), "inception_3a/output": (1, 256, 27, 27),
        "inception_3b/output": (1, 480, 27, 27), "pool3/3x3_s2": (1, 480, 13, 13),
        "inception_4a/output": (1, 512, 13, 13), "inception_4e/output": (1, 832, 13, 13),
        "pool4/3x3_s2": (1, 832, 6, 6), "inception_5b/output": (1, 1024, 6, 6),
        "pool5/7x7_s1": (1, 1024, 1, 1), "loss3/classifier": (1, 1000), "prob": (1, 1000),
    },
    # DenseNet-121: 64 + 6*32 = 256, /2 + 12*32 = 512, /2 + 24*32 = 1024, /2 + 16*32 = 1024
    "densenet121": {
        "conv1": (1, 64, 112, 112), "pool1": (1, 64, 56, 56), "concat_2_1": (1, 96, 56, 56),
        "concat_2_6": (1, 256, 56, 56), "conv2_blk": (1, 128, 56, 56), "concat_3_12": (1, 512, 28, 28),
        "concat_4_24": (1, 1024, 14, 14), "concat_5_16": (1, 1024, 7, 7), "fc6": (1, 1000, 1, 1),
    },
}


@pytest.mark.parametrize("net", NETS)
def test_hand_computed_shapes(zoo, net):
    infos = infer_shapes(zoo[net])
    got = {k: infos[k].shape for k in EXPECTED[net]}
    assert got == EXPECTED[net]


def test_concat_split_info(zoo):
    infos = infer_shapes(zoo["densenet121"])
    assert infos["_concat_5_16_dims"].shape == (2,) and infos["_concat_5_16_dims"].dtype == "int32"


def test_structure_only_nets_keep_spatial_sizes(corpus_dir):
    # without weights the channel count is -1 but every spatial size is still known
    m = _open(corpus_dir, "bvlc_alexnet")
    infos = infer_shapes(m)
    assert infos["conv1"].shape == (1, -1, 54, 54)
    assert infos["pool5"].shape == (1, -1, 6, 6)
    assert infos["prob"].shape == (1, -1)


def test_input_shape_argument_overrides_value_info(zoo):
    infos = infer_shapes(zoo["resnet50"], {"gpu_0/data": (4, 3, 224, 224)})
    assert infos["gpu_0/softmax"].shape == (4, 1000)
    infos = infer_shapes(zoo["bvlc_alexnet"], {"data": (1, 3, 227, 227)})
    assert infos["conv1"].shape == (1, 96, 55, 55) and infos["pool5"].shape == (1, 256, 6, 6)


@pytest.mark.perf  # asserts wall-clock time
def test_densenet_inference_is_fast(zoo):
    m = zoo["densenet121"]
    best = min(_timed(lambda: infer_shapes_versioned(m)) for _ in range(5))
    assert best < 0.1, f"densenet121 inference took {best * 1000:.1f} ms"


def _timed(fn):
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t
