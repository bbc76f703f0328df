"""`c2core batch` end to end: real conversions in worker processes.

Covers the summary, a failing model reported with its reason, resume after a
finished run, a worker killed mid-conversion (retried, nothing half-written),
and the whole batch killed then resumed.
"""

import json
import os
import pathlib
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from c2core.builder import NetBuilder, model_from
from c2core.io.save import save_model


def _tiny(path, seed):
    b = NetBuilder(f"m{seed}").inputs("data", "w", "b").outputs("prob")
    b.op("Conv", ["data", "w", "b"], "conv", kernel=3, pad=1)
    b.op("Relu", "conv", "conv")
    b.op("AveragePool", "conv", "pool", global_pooling=1)
    b.op("Softmax", "pool", "prob")
    rng = np.random.default_rng(seed)
    m = model_from(b.net, {"w": rng.standard_normal((4, 3, 3, 3)).astype(np.float32), "b": np.zeros(4, np.float32)})
    save_model(m, str(path))
    (path / "value_info.json").write_text(json.dumps({"data": [1, [1, 3, 8, 8]]}))


@pytest.fixture
def zoo(tmp_path):
    for i in range(3):
        _tiny(tmp_path / f"m{i}", i)
    bad = tmp_path / "broken"
    bad.mkdir()
    (bad / "predict_net.pb").write_bytes(b"\x12\xff\xff garbage")
    (tmp_path / "manifest.yaml").write_text(
        "output_dir: out\ndefaults: {to: onnx, opset: 17}\njobs:\n"
        "  - model: m0\n  - model: m1\n  - model: broken\n  - {model: m2, dynamic_batch: true}\n")
    return tmp_path


def _batch(zoo, *extra, timeout=300):
    return subprocess.run([sys.executable, "-m", "c2core.cli.main", "batch", str(zoo / "manifest.yaml"), *extra],
                          capture_output=True, text=True, timeout=timeout)


def _leftovers(out):
    return [n for n in os.listdir(out) if n.endswith(".part")]


def test_batch_summary_failure_reason_and_resume(zoo):
    r = _batch(zoo, "-j", "2", "--json")
    assert r.returncode == 3, r.stderr  # one model failed
    res = {x["name"]: x for x in json.loads(r.stdout)}
    assert {k: v["status"] for k, v in res.items()} == {
        "m0": "succeeded", "m1": "succeeded", "broken": "failed", "m2": "succeeded"}
    assert "predict_net.pb" in res["broken"]["reason"]
    for n in ("m0", "m1", "m2"):
        assert (zoo / "out" / f"{n}.onnx").is_file()
        assert res[n]["max_rel_err"] is not None and res[n]["max_rel_err"] < 1e-4
    assert not (zoo / "out" / "broken.onnx").exists()
    assert _leftovers(zoo / "out") == []
    # Resume: succeeded jobs are skipped, the failed one is tried again.
    r = _batch(zoo, "-j", "2")
    assert r.returncode == 3
    assert "3 skipped" in r.stdout and "1 failed" in r.stdout
    assert "broken" in r.stdout and "model" in r.stdout.splitlines()[0]
    # Changing a model invalidates its result.
    _tiny(zoo / "m1", 7)
    r = _batch(zoo, "-j", "2", "--json")
    status = {x["name"]: x["status"] for x in json.loads(r.stdout)}
    assert status["m1"] == "succeeded" and status["m0"] == "skipped"


def _children(pid):
    out = []
    for task in pathlib.Path(f"/proc/{pid}/task").iterdir():
        try:
            out += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            pass
    return out


def test_killed_worker_is_retried_and_nothing_half_written(zoo):
    p = subprocess.Popen([sys.executable, "-m", "c2core.cli.main", "batch", str(zoo / "manifest.yaml"), "-j", "1", "--json"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    killed = None
    deadline = time.time() + 60
    while killed is None and time.time() < deadline:
        kids = _children(p.pid)
        if kids:
            time.sleep(0.5)  # let it get into the conversion
            try:
                os.kill(kids[0], signal.SIGKILL)
                killed = kids[0]
            except ProcessLookupError:
                pass
        time.sleep(0.05)
    assert killed is not None, "no worker process appeared"
    out, err = p.communicate(timeout=300)
    res = {x["name"]: x for x in json.loads(out)}
    assert "retrying" in err and "SIGKILL" in err
    assert res["m0"]["status"] == "succeeded" and res["m0"]["attempts"] == 2
    assert _leftovers(zoo / "out") == []


def test_killed_batch_resumes(zoo):
    p = subprocess.Popen([sys.executable, "-m", "c2core.cli.main", "batch", str(zoo / "manifest.yaml"), "-j", "1"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    state = zoo / "out" / ".c2batch"
    deadline = time.time() + 120
    def states():  # finished jobs' state files (not the hidden temp of one being written)
        return {f.stem for f in state.iterdir() if not f.name.startswith(".")} if state.is_dir() else set()

    while time.time() < deadline and not states():
        time.sleep(0.05)
    os.killpg(p.pid, signal.SIGKILL)  # the batch and its workers, mid-run
    p.wait()
    done_before = states()
    assert done_before and len(done_before) < 4
    # A killed worker may leave its hidden temp file, never a partial output:
    # every output present is a complete, valid model.
    import onnx

    for f in (zoo / "out").glob("*.onnx"):
        onnx.checker.check_model(onnx.load(str(f)), full_check=True)
    r = _batch(zoo, "-j", "2", "--json")
    assert _leftovers(zoo / "out") == []
    status = {x["name"]: x["status"] for x in json.loads(r.stdout)}
    for n in done_before - {"broken"}:
        assert status[n] == "skipped"
    assert sum(s == "succeeded" for s in status.values()) + sum(s == "skipped" for s in status.values()) == 3
