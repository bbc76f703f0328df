"""ONNX export time of a ResNet-50-sized model (goal <= 2 s), and verification time.

The model is the corpus resnet50 predict net with generated weights of its
real shapes (25.6M parameters; tests/zoo_weights.py), or,
without the corpus, bench/resnet50.py's identical layout. Export time is
`export_onnx` in memory (checker included) and with an atomic write to disk;
verification time is ONNX Runtime plus the c2core executor on one random
input (session creation and executor preparation included, as the CLI pays
them).

    python -m bench export [--repeat N] [--opset N] [--no-verify]
"""

from __future__ import annotations

import argparse
import os
import pathlib
import statistics
import sys
import tempfile
import time

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parent.parent
CORPUS = pathlib.Path(os.environ.get("C2_CORPUS", ROOT.parent / "shared" / "corpus" / "caffe2-zoo"))


def resnet50_model():
    """(Model, where it came from) with generated weights."""
    if (CORPUS / "resnet50").is_dir():
        if str(ROOT) not in sys.path:
            sys.path.insert(0, str(ROOT))  # tests/ is a folder of the checkout, not an installed package
        from tests.zoo_weights import zoo_model

        return zoo_model(CORPUS, "resnet50"), "corpus resnet50 + generated weights"
    from c2core.fills import Weight
    from c2core.model import Model

    from . import resnet50

    net, shapes = resnet50.build()
    rng = np.random.default_rng(0)
    m = Model(predict_net=net)
    m._weights = {k: Weight(k, (rng.standard_normal(s, dtype=np.float32) * 0.05), "GivenTensorFill")
                  for k, s in shapes.items()}
    m.value_info = {"gpu_0/data": (1, [1, 3, 224, 224])}
    return m, "bench/resnet50.py layout + random weights"


def main(argv=None) -> int:
    from c2core.onnx import export_onnx, verify_onnx

    p = argparse.ArgumentParser(prog="python -m bench export", description=__doc__.splitlines()[0])
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--opset", type=int, default=17)
    p.add_argument("--no-verify", action="store_true")
    a = p.parse_args(argv)

    t = time.perf_counter()
    model, source = resnet50_model()
    n_params = sum(w.array.size for w in model.weights.values())
    print(f"model: {source}: {len(model.predict_net.op)} ops, {n_params / 1e6:.1f}M parameters "
          f"(weights generated in {time.perf_counter() - t:.2f} s, not counted)")
    export_onnx(model, opset=a.opset)  # warm-up: imports onnx, loads schemas

    mem = []
    for _ in range(a.repeat):
        t = time.perf_counter()
        proto = export_onnx(model, opset=a.opset)
        mem.append(time.perf_counter() - t)
    disk = []
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "resnet50.onnx")
        for _ in range(a.repeat):
            t = time.perf_counter()
            export_onnx(model, out, opset=a.opset)
            disk.append(time.perf_counter() - t)
        size = os.path.getsize(out)
        print(f"export (in memory, checker included): median {statistics.median(mem):.3f} s, min {min(mem):.3f} s "
              f"over {a.repeat} runs; {len(proto.graph.node)} nodes, opset {a.opset}")
        print(f"export + atomic write:                median {statistics.median(disk):.3f} s, min {min(disk):.3f} s; "
              f"file {size / 1e6:.1f} MB")
        goal = statistics.median(disk) <= 2.0
        print(f"goal <= 2 s excluding verification: {'met' if goal else 'NOT met'}")
        if not a.no_verify:
            t = time.perf_counter()
            report = verify_onnx(model, out)
            total = time.perf_counter() - t
            print(f"verification: {total:.2f} s total (ONNX Runtime run {report.seconds['onnxruntime']:.3f} s, "
                  f"executor prepare+run {report.seconds['reference']:.2f} s, rest: session creation)")
            print(report.format())
            if not report.ok:
                return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
