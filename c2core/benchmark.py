"""Latency, throughput and peak memory per backend, measured the same way for all.

For each backend: prepare (not timed in the latency), `warmup` untimed runs,
then `runs` timed runs of one batch each (time.perf_counter around
`backend.run`, which includes copying inputs in and outputs out).
Reported: p50 / p90 / p99 latency in ms, throughput in images/s
(batch x runs / total timed seconds), and peak memory.

Peak memory, two methods, named in each result's `memory_method`:
- isolated (default): each backend runs in a fresh Python subprocess, and
  `peak_mb` is that process's peak RSS at the end (VmHWM from
  /proc/self/status: the high-water RSS of an interpreter that imported the
  engine, prepared the model and ran it). Not `ru_maxrss`: Linux carries it
  over from the parent across execve, so every child would report at least
  the parent's size.
  Backends cannot inflate each other's numbers, and allocator caches freed
  late still count, which is what a user deploying it would see.
- in-process (`isolate=False`, used by the GUI and the fast tests): RSS
  read from /proc/self/statm every 5 ms by a thread during prepare + runs;
  `peak_mb` is the growth over the RSS before preparing.
The ONNX export is done once by the parent and shared with the children.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass

import numpy as np

from .errors import C2Error
from .tasks import check_cancel, no_progress, sub_progress

JSON_KEYS = ("backend", "precision", "batch", "p50_ms", "p90_ms", "p99_ms", "throughput", "peak_mb")


@dataclass
class BenchResult:
    backend: str
    precision: str
    batch: int
    runs: int = 0
    warmup: int = 0
    p50_ms: float = 0.0
    p90_ms: float = 0.0
    p99_ms: float = 0.0
    mean_ms: float = 0.0
    min_ms: float = 0.0
    throughput: float = 0.0  # images per second
    peak_mb: float = 0.0
    memory_method: str = ""
    prepare_s: float = 0.0
    status: str = "ok"  # ok | unavailable | failed
    error: str = ""

    def public(self) -> dict:
        """The documented JSON record of `c2core bench --json`."""
        d = asdict(self)
        return {k: d[k] for k in JSON_KEYS}


def summarize(times_s: list[float], batch: int) -> dict:
    """Percentiles (ms, linear interpolation) and throughput from per-run seconds."""
    t = np.asarray(times_s, dtype=np.float64) * 1000.0
    if t.size == 0:
        raise ValueError("no timed runs")
    return {"p50_ms": float(np.percentile(t, 50)), "p90_ms": float(np.percentile(t, 90)),
            "p99_ms": float(np.percentile(t, 99)), "mean_ms": float(t.mean()), "min_ms": float(t.min()),
            "throughput": float(batch * t.size / (t.sum() / 1000.0))}


def _rss_bytes() -> int:
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError):
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _vm_hwm_bytes() -> int | None:
    """This process's peak RSS since exec (Linux), or None."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


class RssSampler:
    """Peak RSS growth over the value at start, sampled on a thread."""

    def __init__(self, interval: float = 0.005):
        self.interval = interval
        self.base = _rss_bytes()
        self.peak = self.base
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="rss-sampler", daemon=True)

    def _loop(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, _rss_bytes())
            self._stop.wait(self.interval)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, _rss_bytes())
        return False

    @property
    def growth_mb(self) -> float:
        return (self.peak - self.base) / (1 << 20)


def batch_of(inputs: dict | None) -> int:
    """Rows per run for throughput: dimension 0 of the first input that has one (a 0-d
    input, e.g. an If condition, has no batch; a net of scalars counts 1)."""
    for a in (inputs or {}).values():
        if getattr(a, "ndim", 0) >= 1:
            return int(a.shape[0])
    return 1


def bench_in_process(source, spec: str, runs: int = 50, warmup: int = 5, threads: int | None = None,
                     inputs: dict | None = None, progress=None, cancel=None, sample_memory: bool = True,
                     backend_options: dict | None = None) -> BenchResult:
    """Prepare `spec` on `source` and time it in this process."""
    from .backends import create, parse_spec

    progress = progress or no_progress
    name, precision = parse_spec(spec)
    label = name if precision == "fp32" else f"{name}:{precision}"
    inputs = inputs if inputs is not None else source.example_inputs(seed=0)
    batch = batch_of(inputs)
    res = BenchResult(label, precision, batch, runs=runs, warmup=warmup,
                      memory_method="RSS growth sampled every 5 ms (in-process)")
    opts = dict(backend_options or {})  # e.g. calib/calib_count for the :int8 specs
    if threads:
        opts["threads"] = threads
    be = create(spec, **opts)
    av = be.availability()
    if not av.ok:
        res.status, res.error = "unavailable", av.reason
        return res
    sampler = RssSampler() if sample_memory else None
    times = []
    try:
        if sampler:
            sampler.__enter__()
        t0 = time.perf_counter()
        progress(0.0, f"{label}: preparing")
        be.prepare(source)
        res.prepare_s = round(time.perf_counter() - t0, 3)
        for _ in range(warmup):
            check_cancel(cancel)
            be.run(inputs)
        total = max(1, runs)
        for i in range(total):
            check_cancel(cancel)
            t = time.perf_counter()
            be.run(inputs)
            times.append(time.perf_counter() - t)
            if i % max(1, total // 20) == 0:
                progress((i + 1) / total, f"{label}: run {i + 1}/{total}")
    finally:
        be.close()
        if sampler:
            sampler.__exit__(None, None, None)
    for k, v in summarize(times, batch).items():
        setattr(res, k, round(v, 6))
    if sampler:
        res.peak_mb = round(sampler.growth_mb, 1)
    progress(1.0, f"{label}: p50 {res.p50_ms:.2f} ms")
    return res


def bench_isolated(model_path: str, spec: str, batch: int | None, runs: int, warmup: int, threads: int | None,
                   onnx: str | None = None, timeout: float | None = None, verbose: bool = True,
                   input_shapes=None, value_info=None, backend_options: dict | None = None) -> BenchResult:
    """Run `bench_in_process` in a fresh interpreter; peak_mb = its ru_maxrss."""
    job = {"model": os.path.abspath(model_path), "spec": spec, "batch": batch, "runs": runs, "warmup": warmup,
           "threads": threads, "onnx": onnx, "verbose": verbose,
           "input_shapes": _jsonable_shapes(input_shapes), "value_info": value_info and os.path.abspath(value_info),
           "options": backend_options or {}}
    cmd = [sys.executable, "-m", "c2core.benchmark", "--worker", json.dumps(job)]
    try:
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=None if verbose else subprocess.DEVNULL,
                              text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        from .backends import parse_spec

        return BenchResult(spec, parse_spec(spec)[1], batch or 0, status="failed", error=f"timed out after {timeout:.0f} s")
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if proc.returncode != 0 or not lines:
        from .backends import parse_spec

        return BenchResult(spec, parse_spec(spec)[1], batch or 0, status="failed",
                           error=f"benchmark process exited with code {proc.returncode}")
    data = json.loads(lines[-1])
    return BenchResult(**data)


def _worker(job: dict) -> int:
    """Entry of the isolated process: prints one BenchResult as JSON on stdout."""
    import resource

    from .backends import ModelSource
    from .tasks import stderr_progress

    try:  # a C2Error (opening included) is this backend's failure, reported as JSON, not a traceback
        with ModelSource.open(job["model"], batch=job.get("batch"), onnx=job.get("onnx"), value_info=job.get("value_info")) as src:
            src.set_input_shapes(job.get("input_shapes"))
            res = bench_in_process(src, job["spec"], job["runs"], job["warmup"], job.get("threads"),
                                   progress=stderr_progress() if job.get("verbose") else None, sample_memory=False,
                                   backend_options=job.get("options"))
    except C2Error as e:
        from .backends import parse_spec

        res = BenchResult(job["spec"], parse_spec(job["spec"])[1], job.get("batch") or 0, status="failed", error=str(e))
    except Exception as e:  # noqa: BLE001 - an engine's own exception: this backend's failure, one line
        # (no traceback on the shared stderr ahead of the parent's error line; C2CORE_DEBUG=1 shows it)
        if os.environ.get("C2CORE_DEBUG"):
            import traceback

            traceback.print_exc()
        from .backends import parse_spec

        msg = str(e).strip().splitlines()
        res = BenchResult(job["spec"], parse_spec(job["spec"])[1], job.get("batch") or 0, status="failed",
                          error=f"{type(e).__name__}: {msg[0][:300] if msg else ''}".rstrip(": "))
    hwm = _vm_hwm_bytes()
    if hwm is not None:
        res.peak_mb = round(hwm / (1 << 20), 1)
        res.memory_method = "peak RSS (VmHWM) of an isolated process: imports + prepare + runs"
    else:
        res.peak_mb = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0, 1)  # KiB on Linux
        res.memory_method = "ru_maxrss of an isolated process (may include the parent's size)"
    print(json.dumps(asdict(res)), flush=True)
    return 0


def default_specs(table: dict | None = None) -> list[str]:
    """The backend configurations benchmarked when none are named: every engine
    that works here (`table`: c2core.backends.availability_table()), OpenVINO and
    TensorRT also with FP16."""
    if table is None:
        from .backends import availability_table

        table = availability_table()
    specs = [n for n in ("c2", "onnxruntime", "openvino") if table[n].ok]
    if table["openvino"].ok:
        specs.append("openvino:fp16")
    if table["tensorrt"].ok:
        specs += ["tensorrt", "tensorrt:fp16"]
    return specs


def _jsonable_shapes(shapes):
    """--input-shape strings or {name: shape} in a form the worker's JSON job carries."""
    if not shapes:
        return None
    if isinstance(shapes, dict):
        return {k: [int(d) for d in v] for k, v in shapes.items()}
    return list(shapes)


def benchmark(model_path: str, specs: list[str], batch: int | None = None, runs: int = 50, warmup: int = 5,
              threads: int | None = None, isolate: bool = True, progress=None, cancel=None,
              verbose: bool = True, input_shapes=None, value_info=None, warnings: list | None = None,
              backend_options: dict | None = None) -> list[BenchResult]:
    """Benchmark every spec on the model at `model_path`; unavailable ones carry the reason.

    input_shapes / value_info: as `c2core.inputs` takes them; what the input
    resolver had to assume is appended to `warnings`."""
    from .backends import ModelSource, availability, parse_spec

    progress = progress or no_progress
    results = []
    with ModelSource.open(model_path, batch=batch, value_info=value_info) as src:
        src.set_input_shapes(input_shapes)
        src.input_shapes()
        if warnings is not None:
            warnings.extend(src.warnings)
        needs_onnx = any(parse_spec(s)[0] != "c2" and availability(parse_spec(s)[0]).ok for s in specs)
        onnx = src.onnx_path() if (isolate and needs_onnx and src.kind in ("caffe2", "onnx")) else None
        for i, spec in enumerate(specs):
            check_cancel(cancel)
            name, precision = parse_spec(spec)
            progress(i / len(specs), f"benchmarking {spec} ({i + 1}/{len(specs)})")
            av = availability(name)
            if not av.ok:
                results.append(BenchResult(spec, precision, batch or 0, status="unavailable", error=av.reason))
                continue
            if isolate:
                r = bench_isolated(model_path, spec, batch, runs, warmup, threads, onnx=onnx, verbose=verbose,
                                   input_shapes=input_shapes, value_info=value_info,
                                   backend_options=backend_options)
            else:
                try:
                    r = bench_in_process(src, spec, runs, warmup, threads, cancel=cancel, backend_options=backend_options,
                                         progress=sub_progress(progress, i / len(specs), (i + 1) / len(specs)))
                except C2Error as e:
                    r = BenchResult(spec, precision, batch or 0, status="failed", error=str(e))
            results.append(r)
    progress(1.0, "benchmark done")
    return results


def format_table(results: list[BenchResult]) -> str:
    lines = [f"{'backend':<16} {'batch':>5} {'p50 ms':>9} {'p90 ms':>9} {'p99 ms':>9} {'img/s':>9} {'peak MB':>9}"]
    for r in results:
        if r.status != "ok":
            lines.append(f"{r.backend:<16} {r.status.upper()}: {r.error}")
            continue
        lines.append(f"{r.backend:<16} {r.batch:>5} {r.p50_ms:>9.2f} {r.p90_ms:>9.2f} {r.p99_ms:>9.2f} "
                     f"{r.throughput:>9.1f} {r.peak_mb:>9.1f}")
    methods = sorted({r.memory_method for r in results if r.status == "ok" and r.memory_method})
    if methods:
        lines.append("peak MB: " + "; ".join(methods))
    return "\n".join(lines)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--worker":
        sys.exit(_worker(json.loads(sys.argv[2])))
    print("usage: python -m c2core.benchmark --worker JSON (internal; use `c2core bench`)", file=sys.stderr)
    sys.exit(2)
