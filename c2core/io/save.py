"""Write files atomically: a temp file in the target folder, then rename.

No output file is ever left half-written, whatever fails or whoever cancels:
either the old file (or nothing) stays, or the complete new one.
"""

from __future__ import annotations

import contextlib
import os
import tempfile

from ..errors import C2Error


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def make_folder(folder: str) -> str:
    """`os.makedirs(folder, exist_ok=True)`, with a C2Error naming the folder
    when it cannot be made (a file in the way, no permission, a read-only disk)."""
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError as e:
        raise C2Error(f"cannot create this folder: {e.strerror or e}", folder) from None
    return folder


def output_target(path: str) -> tuple[str, str]:
    """(path, its folder) for a file about to be written, the folder made; C2Error when
    `path` is a folder or its folder cannot be made."""
    path = os.fspath(path)
    if os.path.isdir(path):
        raise C2Error("is a folder: give the name of a file to write", path)
    return path, make_folder(os.path.dirname(os.path.abspath(path)) or ".")


@contextlib.contextmanager
def atomic_path(path: str, suffix: str = ""):
    """Yields a temp path beside `path`; renamed onto `path` only on success."""
    path, d = output_target(path)
    try:
        fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", suffix=suffix + ".part", dir=d)
    except OSError as e:
        raise C2Error(f"cannot write here: {e.strerror or e}", path) from None
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
    make_folder(folder)
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
