"""Bad input to every subcommand: exit 2 and exactly one stderr line
`error: <file>: <reason>`, where <file> is the file at fault or, for a wrong
option value, the option (`--backend`). No traceback, nothing else on stderr
(no progress lines before the error).

Each case is one that once broke the rule (a traceback, a progress line first,
or an error naming no file) or stands for a kind of mistake of its command.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from c2core.cli.main import main
from c2core.io.save import save_model
from tests.references.tiny_classifier import tiny_classifier


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("bad_input")
    m, _ = tiny_classifier()
    save_model(m, str(d / "pair"))
    (d / "pair" / "value_info.json").write_text(json.dumps({"data": [1, [1, 3, 8, 8]]}))
    garbage = np.random.default_rng(0).integers(0, 256, 3000, dtype=np.uint8).tobytes()
    (d / "garbage.pb").write_bytes(garbage)
    (d / "garbage.onnx").write_bytes(garbage)
    (d / "text.npy").write_text("not numpy")
    (d / "notimage.png").write_text("not an image")
    np.save(d / "x.npy", np.zeros((1, 3, 8, 8), np.float32))
    np.save(d / "wrongshape.npy", np.zeros((1, 4, 8, 8), np.float32))
    (d / "folder").mkdir()
    (d / "afile").write_text("a file where a folder is needed")
    (d / "bad.yaml").write_text("jobs: [ {model: 1, to: nowhere ")
    from PIL import Image

    Image.fromarray(np.zeros((10, 12, 3), np.uint8)).save(d / "ok.png")
    return d


def _tensorrt_missing():
    from c2core.backends.tensorrt import trt_availability

    return not trt_availability().ok


# id: (argv with {d} for the files folder, the <file> the line must name, a phrase of the reason)
CASES = {
    "info-garbage": ("info {d}/garbage.pb", "{d}/garbage.pb", "not a Caffe2 NetDef"),
    "info-input-shape": ("info {d}/pair --input-shape data=1,a", "--input-shape", "must be integers"),
    "draw-missing": ("draw {d}/nosuch.pb -o {d}/g.svg", "{d}/nosuch.pb", "no such file"),
    "run-output-is-folder": ("run {d}/pair -i {d}/x.npy -o {d}/folder", "{d}/folder", "is a folder"),
    "run-text-npy": ("run {d}/pair -i {d}/text.npy -o {d}/o.npz", "{d}/text.npy", "not a .npy file"),
    "run-output-under-file": ("run {d}/pair -i {d}/x.npy -o {d}/afile/o.npz", "{d}/afile", "cannot create"),
    "convert-output-is-folder": ("convert {d}/pair -o {d}/folder", "{d}/folder", "is a folder"),
    "convert-unknown-input-name": ("convert {d}/pair -o {d}/o.onnx --input-shape zzz=1,3,8,8", "--input-shape",
                                   "not data inputs"),
    "convert-input-wrong-shape": ("convert {d}/pair -o {d}/o.onnx --input {d}/wrongshape.npy", "{d}/wrongshape.npy",
                                  "has shape [1, 4, 8, 8]"),
    "convert-openvino-int8": ("convert {d}/pair --to openvino -o {d}/o.xml --precision int8", "--calib",
                              "needs --calib DIR"),
    "convert-onnx-fp16": ("convert {d}/pair -o {d}/o.onnx --precision fp16", "--precision", "fp32"),
    "import-garbage": ("import {d}/garbage.onnx -o {d}/imported", "{d}/garbage.onnx", "not an ONNX model"),
    "import-input-shape": ("import {d}/garbage.onnx -o {d}/imported --input-shape x", "--input-shape", "NAME=D0,D1"),
    "zoo-unknown": ("zoo build resnet9000 -o {d}/zoo", "resnet9000", "unknown zoo model"),
    "zoo-output-under-file": ("zoo build efficientnet-lite0 -o {d}/afile/zoo", "{d}/afile/zoo", "cannot create"),
    "classify-non-image": ("classify {d}/pair {d}/notimage.png", "{d}/notimage.png", "not an image"),
    "classify-unknown-backend": ("classify {d}/pair {d}/ok.png --backend nosuch", "--backend", "unknown backend"),
    "classify-top-0": ("classify {d}/pair {d}/ok.png --top 0", "--top", "at least 1"),
    "classify-garbage-onnx": ("classify {d}/garbage.onnx {d}/ok.png --backend onnxruntime", "{d}/garbage.onnx",
                              "not an ONNX model"),
    "compare-garbage-onnx": ("compare {d}/garbage.onnx", "{d}/garbage.onnx", "not an ONNX model"),
    "compare-unknown-reference": ("compare {d}/pair --reference nosuch", "--reference", "unknown backend"),
    "compare-input-wrong-shape": ("compare {d}/pair --input {d}/wrongshape.npy", "{d}/wrongshape.npy",
                                  "has shape [1, 4, 8, 8]"),
    "compare-batch-0": ("compare {d}/pair --batch 0", "--batch", "at least 1"),
    "bench-garbage-onnx": ("bench {d}/garbage.onnx --runs 1 --warmup 0", "{d}/garbage.onnx", "not an ONNX model"),
    "bench-runs-0": ("bench {d}/pair --runs 0", "--runs", "at least 1"),
    "bench-bad-precision": ("bench {d}/pair --backends c2:int8", "--backends", "no precision 'int8'"),
    "bench-int8-no-calib": ("bench {d}/pair --backends openvino:int8", "--calib", "give --calib DIR"),
    "netron-garbage-onnx": ("netron {d}/garbage.onnx", "{d}/garbage.onnx", "not an ONNX model"),
    "batch-folder": ("batch {d}/folder", "{d}/folder", "is a folder"),
    "batch-bad-yaml": ("batch {d}/bad.yaml", "{d}/bad.yaml", "not valid YAML"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_one_error_line_naming_the_file(files, capsys, case):
    argv, where, reason = (s.replace("{d}", str(files)) for s in CASES[case])
    rc = main(argv.split())
    err = capsys.readouterr().err
    assert rc == 2, err
    lines = err.splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    assert lines[0].startswith(f"error: {where}: "), lines[0]
    assert reason in lines[0], lines[0]


@pytest.mark.skipif(not _tensorrt_missing(), reason="TensorRT is installed here")
def test_tensorrt_target_without_tensorrt_names_the_option(files, capsys):
    assert main(["convert", str(files / "pair"), "--to", "tensorrt", "-o", str(files / "o.plan")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: --to: TensorRT is not available here") and err.count("\n") == 1


def test_with_path_keeps_a_named_file_and_the_error_type():
    from c2core.errors import C2Error, UnsupportedOpsError, about

    with pytest.raises(UnsupportedOpsError) as e, about("model.pb"):
        raise UnsupportedOpsError(["A", "B"])
    assert str(e.value) == "model.pb: 2 op type(s) not supported by the executor: A, B" and e.value.ops == ["A", "B"]
    with pytest.raises(C2Error) as e, about("--backend"):
        raise C2Error("bad", "x.npy")
    assert e.value.path == "x.npy" and str(e.value) == "x.npy: bad"
