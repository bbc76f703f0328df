"""View > Open in Netron: one core Netron server per served file, reused, stopped on close.

The serving itself (free localhost port, the netron package) is
`c2core.netron_server`; this module keeps one server per path, so opening
the same model in Netron again reuses its server instead of starting
another. Starting one imports netron and reads the model (0.1-0.7 s), so the
window calls `serve` from a job, never on the GUI thread. `stop(path)` ends
the server of a model that was closed; `stop_all` ends every one at quit, and
tests assert none is left behind.
"""

from __future__ import annotations

import logging
import os
import threading

from c2core.errors import C2Error

log = logging.getLogger("c2studio.netron")
_SERVERS: dict = {}  # absolute path -> NetronServer
_LOCK = threading.Lock()


def serve(path: str) -> str:
    """Serve a model file or folder (Caffe2 pair, ONNX, IR); returns the URL to open (worker thread)."""
    from c2core.netron_server import NetronServer

    if not path:
        raise C2Error("this model exists only in memory: save it first to view it in Netron")
    key = os.path.abspath(path)
    with _LOCK:
        server = _SERVERS.get(key)
        if server is not None and server.running:
            log.info("netron: reusing %s", server.url)
            return server.url
        server = NetronServer(path).start()
        _SERVERS[key] = server
    log.info("netron: serving %s at %s", server.served_file, server.url)
    return server.url


def running() -> list:
    with _LOCK:
        return [s for s in _SERVERS.values() if s.port is not None]


def stop(path: str) -> None:
    """Stop the server of one path (its model was closed)."""
    with _LOCK:
        server = _SERVERS.pop(os.path.abspath(path), None) if path else None
    if server is not None:
        _stop(server)


def _stop(server) -> None:
    try:
        server.stop()
    except Exception as e:  # stopping must never block quitting
        log.warning("netron: stop failed: %s", e)


def stop_all() -> None:
    """Stop every server the app started (quit, tests)."""
    with _LOCK:
        servers = list(_SERVERS.values())
        _SERVERS.clear()
    for s in servers:
        _stop(s)
