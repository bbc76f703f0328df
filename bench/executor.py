"""Executor latency against reference runtimes on the same model, side by side.

`python -m bench executor [--runs N] [--warmup W] [--threads T]
[--models squeezenet,efficientnet] [--refs torch,onnxruntime] [--layouts]
[--style alternating|isolated|both] [--json OUT]`

Each model is written once as a plain eager `torch.nn.Module` (SqueezeNet 1.0
class: Fire modules, Caffe ceil-mode pools; EfficientNet-B0 class: MBConv
with depthwise convs (group = C), Swish, squeeze-excite blocks with a global
pool and a broadcast Mul, BatchNorm everywhere), then translated node by
node (torch.fx) into a Caffe2 predict net with the same weights. The
executor (`c2core.runtime.Predictor`) and each reference run the same input,
batch 1, 224x224, same thread count; we report p50/p90 over N runs after
warm-up and the ratio executor p50 / reference p50 (goal <= 1.5).
References are pluggable (`REFERENCES`): eager torch always; ONNX Runtime
(graph optimizations ALL, the default) on the c2core ONNX export.

Two measurement styles:
- alternating (default): all prepared in one process, runs interleaved one
  by one so machine noise hits every runtime alike; ONNX Runtime's idle
  workers sleep instead of spinning (they would take the CPU from the run
  that follows).
- isolated: each runtime alone in a fresh process, the way a deployment runs
  it. ONNX Runtime's workers still sleep when idle: on a shared machine its
  default spinning made it 2-3x slower with 2 threads (a weaker reference).
Both keep libgomp's default OpenMP waiting (C2_OMP_PASSIVE=1: passive, see c2core.runtime.threads).
"""

from __future__ import annotations

import argparse
import json
import operator
import os
import statistics
import sys
import time

import numpy as np


# ----------------------------------------------------------------------
# The two models, as ordinary eager PyTorch.

def _models():
    import torch
    from torch import nn

    class Fire(nn.Module):
        def __init__(self, cin, s, e):
            super().__init__()
            self.squeeze = nn.Conv2d(cin, s, 1)
            self.squeeze_relu = nn.ReLU()
            self.e1 = nn.Conv2d(s, e, 1)
            self.e1_relu = nn.ReLU()
            self.e3 = nn.Conv2d(s, e, 3, padding=1)
            self.e3_relu = nn.ReLU()

        def forward(self, x):
            x = self.squeeze_relu(self.squeeze(x))
            return torch.cat([self.e1_relu(self.e1(x)), self.e3_relu(self.e3(x))], 1)

    class SqueezeNet(nn.Module):
        """SqueezeNet 1.0 (the Caffe2 model-zoo layout)."""

        def __init__(self, classes=1000):
            super().__init__()
            self.conv1 = nn.Conv2d(3, 96, 7, stride=2)
            self.relu1 = nn.ReLU()
            self.pool1 = nn.MaxPool2d(3, 2, ceil_mode=True)
            self.fire2, self.fire3, self.fire4 = Fire(96, 16, 64), Fire(128, 16, 64), Fire(128, 32, 128)
            self.pool4 = nn.MaxPool2d(3, 2, ceil_mode=True)
            self.fire5, self.fire6, self.fire7, self.fire8 = Fire(256, 32, 128), Fire(256, 48, 192), Fire(384, 48, 192), Fire(384, 64, 256)
            self.pool8 = nn.MaxPool2d(3, 2, ceil_mode=True)
            self.fire9 = Fire(512, 64, 256)
            self.drop = nn.Dropout(0.5)
            self.conv10 = nn.Conv2d(512, classes, 1)
            self.relu10 = nn.ReLU()
            self.pool10 = nn.AdaptiveAvgPool2d(1)
            self.softmax = nn.Softmax(dim=1)

        def forward(self, x):
            x = self.pool1(self.relu1(self.conv1(x)))
            x = self.pool4(self.fire4(self.fire3(self.fire2(x))))
            x = self.pool8(self.fire8(self.fire7(self.fire6(self.fire5(x)))))
            x = self.pool10(self.relu10(self.conv10(self.drop(self.fire9(x)))))
            return self.softmax(x)

    class SE(nn.Module):
        def __init__(self, c, r):
            super().__init__()
            self.pool = nn.AdaptiveAvgPool2d(1)
            self.reduce = nn.Conv2d(c, r, 1)
            self.act = nn.SiLU()
            self.expand = nn.Conv2d(r, c, 1)
            self.gate = nn.Sigmoid()

        def forward(self, x):
            return x * self.gate(self.expand(self.act(self.reduce(self.pool(x)))))

    def conv_bn(cin, cout, k, stride=1, group=1, act=True):
        layers = [nn.Conv2d(cin, cout, k, stride, k // 2, groups=group, bias=False), nn.BatchNorm2d(cout, eps=1e-3)]
        if act:
            layers.append(nn.SiLU())
        return nn.Sequential(*layers)

    class MBConv(nn.Module):
        def __init__(self, cin, cout, expand, k, stride):
            super().__init__()
            mid = cin * expand
            self.expand = conv_bn(cin, mid, 1) if expand != 1 else nn.Identity()
            self.dw = conv_bn(mid, mid, k, stride, group=mid)
            self.se = SE(mid, max(1, cin // 4))
            self.project = conv_bn(mid, cout, 1, act=False)
            self.residual = stride == 1 and cin == cout

        def forward(self, x):
            y = self.project(self.se(self.dw(self.expand(x))))
            return x + y if self.residual else y

    class EfficientNet(nn.Module):
        """EfficientNet-B0 layout (MBConv + SE + Swish)."""

        CFG = [(1, 3, 1, 16, 1), (6, 3, 2, 24, 2), (6, 5, 2, 40, 2), (6, 3, 2, 80, 3), (6, 5, 1, 112, 3), (6, 5, 2, 192, 4), (6, 3, 1, 320, 1)]

        def __init__(self, classes=1000):
            super().__init__()
            self.stem = conv_bn(3, 32, 3, 2)
            blocks, cin = [], 32
            for e, k, s, c, n in self.CFG:
                for i in range(n):
                    blocks.append(MBConv(cin, c, e, k, s if i == 0 else 1))
                    cin = c
            self.blocks = nn.Sequential(*blocks)
            self.head = conv_bn(cin, 1280, 1)
            self.pool = nn.AdaptiveAvgPool2d(1)
            self.flatten = nn.Flatten(1)
            self.drop = nn.Dropout(0.2)
            self.fc = nn.Linear(1280, classes)
            self.softmax = nn.Softmax(dim=1)

        def forward(self, x):
            x = self.pool(self.head(self.blocks(self.stem(x))))
            return self.softmax(self.fc(self.drop(self.flatten(x))))

    return {"squeezenet": SqueezeNet, "efficientnet": EfficientNet}


def _randomise_bn(module, seed=0):
    """Give BatchNorm layers non-trivial statistics so folding is exercised."""
    import torch
    from torch import nn

    g = torch.Generator().manual_seed(seed)
    for m in module.modules():
        if isinstance(m, nn.BatchNorm2d):
            with torch.no_grad():
                m.running_mean.copy_(torch.randn(m.num_features, generator=g) * 0.1)
                m.running_var.copy_(torch.rand(m.num_features, generator=g) + 0.5)
                m.weight.copy_(torch.rand(m.num_features, generator=g) + 0.5)
                m.bias.copy_(torch.randn(m.num_features, generator=g) * 0.1)


# ----------------------------------------------------------------------
# torch.fx graph -> Caffe2 predict net with the module's weights.

def to_caffe2(module, input_name="data"):
    """(Model, blob name of the output) for an eval-mode module built from the
    layer types above."""
    import torch
    from torch import fx, nn

    from c2core.builder import NetBuilder, model_from

    gm = fx.symbolic_trace(module)
    mods = dict(gm.named_modules())
    b = NetBuilder(type(module).__name__.lower())
    b.inputs(input_name)
    weights: dict = {}
    blob: dict = {}
    out_name = None

    def w(name, t):
        weights[name] = t.detach().cpu().numpy().astype(np.float32)
        return name

    for node in gm.graph.nodes:
        name = node.name
        if node.op == "placeholder":
            blob[node] = input_name
            continue
        if node.op == "output":
            out_name = blob[node.args[0]]
            continue
        ins = [blob[a] for a in node.args if isinstance(a, fx.Node)]
        single_use = len(node.args) and isinstance(node.args[0], fx.Node) and len(node.args[0].users) == 1 and node.args[0].op != "placeholder"
        if node.op == "call_module":
            m = mods[node.target]
            t = node.target
            if isinstance(m, nn.Conv2d):
                args = dict(kernel=m.kernel_size[0], stride=m.stride[0], pad=m.padding[0], group=m.groups)
                inputs = [ins[0], w(t + ".weight", m.weight)] + ([w(t + ".bias", m.bias)] if m.bias is not None else [])
                b.op("Conv", inputs, name, **args)
            elif isinstance(m, nn.BatchNorm2d):
                b.op("SpatialBN", [ins[0], w(t + ".weight", m.weight), w(t + ".bias", m.bias), w(t + ".mean", m.running_mean), w(t + ".var", m.running_var)],
                     name, is_test=1, epsilon=float(m.eps))
            elif isinstance(m, (nn.ReLU, nn.Sigmoid)):
                name = ins[0] if single_use else name  # in place, as Caffe2 nets do
                b.op("Relu" if isinstance(m, nn.ReLU) else "Sigmoid", ins[0], name)
            elif isinstance(m, nn.SiLU):
                b.op("Swish", ins[0], name)
            elif isinstance(m, nn.MaxPool2d):
                b.op("MaxPool", ins[0], name, kernel=m.kernel_size, stride=m.stride, pad=m.padding, **({"legacy_pad": 3} if m.ceil_mode else {}))
            elif isinstance(m, nn.AdaptiveAvgPool2d):
                b.op("AveragePool", ins[0], name, global_pooling=1, kernel=1)
            elif isinstance(m, nn.Dropout):
                b.op("Dropout", ins[0], [name, name + "_mask"], ratio=float(m.p), is_test=1)
            elif isinstance(m, nn.Flatten):
                b.op("Flatten", ins[0], name, axis=m.start_dim)
            elif isinstance(m, nn.Linear):
                b.op("FC", [ins[0], w(t + ".weight", m.weight), w(t + ".bias", m.bias)], name)
            elif isinstance(m, nn.Softmax):
                b.op("Softmax", ins[0], name, axis=m.dim)
            elif isinstance(m, nn.Identity):
                blob[node] = ins[0]
                continue
            else:
                raise TypeError(f"no Caffe2 translation for {type(m).__name__}")
        elif node.op == "call_function":
            if node.target is torch.cat:
                b.op("Concat", [blob[a] for a in node.args[0]], [name, name + "_info"], axis=node.kwargs.get("dim", node.args[1] if len(node.args) > 1 else 0))
            elif node.target in (operator.add, torch.add):
                b.op("Add", ins, name)
            elif node.target in (operator.mul, torch.mul):
                b.op("Mul", ins, name)
            else:
                raise TypeError(f"no Caffe2 translation for {node.target}")
        else:
            raise TypeError(f"unexpected fx node {node.op}")
        blob[node] = name
    b.outputs(out_name)
    b.net.external_input.extend(weights)
    model = model_from(b.net, weights)
    model.value_info = {input_name: (1, [1, 3, 224, 224])}
    return model, out_name


# ----------------------------------------------------------------------
# References: name -> factory(module, model, threads) -> callable(x: np.ndarray)

def _torch_ref(module, model, threads, spinning=False):
    import torch

    def run(x):
        with torch.inference_mode():
            return module(torch.from_numpy(x)).numpy()

    return run


def _ort_ref(module, model, threads, spinning=False):
    import onnxruntime as ort

    from c2core.onnx import export_onnx

    proto = export_onnx(model)
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    so.log_severity_level = 3
    if not spinning:
        so.add_session_config_entry("session.intra_op.allow_spinning", "0")
    sess = ort.InferenceSession(proto.SerializeToString(), so, providers=["CPUExecutionProvider"])
    name = sess.get_inputs()[0].name

    def run(x):
        return sess.run(None, {name: x})[0]

    return run


REFERENCES = {"torch": _torch_ref, "onnxruntime": _ort_ref}


def _pct(xs, q):
    xs = sorted(xs)
    k = (len(xs) - 1) * q
    lo = int(k)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


def _with_ratios(summary: dict) -> dict:
    """Add to each reference implementation its `executor_over_ref_p50`: the
    executor's median time over its own (below 1: the executor is faster)."""
    impls = summary["impls"]
    if "executor" in impls:
        ex = impls["executor"]["p50_ms"]
        for k, v in impls.items():
            if not k.startswith("executor"):
                v["executor_over_ref_p50"] = round(ex / v["p50_ms"], 3)
    return summary


def bench_model(kind, refs, runs, warmup, threads, seed=0, channels_last=False, only=None):
    """Time the executor and `refs` on model `kind`, interleaved run by run.
    only: time just this one implementation (isolated style)."""
    import torch

    from c2core.runtime import Predictor

    torch.manual_seed(seed)
    module = _models()[kind]().eval()
    _randomise_bn(module, seed)
    t0 = time.perf_counter()
    model, out = to_caffe2(module)
    pred = Predictor(model)
    prep_s = time.perf_counter() - t0
    x = np.random.default_rng(seed).standard_normal((1, 3, 224, 224)).astype(np.float32)
    impls = {"executor": lambda a: pred.run({"data": a})[out]}
    if channels_last and only is None:  # the executor's default layout is channels-last on CPU: time NCHW too
        pred_nchw = Predictor(model, channels_last=False)
        impls["executor_nchw"] = lambda a: pred_nchw.run({"data": a})[out]
    notes = {}
    for r in refs:
        if only is not None and r != only:
            continue
        try:
            impls[r] = REFERENCES[r](module, model, threads)
        except Exception as e:  # a reference that cannot be built is reported, not fatal
            notes[r] = f"unavailable: {type(e).__name__}: {str(e).splitlines()[0][:160]}"
    results = {}
    base = impls["executor"](x)
    if only is not None and only != "executor":
        del impls["executor"]
    scale = float(np.abs(base).max()) or 1.0
    for k, fn in impls.items():
        diff = float(np.abs(fn(x) - base).max()) / scale
        results[k] = {"max_abs_diff_vs_executor": diff, "times_ms": []}
        for _ in range(warmup):
            fn(x)
    order = list(impls.items())
    for i in range(runs):
        shift = i % len(order)  # rotate who goes first: no runtime always follows the same one
        for k, fn in order[shift:] + order[:shift]:
            t = time.perf_counter()
            fn(x)
            results[k]["times_ms"].append((time.perf_counter() - t) * 1e3)
    summary = {"model": kind, "ops": len(model.predict_net.op), "folded": len(pred.fold_log), "prepare_s": round(prep_s, 3), "notes": notes, "impls": {}}
    for k, r in results.items():
        ts = r["times_ms"]
        summary["impls"][k] = {"p50_ms": round(statistics.median(ts), 2), "p90_ms": round(_pct(ts, 0.9), 2), "max_rel_diff": r["max_abs_diff_vs_executor"]}
    return _with_ratios(summary)


def bench_model_isolated(kind, refs, runs, warmup, threads) -> dict:
    """Each implementation alone in a fresh process (`--only`); same summary shape."""
    import os
    import subprocess
    import tempfile

    merged = None
    for impl in ["executor"] + list(refs):
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "one.json")
            cmd = [sys.executable, "-m", "bench", "executor", "--models", kind, "--refs", ",".join(refs), "--only", impl,
                   "--runs", str(runs), "--warmup", str(warmup), "--threads", str(threads), "--json", path, "--quiet"]
            proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            if proc.returncode != 0 or not os.path.exists(path):
                note = (proc.stderr.strip().splitlines() or ["no output"])[-1][:160]
                merged = merged or {"model": kind, "notes": {}, "impls": {}}
                merged["notes"][impl] = f"isolated run failed: {note}"
                continue
            with open(path) as f:
                one = json.load(f)["models"][0]
        if merged is None:
            merged = one
        else:
            merged["impls"].update(one["impls"])
            merged["notes"].update(one["notes"])
    return _with_ratios(merged)


def _print(s, style):
    print(f"{s['model']} ({style}): {s.get('ops', '?')} Caffe2 ops, {s.get('folded', '?')} folded, prepare {s.get('prepare_s', '?')} s")
    for k, v in s["impls"].items():
        ratio = f"  executor/ref p50 = {v['executor_over_ref_p50']:.2f}x" if "executor_over_ref_p50" in v else ""
        print(f"  {k:12s} p50 {v['p50_ms']:8.2f} ms  p90 {v['p90_ms']:8.2f} ms  max|diff|/max|y| {v['max_rel_diff']:.1e}{ratio}")
    for k, v in s["notes"].items():
        print(f"  {k}: {v}")


def main(argv=None) -> int:
    from c2core.runtime.threads import prefer_passive_openmp

    # Opt-in (C2_OMP_PASSIVE=1): passive OpenMP waiting helps on a loaded,
    # shared machine and costs ~40% on a quiet one (see runtime/threads.py).
    passive = os.environ.get("C2_OMP_PASSIVE") == "1" and prefer_passive_openmp()
    import torch

    p = argparse.ArgumentParser(prog="python -m bench executor", description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=30)
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--threads", type=int, default=None, help="torch / ORT intra-op threads (default: torch's current setting)")
    p.add_argument("--models", default="squeezenet,efficientnet")
    p.add_argument("--refs", default="torch,onnxruntime")
    p.add_argument("--layouts", dest="channels_last", action="store_true", help="also time the executor with plain NCHW memory (its CPU default is channels-last)")
    p.add_argument("--style", choices=("alternating", "isolated", "both"), default="alternating",
                   help="interleave runs in one process, or run each runtime alone in its own process")
    p.add_argument("--only", default=None, help=argparse.SUPPRESS)  # isolated style: the one runtime this process times
    p.add_argument("--quiet", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--json", default=None, help="also write the results here")
    a = p.parse_args(argv)
    threads = a.threads or torch.get_num_threads()
    torch.set_num_threads(threads)
    refs = [r for r in a.refs.split(",") if r]
    out = {"threads": threads, "torch": torch.__version__, "runs": a.runs, "warmup": a.warmup,
           "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY", "default"), "passive_set_here": passive, "models": []}
    styles = ("alternating", "isolated") if a.style == "both" else (a.style,)
    for kind in a.models.split(","):
        for style in styles:
            if a.only is not None:
                s = bench_model(kind.strip(), refs, a.runs, a.warmup, threads, only=a.only)
            elif style == "alternating":
                s = bench_model(kind.strip(), refs, a.runs, a.warmup, threads, channels_last=a.channels_last)
            else:
                s = bench_model_isolated(kind.strip(), refs, a.runs, a.warmup, threads)
            s["style"] = "isolated" if a.only is not None else style
            out["models"].append(s)
            if not a.quiet:
                _print(s, s["style"])
    if a.json:
        with open(a.json, "w") as f:
            json.dump(out, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
