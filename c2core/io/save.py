"""Write files atomically: a temp file in the target folder, then rename.

No output file is ever left half-written, whatever fails or whoever cancels:
either the old file (or nothing) stays, or the complete new one.
"""

from __future__ import annotations

import contextlib
import os
import secrets

from ..errors import C2Error


def make_folder(folder: str) -> str:
    """`os.makedirs(folder, exist_ok=True)`, with a C2Error naming the folder
    when it cannot be made (a file in the way, no permission, a read-only disk)."""
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError as e:
        blocker = _file_in_the_way(folder)
        if blocker is not None:
            raise C2Error(f"cannot create this folder: {blocker} is a file, not a folder", folder) from None
        raise C2Error(f"cannot create this folder: {e.strerror or e}", folder) from None
    return folder


def _file_in_the_way(folder: str) -> str | None:
    """The existing non-folder that `folder` or one of its parents names, else None
    ('File exists' on a path whose parent is a file says nothing useful)."""
    p = os.path.abspath(folder)
    while True:
        if os.path.lexists(p):
            return None if os.path.isdir(p) else p
        parent = os.path.dirname(p)
        if parent == p:
            return None
        p = parent


def output_target(path: str) -> tuple[str, str]:
    """(path, its folder) for a file about to be written, the folder made; C2Error when
    `path` is a folder or its folder cannot be made."""
    path = os.fspath(path)
    if os.path.isdir(path):
        raise C2Error("is a folder: give the name of a file to write", path)
    return path, make_folder(os.path.dirname(os.path.abspath(path)) or ".")


def _new_temp(path: str, folder: str, suffix: str) -> str:
    """Create an empty temp file beside `path` with the mode a plain open() gives
    (0666 less the umask, applied by the kernel: no process-wide os.umask call)."""
    for _ in range(100):
        tmp = os.path.join(folder, f".{os.path.basename(path)}.{secrets.token_hex(4)}{suffix}.part")
        try:
            os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
            return tmp
        except FileExistsError:
            continue
        except OSError as e:
            raise C2Error(f"cannot write here: {e.strerror or e}", path) from None
    raise C2Error("cannot create a temporary file here", path)


@contextlib.contextmanager
def atomic_path(path: str, suffix: str = ""):
    """Yields a temp path beside `path`; renamed onto `path` only on success."""
    path, d = output_target(path)
    tmp = _new_temp(path, d, suffix)
    try:
        yield tmp
        if os.path.isfile(tmp):
            from .publish import fsync_file

            fsync_file(tmp)
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


def _serialize_net(net, text: bool) -> bytes:
    if text:
        from google.protobuf import text_format

        return text_format.MessageToString(net).encode("utf-8")
    return net.SerializeToString()


def stage_caffe2(staging, folder: str, predict_net, init_net=None, value_info: dict | None = None,
                 text: bool = False, init_name: str = "init_net", predict_name: str = "predict_net") -> list:
    """Write a Caffe2 model's files into `staging` (an io.publish.Staging); returns the moves
    that publish them into `folder`: init net, value_info.json, predict net last. A model
    without an init net gets none, and an old init net of the same name is removed with the
    same publish (a new predict net never pairs with an old init net)."""
    import json

    ext = ".pbtxt" if text else ".pb"
    moves = []
    ip = os.path.join(folder, init_name + ext)
    if init_net is not None:
        with open(staging.path(init_name + ext), "wb") as f:
            f.write(_serialize_net(init_net, text))
        moves.append((staging.path(init_name + ext), ip))
    else:
        moves.append((None, ip))
    if value_info is not None:
        with open(staging.path("value_info.json"), "w", encoding="utf-8") as f:
            f.write(json.dumps(value_info, indent=1) + "\n")
        moves.append((staging.path("value_info.json"), os.path.join(folder, "value_info.json")))
    with open(staging.path(predict_name + ext), "wb") as f:
        f.write(_serialize_net(predict_net, text))
    moves.append((staging.path(predict_name + ext), os.path.join(folder, predict_name + ext)))
    return moves


def model_staging_dir(folder: str) -> str:
    """Where to stage a model folder's files: in it when it exists, else beside it (so a
    cancelled or failed write does not even leave the new, empty folder behind)."""
    folder = os.path.abspath(folder)
    if os.path.isdir(folder):
        return folder
    if os.path.exists(folder):
        raise C2Error("is a file: give a folder to write the model into", folder)
    return make_folder(os.path.dirname(folder))


def save_model(model, folder: str, text: bool = False, init_name: str = "init_net", predict_name: str = "predict_net",
               cancel=None) -> tuple[str, str | None]:
    """Write predict_net/init_net (.pb or .pbtxt) into `folder`, published together
    (io.publish); returns the paths (init None for a model without weights).
    A `cancel` token cancelled while the files are staged leaves nothing."""
    from ..builder import init_net_from
    from ..tasks import check_cancel
    from .publish import Staging

    ext = ".pbtxt" if text else ".pb"
    init = None
    if model.init_net is not None or model.weights:
        init = model.init_net
        if init is None:
            init = init_net_from({k: (w.array if w.scale is None else (w.array, w.scale, w.zero_point)) for k, w in model.weights.items()})
    with Staging(model_staging_dir(folder), folder) as st:
        moves = stage_caffe2(st, folder, model.predict_net, init, None, text, init_name, predict_name)
        if init is None:
            moves = [m for m in moves if m[0] is not None]  # saving a structure-only net keeps other files
        check_cancel(cancel)
        st.publish(moves)
    return os.path.join(folder, predict_name + ext), (os.path.join(folder, init_name + ext) if init is not None else None)
