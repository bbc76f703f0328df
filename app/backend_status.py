"""What each backend can do here, asked of the core once per session.

`availability_table()` imports openvino/onnxruntime probes: seconds, so it
runs on a worker; the result is cached because it cannot change while the app
runs. The executor's `unsupported_ops` reads its op types from the op manifest
without importing torch (c2core.schema.support).
"""

from __future__ import annotations

import threading

_LOCK = threading.Lock()
_CACHE: dict | None = None


def availability() -> dict:
    """backend name -> c2core.backends.Availability (cached; call on a worker)."""
    global _CACHE
    with _LOCK:
        if _CACHE is None:
            from c2core.backends import availability_table

            _CACHE = availability_table()
        return dict(_CACHE)


def warm_up() -> dict:
    """availability() plus the executor's kernel registry (call on a worker at start-up).

    Importing torch holds the GIL for about 0.3 s inside its C initialisation. Done
    while the welcome page shows, no later job (the first run or classification)
    stalls the GUI with it.
    """
    from c2core.ops.registry import supported_op_types

    avail = availability()
    supported_op_types()
    return avail


def cached() -> dict | None:
    return None if _CACHE is None else dict(_CACHE)


def unsupported_by_backend(model) -> dict:
    """backend -> sorted op types it cannot take from this model (worker thread)."""
    from c2core.onnx.export.net import unsupported_ops as onnx_unsupported
    from c2core.runtime import unsupported_ops as exec_unsupported

    net = model.predict_net
    onnx_bad = onnx_unsupported(net)
    return {
        "c2": exec_unsupported(net),
        "onnx export": onnx_bad,
        "onnxruntime": onnx_bad,
        "openvino": onnx_bad,
        "tensorrt": onnx_bad,
    }
