"""View > Open in Netron: start/stop the core's Netron servers for the app.

The serving itself (free localhost port, the netron package) is
`c2core.netron_server`; this module remembers what the app started so that
quitting stops every server, and tests can assert none is left behind.
"""

from __future__ import annotations

import logging

from c2core.errors import C2Error

log = logging.getLogger("c2studio.netron")
_SERVERS: list = []


def serve(path: str) -> str:
    """Serve a model file or folder (Caffe2 pair, ONNX, IR); returns the URL to open."""
    from c2core.netron_server import NetronServer

    if not path:
        raise C2Error("this model exists only in memory: save it first to view it in Netron")
    server = NetronServer(path).start()
    _SERVERS.append(server)
    log.info("netron: serving %s at %s", server.served_file, server.url)
    return server.url


def running() -> list:
    return [s for s in _SERVERS if s.port is not None]


def stop_all() -> None:
    """Stop every server the app started (quit, tests)."""
    while _SERVERS:
        s = _SERVERS.pop()
        try:
            s.stop()
        except Exception as e:  # stopping must never block quitting
            log.warning("netron: stop failed: %s", e)
