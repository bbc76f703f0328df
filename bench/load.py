"""Model loading speed against protobuf's bare parse, on a ResNet-50-sized pair.

Builds a zoo-like ResNet-50 pair (175 ops; 267 GivenTensorFills, 25.6M floats,
~128 MB init) in a temp folder, then measures in the same run, as the median
of several repeats:

- `parse`: `NetDef().ParseFromString` of the init file (read included), the
  reference: no loader can do less than protobuf's own parse;
- `info --json` as a subprocess vs `python -c` doing the bare parse as a
  subprocess (both include interpreter start-up and imports);
- `open_model(...).weights` (every tensor as numpy) vs the bare parse.

Goal: each ratio <= 1.5. `--json` prints one object instead of the table.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

GOAL = 1.5


def _median_time(fn, repeats: int) -> float:
    fn()  # warm-up: page cache, allocator, imports
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def _bare_parse(path: str):
    from c2core.proto import caffe2_pb2

    net = caffe2_pb2.NetDef()
    with open(path, "rb") as f:
        net.ParseFromString(f.read())
    return net


def _full_load(path: str):
    from c2core.io import open_model

    m = open_model(path)
    w = m.weights
    assert len(w) == 267
    return w


def _c2core_cmd() -> list[str]:
    exe = os.path.join(os.path.dirname(sys.executable), "c2core")
    return [exe] if os.path.exists(exe) else [sys.executable, "-m", "c2core.cli.main"]


def _run(cmd):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed: {p.stderr.decode(errors='replace')[-500:]}")
    return p.stdout


def build_pair(folder: str) -> tuple[str, str, int]:
    from c2core.io.save import save_net

    from . import resnet50

    net, shapes = resnet50.build()
    weights = resnet50.random_weights(shapes)
    predict = os.path.join(folder, "predict_net.pb")
    init = os.path.join(folder, "init_net.pb")
    save_net(net, predict)
    resnet50.write_init(init, weights)
    resnet50.check_init(init, weights)
    return predict, init, sum(a.size for a in weights.values())


def measure(folder: str, repeats: int) -> dict:
    predict, init, n_params = build_pair(folder)
    res = {"init_bytes": os.path.getsize(init), "parameters": n_params, "repeats": repeats}

    res["parse_s"] = _median_time(lambda: _bare_parse(init), repeats)
    res["weights_s"] = _median_time(lambda: _full_load(predict), repeats)

    info_cmd = _c2core_cmd() + ["info", predict, "--json"]
    out = json.loads(_run(info_cmd))
    assert out["num_parameters"] == n_params and out["num_ops"] == 175
    bare_cmd = [sys.executable, "-c",
                "import sys; from c2core.proto import caffe2_pb2; n = caffe2_pb2.NetDef(); "
                "n.ParseFromString(open(sys.argv[1], 'rb').read())", init]
    res["info_subprocess_s"] = _median_time(lambda: _run(info_cmd), repeats)
    res["parse_subprocess_s"] = _median_time(lambda: _run(bare_cmd), repeats)

    res["weights_ratio"] = res["weights_s"] / res["parse_s"]
    res["info_ratio"] = res["info_subprocess_s"] / res["parse_subprocess_s"]
    res["goal"] = GOAL
    res["ok"] = res["weights_ratio"] <= GOAL and res["info_ratio"] <= GOAL
    return res


def table(r: dict) -> str:
    mb = r["init_bytes"] / 1e6
    rows = [
        ("bare ParseFromString (init)", r["parse_s"], "1.00x"),
        ("open_model(...).weights", r["weights_s"], f"{r['weights_ratio']:.2f}x"),
        ("python -c bare parse (subprocess)", r["parse_subprocess_s"], "1.00x"),
        ("c2core info --json (subprocess)", r["info_subprocess_s"], f"{r['info_ratio']:.2f}x"),
    ]
    lines = [f"ResNet-50 pair: {r['parameters']:,} float params, init {mb:.1f} MB; median of {r['repeats']}",
             f"{'measurement':<36} {'seconds':>8}  {'vs parse':>8}"]
    lines += [f"{name:<36} {t:>8.3f}  {ratio:>8}" for name, t, ratio in rows]
    lines.append(f"goal <= {r['goal']}x: {'met' if r['ok'] else 'NOT met'}")
    return "\n".join(lines)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench load", description=__doc__.strip().splitlines()[0])
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--keep", metavar="DIR", help="build the pair in DIR and keep it")
    args = p.parse_args(argv)
    folder = args.keep or tempfile.mkdtemp(prefix="c2bench-load-")
    try:
        os.makedirs(folder, exist_ok=True)
        r = measure(folder, max(1, args.repeats))
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
    print(json.dumps(r) if args.json else table(r))
    return 0
