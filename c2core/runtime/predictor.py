"""`Predictor`: run a Caffe2 model on PyTorch kernels, prepared once.

Mirrors Caffe2's `Predictor(init_net, predict_net)`: weights are loaded once,
`run(inputs)` takes a dict name -> array (or a list fed to the data inputs in
order) and returns the net's external outputs by name. Intermediate blobs
can be fetched (`fetch=[...]`, `fetch_all=True`), which is what the GUI uses
to show activations.

Preparation (per set of fetched blobs, cached): unsupported ops are reported
all at once, affine ops are folded into convolutions (`fold=True`, see
`fold.py`), kernels parse their arguments, and blobs get list slots
(`plan.py`). Runs happen under `torch.inference_mode()`.
"""

from __future__ import annotations

import numpy as np

from ..errors import C2Error, UnsupportedOpsError
from ..model import missing_weights_message
from ..ops._arrays import tensor_from_numpy
from .plan import Plan, all_op_types

# value_info.json elem_type (TensorProto.DataType) -> numpy dtype
_ELEM = {1: np.float32, 2: np.int32, 3: np.uint8, 5: np.bool_, 6: np.uint8, 7: np.int8, 9: np.int16, 10: np.int64, 12: np.float16, 13: np.float64}


def _as_model(model_or_net, init_net):
    from ..model import Model

    if isinstance(model_or_net, Model):
        return model_or_net
    if hasattr(model_or_net, "op") and hasattr(model_or_net, "external_input"):
        return Model(predict_net=model_or_net, init_net=init_net, formats={"predict": "memory"})
    raise TypeError(f"expected a c2core Model or a NetDef, got {type(model_or_net).__name__}")


# Op families whose kernels were written and measured with channels-last
# tensors in mind; nets using others (detection, control flow, Int8) keep
# the default memory layout.
_DEFAULT_LAYOUT_FAMILIES = ("c2core.ops.detection", "c2core.ops.control", "c2core.ops.int8")


def _has_nchw_conv(net) -> bool:
    """Automatic channels-last: NCHW convolutions and only core op families."""
    from ..args import Args
    from ..ops.registry import lookup

    if any((spec := lookup(t)) is None or spec.module in _DEFAULT_LAYOUT_FAMILIES for t in all_op_types(net)):
        return False
    return any(op.type in ("Conv", "Conv2D", "ConvTranspose") and Args(op.arg, op.type).str("order").upper() == "NCHW" for op in net.op)


def unsupported_ops(net, have: frozenset | None = None) -> list[str]:
    """Op types in `net` (sub-nets included) that have no kernel. `have`: the op
    types with a kernel; by default read from the op manifest
    (c2core/schema/support.json) without importing torch, so that the app's
    support checks stay cheap."""
    if have is None:
        from ..schema.support import layer_types

        have = layer_types("executor")
    return sorted(t for t in all_op_types(net) if t not in have)


class Predictor:
    """A prepared model; call `run` as often as needed.

    device: "cpu" or "cuda" (or a torch.device). threads: torch intra-op
    threads used during `run` (restored afterwards); None leaves torch's
    setting alone. fold: fold BN / scale ops into convolutions.
    channels_last: keep 4-D weights and inputs in channels-last memory, which
    torch's CPU convolutions run faster (measured in bench/executor.py:
    SqueezeNet 77 -> 44 ms, EfficientNet-B0 48 -> 41 ms on one thread).
    None = automatic: on for CPU nets with NCHW convolutions. Values are
    unchanged: only the memory order differs.
    """

    def __init__(self, model_or_predict_net, init_net=None, *, device="cpu", threads=None, fold=True, channels_last=None):
        import torch

        self.model = _as_model(model_or_predict_net, init_net)
        self.device = torch.device(device)
        if self.device.type == "cuda" and not torch.cuda.is_available():
            raise C2Error("device 'cuda' requested but no CUDA GPU is available to torch")
        self.threads = threads
        self.fold = fold
        net = self.model.predict_net
        if channels_last is None:
            channels_last = self.device.type == "cpu" and _has_nchw_conv(net)
        self.channels_last = bool(channels_last)
        from ..ops.registry import supported_op_types

        missing = unsupported_ops(net, supported_op_types())  # the kernels are needed now: load them
        if missing:
            raise UnsupportedOpsError(missing, "the executor", self.model.predict_path)
        self.inputs = list(self.model.data_inputs)
        self.outputs = list(self.model.external_outputs)
        self._np_weights = self._load_weights()
        self._declared = self._declared_inputs()
        self._plans: dict = {}
        self.fold_log: list[str] = []
        self._plan_for(frozenset(), False)  # prepare now: errors surface here

    # ------------------------------------------------------------------
    def _load_weights(self) -> dict:
        m = self.model
        m.require_weights()
        if m.structure_only:
            raise C2Error("the model has no weights (structure-only net: give its init_net to run it)", m.predict_path)
        data = set(self.inputs)
        out = {}
        for name, w in m.weights.items():
            if name in data:
                continue
            if getattr(w, "scale", None) is not None:
                out[name] = w  # Int8 weight: converted by the int8 module
            else:
                out[name] = w.array
        needed = {n for op in m.predict_net.op for n in op.input}
        produced = {o for op in m.predict_net.op for o in op.output}
        lacking = [n for n in m.external_inputs if n not in data and n not in out and n in needed and n not in produced]
        if lacking:
            raise C2Error(missing_weights_message(m.predict_net, lacking), m.init_path or m.predict_path)
        return out

    def _declared_inputs(self) -> dict:
        """name -> (dtype or None, shape or None) that a feed is checked against: only
        what value_info declares. An init-net fill of a fed input (a placeholder, or an
        example tensor) declares nothing: the feed decides, as in Caffe2."""
        m = self.model
        out = {}
        for n in self.inputs:
            vi = m.value_info.get(n) if m.value_info else None
            if vi is None:
                out[n] = (None, None)
                continue
            out[n] = (_ELEM.get(int(vi[0])), tuple(int(d) for d in vi[1]))
        return out

    def _to_device(self, arrays: dict) -> dict:
        import torch

        out = {}
        for k, v in arrays.items():
            if isinstance(v, np.ndarray):
                if v.dtype == object:
                    continue
                t = tensor_from_numpy(v).to(self.device)
                if self.channels_last and t.dim() == 4 and t.is_floating_point():
                    t = t.contiguous(memory_format=torch.channels_last)
                out[k] = t
            else:
                from ..ops.int8 import weight_to_value

                q = weight_to_value(v)
                out[k] = q if self.device.type == "cpu" else q.__class__(q.values.to(self.device), q.scale, q.zero_point)
        return out

    def _plan_for(self, fetch: frozenset, fetch_all: bool) -> Plan:
        key = (fetch, fetch_all)
        plan = self._plans.get(key)
        if plan is not None:
            return plan
        net, weights = self.model.predict_net, self._np_weights
        if self.fold and not fetch_all:
            from .fold import fold_net

            plain = {k: v for k, v in weights.items() if isinstance(v, np.ndarray)}
            net, folded, log = fold_net(net, plain, set(self.outputs) | set(fetch))
            weights = dict(weights)
            weights.update(folded)
            if not fetch:
                self.fold_log = log
        used = {n for op in net.op for n in op.input}
        for op in net.op:
            for a in op.arg:
                if a.HasField("n") or len(a.nets):
                    used = set(weights)  # sub-nets may read any weight
                    break
        consts = self._to_device({k: v for k, v in weights.items() if k in used})
        keep = None if fetch_all else set(self.outputs) | set(fetch)
        plan = Plan(net, consts, self.inputs, keep=keep, device=self.device)
        self._plans[key] = plan
        return plan

    # ------------------------------------------------------------------
    def _feeds(self, inputs, plan: Plan) -> dict:
        import torch

        if isinstance(inputs, dict):
            given = dict(inputs)
        elif isinstance(inputs, (list, tuple)):
            if len(inputs) > len(self.inputs):
                raise C2Error(f"{len(inputs)} inputs given but the net takes {len(self.inputs)}: {', '.join(self.inputs)}")
            given = dict(zip(self.inputs, inputs))
        else:
            if len(self.inputs) != 1:
                raise C2Error(f"the net takes {len(self.inputs)} inputs ({', '.join(self.inputs)}): pass a dict")
            given = {self.inputs[0]: inputs}
        unknown = [k for k in given if k not in plan.fed_slots]
        if unknown:
            raise C2Error(f"unknown input(s) {', '.join(map(repr, unknown))}; the net's data inputs are {', '.join(self.inputs)}")
        missing = [k for k in self.inputs if k not in given]
        if missing:
            raise C2Error(f"missing input(s) {', '.join(map(repr, missing))}; the net's data inputs are {', '.join(self.inputs)}")
        feeds = {}
        for name, v in given.items():
            if isinstance(v, torch.Tensor):
                t = v.detach()
            else:
                a = np.asarray(v)
                if a.dtype == object:
                    raise C2Error(f"input '{name}': object arrays cannot be run")
                t = tensor_from_numpy(a)
            self._check(name, t)
            t = t.to(self.device)
            if self.channels_last and t.dim() == 4 and t.is_floating_point():
                t = t.contiguous(memory_format=torch.channels_last)
            feeds[plan.fed_slots[name]] = t
        return feeds

    def _check(self, name, t):
        dt, shape = self._declared.get(name, (None, None))
        got = str(t.dtype).replace("torch.", "")
        if dt is not None and got != np.dtype(dt).name:
            raise C2Error(f"input '{name}' has dtype {got}, the model expects {np.dtype(dt).name}")
        if shape is not None:
            s = tuple(t.shape)
            if len(s) != len(shape) or any(b is not None and b > 0 and a != b for a, b in zip(s[1:], shape[1:])):
                raise C2Error(f"input '{name}' has shape {list(s)}, the model expects {list(shape)} (any batch size; -1 = any)")

    def run(self, inputs, fetch=(), fetch_all: bool = False) -> dict:
        """Run once. Returns {name: np.ndarray} for external outputs, plus the
        fetched blobs (or every blob with `fetch_all`)."""
        import torch

        fetch = frozenset(fetch or ())
        plan = self._plan_for(fetch, fetch_all)
        bad = [f for f in fetch if f not in plan.slots]
        if bad:
            raise C2Error(f"cannot fetch unknown blob(s) {', '.join(map(repr, sorted(bad)))}")
        feeds = self._feeds(inputs, plan)
        self._check_sizes(plan, feeds)
        old = torch.get_num_threads()
        if self.threads and self.threads != old:
            torch.set_num_threads(self.threads)
        try:
            with torch.inference_mode():
                slots = plan.execute(feeds)
        finally:
            if self.threads and self.threads != old:
                torch.set_num_threads(old)
        names = list(self.outputs) + sorted(fetch - set(self.outputs))
        if fetch_all:
            names = list(self.outputs) + [n for n in plan.names if n not in self.outputs and n not in plan.const_names]
        out = {}
        for n in names:
            v = slots[plan.slots[n]] if n in plan.slots else None
            if v is None:
                if fetch_all and n not in self.outputs:
                    continue
                raise C2Error(f"blob '{n}' was not produced by the net")
            out[n] = to_numpy(v)
        return out

    __call__ = run

    def _check_sizes(self, plan: Plan, feeds: dict) -> None:
        """Every blob size that shape inference can predict for these input
        shapes, checked against the memory budget before any kernel runs (an
        op whose arguments ask for a huge output, e.g. pads of 10^6, is
        refused naming the op instead of exhausting memory). Once per input
        signature; ops sized by tensor values check in their kernels."""
        from .. import budget

        shapes = {name: tuple(feeds[j].shape) for name, j in plan.fed_slots.items() if j in feeds}
        dtypes = {name: str(feeds[j].dtype).replace("torch.", "") for name, j in plan.fed_slots.items() if j in feeds}
        sig = tuple(sorted((n, shapes[n], dtypes[n]) for n in shapes))
        checked = self.__dict__.setdefault("_sizes_checked", set())
        if sig in checked:
            return
        from ..shapes import infer_shapes_versioned

        try:
            per_op = infer_shapes_versioned(self.model, input_shapes=shapes, input_dtypes=dtypes)
        except C2Error:
            raise
        except Exception:  # noqa: BLE001 - inference is a safety net here, never a gate
            per_op = []
        limit = budget.limit()
        net = self.model.predict_net
        for i, infos in enumerate(per_op):
            for k, info in enumerate(infos):
                n = info.numel
                if n is None or k >= len(net.op[i].output):
                    continue
                try:
                    size = np.dtype(info.dtype or "float32").itemsize
                except TypeError:
                    size = 4
                if n * size > limit:
                    op = net.op[i]
                    budget.check_bytes(n * size, f"op #{i} {op.type} output '{op.output[k]}'", self.model.predict_path,
                                       f"shape {list(info.shape)} {info.dtype or ''}".rstrip())
        checked.add(sig)


def to_numpy(v) -> np.ndarray:
    """A blob value as a numpy array that owns its memory."""
    import torch

    if isinstance(v, torch.Tensor):
        t = v.detach().cpu()
        # a non-contiguous tensor (views, channels-last) becomes a fresh copy here
        return t.numpy().copy() if t.is_contiguous() else t.contiguous().numpy()
    if hasattr(v, "values") and hasattr(v, "scale"):  # Int8 blob
        return to_numpy(v.values)
    return np.array(v)
