"""The batch manifest: YAML listing models to convert and how.

```yaml
output_dir: out              # relative to the manifest; default: beside it
defaults:                    # applied to every job, each job may override
  to: onnx                   # onnx | openvino | tensorrt
  opset: 17
  verify: true
  rtol: 1.0e-4
jobs:
  - name: resnet50           # unique; default: the model folder's name
    model: zoo/resnet50      # file or folder, relative to the manifest
    output: resnet50.onnx    # default: <name>.<ext for the target>
    input_shape: {data: [1, 3, 224, 224]}
    dynamic_batch: false
    precision: fp32          # openvino / tensorrt
    extra_args: ["--keep-failed"]
```
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field

from ..errors import C2Error

TARGET_EXT = {"onnx": ".onnx", "openvino": ".xml", "tensorrt": ".plan"}
_KNOWN = {"name", "model", "output", "to", "opset", "verify", "rtol", "input_shape", "dynamic_batch",
          "precision", "extra_args", "init", "retries"}


@dataclass
class Job:
    name: str
    model: str
    output: str
    to: str = "onnx"
    opset: int | None = None
    verify: bool = True
    rtol: float | None = None
    input_shape: dict = field(default_factory=dict)
    dynamic_batch: bool = False
    precision: str | None = None
    extra_args: list = field(default_factory=list)
    retries: int = 1

    def convert_argv(self) -> list[str]:
        """The `c2core convert` command line for this job."""
        argv = ["convert", self.model, "--to", self.to, "-o", self.output]
        if self.opset is not None:
            argv += ["--opset", str(self.opset)]
        for k, dims in self.input_shape.items():
            argv += ["--input-shape", f"{k}=" + ",".join(str(int(d)) for d in dims)]
        if self.dynamic_batch:
            argv.append("--dynamic-batch")
        argv.append("--verify" if self.verify else "--no-verify")
        if self.rtol is not None:
            argv += ["--rtol", repr(float(self.rtol))]
        if self.precision:
            argv += ["--precision", self.precision]
        return argv + [str(a) for a in self.extra_args]

    def fingerprint(self) -> str:
        """Changes when the inputs or the options change (decides resume)."""
        h = hashlib.sha256(json.dumps(self.convert_argv()).encode())
        for p in _model_files(self.model):
            try:
                st = os.stat(p)
                h.update(f"{p}:{st.st_size}:{st.st_mtime_ns}".encode())
            except OSError:
                h.update(f"{p}:missing".encode())
        return h.hexdigest()[:16]


def _model_files(path: str) -> list[str]:
    if os.path.isdir(path):
        return sorted(os.path.join(path, n) for n in os.listdir(path) if os.path.isfile(os.path.join(path, n)))
    d = os.path.dirname(path) or "."
    try:
        return [path] + sorted(os.path.join(d, n) for n in os.listdir(d) if "init" in n.lower())
    except OSError:
        return [path]


def load_manifest(path: str) -> tuple[list[Job], str]:
    """Parse and validate a manifest; returns (jobs, output_dir)."""
    import yaml

    try:
        with open(path, "rb") as f:
            data = yaml.safe_load(f.read().decode("utf-8"))
    except FileNotFoundError:
        raise C2Error("no such manifest", path) from None
    except IsADirectoryError:
        raise C2Error("is a folder, not a manifest file", path) from None
    except OSError as e:
        raise C2Error(f"cannot read the manifest: {e.strerror or e}", path) from None
    except (yaml.YAMLError, UnicodeDecodeError) as e:
        raise C2Error(f"not valid YAML: {str(e).splitlines()[0]}", path) from None
    if not isinstance(data, dict) or not isinstance(data.get("jobs", data.get("models")), list):
        raise C2Error("expected a mapping with a 'jobs' list", path)
    base = os.path.dirname(os.path.abspath(path))
    out_dir = os.path.join(base, str(data.get("output_dir", "out")))
    defaults = data.get("defaults") or {}
    if not isinstance(defaults, dict):
        raise C2Error("'defaults' must be a mapping", path)
    jobs, names = [], set()
    for i, raw in enumerate(data.get("jobs", data.get("models"))):
        if isinstance(raw, str):
            raw = {"model": raw}
        if not isinstance(raw, dict) or "model" not in raw:
            raise C2Error(f"job #{i + 1} needs a 'model'", path)
        spec = {**defaults, **raw}
        unknown = set(spec) - _KNOWN
        if unknown:
            raise C2Error(f"job #{i + 1}: unknown key(s) {', '.join(sorted(unknown))}", path)
        model = os.path.join(base, str(spec["model"]))
        name = str(spec.get("name") or os.path.basename(os.path.normpath(model)).split(".")[0])
        if name in names:
            raise C2Error(f"job #{i + 1}: duplicate name '{name}'", path)
        names.add(name)
        to = str(spec.get("to", "onnx"))
        if to not in TARGET_EXT:
            raise C2Error(f"job '{name}': unknown target '{to}' (onnx, openvino, tensorrt)", path)
        output = os.path.join(out_dir, str(spec.get("output") or name + TARGET_EXT[to]))
        shapes = spec.get("input_shape") or {}
        if not isinstance(shapes, dict):
            raise C2Error(f"job '{name}': input_shape must map input names to dims", path)
        jobs.append(Job(name=name, model=model, output=output, to=to, opset=spec.get("opset"),
                        verify=bool(spec.get("verify", True)), rtol=spec.get("rtol"), input_shape=shapes,
                        dynamic_batch=bool(spec.get("dynamic_batch", False)), precision=spec.get("precision"),
                        extra_args=list(spec.get("extra_args") or []), retries=int(spec.get("retries", 1))))
    if not jobs:
        raise C2Error("manifest lists no jobs", path)
    return jobs, out_dir
