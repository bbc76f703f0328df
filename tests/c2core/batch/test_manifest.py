"""Batch manifests: parsing, defaults, validation errors that name the file."""

import pytest

from c2core.batch import load_manifest
from c2core.errors import C2Error


def write(tmp_path, text):
    p = tmp_path / "manifest.yaml"
    p.write_text(text)
    return p


def test_defaults_apply_and_jobs_override(tmp_path):
    (tmp_path / "m1").mkdir()
    p = write(tmp_path, """
output_dir: results
defaults: {to: onnx, opset: 13, rtol: 1.0e-3}
jobs:
  - model: m1
  - {name: second, model: m1/predict_net.pb, to: openvino, precision: fp16, opset: 17,
     input_shape: {data: [1, 3, 8, 8]}, dynamic_batch: true}
""")
    jobs, out = load_manifest(str(p))
    assert out == str(tmp_path / "results")
    a, b = jobs
    assert a.name == "m1" and a.output == str(tmp_path / "results" / "m1.onnx")
    assert a.convert_argv()[:6] == ["convert", str(tmp_path / "m1"), "--to", "onnx", "-o", a.output]
    assert "--opset" in a.convert_argv() and a.convert_argv()[a.convert_argv().index("--opset") + 1] == "13"
    assert b.output.endswith("second.xml")
    argv = b.convert_argv()
    assert ["--input-shape", "data=1,3,8,8"] == argv[argv.index("--input-shape"):argv.index("--input-shape") + 2]
    assert "--dynamic-batch" in argv and argv[argv.index("--precision") + 1] == "fp16"


def test_fingerprint_changes_with_options_and_files(tmp_path):
    d = tmp_path / "m"
    d.mkdir()
    (d / "predict_net.pb").write_bytes(b"x")
    p = write(tmp_path, "jobs:\n  - model: m\n")
    [j] = load_manifest(str(p))[0]
    f1 = j.fingerprint()
    j.opset = 18
    assert j.fingerprint() != f1
    j.opset = None
    assert j.fingerprint() == f1
    (d / "predict_net.pb").write_bytes(b"xy")
    assert j.fingerprint() != f1


@pytest.mark.parametrize("text, needle", [
    ("jobs: [", "not valid YAML"),
    ("- a\n- b\n", "'jobs' list"),
    ("jobs: []\n", "no jobs"),
    ("jobs:\n  - {name: x}\n", "needs a 'model'"),
    ("jobs:\n  - {model: a, colour: red}\n", "unknown key(s) colour"),
    ("jobs:\n  - {model: a, to: caffe}\n", "unknown target 'caffe'"),
    ("jobs:\n  - {model: a}\n  - {model: b/a}\n", "duplicate name 'a'"),
])
def test_bad_manifests_are_one_line_errors(tmp_path, text, needle):
    p = write(tmp_path, text)
    with pytest.raises(C2Error) as e:
        load_manifest(str(p))
    assert needle in str(e.value)
    assert str(p) in str(e.value)
    assert "\n" not in str(e.value)


def test_missing_manifest(tmp_path):
    with pytest.raises(C2Error, match="no such manifest"):
        load_manifest(str(tmp_path / "nope.yaml"))
