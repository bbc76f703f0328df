"""A seeded mutation fuzzer for the command line: hostile files must give exit 0 or 2, never a traceback.

Seeds: the built-in tiny classifier (binary and text pairs, a minidb, its ONNX
export), a net with If/While sub-nets, and the real zoo nets of the corpus
(structure only) when present. Each case picks a seed, applies one to three
mutations (byte flips, truncations, splices, insertions; structured edits of
fill shapes, argument types and values, blob names, op inputs/outputs, op
types, sub-net nesting, value_info.json, minidb records, .npy headers) and
runs one command (`info`, `draw`, `run`, `convert`, `import`) in-process
through `c2core.cli.main.main`. Everything is derived from (seed, case
index), so a failing case is reproduced by its number alone.

Run as a worker: `python -m tests.c2core.fuzz.fuzzer --cases N --seed S --out R.json`
(the test does this in a subprocess with a memory cap: RLIMIT_AS, plus a small
memory budget so that refusals, not the cap, are what hostile sizes meet).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import math
import os
import random
import resource
import shutil
import signal
import sys
import tempfile
import time
import traceback

import numpy as np

CASE_TIMEOUT_S = 60
HOSTILE_NAMES = ["", "file", "allow_pickle", "a\x00b", "../../x", "/abs", "x" * 5000, "ж", " ", "a\nb", "__names__",
                 "out_0", "%s%n", "a" * 200]
ARG_NAMES = ["kernel", "stride", "pad", "pads", "kernels", "dilation", "order", "global_pooling", "axis", "shape",
             "height_scale", "width_scale", "value", "dtype", "input_as_shape", "extra_shape", "group", "axes",
             "broadcast", "epsilon", "is_test", "max_iterations", "then_net", "loop_net", "legacy_pad", "split"]
SHAPES = [[], [0], [-1], [1 << 40], [65536, 65536], [3] * 9, [1, 2, 3], [2 ** 62, 4], [7], [1, 3, 8, 8]]


# ---------------------------------------------------------------- seeds
def build_seeds(folder: str, corpus: str | None) -> list[dict]:
    """Seed models written under `folder`: [{kind, path, files...}]."""
    from c2core.builder import NetBuilder, model_from
    from c2core.io.save import save_model
    from tests.references.tiny_classifier import tiny_classifier

    seeds = []
    m, w = tiny_classifier()
    for text in (False, True):
        d = os.path.join(folder, "tiny_text" if text else "tiny")
        save_model(m, d, text=text)
        with open(os.path.join(d, "value_info.json"), "w") as f:
            json.dump({"data": [1, [1, 3, 8, 8]]}, f)
        seeds.append({"kind": "pair", "dir": d, "ext": ".pbtxt" if text else ".pb", "runnable": True})
    # a minidb (predictor_exporter layout)
    from tests.c2core.io.caffe2_minidb_writer import save_to_db

    db = os.path.join(folder, "tiny.minidb")
    pnet = m.predict_net
    params = {k: v for k, v in w.items()}
    save_to_db(db, pnet, params, ["data"], list(pnet.external_output), {"data": [1, 3, 8, 8], "prob": [1, 5]})
    seeds.append({"kind": "minidb", "file": db, "runnable": True})
    # control flow: If and While bodies (a loop that counts to 3)
    nb = NetBuilder("flow").inputs("data", "limit", "one", "zero").outputs("y")
    body = NetBuilder("body")
    body.op("Add", ["i", "one"], "i")
    body.op("Relu", "data", "data")
    body.op("LT", ["i", "limit"], "c")
    then = NetBuilder("then")
    then.op("Sigmoid", "data", "y")
    other = NetBuilder("else")
    other.op("Tanh", "data", "y")
    nb.op("Copy", "zero", "i")
    nb.op("LT", ["i", "limit"], "c")
    nb.op("While", ["c", "i", "data"], ["c", "i", "data"], loop_net=body.net)
    nb.op("GT", ["i", "zero"], "t")
    nb.op("If", ["t", "data"], "y", then_net=then.net, else_net=other.net)
    fm = model_from(nb.net, {"limit": np.array(3, np.int64), "one": np.array(1, np.int64),
                             "zero": np.array(0, np.int64)})
    d = os.path.join(folder, "flow")
    save_model(fm, d)
    with open(os.path.join(d, "value_info.json"), "w") as f:
        json.dump({"data": [1, [1, 3, 8, 8]]}, f)
    seeds.append({"kind": "pair", "dir": d, "ext": ".pb", "runnable": True})
    # ONNX export of the tiny model, for `import`
    try:
        from c2core.onnx import export_onnx

        proto = export_onnx(m)
        p = os.path.join(folder, "tiny.onnx")
        with open(p, "wb") as f:
            f.write(proto.SerializeToString())
        seeds.append({"kind": "onnx", "file": p, "runnable": False})
    except Exception:  # noqa: BLE001 - the exporter's API is not what this test is about
        pass
    if corpus and os.path.isdir(corpus):
        for name in sorted(os.listdir(corpus)):
            src = os.path.join(corpus, name)
            if os.path.isfile(os.path.join(src, "predict_net.pbtxt")):
                seeds.append({"kind": "pair", "dir": src, "ext": ".pbtxt", "runnable": False, "big": True,
                              "readonly": True})
    return seeds


# ---------------------------------------------------------------- mutations
def _rand_bytes(rng, n):
    return bytes(rng.randrange(256) for _ in range(n))


def mutate_bytes(rng, data: bytes, other: bytes) -> tuple[bytes, str]:
    kind = rng.choice(["flip", "truncate", "splice", "insert", "zero_run"])
    if not data:
        return _rand_bytes(rng, 16), "random"
    if kind == "flip":
        b = bytearray(data)
        for _ in range(rng.randint(1, 8)):
            i = rng.randrange(len(b))
            b[i] ^= 1 << rng.randrange(8)
        return bytes(b), kind
    if kind == "truncate":
        return data[: rng.randrange(len(data))], kind
    if kind == "splice":
        i, j = rng.randrange(len(data)), rng.randrange(max(len(other), 1))
        return data[:i] + other[j:], kind
    if kind == "insert":
        i = rng.randrange(len(data))
        return data[:i] + _rand_bytes(rng, rng.randint(1, 32)) + data[i:], kind
    i = rng.randrange(len(data))
    return data[:i] + b"\x00" * rng.randint(1, 64) + data[i + 64:], kind


def _set_arg(rng, op, name):
    for a in list(op.arg):
        if a.name == name:
            op.arg.remove(a)
    a = op.arg.add()
    a.name = name
    pick = rng.randrange(9)
    if pick == 0:
        a.s = rng.choice([b"three", b"\xff", b"", b"NCHW", b"NHWC", b"x" * 300])
    elif pick == 1:
        a.f = rng.choice([math.nan, math.inf, -math.inf, -1e30, 0.0, 5e4, 0.5, 2.0])
    elif pick == 2:
        a.i = rng.choice([0, -1, 1, 2, 3, 1 << 31, -(1 << 62), 1 << 40, 100000])
    elif pick == 3:
        a.ints.extend(rng.choice(SHAPES) or [0])
    elif pick == 4:
        a.floats.extend([math.nan, 1.0])
    elif pick == 5:
        a.strings.extend([b"\xff", b"a"])
    elif pick == 6:
        sub = a.n
        sub.name = "sub"
        o = sub.op.add()
        o.type = rng.choice(["Relu", "While", "If", "Nope"])
        o.input.append("data")
        o.output.append("data")
    elif pick == 7:
        pass  # an argument with no value at all
    else:
        a.i = rng.randint(-3, 300)
    return f"arg {name}"


def _all_blobs(net):
    names = set(net.external_input) | set(net.external_output)
    for op in net.op:
        names.update(op.input)
        names.update(op.output)
    return sorted(names)


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _field(num: int, payload: bytes) -> bytes:
    """A length-delimited protobuf field."""
    return _varint(num << 3 | 2) + _varint(len(payload)) + payload


def mutate_net(rng, net, init=None, extra=None) -> str:
    """One structured edit of a NetDef (and its init net); returns a label.
    Ops too deep for protobuf's own builder are appended to `extra` as bytes."""
    kind = rng.choice(["arg", "arg", "drop_io", "rename", "op_type", "dup_op", "del_op", "nest", "ext_io",
                       "fill_shape", "fill_shape", "add_op", "init_arg"])
    if kind == "init_arg" and init is not None and len(init.op):
        op = rng.choice(init.op)
        return "init " + _set_arg(rng, op, rng.choice(["values", "dtype", "value", "shape", "extra_shape",
                                                       "input_as_shape"]))
    if kind == "fill_shape" and init is not None and len(init.op):
        op = rng.choice(init.op)
        for a in list(op.arg):
            if a.name == "shape":
                op.arg.remove(a)
        a = op.arg.add()
        a.name = "shape"
        a.ints.extend(rng.choice(SHAPES))
        if rng.random() < 0.3:
            op.type = rng.choice(["ConstantFill", "XavierFill", "GaussianFill", "GivenTensorIntFill"])
        return f"fill_shape {list(a.ints)[:4]} {op.type}"
    if not len(net.op):
        net.op.add().type = "Relu"
        return "add_op to empty"
    op = rng.choice(net.op)
    if kind == "arg":
        return _set_arg(rng, op, rng.choice(ARG_NAMES))
    if kind == "drop_io":
        field = rng.choice([op.input, op.output])
        if len(field):
            del field[rng.randrange(len(field))]
        return "drop_io"
    if kind == "rename":
        blobs = _all_blobs(net)
        old = rng.choice(blobs) if blobs else "x"
        new = rng.choice(HOSTILE_NAMES)
        for o in net.op:
            for field in (o.input, o.output):
                for k, b in enumerate(field):
                    if b == old:
                        field[k] = new
        for field in (net.external_input, net.external_output):
            for k, b in enumerate(field):
                if b == old:
                    field[k] = new
        return f"rename {new[:12]!r}"
    if kind == "op_type":
        op.type = rng.choice(["Conv", "FC", "Concat", "Reshape", "ResizeNearest", "ConstantFill", "While", "If",
                              "Softmax", "AveragePool", "MaxPool", "SpatialBN", "Sum", "Transpose", "", "Nope",
                              "ConvTranspose", "PadImage", "Slice", "Gather", "Tile", "Cast"])
        return f"op_type {op.type}"
    if kind == "dup_op":
        net.op.add().CopyFrom(op)
        return "dup_op"
    if kind == "del_op":
        net.op.remove(op)
        return "del_op"
    if kind == "add_op":
        new = net.op.add()
        new.type = rng.choice(["ConstantFill", "ResizeNearest", "Tile", "PadImage", "While"])
        blobs = _all_blobs(net)
        new.input.extend(rng.sample(blobs, min(len(blobs), rng.randint(0, 2))))
        new.output.append(rng.choice(blobs + ["fresh"]))
        _set_arg(rng, new, rng.choice(ARG_NAMES))
        return f"add_op {new.type}"
    if kind == "nest":
        # built as bytes: protobuf itself refuses to build messages this deep
        depth = rng.choice([1, 2, 5, 31, 33, 40])
        cond = op.input[0] if len(op.input) else "c"
        raw = op.SerializeToString()
        for _ in range(depth):
            t = rng.choice(["If", "While"])
            arg = _field(1, b"then_net" if t == "If" else b"loop_net") + _field(8, _field(2, raw))
            raw = _field(1, cond.encode()) + _field(4, t.encode()) + _field(5, arg)
        if extra is not None:
            extra.append(raw)
        return f"nest {depth}"
    field = rng.choice([net.external_input, net.external_output])
    if len(field) and rng.random() < 0.5:
        del field[rng.randrange(len(field))]
    else:
        field.append(rng.choice(HOSTILE_NAMES[:6]))
    return "ext_io"


def mutate_value_info(rng) -> tuple[bytes, str]:
    dims = rng.choice(["[1,3,8,8]", "[1099511627776]", "[null]", "[1.5]", "[-5]", "[NaN]", "[Infinity]", '["a"]',
                       "[1,3,65536,65536]", "[true]", "[]"])
    et = rng.choice(["1", "99", "null", "\"x\"", "1.0", "4"])
    text = rng.choice([f'{{"data": [{et}, {dims}]}}', f'{{"data": {dims}}}', "[]", "{", '{"data": [1, [1,3,8,8]]}' * 2])
    return text.encode(), f"value_info {text[:40]}"


def mutate_npy(rng, path: str) -> str:
    """A hostile .npy in place of the run input."""
    import numpy.lib.format as npf

    pick = rng.randrange(6)
    if pick == 0:
        np.save(path, np.zeros((1, 3, 8, 8), ">f4"))
        return "npy big-endian"
    if pick == 1:
        np.save(path, np.array(["a", "b"]))
        return "npy strings"
    if pick == 2:
        np.save(path, np.zeros(3, [("a", "f4")]))
        return "npy structured"
    if pick == 3:
        buf = io.BytesIO()
        npf.write_array_header_1_0(buf, {"descr": "<f4", "fortran_order": False, "shape": (65536, 65536)})
        with open(path, "wb") as f:
            f.write(buf.getvalue() + b"\0" * 64)
        return "npy huge header"
    if pick == 4:
        with open(path, "r+b") as f:
            f.truncate(rng.randrange(128))
        return "npy truncated"
    np.save(path, np.zeros((1, 3, 8, 8), np.float64))
    return "npy float64"


# ---------------------------------------------------------------- one case
def make_case(i: int, seed: int, seeds: list[dict], work: str) -> tuple[list[str], str, str]:
    """(argv, label, output path) for case `i`, files written under `work`."""
    from c2core.proto import caffe2_pb2

    rng = random.Random(f"{seed}:{i}")
    s = rng.choice(seeds)
    case = os.path.join(work, f"case{i}")
    os.makedirs(case)
    labels = []
    if s["kind"] == "onnx":
        data = open(s["file"], "rb").read()
        other = open(seeds[0]["dir"] + "/predict_net.pb", "rb").read()
        if rng.random() < 0.6:
            data, k = mutate_bytes(rng, data, other)
            labels.append(k)
        else:
            import onnx

            m = onnx.load_from_string(data)
            t = rng.choice(list(m.graph.initializer)) if len(m.graph.initializer) else None
            if rng.random() < 0.4 and len(m.graph.node):
                from onnx import helper

                node = rng.choice(list(m.graph.node))
                if rng.random() < 0.5:
                    node.op_type = rng.choice(["ConstantOfShape", "Expand", "Tile", "Range", "Resize", "Nope", "Conv",
                                               "Reshape", "Gemm", "Loop", ""])
                    labels.append(f"onnx op_type {node.op_type}")
                else:
                    name = rng.choice(["kernel_shape", "pads", "strides", "axis", "perm", "value", "to", "group"])
                    val = rng.choice([[1 << 40], [-3, -3], [0], 10 ** 6, -1, 1.5, "x"])
                    node.attribute.append(helper.make_attribute(name, val))
                    labels.append(f"onnx attr {name}={val!r:.20}")
                t = None
            if t is not None:
                pick = rng.randrange(3)
                if pick == 0:
                    del t.dims[:]
                    t.dims.extend(rng.choice([[1 << 40], [65536, 65536], [-1], [0]]))
                elif pick == 1:
                    t.ClearField("raw_data")
                    t.ClearField("float_data")
                else:
                    t.raw_data = t.raw_data[:-3]
                labels.append(f"onnx initializer {pick}")
            data = m.SerializeToString()
        p = os.path.join(case, "model.onnx")
        open(p, "wb").write(data)
        out = os.path.join(case, "out")
        return ["import", p, "-o", out], f"onnx:{'+'.join(labels)}", out
    if s["kind"] == "minidb":
        data = open(s["file"], "rb").read()
        if rng.random() < 0.5:
            data, k = mutate_bytes(rng, data, data[::-1])
            labels.append(f"minidb {k}")
        else:
            from c2core.io.minidb import iter_records, write_records

            recs = list(iter_records(data, s["file"]))
            j = rng.randrange(len(recs))
            key, val = recs[j]
            blob = caffe2_pb2.BlobProto()
            blob.ParseFromString(val)
            if blob.HasField("tensor"):
                t = blob.tensor
                pick = rng.randrange(3)
                if pick == 0:
                    del t.dims[:]
                    t.dims.extend(rng.choice(SHAPES))
                elif pick == 1:
                    t.raw_data = (t.raw_data or b"\0" * 16)[:-3]
                else:
                    t.data_type = rng.choice([4, 0, 12, 7, 14])
                labels.append(f"minidb tensor {pick}")
            else:
                val, k = mutate_bytes(rng, val, val)
                labels.append(f"minidb record {k}")
                recs[j] = (key, val)
                blob = None
            if blob is not None:
                recs[j] = (key, blob.SerializeToString())
            buf = io.BytesIO()
            write_records(recs, buf)
            data = buf.getvalue()
        model = os.path.join(case, "model.minidb")
        open(model, "wb").write(data)
    else:
        ext = s["ext"]
        src = s["dir"]
        pred = open(os.path.join(src, "predict_net" + ext), "rb").read()
        init_p = os.path.join(src, "init_net" + ext)
        init = open(init_p, "rb").read() if os.path.exists(init_p) else None
        vi = open(os.path.join(src, "value_info.json"), "rb").read() if os.path.exists(
            os.path.join(src, "value_info.json")) else None
        r = rng.random()
        if r < 0.35:
            which = "init" if init is not None and rng.random() < 0.4 else "predict"
            if which == "init":
                init, k = mutate_bytes(rng, init, pred)
            else:
                pred, k = mutate_bytes(rng, pred, init or pred)
            labels.append(f"{which} {k}")
        elif r < 0.9:
            from c2core.io.sniff import parse_netdef

            pnet, _ = parse_netdef(pred, "p")
            inet = parse_netdef(init, "i")[0] if init is not None else None
            extra = []
            for _ in range(rng.randint(1, 3)):
                labels.append(mutate_net(rng, pnet, inet, extra if ext == ".pb" else None))
            pred = _serialize(pnet, ext) + b"".join(_field(2, op) for op in extra)
            if inet is not None:
                init = _serialize(inet, ext)
        else:
            vi, k = mutate_value_info(rng)
            labels.append(k)
        model = os.path.join(case, "m")
        os.makedirs(model)
        open(os.path.join(model, "predict_net" + ext), "wb").write(pred)
        if init is not None:
            open(os.path.join(model, "init_net" + ext), "wb").write(init)
        if vi is not None:
            open(os.path.join(model, "value_info.json"), "wb").write(vi)
    # the command
    big = s.get("big", False)
    cmds = ["info", "draw"] + (["run", "run", "convert"] if s.get("runnable") else ["run", "convert"])
    cmd = rng.choice(cmds)
    if cmd == "info":
        argv = ["info", model] + (["--json"] if rng.random() < 0.3 else [])
        out = None
    elif cmd == "draw":
        out = os.path.join(case, "g." + ("dot" if big or rng.random() < 0.6 else "svg"))
        argv = ["draw", model, "-o", out]
    elif cmd == "run":
        x = os.path.join(case, "x.npy")
        np.save(x, np.random.default_rng(i).standard_normal((1, 3, 8, 8)).astype(np.float32))
        if rng.random() < 0.25:
            labels.append(mutate_npy(rng, x))
        out = os.path.join(case, "o.npz")
        argv = ["run", model, "-i", x, "-o", out]
    else:
        out = os.path.join(case, "m.onnx")
        argv = ["convert", model, "-o", out] + (["--no-verify"] if rng.random() < 0.5 else [])
    return argv, f"{s.get('dir', s.get('file', '')).rsplit('/', 1)[-1]}:{'+'.join(labels)}", out


def _serialize(net, ext: str) -> bytes:
    if ext == ".pbtxt":
        from google.protobuf import text_format

        return text_format.MessageToString(net).encode("utf-8", "surrogateescape")
    return net.SerializeToString()


class CaseTimeout(Exception):
    pass


def _alarm(signum, frame):
    raise CaseTimeout()


def run_case(argv: list[str]) -> tuple[int, str, str]:
    """(exit code, stderr, traceback or '') of `c2core ARGV` in this process."""
    from c2core.cli.main import main

    err, out = io.StringIO(), io.StringIO()
    tb = ""
    signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(CASE_TIMEOUT_S)
    try:
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
            try:
                rc = main(argv)
            except SystemExit as e:
                rc = e.code if isinstance(e.code, int) else 2
    except CaseTimeout:
        rc, tb = 1, f"hang: no result within {CASE_TIMEOUT_S} s"
    except BaseException:  # noqa: BLE001 - exactly what the fuzzer looks for
        rc, tb = 1, traceback.format_exc()
    finally:
        signal.alarm(0)
    return rc, err.getvalue(), tb


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", type=int, default=300)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--first", type=int, default=0)
    ap.add_argument("--corpus", default=None)
    ap.add_argument("--out", required=True)
    ap.add_argument("--as-limit-gb", type=float, default=0)
    a = ap.parse_args(argv)
    if a.as_limit_gb:
        lim = int(a.as_limit_gb * (1 << 30))
        resource.setrlimit(resource.RLIMIT_AS, (lim, lim))
    work = tempfile.mkdtemp(prefix="c2fuzz-")
    results = []
    try:
        seeds = build_seeds(os.path.join(work, "seeds"), a.corpus)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        for i in range(a.first, a.first + a.cases):
            argv_i, label, out = make_case(i, a.seed, seeds, work)
            t0 = time.perf_counter()
            rc, err, tb = run_case(argv_i)
            dt = time.perf_counter() - t0
            now = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            problems = []
            if rc not in (0, 2):
                problems.append(f"exit {rc}")
            if "Traceback" in err or tb:
                problems.append("traceback")
            lines = [ln for ln in err.splitlines() if ln.strip()]
            if rc == 2 and (not lines or not lines[-1].startswith("error: ")):
                problems.append("no error line")
            if "out of memory" in err:
                problems.append("hit the memory cap (the budget did not refuse first)")
            case_dir = os.path.join(work, f"case{i}")
            leftovers = [n for n in os.listdir(case_dir) if n.endswith(".part") or n.startswith(".c2stage")]
            if leftovers:
                problems.append(f"left {leftovers}")
            if rc == 2 and out and os.path.exists(out):
                problems.append("wrote an output although it failed")
            results.append({"case": i, "argv": [x if len(x) < 200 else x[:200] for x in argv_i[:1]], "label": label,
                            "rc": rc, "seconds": round(dt, 3), "rss_growth_kb": max(0, now - peak),
                            "maxrss_kb": now, "last": lines[-1][:300] if lines else "", "problems": problems,
                            "traceback": tb[-3000:] if tb else ""})
            peak = max(peak, now)
            shutil.rmtree(case_dir, ignore_errors=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
        with open(a.out, "w") as f:
            json.dump(results, f)
    return 0


if __name__ == "__main__":
    sys.exit(main())
