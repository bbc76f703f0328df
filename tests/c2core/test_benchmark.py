"""Benchmark: statistics formulas, in-process and isolated runs, JSON contract, cancel."""

import json

import numpy as np
import pytest

from c2core.backends import ModelSource
from c2core.benchmark import JSON_KEYS, bench_in_process, benchmark, default_specs, summarize
from c2core.errors import Cancelled
from c2core.tasks import CancelToken
from tests.c2core.backends import onnx_nets as nets



def test_summarize_formulas():
    times = [0.001 * k for k in range(1, 101)]  # 1..100 ms
    s = summarize(times, batch=4)
    # linear interpolation between order statistics: p50 of 1..100 is 50.5
    assert s["p50_ms"] == pytest.approx(50.5) and s["p90_ms"] == pytest.approx(90.1)
    assert s["p99_ms"] == pytest.approx(99.01) and s["min_ms"] == pytest.approx(1.0)
    assert s["throughput"] == pytest.approx(4 * 100 / sum(times))


def test_default_specs_follow_availability():
    from c2core.backends.base import Availability

    def table(*ok):
        return {n: Availability(n in ok, "" if n in ok else "missing") for n in ("c2", "onnxruntime", "openvino", "tensorrt")}

    assert default_specs(table("c2")) == ["c2"]
    assert default_specs(table("c2", "openvino")) == ["c2", "openvino", "openvino:fp16"]
    assert default_specs(table("c2", "onnxruntime", "openvino", "tensorrt")) == [
        "c2", "onnxruntime", "openvino", "openvino:fp16", "tensorrt", "tensorrt:fp16"]


def test_in_process_run(tmp_path):
    path, _ = nets.conv_net(tmp_path / "m.onnx", batch=2)
    with ModelSource.open(path) as src:
        r = bench_in_process(src, "onnxruntime", runs=12, warmup=2)
    assert r.status == "ok" and r.batch == 2 and r.runs == 12
    assert 0 < r.min_ms <= r.p50_ms <= r.p90_ms <= r.p99_ms
    assert r.throughput == pytest.approx(2 * 1000.0 / r.mean_ms, rel=1e-3)
    assert r.peak_mb >= 0 and "in-process" in r.memory_method


def test_cancel_stops_the_runs(tmp_path):
    path, _ = nets.conv_net(tmp_path / "m.onnx")
    tok = CancelToken()
    tok.cancel()
    with ModelSource.open(path) as src, pytest.raises(Cancelled):
        bench_in_process(src, "onnxruntime", runs=5, warmup=1, cancel=tok)


def test_isolated_processes_and_unavailable_backends(tmp_path):
    path, _ = nets.conv_net(tmp_path / "m.onnx")
    res = benchmark(path, ["onnxruntime", "tensorrt"], runs=5, warmup=1, verbose=False)
    ort, trt = res
    assert ort.status == "ok" and "isolated" in ort.memory_method
    assert ort.peak_mb > 20  # a Python process holding onnxruntime is tens of MB at least
    if trt.status == "unavailable":
        assert trt.error


def test_cli_json_contract(tmp_path, capsys):
    from c2core.cli.main import main

    path, _ = nets.conv_net(tmp_path / "m.onnx", batch=1)
    assert main(["bench", path, "--backends", "onnxruntime,openvino:fp16", "--runs", "5", "--warmup", "1",
                 "--in-process", "--json"]) == 0
    captured = capsys.readouterr()
    out = json.loads(captured.out)
    assert [tuple(r) for r in out] == [JSON_KEYS] * 2
    assert [(r["backend"], r["precision"], r["batch"]) for r in out] == [("onnxruntime", "fp32", 1), ("openvino:fp16", "fp16", 1)]
    assert all(np.isfinite(r["p99_ms"]) for r in out)
    assert "run 5/5" in captured.err  # progress on stderr


def test_a_0d_first_input_is_no_batch(tmp_path):
    """An If net's first input is a 0-d condition: every backend failed with
    'IndexError: tuple index out of range' taking its dimension 0 as the batch."""
    from c2core.benchmark import batch_of
    from c2core.builder import NetBuilder, model_from
    from c2core.io.save import save_model

    then_net = NetBuilder("then")
    then_net.op("Relu", "x", "y")
    then_net.outputs("y")
    else_net = NetBuilder("else")
    else_net.op("Negative", "x", "y")
    else_net.outputs("y")
    b = NetBuilder("if_first")
    b.op("If", ["cond", "x"], ["y"], then_net=then_net.net, else_net=else_net.net)
    b.inputs("cond", "x").outputs("y")
    save_model(model_from(b.net, {}), str(tmp_path / "m"))
    (tmp_path / "m" / "value_info.json").write_text(json.dumps({"cond": [5, []], "x": [1, [2, 3]]}))
    assert batch_of({"cond": np.array(True), "x": np.zeros((2, 3))}) == 2
    assert batch_of({"cond": np.array(True)}) == 1 and batch_of({}) == 1
    with ModelSource.open(str(tmp_path / "m")) as src:
        r = bench_in_process(src, "c2", runs=3, warmup=1, sample_memory=False)
    assert r.status == "ok" and r.batch == 2 and r.runs == 3 and r.p50_ms > 0, r.error
