"""The model dock: summary, op-type histogram, inputs/outputs, backend support.

All numbers come from the core (`Model`, `Graph`, shapes, `unsupported_ops`
of the executor and the ONNX exporter, backend availability); the backend
checks import heavy engines, so they run as a job.
"""

from __future__ import annotations

import html
import os

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QScrollArea, QSizePolicy, QVBoxLayout, QWidget

from c2core.schema import category
from c2core.sizes import human_bytes

from . import backend_status, jobs
from .graph.drawing import format_shape
from .inputs_panel import InputsPanel
from .graph.palette import category_color


def _e(x) -> str:
    return html.escape(str(x))


class ModelPanel(QWidget):
    support_ready = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.doc = None
        self.support: dict | None = None
        self.availability: dict | None = None
        self._job = None
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        self.inputs = InputsPanel(self)
        self.inputs.setSizePolicy(QSizePolicy.Preferred, QSizePolicy.Maximum)  # the summary takes the rest
        lay.addWidget(self.inputs, 0)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        self.summary = QLabel("<p style='color:#868e96'>No model open.</p>")
        self.summary.setTextFormat(Qt.RichText)
        self.summary.setWordWrap(True)
        self.summary.setAlignment(Qt.AlignTop | Qt.AlignLeft)
        self.summary.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.summary.setContentsMargins(10, 8, 10, 8)
        scroll.setWidget(self.summary)
        lay.addWidget(scroll, 1)

    def set_document(self, doc) -> None:
        self.doc = doc
        self.support = None
        self.inputs.set_document(doc)
        self._render()
        self._job = jobs.Job(lambda progress, cancel: (backend_status.availability(),
                                                       backend_status.unsupported_by_backend(doc.model)),
                             "backend support", self)
        self._job.finished.connect(lambda r, d=doc: d is self.doc and self._support_ready(*r))
        self._job.failed.connect(lambda msg: self._support_ready({}, {"error": [msg]}))
        self._job.start()

    def refresh(self) -> None:
        self.inputs.refresh()
        self._render()

    def unsupported(self, backend: str) -> list | None:
        """Op types `backend` cannot run in this model (None while still checking)."""
        if self.support is None:
            return None
        return list(self.support.get(backend) or [])

    def _support_ready(self, avail, support):
        self.availability, self.support = avail, support
        self._render()
        self.support_ready.emit()

    def text(self) -> str:
        from PySide6.QtGui import QTextDocument

        d = QTextDocument()
        d.setHtml(self.summary.text())
        return d.toPlainText()

    def _io_rows(self, names, outputs: bool) -> str:
        g, rows = self.doc.graph, []
        for n in names:
            ref = g.output_ref(n) if outputs else (n, 0)
            info = self.doc.shapes.get(ref)
            shape = format_shape(info.shape) if info is not None and info.shape is not None else "?"
            dtype = (info.dtype if info is not None else None) or "?"
            rows.append(f"<tr><td><b>{_e(n)}</b></td><td>{_e(shape)}</td><td>{_e(dtype)}</td></tr>")
        return "".join(rows) or "<tr><td><i>none</i></td></tr>"

    def _render(self) -> None:
        doc = self.doc
        if doc is None:
            return
        m = doc.model
        ops = len(m.predict_net.op)
        files = [p for p in (m.predict_path, m.init_path) if p]
        fmt = ", ".join(f"{k}: {v}" for k, v in m.formats.items())
        rows = [
            ("name", _e(m.name)),
            ("files", "<br>".join(_e(os.path.basename(p)) for p in dict.fromkeys(files)) or "<i>in memory</i>"),
            ("format", _e(fmt)),
            ("ops", f"{ops:,}"),
            ("op types", f"{len(m.op_types())}"),
            ("parameters", "<i>structure only</i>" if m.structure_only else f"{m.num_parameters:,}"),
            ("weights size", "—" if m.structure_only else human_bytes(m.weights_bytes)),
        ]
        out = [f"<h3 style='margin:2px 0'>{_e(m.name)}</h3>",
               "<table cellspacing=3>" + "".join(f"<tr><td style='color:#868e96'>{k}</td><td>{v}</td></tr>" for k, v in rows) + "</table>"]
        head = "<tr style='color:#868e96'><td>blob</td><td>shape</td><td>dtype</td></tr>"
        out.append("<h4 style='margin:8px 0 2px'>Outputs</h4><table cellspacing=3>" + head + self._io_rows(m.external_outputs, True) + "</table>")
        # op-type histogram
        counts = sorted(m.op_types().items(), key=lambda kv: (-kv[1], kv[0]))
        top = max((c for _, c in counts), default=1)
        hrows = []
        for t, c in counts:
            color = category_color(category(t)).name()
            bar = "█" * max(1, round(24 * c / top))
            hrows.append(f"<tr><td>{_e(t)}</td><td align=right>{c}</td>"
                         f"<td><span style='color:{color}'>{bar}</span></td></tr>")
        out.append("<h4 style='margin:8px 0 2px'>Op types</h4><table cellspacing=2>" + "".join(hrows) + "</table>")
        # backend support
        out.append("<h4 style='margin:8px 0 2px'>Backend support</h4>")
        if self.support is None:
            out.append("<p style='color:#868e96'>Checking backends…</p>")
        else:
            brows = []
            for name, bad in self.support.items():
                av = (self.availability or {}).get(name)
                if av is not None and not av.ok:
                    status = f"<span style='color:#868e96'>unavailable: {_e(av.reason)}</span>"
                elif bad:
                    status = f"<span style='color:#c92a2a'>⚠ {len(bad)} unsupported op type(s): {_e(', '.join(bad))}</span>"
                else:
                    status = "<span style='color:#2f9e44'>✓ all ops supported</span>"
                brows.append(f"<tr><td><b>{_e(name)}</b></td><td>{status}</td></tr>")
            out.append("<table cellspacing=3>" + "".join(brows) + "</table>")
        if m.warnings or doc.shape_error:
            out.append("<h4 style='margin:8px 0 2px'>Warnings</h4><ul>" +
                       "".join(f"<li>{_e(w)}</li>" for w in list(m.warnings) + ([doc.shape_error] if doc.shape_error else [])) + "</ul>")
        self.summary.setText("".join(out))
