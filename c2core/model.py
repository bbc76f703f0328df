"""`Model`: a Caffe2 predict net, its weights, and what was learned opening it.

The predict net is kept as the protobuf message (ops, args, external I/O);
weights are `fills.Weight`s produced by running the init net's fill ops, loaded
on first access so that `c2core info` can count parameters without
materialising arrays. Everything above this layer (graph, shapes, runtime,
exporters, the app) takes a `Model`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from .fills import FILL_OPS, Weight, check_stored_count, fill_args, fill_shape
from .errors import C2Error, C2FormatError


@dataclass
class WeightSpec:
    """What an init-net op will create, known without materialising values."""

    name: str
    shape: tuple[int, ...] | None
    dtype: str
    op_type: str
    random: bool = False

    @property
    def numel(self) -> int:
        if self.shape is None:
            return 0
        n = 1
        for d in self.shape:
            n *= d
        return n


_DTYPE_NAMES = {
    "GivenTensorFill": "float32", "GivenTensorDoubleFill": "float64", "GivenTensorIntFill": "int32",
    "GivenTensorInt16Fill": "int16", "GivenTensorInt64Fill": "int64", "GivenTensorBoolFill": "bool",
    "GivenTensorStringFill": "object", "GivenTensorByteStringToUInt8Fill": "uint8",
    "Int8GivenTensorFill": "uint8", "Int8GivenIntTensorFill": "int32",
}
_PLACEHOLDER_FILLS = {"ConstantFill", "GivenTensorFill", "GivenTensorIntFill", "GivenTensorInt64Fill", "GivenTensorDoubleFill"}
_ITEMSIZE = {"float32": 4, "float64": 8, "int32": 4, "int16": 2, "int64": 8, "bool": 1, "uint8": 1, "int8": 1, "float16": 2}


@dataclass
class Model:
    predict_net: object  # caffe2_pb2.NetDef
    init_net: object | None = None  # caffe2_pb2.NetDef
    predict_path: str | None = None
    init_path: str | None = None
    formats: dict = field(default_factory=dict)  # {'predict': 'binary'|'text'|'minidb', 'init': ...}
    value_info: dict = field(default_factory=dict)  # name -> (elem_type, dims) from value_info.json
    warnings: list = field(default_factory=list)
    _weights: dict | None = None
    _loader: Callable[[], dict] | None = None
    _specs: dict | None = None
    # no init net because none is needed: value_info.json declares every external input as
    # data (an imported ONNX model without initializers), so this is not a structure-only net
    weightless: bool = False
    # Why the weights cannot be read (a corrupt init net opened structure-only), else None.
    weights_error: str | None = None

    # ----- identity -------------------------------------------------------
    @property
    def name(self) -> str:
        if self.predict_net.name:
            return self.predict_net.name
        import os

        p = self.predict_path or ""
        return os.path.basename(os.path.dirname(p)) or os.path.basename(p) or "model"

    @property
    def structure_only(self) -> bool:
        return self.init_net is None and self._loader is None and not self._weights and not self.weightless

    def require_weights(self) -> None:
        """Raise the reason the weights are unusable (a corrupt init net opened for
        its structure only); running and converting call this first."""
        if self.weights_error is not None:
            raise C2FormatError(self.weights_error, self.init_path)

    # ----- weights ----------------------------------------------------------
    @property
    def weights(self) -> dict[str, Weight]:
        """name -> Weight; runs the init net the first time (C2FormatError when
        the init net was found corrupt: `weights_error`)."""
        self.require_weights()
        if self._weights is None:
            if self._loader is not None:
                self._weights = self._loader()
            elif self.init_net is not None:
                from . import budget
                from .init_net import run_init_net

                # every fill's shape was checked alone (weight_specs); together they must fit too
                budget.check_bytes(self.weights_bytes, "the init net's weights (all together)", self.init_path)
                self._weights = run_init_net(self.init_net, self.init_path)
            else:
                self._weights = {}
        return self._weights

    def weight_arrays(self) -> dict[str, np.ndarray]:
        return {k: w.array for k, w in self.weights.items()}

    @property
    def weight_specs(self) -> dict[str, WeightSpec]:
        """Shapes and dtypes of the weights, without reading their values."""
        if self._specs is None:
            if self.weights_error is not None:
                return {}
            if self._weights is not None or self.init_net is None:
                self._specs = {
                    k: WeightSpec(k, w.shape, w.dtype, w.op_type, w.random) for k, w in self.weights.items()
                }
            else:
                from .init_net import computes

                specs = {}
                for op in self.init_net.op:
                    if op.type not in FILL_OPS or not op.output or (op.type == "ConstantFill" and len(op.input)):
                        continue
                    a = fill_args(op)
                    # Bad shapes and value counts are errors here, before anything is allocated.
                    shape = fill_shape(op, a, self.init_path)
                    check_stored_count(op, shape, self.init_path)
                    if op.type == "ConstantFill" or (op.type == "GivenTensorFill" and "dtype" in a):
                        from .errors import C2FormatError
                        from .fills import fill_dtype

                        try:
                            dt = np.dtype(fill_dtype(op, a)).name
                        except C2FormatError as e:
                            raise C2FormatError(f"{op.type} '{op.output[0]}': {e.reason}", self.init_path) from None
                    else:
                        dt = _DTYPE_NAMES.get(op.type, "float32")
                    specs[op.output[0]] = WeightSpec(op.output[0], shape, dt, op.type, op.type in ("XavierFill", "MSRAFill", "GaussianFill", "UniformFill", "UniformIntFill"))
                if computes(self.init_net):
                    specs = _computed_specs(self.init_net, specs)
                self._specs = specs
        return self._specs

    @property
    def num_parameters(self) -> int:
        return sum(s.numel for s in self.weight_specs.values())

    @property
    def weights_bytes(self) -> int:
        if self._weights is not None:
            return sum(w.nbytes for w in self._weights.values())
        total = 0
        for s in self.weight_specs.values():
            if s.dtype == "object":
                continue
            total += s.numel * _ITEMSIZE.get(s.dtype, 4)
        return total

    # ----- inputs and outputs ------------------------------------------------
    @property
    def external_inputs(self) -> list[str]:
        return list(self.predict_net.external_input)

    @property
    def external_outputs(self) -> list[str]:
        return list(self.predict_net.external_output)

    @property
    def data_inputs(self) -> list[str]:
        """External inputs fed at run time, in Caffe2 Predictor order.

        Those not created by the init net; plus `external_input[0]` when the
        init net only holds a placeholder for it (a data blob consumed at an
        op's first input slot). value_info.json, when present, decides.
        A blob the init net lacks but that only feeds parameter slots is a
        missing weight, not data (see `missing_weights`).
        """
        from .inputs import read_blobs

        read = read_blobs(self.predict_net)
        # declared inputs that no op reads are not fed (Caffe2 never requires them)
        return [n for n in self._data_inputs() if n in read]

    def _data_inputs(self) -> list[str]:
        ext = self.external_inputs
        if self.value_info:
            named = [n for n in ext if n in self.value_info]
            if named:
                return named
        have = set(self.weight_specs)
        if not have and self.structure_only:
            return self._guess_data_inputs(ext)
        lacking = self.missing_weights
        data = [n for n in ext if n not in have and n not in lacking]
        if ext and ext[0] in have and ext[0] not in data and self._is_placeholder(ext[0]):
            data.insert(0, ext[0])
        # A 1-element fill read where data goes (Conv's X, FC's X) is a placeholder
        # for a fed input wherever it is listed, not a weight.
        specs = self.weight_specs
        for n in ext:
            if n in have and n not in data and specs[n].shape is not None and specs[n].numel <= 1 \
                    and specs[n].op_type in _PLACEHOLDER_FILLS and self._is_placeholder(n, layers_only=True):
                data.append(n)
        data.sort(key=ext.index)
        if not data and ext and not have:
            data = [ext[0]]
        return data

    @property
    def missing_weights(self) -> dict[str, tuple[int, str]]:
        """External inputs the init net should create but does not: name ->
        (index, type) of the first op using it.

        Only when the init net creates something (an empty init net means
        every input is fed), and only for blobs every op reads in a parameter
        slot: an input after the first of a Layer or Normalization op (Conv's
        filter and bias, FC's W and b, SpatialBN's statistics, Int8Conv's W)
        or PRelu's slope. Elsewhere (`Sub(m, bias)`) a later slot may well be
        data, so such blobs stay data inputs.
        """
        if not self.weight_specs:
            return {}
        from .schema import category

        have = set(self.weight_specs)
        ext = {n for n in self.external_inputs if n not in have}
        first: dict[str, tuple[int, str]] = {}
        data_use = set()
        for i, op in enumerate(self.predict_net.op):
            for k, b in enumerate(op.input):
                if b not in ext or b in data_use:
                    continue
                if k >= 1 and (category(op.type) in ("Layer", "Normalization") or op.type == "PRelu"):
                    first.setdefault(b, (i, op.type))
                else:
                    data_use.add(b)
            # written by the net before any parameter-slot read: not a weight
            data_use.update(o for o in op.output if o in ext and o not in first)
        return {n: first[n] for n in self.external_inputs if n in first and n not in data_use}

    def missing_weights_error(self):
        """A C2Error naming `missing_weights` (None when none are missing): the
        one message both the executor and the exporters give."""
        lacking = list(self.missing_weights)
        if not lacking:
            return None
        return C2Error(missing_weights_message(self.predict_net, lacking), self.init_path or self.predict_path)

    def _guess_data_inputs(self, ext) -> list[str]:
        """A predict net alone: weights are external inputs too. Guess the data
        inputs as the external inputs whose every use is an op's first input
        (weights sit in later slots: Conv's filter, FC's W, SpatialBN's scale);
        external_input[0] when none qualifies. Zoo nets do not always list
        the data blob first, so the position alone cannot decide."""
        if not ext:
            return []
        slots: dict[str, bool] = {}
        for op in self.predict_net.op:
            for k, b in enumerate(op.input):
                slots[b] = slots.get(b, True) and k == 0
        return [n for n in ext if slots.get(n, False)] or [ext[0]]

    def _is_placeholder(self, name: str, layers_only: bool = False) -> bool:
        """`name` is first read at slot 0 of an op that takes data there (not
        an elementwise op; with `layers_only`, a Layer/Normalization/Pool op)."""
        for op in self.predict_net.op:
            if name in op.input:
                if list(op.input).index(name) != 0 or op.type in ("Mul", "Add", "Sub", "Div", "Sum"):
                    return False
                if layers_only:
                    from .schema import category

                    return len(op.input) > 1 and category(op.type) in ("Layer", "Normalization", "Pool")
                return True
        return False

    @property
    def parameter_names(self) -> list[str]:
        data = set(self.data_inputs)
        return [n for n in self.weight_specs if n not in data]

    def input_shapes(self) -> dict[str, tuple[int, ...]]:
        """Declared input shapes: value_info.json, else a placeholder's own shape."""
        out = {}
        for n in self.data_inputs:
            if n in self.value_info:
                out[n] = tuple(int(d) for d in self.value_info[n][1])
            else:
                s = self.weight_specs.get(n)
                if s is not None and s.shape is not None and s.numel > 1:
                    out[n] = tuple(s.shape)
        return out

    def op_types(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for op in self.predict_net.op:
            counts[op.type] = counts.get(op.type, 0) + 1
        return counts


def _computed_specs(init_net, specs: dict) -> dict:
    """Specs of an init net that computes (Cast, OneHot, Reshape...): shapes by
    static inference over the whole net, no values read, no torch."""
    from .shapes import BlobInfo, run_net

    from .fills import GIVEN_FILLS, run_fill

    env = {k: BlobInfo(s.shape, s.dtype) for k, s in specs.items()}
    randoms = {k for k, s in specs.items() if s.random}
    consts = {}  # small integer constants (Reshape's shape, OneHot's depth) read for their values
    for i, op in enumerate(init_net.op):
        s = specs.get(op.output[0]) if op.output else None
        if op.type in GIVEN_FILLS and s is not None and s.shape is not None and s.numel <= 64 and s.dtype.startswith("int"):
            consts[op.output[0]] = run_fill(op, i)[0].array.ravel().tolist()
    from .proto import caffe2_pb2

    computing = caffe2_pb2.NetDef()  # the fills are known already (and would hide the constants)
    computing.op.extend(op for op in init_net.op if not (op.output and op.output[0] in specs and op.type in FILL_OPS))
    run_net(computing, env, consts=consts)
    out = dict(specs)
    for op in init_net.op:
        rnd = any(b in randoms for b in op.input)
        for name in op.output:
            if name in specs and op.type in FILL_OPS:
                continue
            info = env.get(name)
            shape = None
            if info is not None and info.shape is not None and all(d >= 0 for d in info.shape):
                shape = tuple(info.shape)
            out[name] = WeightSpec(name, shape, (info.dtype if info is not None and info.dtype else "float32"), op.type, rnd)
            if rnd:
                randoms.add(name)
    return out


def missing_weights_message(net, names) -> str:
    """`weight 'b' is missing from the init net (used by op #3 Conv)`; several
    names are listed (up to 8) each with its first user in `net`."""
    first: dict = {}
    for i, op in enumerate(net.op):
        for n in op.input:
            first.setdefault(n, f"op #{i} {op.type}")
    if len(names) == 1:
        return f"weight '{names[0]}' is missing from the init net (used by {first[names[0]]})"
    listed = ", ".join(f"'{n}' (used by {first[n]})" for n in names[:8])
    more = f" and {len(names) - 8} more" if len(names) > 8 else ""
    return f"weights {listed}{more} are missing from the init net"
