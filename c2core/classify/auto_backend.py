"""`auto` backend: the fastest available engine that gives this model's results.

Each available engine (executor, ONNX Runtime, OpenVINO, TensorRT) is
prepared on the model, fed the same deterministic input, checked against the
executor's output (parity: |a-b| <= atol + rtol·|ref|, as the converters'
verify step), and timed (median of a few runs). The fastest one that passes
wins; an engine that fails or disagrees is skipped with the reason. The choice
is remembered per model content and input shape for the process.
"""

from __future__ import annotations

import time

import numpy as np

from ..tasks import check_cancel, no_progress

ORDER = ("c2", "onnxruntime", "openvino", "tensorrt")
RTOL, ATOL = 1e-3, 1e-4
_CHOICES: dict = {}


def _median_ms(backend, feed, runs: int = 3) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        backend.run(feed)
        times.append(time.perf_counter() - t0)
    return 1000.0 * float(np.median(times))


def pick_backend(source, candidates=ORDER, progress=None, cancel=None) -> tuple[str, str]:
    """(engine name, one-line note of what was measured) for `source` (a ModelSource)."""
    from ..backends import available_names, create
    from ..io.digest import net_fingerprint

    progress = progress or no_progress
    key = (net_fingerprint(source.model), tuple(sorted(source.input_shapes().items())))
    if key in _CHOICES:
        return _CHOICES[key]
    avail = [c for c in candidates if c in set(available_names())]
    feed = source.example_inputs(seed=0)
    ref = None
    timings, notes = {}, []
    for i, name in enumerate(avail):
        check_cancel(cancel)
        progress(0.05 + 0.2 * i / max(1, len(avail)), f"auto: trying {name}…")
        be = create(name)
        try:
            be.prepare(source)
            out = be.run(feed)
            if ref is None:  # the executor comes first: it is the reference
                ref = out
                ok = True
            else:
                ok = all(k in out and out[k].shape == ref[k].shape
                         and np.all(np.abs(out[k] - ref[k]) <= ATOL + RTOL * np.abs(ref[k])) for k in ref)
            if ok:
                timings[name] = _median_ms(be, feed)
                notes.append(f"{name} {timings[name]:.1f} ms")
            else:
                notes.append(f"{name}: results differ from the executor")
        except Exception as e:  # an engine that cannot take this model is simply not chosen
            notes.append(f"{name}: {str(e).splitlines()[0][:80] if str(e) else type(e).__name__}")
        finally:
            be.close()
    if not timings:
        choice = ("c2", "; ".join(notes))
    else:
        best = min(timings, key=timings.get)
        choice = (best, "; ".join(notes))
    _CHOICES[key] = choice
    return choice
