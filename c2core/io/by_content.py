"""Pair a Caffe2 model by what the files hold when their names say nothing.

Real models come as `X_predict.model` + `X_init.model`, `net` + `weights`, or
files with no extension at all. The opener then reads every candidate file in
the folder (a bounded number), tells init from predict nets by content
(`is_init_net`), and pairs a predict net with the init net that creates the
most of the blobs it reads. Files that are clearly something else (images,
JSON, NumPy arrays, ONNX, OpenVINO IR) are never parsed.
"""

from __future__ import annotations

import os

from ..errors import C2FormatError

# Never Caffe2 nets: skipped without reading.
NOT_NETS = (".json", ".npy", ".npz", ".onnx", ".xml", ".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp", ".tif",
            ".tiff", ".md", ".py", ".plan", ".engine", ".trt", ".zip", ".gz", ".tar", ".csv", ".html", ".pdf",
            ".sh", ".yaml", ".yml", ".mlmodel", ".tflite", ".pt", ".pth", ".h5")
# More candidates than this in one folder: the user must pick a file.
MAX_CANDIDATES = 24


def candidate_files_in(folder: str) -> list[str]:
    """Regular files in `folder` that might hold a net (by elimination), sorted."""
    out = []
    try:
        names = sorted(os.listdir(folder))
    except OSError as e:
        raise C2FormatError(f"cannot list folder: {e.strerror}", folder) from None
    for n in names:
        p = os.path.join(folder, n)
        if n.startswith(".") or not os.path.isfile(p) or n.lower().endswith(NOT_NETS):
            continue
        if n.lower() in ("readme", "license", "licence", "notice"):
            continue
        out.append(p)
    return out


def _classify(files, read_net, is_init_net, is_minidb=None, unreadable=None):
    """(predicts, inits, minidbs) as [(path, net)]; unreadable files skipped, their
    errors appended to `unreadable` when given (to say why nothing was found)."""
    predicts, inits, dbs = [], [], []
    for f in files[:MAX_CANDIDATES]:
        if is_minidb is not None and is_minidb(f):
            dbs.append(f)
            continue
        try:
            net, _ = read_net(f)
        except C2FormatError as e:
            if unreadable is not None:
                unreadable.append(e)
            continue
        (inits if is_init_net(net) else predicts).append((f, net))
    return predicts, inits, dbs


def _overlap(predict_net, init_net) -> int:
    """Blobs of `init_net` that `predict_net` reads; 0 unless that is at least half
    of what the init net makes (a stray net sharing a 'data' name is no partner)."""
    made = {o for op in init_net.op for o in op.output}
    reads = set(predict_net.external_input) | {b for op in predict_net.op for b in op.input}
    n = len(made & reads)
    return n if made and 2 * n >= len(made) else 0


def partner_by_content(predict_net, inits, read_net) -> str | None:
    """The init file (paths or (path, net) pairs) creating most blobs `predict_net` reads; None if none does."""
    best, score = None, 0
    for item in inits:
        path, net = item if isinstance(item, tuple) else (item, None)
        if net is None:
            try:
                net, _ = read_net(path)
            except C2FormatError:
                continue
        s = _overlap(predict_net, net)
        if s > score:
            best, score = path, s
    return best


def pick_by_content(files, folder, read_net, is_init_net, is_minidb) -> tuple[str, str | None]:
    """(predict path, init path or None) among `files` decided by content alone."""
    unreadable: list[C2FormatError] = []
    predicts, inits, dbs = _classify(files, read_net, is_init_net, is_minidb, unreadable)
    if not predicts and dbs:
        return dbs[0], None
    if not predicts and not inits and len(unreadable) == 1:
        raise unreadable[0]  # one candidate, and it is broken: its own reason names it
    if not predicts:
        what = "only init nets" if inits else "no file that reads as a Caffe2 net"
        if unreadable:
            first = unreadable[0]
            more = f" and {len(unreadable) - 1} more" if len(unreadable) > 1 else ""
            what += f" ({os.path.basename(first.path or '?')}: {first.reason}{more})"
        raise C2FormatError(f"folder holds {what}", folder)
    if len(predicts) > 1:
        names = ", ".join(os.path.basename(p) for p, _ in predicts)
        raise C2FormatError(f"folder holds several predict nets ({names}); open one of them", folder)
    p, net = predicts[0]
    return p, partner_by_content(net, inits, read_net)


def _others(path: str) -> list[str]:
    folder = os.path.dirname(os.path.abspath(path))
    me = os.path.abspath(path)
    return [f for f in candidate_files_in(folder) if os.path.abspath(f) != me]


def init_partner_by_content(path: str, predict_net, read_net, is_init_net) -> str | None:
    """An init net beside `path` that creates blobs its predict net reads."""
    others = _others(path)
    if len(others) > MAX_CANDIDATES:
        return None
    _, inits, _ = _classify(others, read_net, is_init_net)
    return partner_by_content(predict_net, inits, read_net)


def predict_partner_by_content(path: str, init_net, read_net, is_init_net) -> str | None:
    """A predict net beside `path` reading blobs this init net creates (the best match)."""
    others = _others(path)
    if len(others) > MAX_CANDIDATES:
        return None
    predicts, _, _ = _classify(others, read_net, is_init_net)
    best, score = None, 0
    for p, net in predicts:
        s = _overlap(net, init_net)
        if s > score:
            best, score = p, s
    return best
