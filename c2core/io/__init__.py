"""Open Caffe2 models: a predict file, an init file, a folder, or a minidb.

`open_model(path)` recognises what it was given, finds the other half of the
pair by name, confirms which half is which by content (an init net holds only
fill ops), and returns a `Model`. Every problem with the files is a
`C2FormatError` naming the file; softer findings (unused init blobs, blobs
nobody provides, unknown op types) go to `Model.warnings`.
"""

from __future__ import annotations

import json
import os

from ..errors import C2FormatError
from ..fills import FILL_OPS
from ..model import Model
from .pairing import find_partner, looks_like_init_name, model_files_in
from .sniff import looks_like_minidb, looks_like_text, parse_netdef
from .user_files import file_error

__all__ = ["open_model", "read_net", "is_init_net", "load_value_info"]

MAX_FILE_BYTES = 8 << 30


def _read(path: str) -> bytes:
    try:
        size = os.path.getsize(path)
        if size > MAX_FILE_BYTES:
            raise C2FormatError(f"file is {size:,} bytes, larger than any model this tool opens", path)
        with open(path, "rb") as f:
            return f.read()
    except OSError as e:
        raise file_error(e, path) from None


def is_init_net(net) -> bool:
    """An init net creates blobs from nothing: every op is a fill op."""
    return len(net.op) > 0 and all(op.type in FILL_OPS or (op.type.endswith("Fill") and not op.input) for op in net.op)


def read_net(path: str):
    """(NetDef, 'binary'|'text') for one file."""
    return parse_netdef(_read(path), path)


def load_value_info(path: str) -> dict:
    """value_info.json: {"blob": [elem_type, [dims...]]}."""
    try:
        with open(path, "rb") as f:
            data = json.loads(f.read().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise C2FormatError(f"not valid JSON: {e}", path) from None
    except OSError as e:
        raise file_error(e, path) from None
    if not isinstance(data, dict):
        raise C2FormatError("expected an object mapping blob names to [elem_type, dims]", path)
    out = {}
    for k, v in data.items():
        if not (isinstance(v, list) and len(v) == 2 and isinstance(v[1], list)):
            raise C2FormatError(f"entry '{k}' is not [elem_type, [dims]]", path)
        out[k] = (int(v[0]), [int(d) for d in v[1]])
    return out


def _open_minidb(path: str, data: bytes) -> Model:
    from .minidb import read_minidb

    predict, weights, inputs, outputs, init = read_minidb(data, path)
    m = Model(predict_net=predict, init_net=None, predict_path=path, init_path=path,
              formats={"predict": "minidb", "init": "minidb"})
    m._weights = weights
    if inputs and not predict.external_input:
        predict.external_input.extend(inputs)
    if outputs and not predict.external_output:
        predict.external_output.extend(outputs)
    _check(m)
    return m


def _pick_in_folder(folder: str) -> tuple[str, str | None]:
    files = model_files_in(folder)
    if not files:
        raise C2FormatError("folder holds no Caffe2 model files (.pb, .pbtxt, .minidb)", folder)
    minidbs = [f for f in files if f.lower().endswith((".minidb", ".db"))]
    nets = [f for f in files if f not in minidbs]
    if not nets and minidbs:
        return minidbs[0], None
    by_name = [f for f in nets if not looks_like_init_name(f)]
    if len(by_name) == 1:
        # Names decide without reading (a 100 MB init net is parsed once, by
        # open_model, which then checks both halves by content anyway).
        return by_name[0], find_partner(by_name[0], want_init=True)
    predicts, inits = [], []
    for f in nets:
        try:
            net, _ = read_net(f)
        except C2FormatError:
            continue
        (inits if is_init_net(net) else predicts).append(f)
    if not predicts:
        raise C2FormatError("folder holds no readable predict net", folder)
    if len(predicts) > 1:
        named = [p for p in predicts if os.path.basename(p).lower().startswith("predict_net")]
        if len(named) == 1:
            predicts = named
        else:
            # prefer binary over text duplicates of the same stem
            stems = {}
            for p in predicts:
                from .pairing import split_ext

                stems.setdefault(split_ext(os.path.basename(p))[0], []).append(p)
            if len(stems) > 1:
                names = ", ".join(os.path.basename(p) for p in predicts)
                raise C2FormatError(f"folder holds several predict nets ({names}); open one of them", folder)
            predicts = sorted(next(iter(stems.values())), key=lambda p: not p.endswith(".pb"))
    p = predicts[0]
    init = find_partner(p, want_init=True)
    if init is None and len(inits) == 1:
        init = inits[0]
    return p, init


def open_model(path: str, init_path: str | None = None, value_info: str | dict | None = None,
               structure_only: bool = False) -> Model:
    """Open a model from a predict file, an init file, a folder or a minidb."""
    path = os.fspath(path)
    from .publish import settle_model

    settle_model(path)  # a publish into this folder that a killed writer left half done is finished first
    if not os.path.exists(path):
        raise C2FormatError("no such file or folder", path)
    if os.path.isdir(path):
        path, found_init = _pick_in_folder(path)
        init_path = init_path or found_init
    data = _read(path)
    named_db = path.lower().endswith((".minidb", ".db"))
    if (looks_like_minidb(data) or (named_db and data)) and not looks_like_text(data):
        return _open_minidb(path, data)
    net, fmt = parse_netdef(data, path)
    predict_path, predict, pfmt = path, net, fmt
    init = ifmt = None
    if is_init_net(net):
        # The user picked the init half: find its predict partner.
        partner = find_partner(path, want_init=False)
        if partner is None:
            _refuse_swapped(path, find_partner(path, want_init=True), want_predict=True)
            raise C2FormatError("is an init net (only fill ops); no predict net found beside it", path)
        pnet, pf = read_net(partner)
        if is_init_net(pnet):
            raise C2FormatError(f"is an init net, and so is its partner {os.path.basename(partner)}", path)
        init_path, init, ifmt = path, net, fmt
        predict_path, predict, pfmt = partner, pnet, pf
    else:
        if init_path is None and looks_like_init_name(path):
            _refuse_swapped(path, find_partner(path, want_init=False), want_predict=False)
    if init is None and not structure_only:
        if init_path is None:
            init_path = find_partner(path, want_init=True)
        if init_path is not None:
            init, ifmt = read_net(init_path)
            if not is_init_net(init):
                if looks_like_init_name(init_path):
                    raise C2FormatError(
                        f"named like an init net but holds computation ops (e.g. {_first_non_fill(init)}): "
                        f"swapped or mismatched pair with {os.path.basename(path)}", init_path)
                raise C2FormatError(f"is a predict net, not an init net (paired with {os.path.basename(path)})", init_path)
    m = Model(predict_net=predict, init_net=init, predict_path=predict_path, init_path=init_path,
              formats={"predict": pfmt, **({"init": ifmt} if init is not None else {})})
    if isinstance(value_info, dict):
        m.value_info = value_info
    else:
        vi = value_info or os.path.join(os.path.dirname(os.path.abspath(predict_path)), "value_info.json")
        if value_info or os.path.isfile(vi):
            m.value_info = load_value_info(vi)
    if init is None and m.value_info and set(predict.external_input) <= set(m.value_info):
        m.weightless = True  # every input is declared data: there is nothing an init net could fill
    _check(m)
    return m


def _refuse_swapped(path: str, partner: str | None, want_predict: bool) -> None:
    """`path` holds the other half from what its name says; if its partner
    does too, the two files were swapped: say so instead of half-opening."""
    if partner is None:
        return
    try:
        pnet, _ = read_net(partner)
    except C2FormatError:
        return
    if is_init_net(pnet) != want_predict:
        what = "an init net" if want_predict else "a predict net"
        other = "a predict net" if want_predict else "an init net"
        raise C2FormatError(f"holds {what} and {os.path.basename(partner)} holds {other}: "
                            "the pair's names are swapped (rename the files)", path)


def _first_non_fill(net) -> str:
    for op in net.op:
        if op.type not in FILL_OPS:
            return op.type
    return "?"


def _ignored_dilation(op, specs) -> bool:
    """Spatial rank from the filter's shape when the init net has it (else 2-D)."""
    from ..args import Args
    from ..conv_transpose_pads import ignored_dilation

    w = specs.get(op.input[1]) if len(op.input) > 1 else None
    nd = len(w.shape) - 2 if w is not None and w.shape is not None and len(w.shape) > 2 else 2
    return ignored_dilation(Args(op.arg), nd)


def _check(m: Model) -> None:
    """Pair consistency; hard errors for mismatched pairs, warnings otherwise."""
    from ..schema import known_op_types

    specs = m.weight_specs
    ext = set(m.predict_net.external_input)
    if m.init_net is not None and specs:
        used = set()
        for op in m.predict_net.op:
            used.update(op.input)
        overlap = (used | ext) & set(specs)
        if not overlap:
            raise C2FormatError(
                f"mismatched pair: none of its {len(specs)} blobs is used by {os.path.basename(m.predict_path or '')}",
                m.init_path)
        unused = sorted(set(specs) - used - ext)
        if unused:
            more = f" (+{len(unused) - 5} more)" if len(unused) > 5 else ""
            m.warnings.append(f"{os.path.basename(m.init_path)}: {len(unused)} init blob(s) never used by the predict net: {', '.join(unused[:5])}{more}")
    produced = set(ext) | set(specs)
    missing = []
    for op in m.predict_net.op:
        for b in op.input:
            if b not in produced and b not in missing:
                missing.append(b)
        produced.update(op.output)
    if missing:
        more = f" (+{len(missing) - 5} more)" if len(missing) > 5 else ""
        m.warnings.append(f"{os.path.basename(m.predict_path or '')}: needs blob(s) nobody provides: {', '.join(missing[:5])}{more}")
    dilated = [i for i, op in enumerate(m.predict_net.op) if op.type == "ConvTranspose" and _ignored_dilation(op, specs)]
    if dilated:
        m.warnings.append(f"ConvTranspose op(s) #{', #'.join(map(str, dilated[:5]))} set a dilation, which Caffe2 "
                          f"ignores for ConvTranspose: they run (and convert) undilated, as in Caffe2")
    unknown = sorted({op.type for op in m.predict_net.op} - known_op_types())
    if unknown:
        m.warnings.append(f"unknown op type(s): {', '.join(unknown)}")
    outs = [o for o in m.predict_net.external_output if o not in produced]
    if outs:
        m.warnings.append(f"external output(s) never produced: {', '.join(outs)}")
