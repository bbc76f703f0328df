"""Serve a model in Netron (the `netron` package) on localhost: start, URL, stop.

Netron's Python server serves one file and its page fetches companions by
name from the same folder: for Caffe2 it derives the init net from the
predict net's name (`predict_net.pb` <-> `init_net.pb`, `X.pb` <-> `X_init.pb`,
`X_predict_net.pb` <-> `X_init_net.pb`) and refuses paths outside that folder
(symlinks are resolved, so links to elsewhere do not work). A pair named any
other way (which `c2core.io` pairs by content) is therefore staged: copied
into a private folder as `predict_net.<ext>` + `init_net.<ext>`; ONNX and
OpenVINO IR (`.xml` + `.bin` beside it) are served from where they are.

    srv = NetronServer("model_dir").start()
    print(srv.url)      # http://localhost:PORT
    srv.stop()

The GUI uses this class; `c2core netron` wraps it and stops on Ctrl-C.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import time

from .errors import C2Error



def _netron_would_pair(predict: str, init: str) -> bool:
    """Does Netron's own name rule find `init` from `predict` (same folder)?"""
    if os.path.dirname(os.path.abspath(predict)) != os.path.dirname(os.path.abspath(init)):
        return False
    pb, ib = os.path.basename(predict), os.path.basename(init)
    if "predict_net" in pb and pb.replace("predict_net", "init_net") == ib:
        return True
    stem, ext = os.path.splitext(pb)
    return ib == f"{stem}_init{ext}"


def check_address(host: str, port: int | None) -> bool:
    """Validate where to listen (C2Error naming --host/--port otherwise);
    True when every address `host` resolves to is a loopback one."""
    import ipaddress
    import socket

    if port is not None and not (isinstance(port, int) and 0 <= port <= 65535):
        raise C2Error(f"port {port} is outside 0..65535", "--port")
    if not host or "\x00" in host:
        raise C2Error("empty host name", "--host")
    try:
        infos = socket.getaddrinfo(host, None, socket.AF_INET, socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, OSError) as e:
        try:
            ipaddress.IPv6Address(host.strip("[]"))
            raise C2Error(f"'{host}' is an IPv6 address; Netron's server listens on IPv4 only "
                          "(use 127.0.0.1, or 0.0.0.0 for every interface)", "--host") from None
        except ValueError:
            pass
        raise C2Error(f"cannot resolve host '{host}': {getattr(e, 'strerror', None) or e}", "--host") from None
    return all(ipaddress.ip_address(i[4][0]).is_loopback for i in infos)


class NetronServer:
    """One model served by Netron on host:port (port None: a free one is chosen)."""

    def __init__(self, path: str, port: int | None = None, host: str = "localhost"):
        self.path = os.fspath(path)
        self.host = host
        self.requested_port = port
        self.port: int | None = None
        self._staging: str | None = None
        self.served_file: str | None = None

    # ----- what to serve ---------------------------------------------------------------
    def _file_to_serve(self) -> str:
        if not os.path.exists(self.path):
            raise C2Error("no such file or folder", self.path)
        low = self.path.lower()
        if os.path.isfile(self.path) and low.endswith((".onnx", ".xml", ".ort", ".tflite", ".pt", ".pth")):
            if low.endswith(".xml") and not os.path.exists(os.path.splitext(self.path)[0] + ".bin"):
                raise C2Error("OpenVINO IR without its .bin beside it", self.path)
            if low.endswith(".onnx"):
                from .onnx.load import load_onnx

                load_onnx(self.path, load_external_data=False)  # refuse a file that is not ONNX here, not in the page
            return self.path
        from .io import open_model

        model = open_model(self.path)
        if model.formats.get("predict") == "minidb":
            raise C2Error("Netron cannot read minidb files: save the model as a predict/init pair first", self.path)
        predict, init = model.predict_path, model.init_path
        if init is None or _netron_would_pair(predict, init):
            return predict
        self._staging = tempfile.mkdtemp(prefix="c2core-netron-")
        staged = os.path.join(self._staging, "predict_net" + os.path.splitext(predict)[1])
        _link_or_copy(predict, staged)
        _link_or_copy(init, os.path.join(self._staging, "init_net" + os.path.splitext(init)[1]))
        return staged

    # ----- lifecycle ----------------------------------------------------------------------
    def start(self) -> "NetronServer":
        import netron

        self.loopback = check_address(self.host, self.requested_port)
        self.served_file = self._file_to_serve()
        address = (self.host, self.requested_port) if self.requested_port else (self.host, None)
        root = logging.getLogger()
        quiet = logging.NullHandler()
        added = not root.hasHandlers()
        if added:
            root.addHandler(quiet)  # netron.serve calls basicConfig when nothing is configured
        logging.getLogger("netron.server").setLevel(logging.WARNING)
        try:
            host, port = netron.serve(self.served_file, None, address=address, browse=False)
        except (OSError, ValueError, OverflowError) as e:
            self._cleanup()
            raise C2Error(f"cannot serve on {self.host}:{self.requested_port or 'any port'}: "
                          f"{getattr(e, 'strerror', None) or e}") from None
        finally:
            if added:
                root.removeHandler(quiet)
        self.port = int(port)
        return self

    @property
    def url(self) -> str:
        if self.port is None:
            raise RuntimeError("server not started")
        return f"http://{self.host}:{self.port}"

    @property
    def running(self) -> bool:
        if self.port is None:
            return False
        import netron

        return bool(netron.status((self.host, self.port)))

    def stop(self) -> None:
        if self.port is not None:
            import netron

            netron.stop((self.host, self.port))
            deadline = time.monotonic() + 2.0
            while self.running and time.monotonic() < deadline:
                time.sleep(0.02)
            self.port = None
        self._cleanup()

    def _cleanup(self) -> None:
        if self._staging and os.path.isdir(self._staging):
            shutil.rmtree(self._staging, ignore_errors=True)
        self._staging = None

    def __enter__(self):
        return self.start() if self.port is None else self

    def __exit__(self, *exc):
        self.stop()
        return False


def _link_or_copy(src: str, dst: str) -> None:
    try:
        os.link(src, dst)
    except OSError:
        shutil.copyfile(src, dst)
