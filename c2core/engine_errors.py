"""Errors raised by ONNX Runtime, OpenVINO or TensorRT, turned into one-line `C2Error`s.

An engine that refuses a model (or fails running it) raises its own exception
types with multi-line messages. Bad input (a model the engine cannot take,
e.g. a shape it rejects) must still end as `error: <file>: <reason>` and exit
2, so every engine call site in the backends and the verification wraps its
exceptions with `engine_failure`, which keeps the engine's first meaningful
line and, when the message names a node, the Caffe2 op that node came from
(exporters name ONNX nodes after the op's name or its first output).
"""

from __future__ import annotations

import re

from .errors import C2Error

_NODE = (re.compile(r"[Nn]ode(?:\s*\(|\. Name:\s*'|\s+name\s*')([^)'\n]+)"),
         re.compile(r"Name:\s*'([^'\n]+)'"),
         re.compile(r"node_name:\s*([^\s,]+)"))


# OpenVINO prefixes its messages with where in its C++ sources the check fired
_LOCATION = re.compile(r"^(Exception from \S+:\d+:?|Check '.*' failed at \S+:\d+:?)$")


def _first_line(text: str) -> str:
    """The first meaningful line; a heading that ends in ':' takes the next line, and OpenVINO's
    '-- ' summary items (e.g. the op it has no conversion rule for) are appended."""
    lines = [ln.strip() for ln in text.strip().splitlines()]
    lines = [ln for ln in lines if ln and not ln.startswith(("Traceback", "File ")) and not _LOCATION.match(ln)]
    if not lines:
        return ""
    out = [lines[0]]
    i = 1
    while out[-1].endswith(":") and i < len(lines) and not lines[i].startswith("--"):
        out.append(lines[i])
        i += 1
    out += [ln for ln in lines[i:] if ln.startswith("-- ")][:2]
    return " ".join(out)[:400]


def node_in(message: str) -> str | None:
    for rx in _NODE:
        m = rx.search(message)
        if m:
            return m.group(1).strip()
    return None


def caffe2_op_for(node: str, net) -> str | None:
    """`op #i Type` of the Caffe2 op an ONNX node was exported from, if recognisable."""
    if net is None or not node:
        return None
    for i, op in enumerate(net.op):
        if node == op.name or node in op.output or any(node.startswith(o) for o in op.output[:1] if len(o) > 2):
            return f"op #{i} {op.type}" + (f" '{op.name}'" if op.name else "")
    return None


def engine_failure(exc: BaseException, engine: str, stage: str, net=None, path: str | None = None) -> C2Error:
    """A C2Error describing `exc` from `engine` while `stage` ('loading the model', 'running')."""
    text = str(exc) or type(exc).__name__
    node = node_in(text)
    where = ""
    if node:
        op = caffe2_op_for(node, net)
        where = f" at node '{node}'" + (f" ({op})" if op else "")
    return C2Error(f"{engine} failed {stage}{where}: {_first_line(text)}", path)
