"""torch module → ONNX (torch's exporter) → Caffe2 pair (c2core's importer), with a build cache.

The TorchScript-based exporter (`dynamo=False`) is preferred: it emits the
plain CNN op set the importer covers. Where a torch release no longer has it,
the dynamo exporter is used instead.
"""

from __future__ import annotations

import io
import os
import warnings
from dataclasses import dataclass


@dataclass
class BuildResult:
    folder: str
    cached: bool
    seconds: float
    sidecar: dict


def export_onnx_bytes(module, example, input_name: str, output_name: str, opset: int = 13) -> bytes:
    import torch

    buf = io.BytesIO()
    kwargs = dict(opset_version=opset, input_names=[input_name], output_names=[output_name], do_constant_folding=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with torch.no_grad():
            try:
                torch.onnx.export(module, (example,), buf, dynamo=False, **kwargs)
            except TypeError:  # a torch whose export() has no `dynamo` switch: legacy by default
                buf = io.BytesIO()
                torch.onnx.export(module, (example,), buf, **kwargs)
            except (RuntimeError, NotImplementedError):  # legacy exporter removed
                buf = io.BytesIO()
                torch.onnx.export(module, (example,), buf, dynamo=True, **kwargs)
    return buf.getvalue()


def cached_sidecar(folder: str, key: dict) -> dict | None:
    """The existing sidecar when the folder already holds this exact build, else None."""
    from ..errors import C2Error
    from .sidecar import read_sidecar

    try:
        data = read_sidecar(folder)
    except C2Error:
        return None
    if data.get("build", {}).get("key") != key:
        return None
    for k in ("predict_net", "init_net", "labels"):
        if not os.path.isfile(os.path.join(folder, data.get(k, ""))):
            return None
    return data


def write_caffe2_model(onnx_bytes: bytes, folder: str, sidecar: dict, labels_src: str | None) -> dict:
    """Import the ONNX bytes into folder, labels and sidecar beside them.

    Blobs get readable Caffe2-style names (c2core.onnx.importer.naming:
    `conv_stem`, `conv_stem_w`, `blocks_1_depthwise_conv`); the input and
    output keep the names given to the exporter.

    Every file is published together (c2core.io.publish): a folder never holds
    a new predict net beside an old model.json, so the cache check cannot be
    fooled by a half-finished build.
    """
    import onnx

    from ..io.sidecar import SIDECAR, sidecar_bytes
    from ..onnx.importer import import_onnx, write_pair

    m = import_onnx(onnx.load_from_string(onnx_bytes), name=sidecar.get("name"), names="readable")
    extra = {SIDECAR: sidecar_bytes(sidecar)}
    if labels_src:
        with open(labels_src, "rb") as f:
            extra[sidecar["labels"]] = f.read()
    write_pair(m, folder, extra=extra)  # nets, labels and model.json published together
    return sidecar
