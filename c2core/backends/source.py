"""What a backend is prepared from: a Caffe2 model, its ONNX export, or a built artifact.

Several backends compared or benchmarked side by side must see the same model
with the same input shapes, and the ONNX export (slow for big nets) should
happen once, not once per backend. `ModelSource` owns that: it opens the path
the user gave (a Caffe2 file/folder, an `.onnx`, an OpenVINO `.xml` or a
TensorRT `.plan`), fixes the batch size, exports ONNX into its work folder on
first request, and removes the folder on `close()` unless the caller chose it.

The batch is static by default (every engine is fastest that way); ONNX-based
backends read the shapes from the file, the executor from `input_shapes()`.
"""

from __future__ import annotations

import os
import shutil
import tempfile

import numpy as np

from ..errors import C2Error

ONNX_EXT = (".onnx",)
IR_EXT = (".xml",)
PLAN_EXT = (".plan", ".engine", ".trt")


# The backend that runs each kind of model file as it is (classify's default).
NATIVE_BACKEND = {"caffe2": "c2", "onnx": "onnxruntime", "openvino": "openvino", "tensorrt": "tensorrt"}


def kind_of(path: str) -> str:
    """'caffe2' | 'onnx' | 'openvino' | 'tensorrt' from the path alone."""
    p = str(path).lower()
    if p.endswith(ONNX_EXT):
        return "onnx"
    if p.endswith(IR_EXT):
        return "openvino"
    if p.endswith(PLAN_EXT):
        return "tensorrt"
    return "caffe2"


class ModelSource:
    """One model, as each backend needs it; export artifacts cached in `workdir`."""

    def __init__(self, model=None, path: str | None = None, batch: int | None = None,
                 input_shapes: dict | None = None, workdir: str | None = None, opset: int = 17,
                 progress=None, cancel=None, onnx: str | None = None, dynamic_batch: bool = False,
                 image_size: int | None = None):
        self.model = model
        # what the input resolver assumed (one line), for the command or the app to show
        self.warnings: list[str] = []
        # images feed the model: their preprocessing crop defines an undeclared input's size
        self.image_size = image_size
        self._resolved = None
        self.dynamic_batch = dynamic_batch  # export with a symbolic batch dimension  # c2core Model or None
        self.path = os.fspath(path) if path is not None else getattr(model, "predict_path", None)
        self.kind = "caffe2" if model is not None else kind_of(self.path or "")
        self.batch = batch
        self.opset = opset
        self.progress = progress
        self.cancel = cancel
        self._explicit_shapes = {k: tuple(int(d) for d in v) for k, v in (input_shapes or {}).items()}
        self._own_workdir = workdir is None
        self._workdir = workdir
        # `onnx`: an export of `model` made earlier (e.g. by a parent process), reused as is
        self._onnx_path = self.path if self.kind == "onnx" else (os.fspath(onnx) if onnx else None)
        self._onnx_shapes: dict | None = None
        self._sidecar: dict | None = None

    # ----- construction ------------------------------------------------------
    @classmethod
    def open(cls, path: str, batch: int | None = None, input_shapes: dict | None = None,
             workdir: str | None = None, value_info=None, **kw) -> "ModelSource":
        path = os.fspath(path)
        from ..io.publish import settle_model

        settle_model(path)  # one complete generation of a multi-file artifact (xml+bin, plan+sidecar)
        if not os.path.exists(path):
            raise C2Error("no such file or folder", path)
        if kind_of(path) != "caffe2":
            src = cls(path=path, batch=batch, input_shapes=input_shapes, workdir=workdir, **kw)
            if src.kind == "onnx":
                src._shapes_from_onnx()  # a file that is not ONNX is refused here, before any backend starts
            return src
        from ..io import open_model

        return cls(model=open_model(path, value_info=value_info), path=path, batch=batch, input_shapes=input_shapes,
                   workdir=workdir, **kw)

    # ----- files ---------------------------------------------------------------
    @property
    def workdir(self) -> str:
        if self._workdir is None:
            self._workdir = tempfile.mkdtemp(prefix="c2core-")
        os.makedirs(self._workdir, exist_ok=True)
        return self._workdir

    @property
    def name(self) -> str:
        if self.model is not None:
            return self.model.name
        return os.path.splitext(os.path.basename(self.path or "model"))[0]

    @property
    def folder(self) -> str | None:
        """Folder of the model files: where a sidecar model.json lives."""
        if self.path is None:
            return None
        return self.path if os.path.isdir(self.path) else os.path.dirname(os.path.abspath(self.path))

    @property
    def exported_onnx(self) -> str | None:
        """The ONNX file already exported from (or given as) this model, else None: never exports."""
        return self._onnx_path

    def onnx_path(self) -> str:
        """The ONNX file: the one given, or the Caffe2 model exported once (static batch unless dynamic_batch)."""
        if self._onnx_path is not None:
            return self._onnx_path
        if self.model is None:
            raise C2Error(f"a {self.kind} file cannot be turned into ONNX", self.path)
        try:
            from ..onnx.export import export_onnx
        except ImportError as e:
            raise C2Error(f"the Caffe2 -> ONNX exporter is not available ({e})", self.path) from None
        out = os.path.join(self.workdir, f"{_safe(self.name)}.onnx")
        export_onnx(self.model, out, opset=self.opset, input_shapes=self.input_shapes() or None,
                    dynamic_batch=self.dynamic_batch, progress=self.progress, cancel=self.cancel)
        self._onnx_path = out
        return out

    # ----- shapes and inputs --------------------------------------------------------
    def input_shapes(self) -> dict[str, tuple[int, ...]]:
        """Input name -> shape, with the batch dimension set to `batch` when given."""
        if self.model is not None:
            shapes = dict(self.resolved().shapes)
        elif self._explicit_shapes:
            shapes = dict(self._explicit_shapes)
        elif self.kind == "onnx":
            shapes = self._shapes_from_onnx()
        else:
            # an IR / plan: the sidecar written beside it names its input (c2core/quantize/ptq.py)
            from ..inputs import _sidecar_shape

            declared = _sidecar_shape(self.sidecar())
            inp = self.sidecar().get("input")
            name = inp.get("name") if isinstance(inp, dict) else None
            shapes = {name: declared} if declared and isinstance(name, str) else {}
        if self.batch is not None:
            shapes = {k: (int(self.batch),) + tuple(v[1:]) if v else v for k, v in shapes.items()}
        return shapes

    def resolved(self):
        """The input resolver's answer for a Caffe2 model (c2core.inputs), computed once."""
        if self._resolved is None:
            from ..inputs import resolve_inputs

            self._resolved = resolve_inputs(self.model, shapes=self._explicit_shapes or None, sidecar=self.sidecar(),
                                            image_size=self.image_size)
            if self._resolved.warning and self._resolved.warning not in self.warnings:
                self.warnings.append(self._resolved.warning)
        return self._resolved

    def set_input_shapes(self, shapes) -> None:
        """Explicit input shapes: {name: shape}, or `--input-shape` strings ([NAME=]D0,D1,...;
        without NAME= the first data input's). They win over anything declared."""
        if not shapes:
            return
        if not isinstance(shapes, dict):
            from ..inputs import parse_input_shapes

            shapes = parse_input_shapes(shapes, self.input_names())
        self._explicit_shapes.update({k: tuple(int(d) for d in v) for k, v in shapes.items()})
        self._resolved = None
        self._onnx_shapes = None if self.kind != "onnx" else self._onnx_shapes

    def set_image_size(self, size: int | None) -> None:
        """Images of `size` x `size` will feed the model (before any export)."""
        if size != self.image_size:
            self.image_size = size
            self._resolved = None
            self.warnings = []

    def _shapes_from_onnx(self) -> dict:
        if self._onnx_shapes is None:
            from ..onnx.load import load_onnx

            m = load_onnx(self.path, load_external_data=False)
            inits = {i.name for i in m.graph.initializer}
            out = {}
            for vi in m.graph.input:
                if vi.name in inits:
                    continue
                dims = [d.dim_value if d.HasField("dim_value") else 1 for d in vi.type.tensor_type.shape.dim]
                out[vi.name] = tuple(int(d) for d in dims)
            self._onnx_shapes = out
        return self._onnx_shapes

    def input_names(self) -> list[str]:
        if self.model is not None:
            return list(self.model.data_inputs)
        return list(self.input_shapes())

    def example_inputs(self, seed: int = 0) -> dict[str, np.ndarray]:
        """Deterministic random float32 inputs of the declared shapes (N(0,1))."""
        shapes = self.input_shapes()
        names = self.input_names()
        missing = [n for n in names if n not in shapes]
        if missing:
            raise C2Error(f"input shape unknown for {', '.join(missing)}: give --input-shape NAME=N,C,H,W", self.path)
        from .. import budget

        for n in names:  # float64 draws, then float32: 12 bytes per element at the peak
            budget.check_shape(shapes[n], 12, f"example input '{n}'", self.path)
        rng = np.random.default_rng(seed)
        out = {}
        for n in names:
            dt = None
            if self.model is not None:
                from ..inputs import consumer_dtype

                dt = self.resolved().dtypes.get(n) or consumer_dtype(self.model, n)
            if dt is not None and np.dtype(dt).kind in "iub":
                hi = 256 if np.dtype(dt) == np.uint8 else 2
                out[n] = rng.integers(0, hi, shapes[n]).astype(dt)
            else:
                out[n] = rng.standard_normal(shapes[n]).astype(np.float32)
        return out

    # ----- metadata ------------------------------------------------------------------
    def sidecar(self) -> dict:
        """The model's model.json (preprocessing, labels), or {} when absent."""
        if self._sidecar is None:
            from ..io.sidecar import read_sidecar

            self._sidecar = read_sidecar(self.folder) if self.folder else {}
        return self._sidecar

    def close(self) -> None:
        if self._own_workdir and self._workdir and os.path.isdir(self._workdir):
            shutil.rmtree(self._workdir, ignore_errors=True)
        self._workdir = None if self._own_workdir else self._workdir
        if self._own_workdir and self.kind == "caffe2" and self._onnx_path and not os.path.exists(self._onnx_path):
            self._onnx_path = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name) or "model"
