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
    od = data.get("output_dir", "out")
    if not isinstance(od, str) or not od or "\x00" in od:
        raise C2Error(f"'output_dir' must be a folder path, got {od!r:.60}", path)
    out_dir = os.path.join(base, od)
    defaults = data.get("defaults") or {}
    if not isinstance(defaults, dict):
        raise C2Error("'defaults' must be a mapping", path)
    jobs, names, outputs = [], set(), {}
    for i, raw in enumerate(data.get("jobs", data.get("models"))):
        if isinstance(raw, str):
            raw = {"model": raw}
        if not isinstance(raw, dict) or "model" not in raw:
            raise C2Error(f"job #{i + 1} needs a 'model'", path)
        spec = {**defaults, **raw}
        unknown = set(spec) - _KNOWN
        if unknown:
            raise C2Error(f"job #{i + 1}: unknown key(s) {', '.join(sorted(unknown))}", path)
        _check_types(spec, i, path)
        model = os.path.join(base, str(spec["model"]))
        name = str(spec.get("name") or os.path.basename(os.path.normpath(model)).split(".")[0])
        _check_name(name, i, path)
        if name in names:
            raise C2Error(f"job #{i + 1}: duplicate name '{name}'", path)
        names.add(name)
        to = str(spec.get("to", "onnx"))
        if to not in TARGET_EXT:
            raise C2Error(f"job '{name}': unknown target '{to}' (onnx, openvino, tensorrt)", path)
        output = _confined_output(out_dir, str(spec.get("output") or name + TARGET_EXT[to]), name, path)
        if output in outputs:
            raise C2Error(f"job '{name}': output {os.path.relpath(output, out_dir)} is also job "
                          f"'{outputs[output]}''s output", path)
        outputs[output] = name
        shapes = spec.get("input_shape") or {}
        extra = [str(a) for a in (spec.get("extra_args") or [])]
        _check_extra_args(extra, name, path)
        jobs.append(Job(name=name, model=model, output=output, to=to, opset=spec.get("opset"),
                        verify=bool(spec.get("verify", True)), rtol=spec.get("rtol"), input_shape=shapes,
                        dynamic_batch=bool(spec.get("dynamic_batch", False)), precision=spec.get("precision"),
                        extra_args=extra, retries=int(spec.get("retries", 1))))
    if not jobs:
        raise C2Error("manifest lists no jobs", path)
    return jobs, out_dir


# key -> (accepted Python types, description) for values from the YAML
_TYPES = {
    "name": ((str, int), "a string"), "model": ((str,), "a path"), "output": ((str,), "a file name"),
    "to": ((str,), "onnx, openvino or tensorrt"), "opset": ((int,), "an integer"), "verify": ((bool,), "true or false"),
    "rtol": ((int, float), "a number"), "input_shape": ((dict,), "a mapping of input names to dims"),
    "dynamic_batch": ((bool,), "true or false"), "precision": ((str,), "a string"),
    "extra_args": ((list,), "a list of strings"), "init": ((str,), "a path"), "retries": ((int,), "an integer"),
}
MAX_RETRIES = 10


def _check_types(spec: dict, i: int, path: str) -> None:
    """Every value of the job has the type its key needs (YAML allows anything)."""
    import math

    for k, v in spec.items():
        if v is None and k != "model":
            continue
        types, what = _TYPES[k]
        ok = isinstance(v, types) and not (isinstance(v, bool) and bool not in types)
        if ok and isinstance(v, float) and not math.isfinite(v):
            ok = False
        if not ok:
            raise C2Error(f"job #{i + 1}: '{k}' must be {what}, got {v!r:.60}", path)
    if "retries" in spec and spec["retries"] is not None and not 0 <= spec["retries"] <= MAX_RETRIES:
        raise C2Error(f"job #{i + 1}: 'retries' must be 0..{MAX_RETRIES}", path)
    for k, dims in (spec.get("input_shape") or {}).items():
        if not isinstance(k, str) or not isinstance(dims, list) or not dims or \
                not all(isinstance(d, int) and not isinstance(d, bool) and d > 0 for d in dims):
            raise C2Error(f"job #{i + 1}: input_shape must map input names to lists of positive integers, "
                          f"got {k!r:.40}: {dims!r:.60}", path)
    for a in spec.get("extra_args") or []:
        if isinstance(a, (dict, list)) or a is None:
            raise C2Error(f"job #{i + 1}: extra_args must be a list of strings, got {a!r:.60}", path)


def _check_name(name: str, i: int, path: str) -> None:
    """A job name is a plain file-name-like label: it names state files and default outputs."""
    if not name or name in (".", "..") or "/" in name or "\\" in name or "\x00" in name or len(name) > 200:
        raise C2Error(f"job #{i + 1}: name {name!r:.60} must be a plain name (no '/', '..', NUL; at most 200 "
                      "characters)", path)


def _confined_output(out_dir: str, rel: str, name: str, path: str) -> str:
    """The job's output path, which must stay inside output_dir (and out of its state folder)."""
    if "\x00" in rel or os.path.isabs(rel):
        raise C2Error(f"job '{name}': output '{rel}' must be a file name relative to output_dir", path)
    base = os.path.realpath(out_dir)
    full = os.path.realpath(os.path.join(base, rel))
    if os.path.commonpath([base, full]) != base or full == base:
        raise C2Error(f"job '{name}': output '{rel}' points outside output_dir", path)
    if os.path.relpath(full, base).split(os.sep)[0] == ".c2batch":
        raise C2Error(f"job '{name}': output '{rel}' is inside the batch state folder", path)
    return full


# convert options a job's extra_args may not set: where and what the job writes is
# the manifest's (output, to), and argparse accepts any unique prefix of a long option
_RESERVED = ("--output", "--to", "--timing-cache", "--json")


def _check_extra_args(args: list, name: str, path: str) -> None:
    for a in args:
        opt = a.split("=", 1)[0]
        if a == "--" or (a.startswith("-o") and not a.startswith("--")) or \
                any(len(opt) >= 3 and r.startswith(opt) for r in _RESERVED):
            raise C2Error(f"job '{name}': extra_args may not contain '{a}' (the output and target come from "
                          "the manifest's 'output' and 'to')", path)
