"""Write files atomically: a temp file in the target folder, then rename.

No output file is ever left half-written, whatever fails or whoever cancels:
either the old file (or nothing) stays, or the complete new one.
"""

from __future__ import annotations

import contextlib
import os
import tempfile


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_path(path: str, suffix: str = ""):
    """Yields a temp path beside `path`; renamed onto `path` only on success."""
    path = os.fspath(path)
    d = os.path.dirname(os.path.abspath(path)) or "."
    os.makedirs(d, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", suffix=suffix + ".part", dir=d)
    os.close(fd)
    try:
        yield tmp
        # mkstemp creates 0600; give the result the mode a plain open() would.
        if os.path.isfile(tmp):
            os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def write_bytes(path: str, data: bytes) -> None:
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as f:
            f.write(data)


def save_net(net, path: str, text: bool | None = None) -> None:
    """Save a NetDef; text format when `text` or the name ends in .pbtxt."""
    if text is None:
        text = path.lower().endswith((".pbtxt", ".prototxt", ".txt"))
    if text:
        from google.protobuf import text_format

        write_bytes(path, text_format.MessageToString(net).encode("utf-8"))
    else:
        write_bytes(path, net.SerializeToString())


def save_model(model, folder: str, text: bool = False, init_name: str = "init_net", predict_name: str = "predict_net") -> tuple[str, str | None]:
    """Write predict_net/init_net (.pb or .pbtxt) into `folder`; returns paths."""
    from ..builder import init_net_from

    ext = ".pbtxt" if text else ".pb"
    os.makedirs(folder, exist_ok=True)
    pp = os.path.join(folder, predict_name + ext)
    save_net(model.predict_net, pp, text)
    ip = None
    if model.init_net is not None or model.weights:
        init = model.init_net
        if init is None:
            init = init_net_from({k: (w.array if w.scale is None else (w.array, w.scale, w.zero_point)) for k, w in model.weights.items()})
        ip = os.path.join(folder, init_name + ext)
        save_net(init, ip, text)
    return pp, ip
