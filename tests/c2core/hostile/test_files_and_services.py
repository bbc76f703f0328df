"""Hostile images, model.json sidecars, FIFOs, netron addresses, batch manifests and runs.

Reproducers from the audit of issue 13: each once gave a traceback, a hang,
gigabytes of memory, a file read or written where it must not be, or a
server open to the network without a word.
"""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
import time
import zlib

import numpy as np
import pytest

from c2core.errors import C2Error
from c2core.io.save import save_model
from tests.c2core.hostile.cli_run import cli as _cli
from tests.c2core.hostile.cli_run import error_line as _error
from tests.references.tiny_classifier import tiny_classifier


def _png_header_only(path, w, h, bit_depth=8, color_type=2):
    """A PNG whose header declares w x h and whose data is a few compressed bytes (a 'bomb')."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", w, h, bit_depth, color_type, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 1024))
                     + chunk(b"IEND", b""))


@pytest.fixture()
def model_dir(tmp_path):
    m, _ = tiny_classifier()
    d = tmp_path / "m"
    save_model(m, str(d))
    (d / "value_info.json").write_text('{"data": [1, [1, 3, 8, 8]]}')
    return d


def test_image_limits(tmp_path):
    from PIL import Image

    from c2core.preprocess.images import load_image

    Image.fromarray(np.zeros((1, 20000, 3), np.uint8)).save(tmp_path / "strip.png")  # the 99-byte 4.2 GB PNG
    Image.fromarray(np.zeros((1, 100000), np.uint8)).save(tmp_path / "strip2.png")
    _png_header_only(tmp_path / "big16.png", 13000, 13000, bit_depth=16, color_type=0)
    _png_header_only(tmp_path / "bomb.png", 60000, 60000)
    cases = {"strip.png": "20000x1 pixels: aspect ratio over 64:1", "strip2.png": "100000x1 pixels: aspect ratio",
             "big16.png": "13000x13000 pixels (169 megapixels), over the 64-megapixel limit",
             "bomb.png": "over the 64-megapixel limit"}
    for name, phrase in cases.items():
        t0 = time.perf_counter()
        with pytest.raises(C2Error, match=phrase.replace("(", r"\(").replace(")", r"\)")):
            load_image(str(tmp_path / name))
        assert time.perf_counter() - t0 < 2  # refused from the header, nothing decoded


def test_large_jpeg_decoded_at_reduced_scale(tmp_path, monkeypatch):
    from PIL import Image

    from c2core.preprocess import images

    img = np.zeros((200, 300, 3), np.uint8)
    img[:, 150:] = 255
    Image.fromarray(img).save(tmp_path / "big.jpg", quality=95)
    for limit, size in ((20000, (150, 100)), (5000, (75, 50))):  # the mildest DCT scale under the limit
        monkeypatch.setattr(images, "MAX_PIXELS", limit)
        im = images.load_image(str(tmp_path / "big.jpg"))
        assert im.size == size
        a = np.asarray(im, np.float32)
        w = size[0]
        assert a[:, : w * 4 // 10].mean() < 10 and a[:, w * 6 // 10:].mean() > 245  # the same picture, smaller


def test_fifo_named_jpg_is_refused_at_once(tmp_path, model_dir, capsys):
    fifo = tmp_path / "cat.jpg"
    os.mkfifo(fifo)
    t0 = time.perf_counter()
    rc, _, err = _cli(["classify", model_dir, fifo], capsys)
    assert rc == 2 and "not a regular file" in _error(err) and time.perf_counter() - t0 < 30
    npy_fifo = tmp_path / "x.npy"
    os.mkfifo(npy_fifo)
    rc, _, err = _cli(["run", model_dir, "-i", npy_fifo, "-o", tmp_path / "o.npz"], capsys)
    assert rc == 2 and "not a regular file" in _error(err)


def test_bomb_image_as_convert_input(tmp_path, model_dir, capsys):
    _png_header_only(tmp_path / "bomb.png", 60000, 60000)
    rc, _, err = _cli(["convert", model_dir, "-o", tmp_path / "m.onnx", "--input", tmp_path / "bomb.png"], capsys)
    line = _error(err)
    assert rc == 2 and "bomb.png" in line and "megapixel" in line
    assert not (tmp_path / "m.onnx").exists()


@pytest.mark.parametrize("pre, phrase", [
    ({"resize": 20000, "crop": 224}, "'resize' 20000 is outside 0..8192"),
    ({"resize": "big"}, "'resize' must be an integer"),
    ({"crop": 2.5}, "'crop' must be an integer"),
    ({"mean": [float("nan"), 0, 0]}, "finite numbers"),
    ({"scale": True}, "finite numbers"),
])
def test_model_json_preprocessing_values(tmp_path, model_dir, capsys, pre, phrase):
    from PIL import Image

    Image.fromarray(np.zeros((10, 12, 3), np.uint8)).save(tmp_path / "ok.png")
    (model_dir / "model.json").write_text(json.dumps({"preprocessing": pre}))
    rc, _, err = _cli(["classify", model_dir, tmp_path / "ok.png"], capsys)
    assert rc == 2 and phrase in _error(err)


@pytest.mark.parametrize("labels", ["/etc/passwd", "../outside.txt", "sub/../../outside.txt", "link.txt"])
def test_model_json_labels_confined(tmp_path, model_dir, capsys, labels):
    from PIL import Image

    (tmp_path / "outside.txt").write_text("secret\n" * 5)
    os.symlink(tmp_path / "outside.txt", model_dir / "link.txt")
    Image.fromarray(np.zeros((10, 12, 3), np.uint8)).save(tmp_path / "ok.png")
    (model_dir / "model.json").write_text(json.dumps({"labels": labels, "preprocessing": "torchvision"}))
    rc, out, err = _cli(["classify", model_dir, tmp_path / "ok.png"], capsys)
    line = _error(err)
    assert rc == 2 and ("inside the model's folder" in line or "outside the model's folder" in line), line
    assert "root:" not in out and "secret" not in out


def test_model_json_labels_inside_folder_still_work(tmp_path, model_dir, capsys):
    from PIL import Image

    (model_dir / "classes.txt").write_text("\n".join(f"class{i}" for i in range(5)) + "\n")
    (model_dir / "model.json").write_text(json.dumps({"labels": "classes.txt", "preprocessing": "torchvision"}))
    Image.fromarray(np.zeros((10, 12, 3), np.uint8)).save(tmp_path / "ok.png")
    rc, out, err = _cli(["classify", model_dir, tmp_path / "ok.png"], capsys)
    assert rc == 0, err
    assert "class" in out


# ---------------------------------------------------------------- netron
@pytest.mark.parametrize("args, phrase", [
    (["--host", "::"], "error: --host: '::' is an IPv6 address"),
    (["--host", "no-such-host.invalid"], "error: --host: cannot resolve host"),
    (["--port", "70000"], "error: --port: port 70000 is outside 0..65535"),
    (["--port", "-1"], "error: --port: port -1 is outside"),
])
def test_netron_bad_addresses(model_dir, capsys, args, phrase):
    rc, _, err = _cli(["netron", model_dir, *args], capsys)
    assert rc == 2 and _error(err).startswith(phrase)


def test_netron_loopback_default_and_loud_warning_otherwise(model_dir):
    from c2core.netron_server import NetronServer, check_address

    assert check_address("localhost", None) and check_address("127.0.0.1", 8080)
    assert not check_address("0.0.0.0", None)
    with NetronServer(str(model_dir)) as srv:
        srv.start()
        assert srv.loopback and srv.host == "localhost"
    env = dict(os.environ, PYTHONPATH=os.getcwd())
    p = subprocess.Popen([sys.executable, "-m", "c2core.cli.main", "netron", str(model_dir), "--host", "0.0.0.0"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        url = p.stdout.readline()
        assert url.startswith("http://0.0.0.0:")
    finally:
        p.terminate()
        _, err = p.communicate(timeout=30)
    assert "WARNING: serving on 0.0.0.0, which is reachable from other machines" in err


# ---------------------------------------------------------------- batch
def _manifest(tmp_path, model_dir, jobs, output_dir="out"):
    p = tmp_path / "manifest.yaml"
    import yaml

    p.write_text(yaml.safe_dump({"output_dir": output_dir, "defaults": {"verify": False}, "jobs": jobs}))
    return p


@pytest.mark.parametrize("job, phrase", [
    ({"name": "../../evil"}, "must be a plain name"),
    ({"name": "a/b"}, "must be a plain name"),
    ({"output": "/tmp/evil.onnx"}, "must be a file name relative to output_dir"),
    ({"output": "../evil.onnx"}, "points outside output_dir"),
    ({"output": "sub/../../evil.onnx"}, "points outside output_dir"),
    ({"output": ".c2batch/x.onnx"}, "inside the batch state folder"),
    ({"extra_args": ["-o", "/elsewhere.onnx"]}, "extra_args may not contain '-o'"),
    ({"extra_args": ["--output=/elsewhere.onnx"]}, "extra_args may not contain '--output=/elsewhere.onnx'"),
    ({"extra_args": ["--out", "x"]}, "extra_args may not contain '--out'"),
    ({"extra_args": ["--to", "openvino"]}, "extra_args may not contain '--to'"),
    ({"extra_args": "--keep-failed"}, "'extra_args' must be a list of strings"),
    ({"extra_args": [{"a": 1}]}, "extra_args must be a list of strings"),
    ({"opset": "17"}, "'opset' must be an integer"),
    ({"verify": "yes"}, "'verify' must be true or false"),
    ({"rtol": [1]}, "'rtol' must be a number"),
    ({"retries": 1000}, "'retries' must be 0..10"),
    ({"input_shape": {"data": "1,3"}}, "input_shape must map input names to lists of positive integers"),
    ({"input_shape": [1, 3]}, "'input_shape' must be a mapping"),
    ({"model": ["a"]}, "'model' must be a path"),
])
def test_batch_manifest_confined_and_typed(tmp_path, model_dir, capsys, job, phrase):
    m = _manifest(tmp_path, model_dir, [{"model": "m", **job}])
    rc, _, err = _cli(["batch", m], capsys)
    line = _error(err)
    assert rc == 2 and phrase in line, line
    assert not (tmp_path.parent / "evil").exists() and not (tmp_path / "evil.onnx").exists()


def test_batch_duplicate_outputs_refused(tmp_path, model_dir, capsys):
    m = _manifest(tmp_path, model_dir, [{"model": "m", "name": "a", "output": "x.onnx"},
                                        {"model": "m", "name": "b", "output": "x.onnx"}])
    rc, _, err = _cli(["batch", m], capsys)
    assert rc == 2 and "is also job 'a''s output" in _error(err)


def test_batch_lock_one_run_per_output_folder(tmp_path, model_dir):
    from c2core.batch.lock import batch_lock

    out = tmp_path / "out"
    with batch_lock(str(out)):
        with pytest.raises(C2Error, match=r"another c2core batch \(pid \d+\) is running on this output folder"):
            with batch_lock(str(out)):
                pass
        with pytest.raises(C2Error, match="another c2core batch"):
            with batch_lock(str(out), ["a"]):
                pass
    with batch_lock(str(out), ["a"]):
        with batch_lock(str(out), ["b"]):  # --index pods: different jobs side by side
            with pytest.raises(C2Error, match="job 'a' is already being run"):
                with batch_lock(str(out), ["a"]):
                    pass
            with pytest.raises(C2Error, match="another c2core batch"):
                with batch_lock(str(out)):
                    pass
    with batch_lock(str(out)):  # released: free again
        pass


def test_batch_second_run_refused_while_first_runs(tmp_path, model_dir):
    """Two real `c2core batch` processes on one folder: the second stops at once, the first succeeds."""
    m = _manifest(tmp_path, model_dir, [{"model": "m", "name": f"j{i}"} for i in range(3)])
    env = dict(os.environ, PYTHONPATH=os.getcwd())
    cmd = [sys.executable, "-m", "c2core.cli.main", "batch", str(m), "-j", "1", "--json"]
    first = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    lock = tmp_path / "out" / ".c2batch.locks" / "all"
    deadline = time.time() + 60
    while time.time() < deadline and not (lock.exists() and lock.read_text().strip()):
        time.sleep(0.05)
    second = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120)
    out, err = first.communicate(timeout=600)
    assert first.returncode == 0, err
    assert second.returncode == 2 and "another c2core batch" in second.stderr.strip().splitlines()[-1]
    assert "Traceback" not in second.stderr
    assert {r["status"] for r in json.loads(out)} == {"succeeded"}
    assert sorted(p.name for p in (tmp_path / "out").glob("*.onnx")) == ["j0.onnx", "j1.onnx", "j2.onnx"]
    assert not [n for n in os.listdir(tmp_path / "out") if n.endswith(".part")]


# ---------------------------------------------------------------- bench worker
def test_bench_worker_engine_exception_is_its_error_line(model_dir, monkeypatch, capfd):
    from c2core import benchmark

    def boom(*a, **k):
        raise RuntimeError("engine exploded\nwith detail")

    monkeypatch.setattr(benchmark, "bench_in_process", boom)
    rc = benchmark._worker({"model": str(model_dir), "spec": "c2", "batch": 1, "runs": 1, "warmup": 0})
    out, err = capfd.readouterr()
    assert rc == 0 and "Traceback" not in err
    res = json.loads(out.strip().splitlines()[-1])
    assert res["status"] == "failed" and res["error"] == "RuntimeError: engine exploded"
