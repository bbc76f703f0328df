"""Preprocessing presets: how a model wants its image turned into a tensor.

The three conventions ImageNet models were trained with, plus custom ones:

- caffe2-squeezenet: Caffe2 tutorial (SqueezeNet): BGR, subtract 128, 227x227.
- caffe / caffe-227: Caffe models: BGR 0..255, subtract per-channel mean
  B,G,R = 104,117,123; resize shorter side 256, centre crop 224 (or 227).
- torchvision: RGB /255, mean 0.485,0.456,0.406, std 0.229,0.224,0.225;
  resize shorter side 256, centre crop 224.

Order of operations: resize the shorter side to `resize` (bilinear), centre
crop `crop`x`crop`, reorder channels to `color`, multiply by `scale`, subtract
`mean`, divide by `std`, lay out as CHW float32. `mean`/`std` are given in the
channel order of `color` and in the units after `scale`.
A preset is stored as a dict in the model's sidecar (model.json).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace

import numpy as np

from ..errors import C2Error


@dataclass(frozen=True)
class Preprocess:
    name: str = "custom"
    color: str = "RGB"  # channel order of the tensor: "RGB" or "BGR"
    scale: float = 1.0  # applied to 0..255 pixel values first
    mean: tuple = (0.0, 0.0, 0.0)
    std: tuple = (1.0, 1.0, 1.0)
    resize: int = 256  # shorter side before the crop; 0 = resize straight to crop x crop
    crop: int = 224
    interpolation: str = "bilinear"
    notes: str = field(default="", compare=False)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["mean"], d["std"] = list(self.mean), list(self.std)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "Preprocess":
        if not isinstance(d, dict):
            raise C2Error(f"preprocessing must be an object, got {type(d).__name__}")
        base = PRESETS.get(d.get("preset") or d.get("name") or "", None)
        known = set(cls.__dataclass_fields__)
        unknown = sorted(set(d) - known - {"preset"})
        if unknown:
            raise C2Error(f"unknown preprocessing key(s): {', '.join(unknown)} (known: {', '.join(sorted(known))})")
        vals = {k: v for k, v in d.items() if k in known}
        _check_types(vals)
        for k in ("mean", "std"):
            if k in vals:
                v = vals[k]
                vals[k] = tuple(float(x) for x in (v if isinstance(v, (list, tuple)) else [v] * 3))
                if len(vals[k]) != 3:
                    raise C2Error(f"preprocessing '{k}' needs 1 or 3 values, got {len(vals[k])}")
        if base is None and "name" not in vals and d.get("preset"):
            vals["name"] = str(d["preset"])  # a recipe this tool has no preset for: keep its name
        p = replace(base, **vals) if base is not None else cls(**vals)
        p.validate()
        return p

    def validate(self) -> None:
        if self.color.upper() not in ("RGB", "BGR"):
            raise C2Error(f"preprocessing color must be RGB or BGR, not '{self.color}'")
        if self.crop <= 0 or self.resize < 0:
            raise C2Error(f"preprocessing sizes must be positive (resize {self.resize}, crop {self.crop})")
        if any(s == 0 for s in self.std):
            raise C2Error("preprocessing std must not be 0")
        if self.interpolation not in _INTERP:
            raise C2Error(f"interpolation must be one of {', '.join(_INTERP)}")

    def for_input_size(self, size: int) -> "Preprocess":
        """Same preset for a model whose input is size x size (resize scaled in proportion)."""
        if size == self.crop:
            return self
        resize = 0 if self.resize == 0 else int(round(self.resize * size / self.crop))
        return replace(self, crop=int(size), resize=resize)

    def apply(self, image) -> np.ndarray:
        """PIL RGB image -> float32 CHW array."""
        from PIL import Image

        from .. import budget

        interp = getattr(Image.Resampling, _INTERP[self.interpolation])
        w, h = image.size
        # the resized image (RGB) and the float32 arrays made from the crop
        if self.resize == 0:
            budget.check_bytes(self.crop * self.crop * 27, f"preprocessing to {self.crop}x{self.crop}")
            image = image.resize((self.crop, self.crop), interp)
        else:
            s = self.resize / min(w, h)
            nw, nh = max(self.crop, int(round(w * s))), max(self.crop, int(round(h * s)))
            budget.check_bytes(nw * nh * 3 + self.crop * self.crop * 24,
                               f"preprocessing (resize {self.resize}: {w}x{h} -> {nw}x{nh} pixels)")
            image = image.resize((nw, nh), interp)
            left, top = (nw - self.crop) // 2, (nh - self.crop) // 2
            image = image.crop((left, top, left + self.crop, top + self.crop))
        a = np.asarray(image, dtype=np.float32)  # H, W, RGB
        if self.color.upper() == "BGR":
            a = a[:, :, ::-1]
        a = a * np.float32(self.scale)
        a = (a - np.asarray(self.mean, np.float32)) / np.asarray(self.std, np.float32)
        return np.ascontiguousarray(a.transpose(2, 0, 1), dtype=np.float32)

    def batch(self, images) -> np.ndarray:
        return np.stack([self.apply(im) for im in images])


def _check_types(vals: dict) -> None:
    """Values from model.json are untrusted: right types, finite numbers, sane sizes."""
    import math

    for k in ("resize", "crop"):
        if k in vals:
            v = vals[k]
            if not isinstance(v, int) or isinstance(v, bool):
                raise C2Error(f"preprocessing '{k}' must be an integer, got {v!r}")
            if not (0 <= v <= MAX_SIDE):
                raise C2Error(f"preprocessing '{k}' {v} is outside 0..{MAX_SIDE} pixels")
    for k in ("color", "interpolation", "name", "notes"):
        if k in vals and not isinstance(vals[k], str):
            raise C2Error(f"preprocessing '{k}' must be a string, got {vals[k]!r}")
    for k in ("scale", "mean", "std"):
        if k not in vals:
            continue
        v = vals[k]
        items = v if isinstance(v, (list, tuple)) else [v]
        for x in items:
            if isinstance(x, bool) or not isinstance(x, (int, float)) or not math.isfinite(x):
                raise C2Error(f"preprocessing '{k}' must hold finite numbers, got {x!r}")


# Largest resize/crop side a model.json may ask for (an 8K image side).
MAX_SIDE = 8192

_INTERP = {"bilinear": "BILINEAR", "bicubic": "BICUBIC", "nearest": "NEAREST", "lanczos": "LANCZOS"}

PRESETS = {
    "caffe2-squeezenet": Preprocess("caffe2-squeezenet", "BGR", 1.0, (128.0,) * 3, (1.0,) * 3, 227, 227,
                                    notes="Caffe2 tutorial SqueezeNet: BGR, mean 128, 227x227"),
    "caffe": Preprocess("caffe", "BGR", 1.0, (104.0, 117.0, 123.0), (1.0,) * 3, 256, 224,
                        notes="Caffe: BGR, per-channel mean 104/117/123, crop 224"),
    "caffe-227": Preprocess("caffe-227", "BGR", 1.0, (104.0, 117.0, 123.0), (1.0,) * 3, 256, 227,
                            notes="Caffe (AlexNet-style): BGR, per-channel mean 104/117/123, crop 227"),
    "torchvision": Preprocess("torchvision", "RGB", 1.0 / 255.0, (0.485, 0.456, 0.406), (0.229, 0.224, 0.225), 256, 224,
                              notes="torchvision ImageNet: RGB /255, mean/std, resize 256, crop 224"),
}


def get_preset(name: str) -> Preprocess:
    try:
        return PRESETS[name]
    except KeyError:
        raise C2Error(f"unknown preset '{name}' (known: {', '.join(PRESETS)})") from None


def from_sidecar(sidecar: dict) -> Preprocess | None:
    """The preprocessing a model.json declares (a preset name or a dict), or None."""
    d = sidecar.get("preprocessing", sidecar.get("preprocess"))
    if d is None:
        return None
    if isinstance(d, str):
        return get_preset(d)
    return Preprocess.from_dict(d)


def save_preprocessing(folder: str, preprocess: "Preprocess") -> str:
    """Write `preprocess` into the model's model.json (created if absent, other keys
    kept), atomically; only when the user asks (`--save-preset`, the app's button)."""
    import json
    import os

    from ..io.save import write_bytes

    path = os.path.join(folder, "model.json")
    data = {}
    if os.path.isfile(path):
        try:
            with open(path, encoding="utf-8") as f:
                data = json.load(f)
        except (OSError, json.JSONDecodeError) as e:
            raise C2Error(f"model.json is not valid JSON ({e}); not overwriting it", path) from None
        if not isinstance(data, dict):
            raise C2Error("model.json is not a JSON object; not overwriting it", path)
    data["preprocessing"] = preprocess.to_dict()
    write_bytes(path, (json.dumps(data, indent=2) + "\n").encode("utf-8"))
    return path


DEFAULT_PRESET = "torchvision"
# Caffe2 models were mostly trained with Caffe's preprocessing (BVLC zoo, Detectron backbones).
CAFFE2_DEFAULT_PRESET = "caffe"


def default_preset_name(source) -> str:
    """The preset used when nothing declares one: Caffe's for Caffe2 models, torchvision's otherwise."""
    return CAFFE2_DEFAULT_PRESET if getattr(source, "model", None) is not None else DEFAULT_PRESET


def chosen_preset(source, preset: str | Preprocess | None = None) -> tuple[Preprocess, bool]:
    """(the preprocessing a run would start from, whether it is the default because nothing
    declared one): the explicit preset, model.json's, else the default for the model's kind.
    Cheap (no input resolution): what a preset chooser shows before any run."""
    if isinstance(preset, Preprocess):
        return preset, False
    if preset:
        return get_preset(preset), False
    p = from_sidecar(source.sidecar())
    return (p, False) if p is not None else (get_preset(default_preset_name(source)), True)


def resolve_preprocess(source, preset: str | Preprocess | None = None, warnings: list | None = None,
                       hint: str | None = None) -> Preprocess:
    """The preprocessing for this model, fitted to its input size.

    When the model declares no input size, the preset's crop defines it (images
    are the input): the source is told, so every backend exports that shape.
    `hint`: where the user chooses a preset when it is not the CLI's --preset
    (the app's Preset box), named in the warning instead of the flags.
    """
    p, defaulted = chosen_preset(source, preset)
    if defaulted and warnings is not None:
        others = ", ".join(k for k in PRESETS if k != p.name)
        how = (f"choose with --preset NAME ({others}), and keep the choice with --save-preset" if hint is None
               else f"choose with {hint} ({others}), and keep the choice in model.json with its Save button")
        warnings.append(f"no preprocessing declared for this model (model.json); using preset '{p.name}' "
                        f"({p.notes}); {how}")
    resolved = source.resolved() if getattr(source, "model", None) is not None else None
    if resolved is not None and len(resolved.names) == 1 and resolved.sources.get(resolved.names[0]) in (None, "inferred"):
        source.set_image_size(p.crop)  # the images define the input size
        return p
    shapes = source.input_shapes()
    if len(shapes) == 1:
        shape = next(iter(shapes.values()))
        if len(shape) == 4 and shape[2] == shape[3] and shape[2] > 0:
            p = p.for_input_size(int(shape[2]))
        elif len(shape) == 4 and shape[1] == shape[2] and shape[3] == 3 and shape[1] > 0:  # NHWC
            p = p.for_input_size(int(shape[1]))
        elif len(shape) == 4 and shape[1] != 3:
            raise C2Error(f"model input has shape {list(shape)}: not a 3-channel NCHW image input", source.path)
    return p
