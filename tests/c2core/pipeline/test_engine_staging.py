"""c2core.pipeline stages every engine target the same way: the ONNX export and the
artifact live in a folder beside the output, only finished files are moved into
place, and the folder is gone afterwards, also on failure. TensorRT's build is
replaced by a stand-in here (no GPU needed) to check that shared path."""

import json
import os

import pytest

from c2core import pipeline
from c2core.backends.base import Availability
from c2core.errors import C2Error
from tests.references.tiny_classifier import tiny_classifier


@pytest.fixture
def fake_trt(monkeypatch):
    from c2core.backends import tensorrt

    seen = {}

    def build_plan(onnx_path, plan, precision, **kw):
        seen["onnx_exists"] = os.path.isfile(onnx_path)
        seen["stage"] = os.path.dirname(plan)
        with open(plan, "wb") as f:
            f.write(b"plan bytes")
        with open(tensorrt.sidecar_path(plan), "w") as f:
            json.dump({"precision": precision}, f)
        if precision == "fp16":
            raise C2Error("stand-in build failure")
        return {"precision": precision}

    monkeypatch.setattr(tensorrt, "trt_availability", lambda: Availability(True))
    monkeypatch.setattr(tensorrt, "build_plan", build_plan)
    return seen


def test_tensorrt_staging_moves_finished_files_and_cleans_up(tmp_path, fake_trt):
    m, _ = tiny_classifier()
    out = tmp_path / "m.plan"
    res = pipeline.to_tensorrt(m, str(out), precision="fp32", verify=False, input_shapes={"data": (1, 3, 8, 8)})
    assert fake_trt["onnx_exists"]
    assert res.outputs == [str(out), str(out) + ".json"] and res.details == {"plan": {"precision": "fp32"}}
    assert out.read_bytes() == b"plan bytes" and json.loads((tmp_path / "m.plan.json").read_text()) == {"precision": "fp32"}
    assert not os.path.exists(fake_trt["stage"])
    assert sorted(os.listdir(tmp_path)) == ["m.plan", "m.plan.json"]


def test_tensorrt_failed_build_leaves_nothing(tmp_path, fake_trt):
    m, _ = tiny_classifier()
    with pytest.raises(C2Error, match="stand-in build failure"):
        pipeline.to_tensorrt(m, str(tmp_path / "m.plan"), precision="fp16", verify=False,
                           input_shapes={"data": (1, 3, 8, 8)})
    assert not os.path.exists(fake_trt["stage"])
    assert os.listdir(tmp_path) == []
