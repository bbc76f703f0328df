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
from ..model import Model
from .by_content import (candidate_files_in, init_partner_by_content, partner_by_content, pick_by_content,
                         predict_partner_by_content)
from .pairing import find_partner, looks_like_init_name, model_files_in
from .sniff import looks_like_minidb, looks_like_text, parse_netdef
from .user_files import file_error

__all__ = ["open_model", "open_structure", "read_net", "is_init_net", "load_value_info"]

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
    """An init net needs nothing fed: its ops read only blobs made earlier in it
    (fills, and constants computed from them: Cast, OneHot, Reshape...)."""
    from ..init_net import is_init_net as _is_init

    return _is_init(net)


def read_net(path: str):
    """(NetDef, 'binary'|'text') for one file."""
    return parse_netdef(_read(path), path)


def load_value_info(path: str) -> dict:
    """value_info.json: {"blob": [elem_type, [dims...]]}.

    Every number is checked: integers only (no null, float, NaN, Infinity or
    bool), a known elem_type, dims >= -1 (-1 or 0: any size), and the
    declared size within the memory budget (an input of that shape is
    allocated by run/compare/convert)."""
    from .. import budget

    try:
        size = os.path.getsize(path)
        if size > (64 << 20):
            raise C2FormatError(f"file is {size:,} bytes, too large for a value_info.json", path)
        with open(path, "rb") as f:
            data = json.loads(f.read().decode("utf-8-sig"), parse_constant=_refuse_constant)  # -sig: a BOM (Windows editors) is no error
    except (UnicodeDecodeError, json.JSONDecodeError, ValueError) as e:
        raise C2FormatError(f"not valid JSON: {e}", path) from None
    except RecursionError:
        raise C2FormatError("not valid JSON: nested too deeply", path) from None
    except OSError as e:
        raise file_error(e, path) from None
    if not isinstance(data, dict):
        raise C2FormatError("expected an object mapping blob names to [elem_type, dims]", path)
    import numpy as np

    from ..fills import DTYPE_OF_PROTO

    out = {}
    for k, v in data.items():
        if not (isinstance(v, list) and len(v) == 2 and isinstance(v[1], list)):
            raise C2FormatError(f"entry '{k}' is not [elem_type, [dims]]", path)
        et, dims = v
        if not _is_int(et) or et not in DTYPE_OF_PROTO:
            raise C2FormatError(f"entry '{k}': elem_type {et!r} is not a known TensorProto data type", path)
        bad = [d for d in dims if not _is_int(d) or d < -1]
        if bad:
            raise C2FormatError(f"entry '{k}': dimension {bad[0]!r} is not an integer >= -1 (-1 or 0: any size)", path)
        itemsize = 8 if et == 4 else np.dtype(DTYPE_OF_PROTO[et]).itemsize
        budget.check_shape([max(d, 1) for d in dims], itemsize, f"input '{k}'", path)
        out[k] = (int(et), [int(d) for d in dims])
    return out


def _is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _refuse_constant(name):
    raise ValueError(f"{name} is not a number JSON allows")


def _open_minidb(path: str, data: bytes) -> Model:
    """A predictor_exporter minidb: the predict net now, the weights (its init
    nets run as Caffe2's predictor runs them) on first use."""
    from .minidb import load_weights, predict_init_input_shapes, read_minidb

    db = read_minidb(data, path)
    predict = db.predict
    m = Model(predict_net=predict, init_net=None, predict_path=path, init_path=path,
              formats={"predict": "minidb", "init": "minidb"})
    m.warnings.extend(db.warnings)
    if db.inputs and not predict.external_input:
        predict.external_input.extend(list(db.inputs) + [p for p in db.parameters if p not in db.inputs])
    if db.outputs and not predict.external_output:
        predict.external_output.extend(db.outputs)
    declared = predict_init_input_shapes(db)
    if declared:
        m.value_info = {k: (int(v[0]), list(v[1])) for k, v in declared.items()}

    def loader():
        weights, _ = load_weights(db)
        return weights

    m._loader = loader
    try:
        m.weight_specs  # noqa: B018 (a property with effects) runs the init nets once: a bad record is reported on opening
    except C2FormatError as e:
        m._loader, m._weights, m._specs = None, None, None
        m.weights_error = e.reason
        m.warnings.append(f"{os.path.basename(path)}: {e.reason}: showing the structure only "
                          "(running and converting need sound weights)")
    _check(m)
    return m


def _pick_in_folder(folder: str, passed_over: list | None = None) -> tuple[str, str | None]:
    """(predict net, init net or None) of the model in `folder`; the other predict nets the
    choice passed over (a second model, a text twin) are added to `passed_over`."""
    files = model_files_in(folder)
    if not files:
        files = candidate_files_in(folder)
        if not files:
            raise C2FormatError("folder holds no Caffe2 model files (.pb, .pbtxt, .minidb, or files that read as nets)", folder)
        return pick_by_content(files, folder, read_net, is_init_net, _is_minidb_file)
    minidbs = [f for f in files if f.lower().endswith((".minidb", ".db"))]
    nets = [f for f in files if f not in minidbs]
    if not nets and minidbs:
        return minidbs[0], None
    by_name = [f for f in nets if not looks_like_init_name(f)]
    if len(by_name) == 1 and find_partner(by_name[0], want_init=True) is not None:
        # Names decide without reading (a 100 MB init net is parsed once, by
        # open_model, which then checks both halves by content anyway).
        return by_name[0], find_partner(by_name[0], want_init=True)
    predicts, inits, unreadable = [], [], []
    for f in nets:
        try:
            net, _ = read_net(f)
        except C2FormatError as e:
            unreadable.append(e)
            continue
        (inits if is_init_net(net) else predicts).append(f)
    if not predicts:
        # e.g. a labels .txt beside `X_predict.model`: the extensions said nothing
        try:
            return pick_by_content(candidate_files_in(folder), folder, read_net, is_init_net, _is_minidb_file)
        except C2FormatError:
            if unreadable and not inits:
                raise unreadable[0] from None  # the model file itself is broken: say which and why
            raise
    all_predicts = list(predicts)
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
    if passed_over is not None:
        passed_over.extend(q for q in all_predicts if q != p)
    init = find_partner(p, want_init=True)
    if init is None and inits:
        init = partner_by_content(read_net(p)[0], inits, read_net)
    return p, init


def _is_minidb_file(path: str) -> bool:
    try:
        with open(path, "rb") as f:
            head = f.read(4096)
    except OSError:
        return False
    return looks_like_minidb(head) and not looks_like_text(head) and b"!!META_NET_DEF" in head


def open_model(path: str, init_path: str | None = None, value_info: str | dict | None = None,
               structure_only: bool = False) -> Model:
    """Open a model from a predict file, an init file, a folder or a minidb."""
    path = os.fspath(path)
    from .publish import settle_model

    settle_model(path)  # a publish into this folder that a killed writer left half done is finished first
    if not os.path.exists(path):
        raise C2FormatError("no such file or folder", path)
    passed_over: list = []
    if os.path.isdir(path):
        path, found_init = _pick_in_folder(path, passed_over)
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
            partner = predict_partner_by_content(path, net, read_net, is_init_net)
        if partner is None:
            raise C2FormatError("is an init net (only fill ops); no predict net found beside it", path)
        pnet, pf = read_net(partner)
        if is_init_net(pnet):
            raise C2FormatError(f"is an init net, and so is its partner {os.path.basename(partner)}", path)
        init_path, init, ifmt = path, net, fmt
        predict_path, predict, pfmt = partner, pnet, pf
    else:
        if init_path is None and looks_like_init_name(path):
            _refuse_swapped(path, find_partner(path, want_init=False), want_predict=False)
    empty_init = False
    weights_error = None
    if init is None and not structure_only:
        if init_path is None:
            init_path = find_partner(path, want_init=True)
        if init_path is None:
            init_path = init_partner_by_content(path, net, read_net, is_init_net)
        if init_path is not None:
            try:
                if _zero_bytes(init_path):  # a NetDef with nothing set serializes to 0 bytes: an empty
                    from ..proto import caffe2_pb2

                    init, ifmt = caffe2_pb2.NetDef(), "binary"  # init net, as Caffe2 reads it
                else:
                    init, ifmt = read_net(init_path)
            except C2FormatError as e:
                # A corrupt init net must not hide a sound graph: open the structure,
                # say why the weights are missing, and let run/convert refuse.
                weights_error = e.reason
            if init is not None and not init.op:
                empty_init = True  # no ops at all: a model without weights (warned below)
            elif init is not None and not is_init_net(init):
                if looks_like_init_name(init_path):
                    raise C2FormatError(
                        f"named like an init net but {_what_it_reads(init)}: "
                        f"swapped or mismatched pair with {os.path.basename(path)}", init_path)
                raise C2FormatError(f"is a predict net, not an init net ({_what_it_reads(init)}; "
                                    f"paired with {os.path.basename(path)})", init_path)
    m = Model(predict_net=predict, init_net=init, predict_path=predict_path, init_path=init_path,
              formats={"predict": pfmt, **({"init": ifmt} if init is not None else {})})
    if weights_error is None and init is not None:
        try:
            from ..validate import validate_net

            validate_net(init, init_path)  # argument types first: the specs read them
            m.weight_specs  # noqa: B018 (a property with effects): bad shapes / value counts surface here, before anything is allocated
        except C2FormatError as e:
            weights_error = e.reason
    if weights_error is not None:
        m.init_net, m._specs, m._weights = None, None, None
        m.weights_error = weights_error
        m.warnings.append(f"{os.path.basename(init_path)}: {weights_error}: showing the structure only "
                          "(running and converting need sound weights)")
    if isinstance(value_info, dict):
        m.value_info = value_info
    else:
        vi = value_info or os.path.join(os.path.dirname(os.path.abspath(predict_path)), "value_info.json")
        if value_info or os.path.isfile(vi):
            m.value_info, m.value_info_path = load_value_info(vi), vi
    if init is None and m.value_info and set(predict.external_input) <= set(m.value_info):
        m.weightless = True  # every input is declared data: there is nothing an init net could fill
    if empty_init:
        m.warnings.append(f"{os.path.basename(init_path)}: init net holds no ops (the model has no weights)")
    if passed_over:  # the folder holds more than this model: say which was opened, and how to choose
        m.warnings.append(f"the folder also holds {', '.join(os.path.basename(q) for q in passed_over)}: opened "
                          f"{os.path.basename(predict_path)}; give a file's path to open another")
    _check(m)
    return m


def _zero_bytes(path: str) -> bool:
    try:
        return os.path.isfile(path) and os.path.getsize(path) == 0
    except OSError:
        return False


def open_structure(path: str, init_path: str | None = None, value_info=None) -> Model:
    """The model for showing its graph (draw, the app): opened with its weights
    when they are sound; when its init net cannot be used (corrupt, mismatched),
    the structure alone with a warning naming the init file and why."""
    try:
        return open_model(path, init_path, value_info)
    except C2FormatError as e:
        m = open_model(path, None, value_info, structure_only=True)
        bad = e.path or ""
        if not m.predict_path or os.path.abspath(bad) == os.path.abspath(m.predict_path):
            raise
        m.init_path = bad
        m.weights_error = e.reason
        m.warnings.insert(0, f"{os.path.basename(bad)}: {e.reason}: showing the structure only "
                             "(running and converting need sound weights)")
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


def _what_it_reads(net) -> str:
    """Why `net` is not an init net: the first blob it reads without creating it."""
    from ..init_net import first_foreign_read

    hit = first_foreign_read(net)
    if hit is None:
        return "creates no blob"
    i, op_type, blob = hit
    return f"op #{i} {op_type} reads '{blob}', which it does not create (a predict net reads fed data)"


def _ignored_dilation(op, specs) -> bool:
    """Spatial rank from the filter's shape when the init net has it (else 2-D)."""
    from ..args import Args
    from ..conv_transpose_pads import ignored_dilation

    w = specs.get(op.input[1]) if len(op.input) > 1 else None
    nd = len(w.shape) - 2 if w is not None and w.shape is not None and len(w.shape) > 2 else 2
    return ignored_dilation(Args(op.arg, op.type), nd)


def _check(m: Model) -> None:
    """Pair consistency; hard errors for mismatched pairs, warnings otherwise."""
    from ..schema import known_op_types
    from ..validate import validate_net

    validate_net(m.predict_net, m.predict_path)
    if m.init_net is not None:
        validate_net(m.init_net, m.init_path)

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
        # intermediates of an init net that computes (idx -> Cast -> OneHot) are not stale weights
        steps = {b for op in m.init_net.op for b in op.input}
        unused = sorted(set(specs) - used - ext - steps)
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
