"""Quantize once: INT8 artifacts cached by model fingerprint + calibration set.

Backend specs `openvino:int8` / `onnxruntime:int8` (classify, compare, bench
with `--calib DIR`) call `cached_int8`; the first call quantizes (minutes at
most), later ones reuse the file. The key hashes the model's bytes (predict
and init nets, or the ONNX file), the engine and its quantizer's version, the
calibration count and preprocessing, and the names and bytes of every image in
the calibration folder (adding, removing or editing one makes a new entry).
Entries live under $C2CORE_CACHE_DIR or ~/.cache/caffe2-studio/quantized/,
each written to a temporary folder and renamed into place, with the report
(report.json) and the sidecar (model.json) beside the model. A small pointer
per model and engine remembers the latest entry, so a backend created without
a calibration folder (the app's classify list after "Quantize to INT8…")
reuses it; the CLI still asks for --calib so a command line says what it ran.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile

from ..errors import C2Error


def cache_root() -> str:
    root = os.environ.get("C2CORE_CACHE_DIR") or os.path.join(os.path.expanduser("~"), ".cache", "caffe2-studio")
    return os.path.join(root, "quantized")


def _model_digest(source) -> str:
    h = hashlib.sha256()
    m = source.model
    if m is not None:
        h.update(m.predict_net.SerializeToString(deterministic=True))
        if m.init_net is not None:
            h.update(m.init_net.SerializeToString(deterministic=True))
        h.update(json.dumps(sorted((k, str(v)) for k, v in (source.input_shapes() or {}).items())).encode())
    else:
        from ..io.digest import file_sha256

        h.update(file_sha256(source.onnx_path()).encode())
    return h.hexdigest()


def _folder_digest(folder: str) -> str:
    from ..preprocess.images import list_images

    if not os.path.isdir(folder):
        raise C2Error("calibration folder does not exist or is not a folder", folder)
    h = hashlib.sha256()
    for p in list_images(folder):
        h.update(os.path.basename(p).encode() + b"\0")
        with open(p, "rb") as f:
            h.update(hashlib.sha256(f.read()).digest())
    return h.hexdigest()


def _tool_version(engine: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    from .ptq import RECIPES

    try:
        v = version("nncf") + "/" + version("openvino") if engine == "openvino" else version("onnxruntime")
    except PackageNotFoundError:
        v = "?"
    return v + "/" + RECIPES.get(engine, "")


def cache_key(source, engine: str, calib: str, count: int | None, preprocess) -> str:
    h = hashlib.sha256()
    for part in (_model_digest(source), engine, _tool_version(engine), str(count), repr(preprocess),
                 _folder_digest(calib)):
        h.update(part.encode() + b"\0")
    return h.hexdigest()[:24]


def cached_int8(source, engine: str, calib: str | None, count: int | None = 300, preset=None,
                progress=None, cancel=None) -> str:
    """Path of the INT8 model for `source` on `engine`, quantizing it on first use."""
    from ..preprocess.presets import resolve_preprocess
    from .ptq import quantize

    if not calib:
        # no calibration set named: the last quantization of this very model (the app's
        # "Quantize to INT8…" then classify with openvino:int8), else refuse
        latest = _latest(source, engine)
        if latest is not None:
            return latest
        raise C2Error(f"backend '{engine}:int8' quantizes the model first: give --calib DIR "
                      "(a folder of calibration images)")
    pre = resolve_preprocess(source, preset)
    key = cache_key(source, engine, calib, count, pre)
    folder = os.path.join(cache_root(), f"{engine}-{key}")
    name = "model.xml" if engine == "openvino" else "model.onnx"
    path = os.path.join(folder, name)
    if os.path.isfile(path):
        _set_latest(source, engine, path)
        return path
    os.makedirs(cache_root(), exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=f".{engine}-{key}-", dir=cache_root())
    try:
        report = quantize(source, engine, calib, os.path.join(tmp, name), count=count, preset=pre,
                          latency_runs=5, progress=progress, cancel=cancel)
        with open(os.path.join(tmp, "report.json"), "w", encoding="utf-8") as f:
            json.dump(report.to_dict() | {"output": path, "text": report.format(),
                                          "files": [os.path.join(folder, os.path.basename(x)) for x in report.files]},
                      f, indent=2)
        try:
            os.replace(tmp, folder)
        except OSError:  # another process filled the entry meanwhile: keep theirs
            if not os.path.isfile(path):
                raise
    finally:
        if os.path.isdir(tmp):
            shutil.rmtree(tmp, ignore_errors=True)
    _set_latest(source, engine, path)
    return path


def _pointer(source, engine: str) -> str:
    return os.path.join(cache_root(), f"latest-{engine}-{_model_digest(source)[:24]}.json")


def _set_latest(source, engine: str, path: str) -> None:
    p = _pointer(source, engine)
    with open(p + ".partial", "w", encoding="utf-8") as f:
        json.dump({"path": path}, f)
    os.replace(p + ".partial", p)


def _latest(source, engine: str) -> str | None:
    """The most recent cached INT8 model of `source` for `engine`, if it still exists."""
    try:
        with open(_pointer(source, engine), encoding="utf-8") as f:
            path = json.load(f).get("path")
    except (OSError, ValueError, AttributeError):
        return None
    return path if isinstance(path, str) and os.path.isfile(path) else None


def has_int8(source, engine: str) -> bool:
    """Whether `source` was quantized for `engine` already (so `engine:int8` runs without --calib)."""
    return _latest(source, engine) is not None


def cached_report(model_path: str) -> dict | None:
    """The report.json beside a cached INT8 model, if any."""
    p = os.path.join(os.path.dirname(os.path.abspath(model_path)), "report.json")
    try:
        with open(p, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def copy_artifact(path: str, output: str) -> list[str]:
    """Copy a cached INT8 model (+ .bin, model.json, labels file) to `output`; returns the files written."""
    from .ptq import _move_into_place

    src_dir = os.path.dirname(os.path.abspath(path))
    ext = os.path.splitext(path)[1]
    if os.path.splitext(output)[1].lower() != ext:
        raise C2Error(f"the INT8 model is a {ext} file: save it as .../name{ext}", output)
    out_dir = os.path.dirname(os.path.abspath(output))
    pairs = []
    if ext == ".xml":
        pairs.append((os.path.splitext(path)[0] + ".bin", os.path.splitext(output)[0] + ".bin"))
    pairs.append((path, output))
    for extra in os.listdir(src_dir):
        if extra not in (os.path.basename(path), os.path.basename(path)[:-len(ext)] + ".bin", "report.json"):
            pairs.insert(0, (os.path.join(src_dir, extra), os.path.join(out_dir, extra)))
    _move_into_place(pairs)
    return [dst for _, dst in pairs]
