"""One answer to "what are this model's inputs, and what shape is each?".

Every command that runs a model (run, convert, classify, compare, bench) and
the app ask `resolve_inputs`, so they agree. A data input's shape comes from,
first to last:

1. an explicit shape (`--input-shape NAME=1,3,224,224`),
2. the array fed for it (`--input NAME=x.npy`),
3. a value_info (`--value-info FILE`, else value_info.json beside the model),
4. what the model declares (a minidb's predict init net, a non-placeholder
   fill in the init net, model.json's input shape),
5. the image size, when images are the input (the preprocessing crop:
   N x 3 x crop x crop, or N x crop x crop x 3 for NHWC consumers),
6. inference from the first op that reads it: a Conv filter gives the rank and
   the channels (spatial size assumed 224), an FC weight gives the feature
   count; what was assumed is said in ONE warning line.

A 1-element placeholder fill is never a shape (c2core.model). Inputs listed
in `external_input` that no op reads are not required (Caffe2 only fails when
an op reads a missing blob); they are reported in `unused`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from .errors import C2Error

# Spatial size assumed when only the rank and channels of an image input are known.
ASSUMED_SPATIAL = 224

_CONV_OPS = {"Conv", "Conv2D", "ConvRelu", "Int8Conv", "Int8ConvRelu", "ConvTranspose", "Int8ConvTranspose"}
_FC_OPS = {"FC", "Int8FC", "FCTransposed"}


@dataclass
class ResolvedInputs:
    """Inputs a run needs: names in feed order, their shapes and where each came from."""

    names: list = field(default_factory=list)  # data inputs some op reads, in Caffe2 Predictor order
    shapes: dict = field(default_factory=dict)  # name -> tuple (only those known)
    dtypes: dict = field(default_factory=dict)  # name -> numpy dtype name (only those known)
    sources: dict = field(default_factory=dict)  # name -> 'given' | 'file' | 'value_info' | 'declared' | 'image' | 'inferred'
    unused: list = field(default_factory=list)  # declared inputs no op reads: not required
    warning: str | None = None  # the one line saying what was assumed
    layout: str | None = None  # 'NCHW' / 'NHWC' of an image input when a consumer says so

    @property
    def missing(self) -> list:
        return [n for n in self.names if n not in self.shapes]

    def require_shapes(self, path: str | None = None) -> dict:
        """All shapes, or a C2Error naming the inputs whose shape nothing gives."""
        if self.missing:
            raise C2Error(f"shape of input(s) {', '.join(self.missing)} unknown: give --input-shape NAME=D0,D1,... "
                          "(or --value-info FILE, or --input FILE)", path)
        return {n: self.shapes[n] for n in self.names}


# ----- option parsing (shared by the CLI commands and the app) -------------------------
def _unnamed(item: str, data_inputs, option: str, form: str) -> str:
    """The data input an item without NAME= is for: the first one (Caffe2's data blob)."""
    if data_inputs is None:
        raise C2Error(f"expected {form} but got '{item}'", option)
    if not data_inputs:
        raise C2Error(f"'{item}': the net has no data input to give it to", option)
    return data_inputs[0]


def parse_input_shapes(items, data_inputs=None, *, allow_zero: bool = False) -> dict[str, tuple[int, ...]]:
    """`NAME=1,3,224,224` (or `1x3x224x224`) strings -> {name: shape}.

    With `data_inputs` a shape without NAME= is the first data input's; with
    None (the model is not open yet) NAME is required. Sizes must be
    positive (`allow_zero`: non-negative, e.g. zero RoIs for shape inference).
    Whether NAME is an input of the model is for the caller to check.
    """
    form = "NAME=D0,D1,..."
    out: dict[str, tuple[int, ...]] = {}
    for item in items or ():
        name, sep, dims = item.rpartition("=")
        name = name.strip()
        if not sep:
            name = _unnamed(item, data_inputs, "--input-shape", form)
        elif not name:
            raise C2Error(f"expected {form} but got '{item}'", "--input-shape")
        parts = dims.split(",") if "," in dims else dims.lower().split("x")
        try:
            shape = tuple(int(d) for d in parts)
        except ValueError:
            raise C2Error(f"dimensions of '{item}' must be integers ({form}, e.g. data=1,3,224,224)",
                          "--input-shape") from None
        if not shape or any(d < 0 or (d == 0 and not allow_zero) for d in shape):
            which = "non-negative" if allow_zero else "positive"
            raise C2Error(f"dimensions of '{item}' must be {which}", "--input-shape")
        if name in out:
            raise C2Error(f"'{name}' given twice", "--input-shape")
        out[name] = shape
    return out


def parse_input_files(items, data_inputs) -> dict[str, str]:
    """`NAME=FILE` / `FILE` strings -> {name: path}; a FILE alone feeds the first data input.

    An existing file whose own name holds '=' is taken whole. Every file must
    exist (C2Error 'no such file' naming it); a name given twice is refused.
    """
    out: dict[str, str] = {}
    for item in items or ():
        name, sep, path = item.partition("=")
        if not sep or (os.path.exists(item) and not os.path.exists(path)):
            name, path = "", item
        name = name.strip() or _unnamed(item, data_inputs, "--input", "NAME=FILE")
        if name in out:
            raise C2Error(f"input '{name}' given twice", "--input")
        if not os.path.isfile(path):
            if os.path.exists(path):
                what = "a folder" if os.path.isdir(path) else "not a regular file (a pipe, device or socket)"
                raise C2Error(f"is {what}: give a .npy or image file", path)
            raise C2Error("no such file", path)
        out[name] = path
    return out


def read_blobs(net) -> set:
    """Blobs any op of `net` (sub-nets included) reads."""
    out = set()
    stack = [net]
    while stack:
        n = stack.pop()
        for op in n.op:
            out.update(op.input)
            for a in op.arg:
                if a.HasField("n"):
                    stack.append(a.n)
                stack.extend(a.nets)
    return out


def resolve_inputs(model, *, shapes: dict | None = None, arrays: dict | None = None, value_info=None,
                   image_size: int | None = None, batch: int | None = None, sidecar: dict | None = None,
                   infer: bool = True, origins: dict | None = None) -> ResolvedInputs:
    """Shapes of `model`'s data inputs (see the module docstring for the order).

    shapes: name -> shape given explicitly. arrays: name -> np.ndarray fed.
    value_info: a path or a {name: (elem_type, dims)} dict replacing the model's.
    image_size: the preprocessing crop when images feed the (single) input.
    batch: when given, dimension 0 of every resolved shape.
    origins: name -> what to blame (a file path) when a given shape cannot fit the
    first op reading that input (wrong rank or channel count): C2Error.
    """
    from .shapes.info import DTYPE_OF_PROTO

    if value_info is not None:
        if not isinstance(value_info, dict):
            from .io import load_value_info

            value_info = load_value_info(os.fspath(value_info))
        model.value_info = dict(value_info)
    names = list(model.data_inputs)
    declared_all = list(model.external_inputs)
    r = ResolvedInputs(names=names)
    read = read_blobs(model.predict_net)  # once: per input it made opening densenet121 take 8 s
    specs = set(getattr(model, "weight_specs", {}) or {})
    r.unused = [n for n in declared_all if n not in read and n not in specs]
    shapes = {k: tuple(int(d) for d in v) for k, v in (shapes or {}).items()}
    unknown = sorted(set(shapes) - set(names) - set(r.unused))
    if unknown:
        raise C2Error(f"names {', '.join(unknown)}, not data inputs of the model (those are: {', '.join(names) or 'none'})",
                      "--input-shape")
    declared = model.input_shapes()
    side = _sidecar_shape(sidecar or {})
    assumed = []
    for n in names:
        vi = model.value_info.get(n) if model.value_info else None
        if vi is not None:
            try:
                r.dtypes[n] = DTYPE_OF_PROTO.get(int(vi[0]))
            except (TypeError, ValueError):
                pass
        if n in shapes:
            r.shapes[n], r.sources[n] = shapes[n], "given"
        elif arrays and n in arrays:
            a = arrays[n]
            r.shapes[n], r.sources[n] = tuple(int(d) for d in a.shape), "file"
            r.dtypes[n] = str(a.dtype)
        elif vi is not None:
            r.shapes[n], r.sources[n] = tuple(int(d) for d in vi[1]), "value_info"
        elif n in declared:
            r.shapes[n], r.sources[n] = tuple(declared[n]), "declared"
        elif side is not None and len(names) == 1:
            r.shapes[n], r.sources[n] = side, "declared"
    for n in names:
        if r.sources.get(n) in ("value_info", "declared") and any(d <= 0 for d in r.shapes[n]):
            fixed = _any_sizes_filled(r.shapes[n], consumer_guess(model, n), batch)
            if fixed is None:  # sizes nothing gives: the image size, inference or --input-shape decide
                del r.shapes[n], r.sources[n]
            else:
                shape, guessed = fixed
                r.shapes[n] = shape
                if guessed:
                    assumed.append(f"'{n}' {list(shape)} (declared with any-size dimensions; {guessed})")
    for n in names:
        if r.sources.get(n) in ("given", "file", "value_info"):
            g = consumer_guess(model, n)
            bad = _misfit(r.shapes[n], g)
            if bad:
                if r.sources[n] == "value_info":
                    blame = value_info if isinstance(value_info, (str, os.PathLike)) else model.value_info_path
                    raise C2Error(f"declares input '{n}' with shape {list(r.shapes[n])}, but {bad}",
                                  os.fspath(blame) if blame else None)
                blame = (origins or {}).get(n) or ("--input-shape" if r.sources[n] == "given" else None)
                raise C2Error(f"input '{n}' has shape {list(r.shapes[n])}, but {bad}", blame)
    guess = {n: consumer_guess(model, n) for n in names if n not in r.shapes} if infer or image_size else {}
    first_guess = guess.get(names[0]) if len(names) == 1 else None
    # an input whose first reader is an FC takes features, not an image: the crop says nothing there
    if image_size and len(names) == 1 and names[0] not in r.shapes and (first_guess is None or first_guess[1]):
        n = names[0]
        g = guess.get(n)
        layout = g[1] if g else "NCHW"
        channels = g[0][1 if layout == "NCHW" else -1] if g and len(g[0]) == 4 else 3
        s = int(image_size)
        r.shapes[n] = (1, channels, s, s) if layout == "NCHW" else (1, s, s, channels)
        r.sources[n] = "image"
        r.layout = layout
    for n in names:
        if n in r.shapes or not infer:
            continue
        g = guess.get(n)
        if g is None:
            continue
        shape, layout, why = g
        r.shapes[n], r.sources[n] = shape, "inferred"
        if layout:
            r.layout = layout
        assumed.append(f"'{n}' {list(shape)} ({why})")
    if assumed:
        r.warning = (f"no shape declared for input {', '.join(assumed)}: give --input-shape NAME=D0,D1,... "
                     "or --value-info FILE to choose another")
    if batch is not None:
        r.shapes = {k: (int(batch),) + tuple(v[1:]) if v else v for k, v in r.shapes.items()}
    return r


# Ops whose output has their first input's shape: the guess looks through them (data -> Cast ->
# Sub mean -> Conv is an image input of the Conv's channels). A binary op counts only when its
# other input is a weight (a mean, a scale), so two data inputs added never pass for one.
_SAME_SHAPE = {"Cast", "Copy", "Alias", "StopGradient", "EnsureCPUOutput", "CopyCPUToGPU", "CopyGPUToCPU",
               "Scale", "Clip", "Relu", "Sigmoid", "Tanh", "Abs", "Negative", "Exp", "Log", "Sqrt",
               "Int8Quantize", "Int8Dequantize", "Sub", "Add", "Mul", "Div"}
# Layout ops: output dimension i is input dimension PERM[i].
_PERMUTE = {"NHWC2NCHW": (0, 3, 1, 2), "NCHW2NHWC": (0, 2, 3, 1)}
_MAX_HOPS = 8


def consumer_guess(model, name: str):
    """(shape, layout or None, why) from the first op reading `name`, or None. Through
    same-shape ops (Cast, Sub mean, Int8Quantize...) and layout ops (NHWC2NCHW,
    Transpose) the guess is the one of the op after, mapped back to `name`."""
    return _guess(model, model.predict_net.op, name, 0)


def _guess(model, ops, name: str, hops: int):
    from .args import Args

    specs = model.weight_specs
    for k, op in enumerate(ops):
        if name not in op.input:
            continue
        if list(op.input).index(name) != 0:
            return None
        if hops < _MAX_HOPS and len(op.output) >= 1 and _passes_through(op, specs):
            g = _guess(model, ops[k + 1:], op.output[0], hops + 1)
            if g is None:
                return None
            shape, layout, why = g
            perm = _PERMUTE.get(op.type)
            if op.type == "Transpose":
                axes = Args(op.arg, op.type).ints("axes")
                perm = tuple(axes) if axes and sorted(axes) == list(range(len(shape))) else None
                if perm is None:
                    return None
            if perm is not None:
                if len(perm) != len(shape):
                    return None
                back = [0] * len(shape)
                for i, p in enumerate(perm):
                    back[p] = shape[i]
                shape = tuple(back)
                if layout in ("NCHW", "NHWC") and len(shape) == 4:
                    if op.type == "NHWC2NCHW" or perm == (0, 3, 1, 2):
                        layout = "NHWC" if layout == "NCHW" else None
                    elif op.type == "NCHW2NHWC" or perm == (0, 2, 3, 1):
                        layout = "NCHW" if layout == "NHWC" else None
                    else:
                        layout = None
                else:
                    layout = None
            return shape, layout, f"{why}, through {op.type}"
        if len(op.input) < 2:
            return None
        w = specs.get(op.input[1])
        if w is None or w.shape is None:
            return None
        a = Args(op.arg, op.type)  # unset arguments: the schema's defaults
        if op.type in _CONV_OPS and len(w.shape) >= 3:
            nd = len(w.shape) - 2
            order = (a.str("order") or "NCHW").upper()  # NCHW: ConvRelu, which has no schema entry
            group = max(a.int("group"), 1)
            if op.type in ("ConvTranspose", "Int8ConvTranspose"):
                c = w.shape[0]  # filter (C_in, ...) in both orders
            else:
                c = (w.shape[1] if order == "NCHW" else w.shape[-1]) * group
            spatial = (ASSUMED_SPATIAL,) * nd
            shape = (1, c) + spatial if order == "NCHW" else (1,) + spatial + (c,)
            return shape, order, f"{c} channels from {op.type} filter '{op.input[1]}' {list(w.shape)}, " \
                                 f"{order}, spatial size {ASSUMED_SPATIAL} assumed"
        if op.type in _FC_OPS and len(w.shape) == 2 and a.int("axis") == 1:
            k = w.shape[0] if op.type == "FCTransposed" else w.shape[1]
            return (1, k), None, f"{k} features from {op.type} weight '{op.input[1]}' {list(w.shape)}"
        return None
    return None


def _passes_through(op, specs) -> bool:
    """Whether `op` maps its first input to an output of the same (or permuted) shape."""
    if op.type in _PERMUTE or op.type == "Transpose":
        return len(op.input) == 1
    if op.type not in _SAME_SHAPE:
        return False
    if op.type in ("Sub", "Add", "Mul", "Div"):
        return len(op.input) == 2 and op.input[1] in specs
    return True


# Ops that read their first input as something else than float32.
_CONSUMER_DTYPES = {"PackedInt8BGRANHWCToNCHWCStylizerPreprocess": "uint8"}


def consumer_dtype(model, name: str) -> str | None:
    """The dtype the first op reading `name` needs when it is not float32 (a uint8 image), else None."""
    for op in model.predict_net.op:
        if name in op.input:
            return _CONSUMER_DTYPES.get(op.type) if list(op.input).index(name) == 0 else None
    return None


def _any_sizes_filled(shape, guess, batch):
    """A declared shape whose -1/0 ("any size") dimensions are made concrete: the
    batch (dim 0) is `batch` or 1; another takes the first consumer's size where
    it says one (channels from a filter, an assumed spatial size). Returns
    (shape, what was assumed or ''), or None when a size stays unknown."""
    out, guessed = [], []
    want = guess[0] if guess is not None and len(guess[0]) == len(shape) else None
    for i, d in enumerate(shape):
        if d > 0:
            out.append(int(d))
        elif i == 0:
            out.append(int(batch) if batch else 1)
        elif want is not None:
            out.append(int(want[i]))
            guessed.append(f"dimension {i} = {want[i]}")
        else:
            return None
    why = f"{', '.join(guessed)}: {guess[2]}" if guessed else ""
    return tuple(out), why


def _first_clause(why: str) -> str:
    """`why` up to its first comma outside brackets (a filter shape [4, 3, 3, 3] stays whole)."""
    depth = 0
    for i, ch in enumerate(why):
        depth += ch == "["
        depth -= ch == "]"
        if ch == "," and depth == 0:
            return why[:i]
    return why


def _misfit(shape, guess) -> str | None:
    """Why `shape` cannot feed the consumer `guess` describes (rank, channels), else None."""
    if guess is None:
        return None
    want, layout, why = guess
    if layout is None and len(want) == 2:  # an FC (axis 1) flattens dimensions 1.. into its features
        if len(shape) < 2:
            return f"its first consumer needs rank 2 or more ({_first_clause(why)})"
        feats = 1
        for d in shape[1:]:
            feats *= int(d)
        if all(int(d) > 0 for d in shape[1:]) and feats != want[1]:
            return f"its first consumer needs {want[1]} features (dimensions 1.. multiplied), not {feats} " \
                   f"({_first_clause(why)})"
        return None
    if len(shape) != len(want):
        return f"its first consumer needs rank {len(want)} ({_first_clause(why)})"
    ch = 1 if layout == "NCHW" or layout is None else len(want) - 1
    if shape[ch] > 0 and shape[ch] != want[ch]:
        return f"its first consumer needs {want[ch]} {'channels' if layout else 'features'} at dimension {ch} " \
               f"({_first_clause(why)})"
    return None


def _sidecar_shape(sc: dict):
    inp = sc.get("input")
    shape = inp.get("shape") if isinstance(inp, dict) else sc.get("input_shape")
    if isinstance(shape, list) and shape and all(isinstance(d, int) and d > 0 for d in shape):
        return tuple(shape)
    return None
