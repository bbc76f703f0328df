"""The inspector dock: what the selected op or blob is, from the core's data.

Op view: type, name, category and doc from `c2core.schema`, every argument
(schema defaults for unset ones, marked), inputs and outputs with inferred
shape and dtype, engine and device. Blob view: producer, consumers, shape,
dtype, and for weights or captured activations a `TensorView`. Names are
links: clicking one selects it in the graph.
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QScrollArea, QVBoxLayout, QWidget

from c2core.args import Args
from c2core.schema import category, op_schema

from .. import jobs
from ..graph.drawing import format_shape
from .tensor_view import TensorView

DEVICE_NAMES = {0: "CPU", 1: "CUDA", 2: "MKLDNN", 3: "OpenGL", 4: "OpenCL", 5: "IDEEP", 6: "HIP"}


def _e(x) -> str:
    return html.escape(str(x))


def _fmt_value(v) -> str:
    if isinstance(v, float):
        return f"{v:.6g}"
    if isinstance(v, (list, tuple)):
        if len(v) > 16:
            return "[" + ", ".join(_fmt_value(x) for x in v[:16]) + f", … ({len(v)} values)]"
        return "[" + ", ".join(_fmt_value(x) for x in v) + "]"
    if isinstance(v, bytes):
        return f"<{len(v)} bytes>"
    if hasattr(v, "op") and hasattr(v, "external_input"):
        return f"NetDef '{v.name}' ({len(v.op)} ops)"
    return str(v)


class InspectorPanel(QWidget):
    select_op = Signal(int)
    select_blob = Signal(str)
    open_subnet = Signal(int, str, int)  # op index, argument, position: drill into that sub-net
    show_outer = Signal(str)  # a blob the shown sub-net shares with the net around it

    def __init__(self, parent=None):
        super().__init__(parent)
        self.doc = None
        self.graph, self.shapes, self.outer, self.parent_title = None, {}, [], ""
        self.current = None  # ("ops", tuple) | ("blob", name, version)
        self._weights_job = None
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        body = QWidget()
        self.body_layout = QVBoxLayout(body)
        self.body_layout.setContentsMargins(10, 8, 10, 8)
        self.info = QLabel()
        self.info.setWordWrap(True)
        self.info.setTextFormat(Qt.RichText)
        self.info.setAlignment(Qt.AlignTop | Qt.AlignLeft)
        self.info.setTextInteractionFlags(Qt.TextBrowserInteraction)
        self.info.linkActivated.connect(self._link)
        self.tensor = TensorView()
        self.tensor.hide()
        self.body_layout.addWidget(self.info)
        self.body_layout.addWidget(self.tensor)
        self.body_layout.addStretch(1)
        self.scroll.setWidget(body)
        outer.addWidget(self.scroll)
        self.clear()

    # ----- API -------------------------------------------------------------------
    def set_document(self, doc) -> None:
        self.doc = doc
        self.set_net(doc.graph if doc is not None else None, doc.shapes if doc is not None else {})

    def set_net(self, graph, shapes, outer=(), parent_title: str = "") -> None:
        """Inspect this net: the model's own, or a sub-net opened from it (`outer`: the
        blobs it reads from the enclosing net, linked back there)."""
        self.graph, self.shapes = graph, shapes or {}
        self.outer, self.parent_title = list(outer), parent_title
        self.clear()

    def clear(self) -> None:
        self.current = None
        self.tensor.hide()
        self.info.setText("<p style='color:#868e96'>Select an op or an edge in the graph to inspect it.</p>")

    def text(self) -> str:
        """Plain text of what is shown (tests, copy)."""
        from PySide6.QtGui import QTextDocument

        d = QTextDocument()
        d.setHtml(self.info.text())
        return d.toPlainText()

    def refresh(self) -> None:
        if self.current is None:
            return
        if self.current[0] == "ops":
            self.show_ops(self.current[1])
        else:
            self.show_blob(self.current[1], self.current[2])

    def _link(self, href: str) -> None:
        kind, _, value = href.partition(":")
        if kind == "op":
            self.select_op.emit(int(value))
        elif kind == "blob":
            self.select_blob.emit(value)
        elif kind == "subnet":
            index, arg, pos = value.split(":", 2)
            self.open_subnet.emit(int(index), arg, int(pos))
        elif kind == "outer":
            self.show_outer.emit(value)

    # ----- ops ------------------------------------------------------------------------
    def show_ops(self, ops) -> None:
        if self.doc is None or self.graph is None:
            return
        self.current = ("ops", tuple(ops))
        self.tensor.hide()
        parts = [self._op_html(i) for i in ops]
        if len(ops) > 1:
            parts.insert(0, f"<p style='color:#868e96'>In-place chain of {len(ops)} ops drawn as one box.</p>")
        self.info.setText("<hr>".join(parts))

    def _blob_cell(self, ref) -> str:
        b, v = ref
        info = self.shapes.get((b, v))
        shape = format_shape(info.shape) if info is not None and info.shape is not None else "?"
        dtype = (info.dtype if info is not None else None) or "?"
        tag = ""
        if v == 0 and b in self.outer:
            tag = " <span style='color:#1971c2'>(outer net)</span>"
        elif v == 0 and self.graph.is_weight(b):
            tag = " <span style='color:#868e96'>(weight)</span>"
        elif v == 0 and self.graph.is_data_input(b):
            tag = " <span style='color:#1971c2'>(input)</span>"
        return f"<a href='blob:{_e(b)}'>{_e(b)}</a>{tag}</td><td>{_e(shape)}</td><td>{_e(dtype)}"

    def _op_html(self, index: int) -> str:
        g = self.graph
        node = g.nodes[index]
        op = node.op
        s = op_schema(op.type) or {}
        cat = category(op.type)
        out = [f"<h3 style='margin:2px 0'>{_e(op.type)} <span style='font-weight:normal;color:#868e96'>op #{index}</span></h3>"]
        rows = [("name", _e(op.name) if op.name else "<i>(none)</i>"), ("category", _e(cat))]
        rows.append(("engine", _e(op.engine) if op.engine else "<i>default</i>"))
        dev = op.device_option if op.HasField("device_option") else None
        if dev is not None:
            dname = DEVICE_NAMES.get(dev.device_type, str(dev.device_type))
            did = dev.device_id if dev.device_id else 0
            rows.append(("device", f"{dname}:{did}"))
        else:
            rows.append(("device", "<i>net default (CPU)</i>"))
        out.append("<table cellspacing=2>" + "".join(f"<tr><td style='color:#868e96'>{k}</td><td>{v}</td></tr>" for k, v in rows) + "</table>")
        if s.get("doc"):
            out.append(f"<p style='color:#343a40'>{_e(s['doc'])}</p>")
        elif not s:
            out.append("<p style='color:#c92a2a'>Unknown op type: no schema entry.</p>")
        # arguments
        args = Args(op.arg, op.type)
        schema_args = s.get("args", {}) or {}
        arows = []
        for name in args:
            doc = schema_args.get(name, {}).get("doc", "")
            arows.append(f"<tr><td><b>{_e(name)}</b></td><td>{_e(_fmt_value(args[name]))}</td>"
                         f"<td style='color:#868e96'>{_e(doc)}</td></tr>")
        from c2core.schema.arg_aliases import defaults_to_show

        for name, a in defaults_to_show(op.type, list(args)).items():  # not set under any spelling
            arows.append(f"<tr><td style='color:#868e96'>{_e(name)}</td><td style='color:#868e96'>{_e(_fmt_value(a['default']))} "
                         f"<i>(default)</i></td><td style='color:#adb5bd'>{_e(a.get('doc', ''))}</td></tr>")
        out.append("<h4 style='margin:8px 0 2px'>Arguments</h4>")
        out.append("<table cellspacing=3>" + "".join(arows) + "</table>" if arows else "<p><i>none</i></p>")
        # inputs and outputs
        in_names = [i.get("name", "") for i in s.get("inputs", []) or []]
        out_names = [o.get("name", "") for o in s.get("outputs", []) or []]
        head = "<tr style='color:#868e96'><td>slot</td><td>blob</td><td>shape</td><td>dtype</td></tr>"
        irows = []
        for k, ref in enumerate(node.inputs):
            slot = in_names[k] if k < len(in_names) else str(k)
            p = g.producer(ref)
            src = f" <a href='op:{p}'>← op #{p}</a>" if p is not None else ""
            irows.append(f"<tr><td>{_e(slot)}</td><td>{self._blob_cell(ref)}{src}</td></tr>")
        orows = []
        for k, ref in enumerate(node.outputs):
            slot = out_names[k] if k < len(out_names) else str(k)
            inplace = " <span style='color:#e8590c'>(in place)</span>" if any(ref[0] == b for b, _ in node.inputs) else ""
            orows.append(f"<tr><td>{_e(slot)}</td><td>{self._blob_cell(ref)}{inplace}</td></tr>")
        out.append("<h4 style='margin:8px 0 2px'>Inputs</h4><table cellspacing=3>" + head + "".join(irows) + "</table>")
        out.append("<h4 style='margin:8px 0 2px'>Outputs</h4><table cellspacing=3>" + head + "".join(orows) + "</table>")
        subs = g.subnets(index)
        if subs:
            links = [f"<a href='subnet:{index}:{_e(x.arg)}:{x.position}'>{_e(x.arg)}"
                     f"{'[' + str(x.position) + ']' if len([y for y in subs if y.arg == x.arg]) > 1 else ''}</a> "
                     f"({len(x.net.op)} ops)" for x in subs]
            out.append("<h4 style='margin:8px 0 2px'>Sub-nets</h4><p>" + ", ".join(links)
                       + "<br><span style='color:#868e96'>click one (or double-click the op) to open it</span></p>")
        return "".join(out)

    # ----- blobs -----------------------------------------------------------------------
    def show_blob(self, blob: str, version: int | None = None) -> None:
        if self.doc is None or self.graph is None:
            return
        g = self.graph
        if version is None:
            version = g.latest_version(blob)
        self.current = ("blob", blob, version)
        ref = (blob, version)
        info = self.shapes.get(ref)
        shape = format_shape(info.shape) if info is not None and info.shape is not None else "unknown"
        dtype = (info.dtype if info is not None else None) or "unknown"
        outer = version == 0 and blob in self.outer
        kind = ("from the outer net" if outer else "weight" if (version == 0 and g.is_weight(blob))
                else "data input" if g.is_data_input(blob) and version == 0 else "activation")
        if blob in list(g.net.external_output) and version == g.latest_version(blob):
            kind += " (net output)"
        p = g.producer(ref)
        prod = f"<a href='op:{p}'>op #{p} {_e(g.nodes[p].type)}</a>" if p is not None else "<i>none (exists before the net runs)</i>"
        cons = g.consumers(ref)
        cons_html = ", ".join(f"<a href='op:{c}'>op #{c} {_e(g.nodes[c].type)}</a>" for c in cons[:30]) or "<i>none</i>"
        if len(cons) > 30:
            cons_html += f" … (+{len(cons) - 30})"
        versions = g.latest_version(blob)
        rows = [("kind", kind), ("shape", _e(shape)), ("dtype", _e(dtype)), ("producer", prod), ("consumers", cons_html)]
        if versions > 1 or (versions == 1 and version == 0):
            rows.append(("version", f"{version} of {versions} (blob written in place)"))
        if outer:
            rows.append(("outer net", f"<a href='outer:{_e(blob)}'>show it in {_e(self.parent_title or 'the outer net')}</a>"))
        self.info.setText(f"<h3 style='margin:2px 0'>{_e(blob)}</h3><table cellspacing=3>"
                          + "".join(f"<tr><td style='color:#868e96'>{k}</td><td>{v}</td></tr>" for k, v in rows) + "</table>")
        self.tensor.hide()
        if kind == "weight":
            self._show_weight(blob)
        elif g is self.doc.graph and blob in self.doc.activations:
            self.tensor.set_array(blob, self.doc.activations[blob], "activation")
            self.tensor.show()

    def _show_weight(self, blob: str) -> None:
        model = self.doc.model
        if getattr(model, "_weights", None) is not None:
            w = model.weights.get(blob)
            if w is not None:
                self.tensor.set_array(blob, w.array, "weight")
                self.tensor.show()
            return
        if model.structure_only:
            self.info.setText(self.info.text() + "<p style='color:#868e96'>Structure only: no init net, so no values.</p>")
            return
        if self._weights_job is not None and self._weights_job.is_running:
            return
        self.info.setText(self.info.text() + "<p style='color:#868e96'>Loading weights…</p>")
        doc = self.doc
        self._weights_job = jobs.Job(lambda progress, cancel: doc.model.weights, "load weights", self)
        self._weights_job.finished.connect(lambda _w, d=doc: d is self.doc and self.refresh())
        self._weights_job.failed.connect(lambda msg: self.info.setText(self.info.text() + f"<p style='color:#c92a2a'>{_e(msg)}</p>"))
        self._weights_job.start()
