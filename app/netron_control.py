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


def _core():
    try:
        from c2core import netron_server
    except ImportError as e:
        raise C2Error(f"Netron support is not available (c2core.netron_server: {e})") from None
    return netron_server


def serve(model, path: str | None = None) -> str:
    """Serve the model's files; returns the URL to open."""
    ns = _core()
    server = ns.start(model if path is None else path)
    _SERVERS.append(server)
    url = getattr(server, "url", None) or (server if isinstance(server, str) else None)
    if url is None and isinstance(server, tuple):
        url = next((x for x in server if isinstance(x, str) and x.startswith("http")), None)
    if url is None:
        raise C2Error("Netron started but reported no URL")
    return url


def running() -> list:
    return list(_SERVERS)


def stop_all() -> None:
    if not _SERVERS:
        return
    ns = _core()
    while _SERVERS:
        s = _SERVERS.pop()
        try:
            ns.stop(s)
        except Exception as e:  # stopping must never block quitting
            log.warning("netron: stop failed: %s", e)
