"""`MainWindow`: menus, toolbar, docks, opening models, and routing selections.

The window owns one `Document` at a time. Opening is a background job; the
graph canvas lays it out on another; the inspector, model, classification and
log docks are told about the document and the current selection. Errors from
the core arrive as job failures and are shown in the banner, never raised.
"""

from __future__ import annotations

import logging
import os

from PySide6.QtCore import QByteArray, QSize, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QAction, QDesktopServices, QKeySequence
from PySide6.QtWidgets import (QDockWidget, QFileDialog, QLabel, QMainWindow, QProgressBar,
                               QStackedWidget, QToolBar, QVBoxLayout, QWidget)

from . import backend_status, jobs, settings
from .classify_panel import ClassifyPanel
from .document import IMAGE_SUFFIXES, MODEL_SUFFIXES, Document, load_document, split_pair
from .graph.canvas import GraphCanvas
from .icons import icon
from .inspector.panel import InspectorPanel
from .log_panel import LogPanel
from .model_panel import ModelPanel
from .welcome import Banner, WelcomePage

log = logging.getLogger("c2studio")

MODEL_FILTER = "Caffe2 models (*.pb *.pbtxt *.prototxt *.minidb *.db);;All files (*)"


class MainWindow(QMainWindow):
    document_opened = Signal(object)  # Document
    open_failed = Signal(str)
    netron_ready = Signal(str)  # the URL served ("" when it failed)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Caffe2 Studio")
        self.setWindowIcon(icon("app"))
        self.setDockNestingEnabled(True)
        self.document: Document | None = None
        self.open_job: jobs.Job | None = None
        self.last_error = ""
        self._netron = None  # (server handle, url)
        self._pending_images = None  # (open job, image paths): classified once that model is open
        self._shapes_job: jobs.Job | None = None
        self._doc_dialogs: list = []  # convert dialogs bound to the current document
        self._outer_pending: str | None = None  # blob to select once the enclosing net is drawn

        self.canvas = GraphCanvas()
        self.welcome = WelcomePage()
        self.banner = Banner()
        self.stack = QStackedWidget()
        self.stack.addWidget(self.welcome)
        self.stack.addWidget(self.canvas)
        central = _DropArea(self)
        lay = QVBoxLayout(central)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(0)
        from .graph.breadcrumbs import Breadcrumbs

        self.breadcrumbs = Breadcrumbs()
        self.net_stack: list = []  # drill-in path: (title, graph, shapes, outer blobs); [0] is the model's net
        lay.addWidget(self.banner)
        lay.addWidget(self.breadcrumbs)
        lay.addWidget(self.stack, 1)
        self.setCentralWidget(central)

        self.inspector = InspectorPanel(self)
        self.model_panel = ModelPanel(self)
        self.classify_panel = ClassifyPanel(self)
        self.log_panel = LogPanel(self)
        self.inspector_dock = self._dock("Inspector", self.inspector, Qt.RightDockWidgetArea)
        self.model_dock = self._dock("Model", self.model_panel, Qt.RightDockWidgetArea)
        self.classify_dock = self._dock("Classify", self.classify_panel, Qt.RightDockWidgetArea)
        self.log_dock = self._dock("Log", self.log_panel, Qt.BottomDockWidgetArea)
        self.splitDockWidget(self.inspector_dock, self.classify_dock, Qt.Vertical)
        self.tabifyDockWidget(self.inspector_dock, self.model_dock)
        self.inspector_dock.raise_()
        self.resizeDocks([self.inspector_dock], [500], Qt.Horizontal)
        self.resizeDocks([self.inspector_dock, self.classify_dock], [600, 300], Qt.Vertical)
        self.resizeDocks([self.log_dock], [110], Qt.Vertical)

        self.progress = QProgressBar()
        self.progress.setMaximumWidth(200)
        self.progress.setTextVisible(False)
        self.progress.hide()
        self.status_label = QLabel("Ready")
        self.statusBar().addWidget(self.status_label, 1)
        self.statusBar().addPermanentWidget(self.progress)

        self._make_actions()
        self._make_menus()
        self._make_toolbar()
        self._wire()
        self._restore_settings()
        self._update_enabled()
        self.welcome.set_recent(settings.recent_files())
        self.classify_panel.ensure_availability()  # imports the engines now, not on the first open
        self.resize(1400, 900)

    # ----- construction --------------------------------------------------------
    def _dock(self, title, widget, area) -> QDockWidget:
        d = QDockWidget(title, self)
        d.setObjectName(f"dock-{title.lower()}")
        d.setWidget(widget)
        d.setFeatures(QDockWidget.DockWidgetMovable | QDockWidget.DockWidgetClosable | QDockWidget.DockWidgetFloatable)
        self.addDockWidget(area, d)
        return d

    def _act(self, text, slot=None, shortcut=None, icon_name=None, checkable=False, checked=False, tip=None) -> QAction:
        a = QAction(text, self)
        if icon_name:
            a.setIcon(icon(icon_name))
        if shortcut is not None:
            a.setShortcut(QKeySequence(shortcut))
        if checkable:
            a.setCheckable(True)
            a.setChecked(checked)
        if tip:
            a.setToolTip(tip)
            a.setStatusTip(tip)
        if slot is not None:
            (a.toggled if checkable else a.triggered).connect(slot)
        return a

    def _make_actions(self):
        A = self._act
        self.act_open = A("&Open…", self.choose_file, QKeySequence.Open, "open", tip="Open a predict net, init net, pair or minidb")
        self.act_open_folder = A("Open &Folder…", self.choose_folder, "Ctrl+Shift+O", "open")
        self.act_save = A("&Save as Caffe2…", lambda: self.convert("caffe2"), QKeySequence.SaveAs, "save")
        self.act_quit = A("&Quit", self.close, QKeySequence.Quit)
        self.act_fit = A("&Fit to Window", self.canvas.view.fit_all, "Ctrl+0", "fit", tip="Fit the whole graph (Ctrl+0)")
        self.act_zoom_in = A("Zoom &In", self.canvas.view.zoom_in, QKeySequence.ZoomIn, "zoom-in")
        self.act_zoom_out = A("Zoom &Out", self.canvas.view.zoom_out, QKeySequence.ZoomOut, "zoom-out")
        self.act_find = A("&Find…", self.canvas.show_find, QKeySequence.Find, "find", tip="Find ops and blobs (Ctrl+F)")
        self.act_find_next = A("Find &Next", self.canvas.find_next, QKeySequence.FindNext)
        self.act_find_prev = A("Find &Previous", self.canvas.find_previous, QKeySequence.FindPrevious)
        self.act_lr = A("Left to Right", lambda on: self._view_option("lr", rankdir="LR" if on else "TB"), "Ctrl+L",
                        "direction", checkable=True, checked=self._view_setting("lr", False),
                        tip="Lay the graph out left-to-right instead of top-to-bottom")
        self.act_collapse = A("Collapse In-place Chains", lambda on: self._view_option("collapse", collapse=on), None,
                              "collapse", checkable=True, checked=self._view_setting("collapse", True),
                              tip="Draw Conv→BN→Relu chains as one box")
        self.act_weights = A("Show Weights", lambda on: self._view_option("weights", show_weights=on), None, "weights",
                             checkable=True, checked=self._view_setting("weights", False), tip="Draw weight blobs as nodes")
        self.act_shapes = A("Show Shapes", lambda on: self._view_option("shapes", show_shapes=on), None, "shapes",
                            checkable=True, checked=self._view_setting("shapes", True), tip="Label edges with inferred shapes")
        self.canvas.options.rankdir = "LR" if self.act_lr.isChecked() else "TB"
        self.canvas.options.collapse = self.act_collapse.isChecked()
        self.canvas.options.show_weights = self.act_weights.isChecked()
        self.canvas.options.show_shapes = self.act_shapes.isChecked()
        self.act_netron = A("Open in &Netron", self.open_in_netron, "Ctrl+Shift+N", "netron",
                            tip="Serve this model with Netron and open the browser")
        self.act_about = A("&About Caffe2 Studio", self.show_about, None, "info")
        self.act_onnx = A("Convert to &ONNX…", lambda: self.convert("onnx"), "Ctrl+E", "convert")
        self.act_openvino = A("Convert to Open&VINO IR…", lambda: self.convert("openvino"))
        self.act_tensorrt = A("Build &TensorRT Plan…", lambda: self.convert("tensorrt"))
        self.act_quantize = A("&Quantize to INT8…", self.quantize_int8)
        self.act_import_onnx = A("&Import ONNX…", lambda: self.convert("import_onnx"))
        self.act_export_graph = {fmt: A(f"Export Graph as {fmt.upper()}…", lambda checked=False, f=fmt: self.convert("graph", fmt=f))
                                 for fmt in ("dot", "svg", "pdf", "png")}
        self.act_classify = A("Classify Images…", self.classify_panel.choose_images, "Ctrl+K", "classify")
        self.model_actions = [self.act_save, self.act_fit, self.act_zoom_in, self.act_zoom_out, self.act_find,
                              self.act_find_next, self.act_find_prev, self.act_netron, self.act_onnx,
                              self.act_openvino, self.act_tensorrt, self.act_quantize, self.act_classify,
                              *self.act_export_graph.values()]

    def _make_menus(self):
        mb = self.menuBar()
        m = mb.addMenu("&File")
        m.addActions([self.act_open, self.act_open_folder])
        self.recent_menu = m.addMenu("Open &Recent")
        m.addSeparator()
        m.addAction(self.act_save)
        eg = m.addMenu(icon("export"), "&Export Graph")
        eg.addActions(list(self.act_export_graph.values()))
        m.addSeparator()
        m.addAction(self.act_quit)
        self._fill_recent_menu()
        c = mb.addMenu("&Convert")
        c.setToolTipsVisible(True)
        c.addActions([self.act_onnx, self.act_openvino, self.act_tensorrt, self.act_quantize])
        c.addSeparator()
        c.addAction(self.act_import_onnx)
        v = mb.addMenu("&View")
        v.addActions([self.act_fit, self.act_zoom_in, self.act_zoom_out])
        v.addSeparator()
        v.addActions([self.act_find, self.act_find_next, self.act_find_prev])
        v.addSeparator()
        v.addActions([self.act_lr, self.act_collapse, self.act_weights, self.act_shapes])
        v.addSeparator()
        v.addAction(self.act_netron)
        v.addSeparator()
        for d in (self.inspector_dock, self.model_dock, self.classify_dock, self.log_dock):
            v.addAction(d.toggleViewAction())
        r = mb.addMenu("&Run")
        r.addAction(self.act_classify)
        h = mb.addMenu("&Help")
        h.addAction(self.act_about)

    def _make_toolbar(self):
        tb = QToolBar("Main")
        tb.setObjectName("toolbar-main")
        tb.setIconSize(QSize(20, 20))
        tb.setToolButtonStyle(Qt.ToolButtonTextBesideIcon)
        tb.setMovable(False)
        tb.addAction(self.act_open)
        tb.addAction(self.act_save)
        tb.addSeparator()
        for a in (self.act_fit, self.act_zoom_in, self.act_zoom_out, self.act_find):
            tb.addAction(a)
        tb.addSeparator()
        for a in (self.act_lr, self.act_collapse, self.act_weights, self.act_shapes):
            tb.addAction(a)
        tb.addSeparator()
        tb.addAction(self.act_onnx)
        tb.addAction(self.act_classify)
        tb.addAction(self.act_netron)
        for a in (self.act_fit, self.act_zoom_in, self.act_zoom_out, self.act_lr, self.act_collapse,
                  self.act_weights, self.act_shapes):
            w = tb.widgetForAction(a)
            if w is not None:
                w.setToolButtonStyle(Qt.ToolButtonIconOnly)
        self.addToolBar(tb)
        self.toolbar = tb

    def _wire(self):
        self.welcome.open_file.connect(self.choose_file)
        self.welcome.open_folder.connect(self.choose_folder)
        self.welcome.open_recent.connect(self.open_path)
        self.canvas.node_selected.connect(self._node_selected)
        self.canvas.edge_selected.connect(self._edge_selected)
        self.canvas.drawn.connect(self._drawn)
        self.canvas.status.connect(lambda t: t and self.status_label.setText(t))
        self.inspector.select_op.connect(self.canvas.select_op)
        self.inspector.select_blob.connect(self.canvas.select_blob)
        self.inspector.open_subnet.connect(self.open_subnet)
        self.inspector.show_outer.connect(self._show_outer)
        self.canvas.node_activated.connect(self._node_activated)
        self.breadcrumbs.go.connect(self.go_to_level)
        self.classify_panel.activations_ready.connect(self._activations_ready)
        self.model_panel.support_ready.connect(self._update_enabled)
        self.classify_panel.preset_changed.connect(self._preset_changed)
        self.model_panel.inputs.changed.connect(self._inputs_changed)

    # ----- settings ----------------------------------------------------------------
    @staticmethod
    def _view_setting(name: str, default: bool) -> bool:
        v = settings.get(f"view/{name}", default)
        return v if isinstance(v, bool) else str(v).lower() in ("true", "1")

    def _view_option(self, name: str, **kw) -> None:
        """A View toggle: applied to the canvas and kept for the next start."""
        settings.put(f"view/{name}", bool(next(iter(kw.values())) not in (False, "TB")))
        self.canvas.set_options(**kw)

    def _restore_settings(self):
        geo = settings.get("window/geometry")
        state = settings.get("window/state")
        if isinstance(geo, QByteArray):
            self.restoreGeometry(geo)
        if isinstance(state, QByteArray):
            self.restoreState(state)

    def _save_settings(self):
        settings.put("window/geometry", self.saveGeometry())
        settings.put("window/state", self.saveState())

    def _fill_recent_menu(self):
        self.recent_menu.clear()
        paths = settings.recent_files()
        for p in paths:
            a = self.recent_menu.addAction(p)
            a.triggered.connect(lambda checked=False, p=p: self.open_path(p))
        self.recent_menu.setEnabled(bool(paths))

    BACKEND_ACTIONS = {"openvino": ("act_openvino", "Convert to Open&VINO IR…"),
                       "tensorrt": ("act_tensorrt", "Build &TensorRT Plan…")}

    def _update_enabled(self):
        has = self.document is not None
        for a in self.model_actions:
            a.setEnabled(has)
        avail = backend_status.cached() or {}
        for name, (attr, text) in self.BACKEND_ACTIONS.items():
            a, av = getattr(self, attr), avail.get(name)
            if av is not None and not av.ok:
                a.setEnabled(False)
                a.setText(f"{text.replace('&', '')} (unavailable)")
                a.setToolTip(f"{name} is unavailable: {av.reason}")
                a.setStatusTip(a.toolTip())
            else:
                a.setText(text)

    # ----- opening -----------------------------------------------------------------------
    def choose_file(self):
        paths, _ = QFileDialog.getOpenFileNames(self, "Open Caffe2 model (one file or an init+predict pair)",
                                                settings.get("last_dir", ""), MODEL_FILTER)
        if paths:
            self.open_paths(paths)

    def choose_folder(self):
        path = QFileDialog.getExistingDirectory(self, "Open Caffe2 model folder", settings.get("last_dir", ""))
        if path:
            self.open_path(path)

    def open_paths(self, paths: list[str]) -> jobs.Job:
        predict, init = split_pair(paths)
        return self.open_path(predict, init)

    def open_path(self, path: str, init_path: str | None = None) -> jobs.Job:
        """Open a model in the background; the window stays responsive."""
        path = os.fspath(path)
        if self.open_job is not None and self.open_job.is_running:
            self.open_job.cancel()
        self.banner.hide()
        self.last_error = ""
        self._busy(f"Opening {path}…")
        log.info("opening %s", path)
        job = jobs.Job(lambda progress, cancel: load_document(path, init_path, progress, cancel, _prefs), "open model",
                       self)
        job.finished.connect(lambda doc, j=job: j is self.open_job and self.set_document(doc, j))
        job.failed.connect(lambda msg, j=job: j is self.open_job and self._open_failed(path, msg))
        job.progress.connect(self._progress)
        self.open_job = job
        return job.start()

    def set_document(self, doc: Document, opened_by: jobs.Job | None = None) -> None:
        """Show `doc`. Work of the previous document (classification, conversions,
        shape updates) is cancelled and its results dropped: nothing of one model
        is ever shown under another."""
        self._idle()
        self._detach_old_jobs()
        if self.document is not None and self.document.path and self.document.path != doc.path:
            from . import netron_control

            netron_control.stop(self.document.path)  # the closed model's server goes with it
        if doc.input_rows is None:  # made in memory, not opened by open_path
            doc.input_overrides, doc.preset = _prefs(doc.fingerprint, doc.model)
        self.document = doc
        # the settings file is written on the next turn of the event loop: the GUI breathes in between
        QTimer.singleShot(0, lambda d=doc: self._remember_opened(d))
        self.setWindowTitle(f"{doc.title} ({_home(doc.path)}) — Caffe2 Studio")
        self.stack.setCurrentWidget(self.canvas)
        self.net_stack = [(doc.title, doc.graph, doc.shapes, [])]
        self.breadcrumbs.set_path([doc.title])
        self.canvas.set_graph(doc.graph, doc.shapes)
        self.inspector.set_document(doc)
        self.model_panel.set_document(doc)
        self.classify_panel.set_document(doc)  # emits preset_changed: the Inputs panel gets its crop
        self._update_enabled()
        notes = list(doc.model.warnings) + ([doc.shape_error] if doc.shape_error else [])
        for w in notes:
            log.warning("%s", w)
        if doc.model.structure_only and not getattr(doc.model, "weightless", False):
            self.banner.show_message(
                "<b>Structure only:</b> this model's weights are missing or unreadable, so it opens as a graph "
                "without values. Classify and the converters need the weights (open the folder or the "
                "predict+init pair)." + ("<br>" + "<br>".join(_html(n) for n in notes[:3]) if notes else ""), "warning")
        elif notes:
            self.banner.show_message("<b>Opened with warnings:</b> " + "<br>".join(_html(n) for n in notes[:4]), "warning")
        if self._graph_input_shapes() != dict(self._declared_shapes(doc)):
            self._inputs_changed(doc.input_overrides)  # edge labels from the shapes the Inputs panel shows
        n_ops = len(doc.model.predict_net.op)
        self.status_label.setText(f"{doc.title}: {n_ops} ops, opened in {doc.open_seconds:.2f} s")
        self.document_opened.emit(doc)
        pending, self._pending_images = self._pending_images, None
        if pending is not None and pending[0] is opened_by:
            self.classify_dock.show()
            self.classify_dock.raise_()
            self.classify_panel.add_images(pending[1])

    def _remember_opened(self, doc) -> None:
        """Recent files and the last folder (QSettings writes: a few tens of ms)."""
        if not doc.path:
            return
        settings.add_recent(doc.path)
        settings.put("last_dir", os.path.dirname(os.path.abspath(doc.path)))
        self._fill_recent_menu()
        self.welcome.set_recent(settings.recent_files())

    def _detach_old_jobs(self) -> None:
        """Cancel what the previous document started; their late signals are ignored."""
        if self._shapes_job is not None:
            self._shapes_job.cancel()
            self._shapes_job = None
        for dlg in list(self._doc_dialogs):
            if getattr(dlg, "doc", None) is None:
                continue
            if hasattr(dlg, "detach"):
                dlg.detach("another model was opened")
                continue
            job = getattr(dlg, "job", None)  # a dialog of another helper's making: same rule
            if job is not None:
                for sig in (job.finished, job.failed, job.cancelled, job.progress):
                    try:
                        sig.disconnect()
                    except (RuntimeError, TypeError):
                        pass
                job.cancel()
            dlg.doc = None
            dlg.close()
        self._doc_dialogs = [d for d in self._doc_dialogs if getattr(d, "doc", None) is None]

    # ----- inputs and preprocessing ------------------------------------------------------------
    def _preset_changed(self, preprocess) -> None:
        self.model_panel.inputs.set_crop(getattr(preprocess, "crop", None))

    def _inputs_changed(self, overrides: dict) -> None:
        """Re-infer the graph's shapes with the Inputs panel's shapes (worker), then redraw labels."""
        from .document import infer_document_shapes

        doc = self.document
        if doc is None:
            return
        shapes = self._graph_input_shapes()
        if self._shapes_job is not None:
            self._shapes_job.cancel()
        job = jobs.Job(lambda p, c: infer_document_shapes(doc, shapes), "infer shapes", self)
        job.finished.connect(lambda r, j=job, d=doc: j is self._shapes_job and d is self.document
                             and self._shapes_ready(*r))
        self._shapes_job = job
        job.start()

    def _graph_input_shapes(self) -> dict:
        """Input shapes the graph's labels are inferred from: those set, declared or given by the
        preprocessing crop; a size guessed from the first op only stays in the Inputs panel."""
        from c2core.input_rows import INFERRED, UNKNOWN

        return {r.name: tuple(r.shape) for r in self.model_panel.inputs.rows if r.source not in (INFERRED, UNKNOWN)}

    @staticmethod
    def _declared_shapes(doc) -> dict:
        try:
            return {k: tuple(v) for k, v in doc.model.input_shapes().items()}
        except Exception:  # an unreadable init net: nothing declared
            return {}

    def _shapes_ready(self, shapes: dict, error: str) -> None:
        doc = self.document
        doc.shapes, doc.shape_error = shapes, error
        self.net_stack[0] = (doc.title, doc.graph, shapes, [])
        if len(self.net_stack) == 1:
            self.canvas.set_graph(doc.graph, shapes)
            self.inspector.set_net(doc.graph, shapes)
        self.model_panel.refresh()

    # ----- sub-nets ------------------------------------------------------------------------------
    def open_subnet(self, index: int, arg: str, position: int = 0) -> bool:
        """Drill into a sub-net of op `index` of the net shown (If/While/RecurrentNetwork)."""
        from c2core.subnets import open_subnet

        if not self.net_stack:
            return False
        graph = self.net_stack[-1][1]
        try:
            view = open_subnet(graph, index, arg, position, weights=self.document.graph.weights)
        except (KeyError, IndexError) as e:
            self.status_label.setText(str(e))
            return False
        from c2core.subnets import subnet_shapes

        shapes = subnet_shapes(view, graph, self.net_stack[-1][2] or {}, index)  # what the outer net knows
        self.net_stack.append((view.title, view.graph, shapes, view.outer))
        self._show_level()
        self.status_label.setText(f"{view.title}: {len(view.graph.nodes)} ops "
                                  f"({len(view.outer)} blob(s) from the outer net)")
        return True

    def go_to_level(self, level: int) -> None:
        """Back to a net on the breadcrumb path (0: the model's own)."""
        if 0 <= level < len(self.net_stack) - 1:
            del self.net_stack[level + 1:]
            self._show_level()

    def _show_level(self) -> None:
        title, graph, shapes, outer = self.net_stack[-1]
        parent = self.net_stack[-2][0] if len(self.net_stack) > 1 else ""
        self.breadcrumbs.set_path([t for t, *_ in self.net_stack])
        self.canvas.set_graph(graph, shapes)
        self.inspector.set_net(graph, shapes, outer, parent)

    def _show_outer(self, blob: str) -> None:
        """A blob the sub-net shares with its enclosing net: go up and select it there."""
        self._outer_pending = blob  # selected once the enclosing net is drawn
        self.go_to_level(len(self.net_stack) - 2)

    def _node_activated(self, node) -> None:
        """Double-click: an op carrying sub-nets opens its first one."""
        if node.kind == "op" and self.net_stack:
            graph = self.net_stack[-1][1]
            for i in node.ops:
                subs = graph.subnets(i)
                if subs:
                    self.open_subnet(i, subs[0].arg, subs[0].position)
                    return

    def _open_failed(self, path: str, msg: str) -> None:
        self._idle()
        self._pending_images = None  # images dropped with a model that did not open are not run on another
        self.last_error = msg
        name = os.path.basename(path.rstrip('/')) or path
        self.banner.show_message(f"<b>Could not open {_html(name)}</b><br>{_html(msg)}<br><span style='color:#6c757d'>"
                                 "Caffe2 Studio opens a predict net (.pb, .pbtxt), an init+predict pair, a .minidb "
                                 "or a model folder.</span>", "error")
        self.status_label.setText(f"Could not open {name} (see the message above the graph)")
        if self.document is None:
            self.setWindowTitle("Caffe2 Studio")
        self.open_failed.emit(msg)

    def _drawn(self, engine: str, seconds: float) -> None:
        if self._outer_pending:
            blob, self._outer_pending = self._outer_pending, None
            if not self.canvas.select_blob(blob) and not self.canvas.select_node(f"in:{blob}"):
                self.inspector.show_blob(blob)  # no edge carries it here: still say where it comes from
        t = self.canvas.timings
        self.status_label.setText(f"{self.document.title if self.document else ''}: {t.get('nodes', 0)} nodes drawn "
                                  f"({engine} layout) in {seconds:.2f} s")

    # ----- busy indicator ---------------------------------------------------------------------
    def _busy(self, text: str):
        self.status_label.setText(text)
        self.progress.setRange(0, 0)
        self.progress.show()

    def _idle(self):
        self.progress.hide()

    def _progress(self, fraction: float, message: str):
        if fraction >= 0:
            self.progress.setRange(0, 100)
            self.progress.setValue(int(fraction * 100))
        if message:
            self.status_label.setText(message)

    # ----- drag and drop ------------------------------------------------------------------
    @staticmethod
    def _dropped_paths(mime) -> list[str]:
        return [u.toLocalFile() for u in mime.urls() if u.isLocalFile()] if mime.hasUrls() else []

    def dragEnterEvent(self, event):
        paths = self._dropped_paths(event.mimeData())
        if any(os.path.isdir(p) or p.lower().endswith(MODEL_SUFFIXES + IMAGE_SUFFIXES) for p in paths):
            event.acceptProposedAction()
        else:
            event.ignore()

    dragMoveEvent = dragEnterEvent

    def dropEvent(self, event):
        paths = self._dropped_paths(event.mimeData())
        images = [p for p in paths if p.lower().endswith(IMAGE_SUFFIXES)]
        models = [p for p in paths if p not in images]
        if models:
            # the model opens first; the images are classified with it once it is open
            job = self.open_paths(models)
            if images:
                self._pending_images = (job, images)
        elif images:
            self.classify_dock.show()
            self.classify_dock.raise_()
            self.classify_panel.add_images(images)
        event.acceptProposedAction()

    # ----- selection routing --------------------------------------------------------------------
    def _node_selected(self, node):
        if self.document is None:
            return
        if node.kind == "op":
            self.inspector.show_ops(node.ops)
        elif node.blob is not None:
            self.inspector.show_blob(node.blob, None)
        self.inspector_dock.show()
        self.inspector_dock.raise_()

    def _edge_selected(self, blob: str, version: int):
        self.inspector.show_blob(blob, version)
        self.inspector_dock.raise_()

    def _activations_ready(self, payload: dict):
        doc = payload.get("doc")
        if doc is not None and doc is self.document:
            doc.activations = payload["activations"]
            self.inspector.refresh()

    # ----- converters, netron, about ------------------------------------------------------------------
    def convert(self, kind: str, **kw):
        from .convert_dialog import ConvertDialog

        if kind != "import_onnx" and self.document is None:
            return None
        dlg = ConvertDialog(self, kind, self.document if kind != "import_onnx" else None, **kw)
        dlg.open_result.connect(self.open_path)
        if dlg.doc is not None:
            self._doc_dialogs = [d for d in self._doc_dialogs if d.isVisible()] + [dlg]
        dlg.show()
        self._last_dialog = dlg
        return dlg

    def quantize_int8(self):
        """Convert → Quantize to INT8… (app/quantize_dialog.py)."""
        from .quantize_dialog import QuantizeDialog

        if self.document is None:
            return None
        self._last_dialog = dlg = QuantizeDialog(self, self.document)
        self._doc_dialogs = [d for d in self._doc_dialogs if d.isVisible()] + [dlg]
        dlg.show()
        return dlg

    def open_in_netron(self, path: str | None = None) -> jobs.Job | None:
        """Serve the current model (or `path`, e.g. its ONNX export) and open the browser.

        The server starts on a worker (netron's import and the model read take up to
        0.7 s); `netron_ready(url)` follows. A model already served reuses its server."""
        if self.document is None and path is None:
            return None
        path = path or self.document.path
        if path and not os.path.exists(path):
            path = None
        if not path:
            self._netron_failed("this model exists only in memory: save it first to view it in Netron")
            return None
        from . import netron_control

        self.status_label.setText("Starting Netron…")
        job = jobs.Job(lambda p, c: netron_control.serve(path), "netron", self)
        job.finished.connect(self._netron_started)
        job.failed.connect(self._netron_failed)
        self._netron_job = job
        return job.start()

    def _netron_started(self, url: str) -> None:
        self.status_label.setText(f"Netron serving at {url}")
        if os.environ.get("C2STUDIO_NO_BROWSER") != "1":
            QDesktopServices.openUrl(QUrl(url))
        self.netron_ready.emit(url)

    def _netron_failed(self, msg: str) -> None:
        self.banner.show_message(f"<b>Netron:</b> {_html(msg)}", "error")
        log.error("netron: %s", msg)
        self.netron_ready.emit("")

    def show_about(self):
        from .about import AboutDialog

        dlg = AboutDialog(self)
        self._last_dialog = dlg
        dlg.show()
        return dlg

    # ----- lifetime -----------------------------------------------------------------------------------
    def shutdown(self) -> None:
        """Stop jobs, layout workers and servers (closeEvent, tests)."""
        from . import netron_control

        self.canvas.shutdown()
        self.classify_panel.shutdown()
        jobs.shutdown()
        netron_control.stop_all()
        self.log_panel.detach()

    def closeEvent(self, event):
        self._save_settings()
        self.shutdown()
        super().closeEvent(event)


class _DropArea(QWidget):
    """The central area takes model and image drops (QMainWindow keeps its own
    drag events for docks) and hands them to the window."""

    def __init__(self, window: MainWindow):
        super().__init__(window)
        self._window = window
        self.setAcceptDrops(True)

    def dragEnterEvent(self, event):
        self._window.dragEnterEvent(event)

    def dragMoveEvent(self, event):
        self._window.dragEnterEvent(event)

    def dropEvent(self, event):
        self._window.dropEvent(event)


def _prefs(fingerprint: str, model) -> tuple[dict, str]:
    """(input shapes, preset) remembered for a model's content (any thread: QSettings is reentrant)."""
    from .inputs_panel import remembered

    data = set(model.data_inputs)
    shapes = {k: v for k, v in remembered(fingerprint).items() if k in data} if fingerprint else {}
    preset = settings.get(f"models/{fingerprint}/preset", "") if fingerprint else ""
    return shapes, preset if isinstance(preset, str) else ""


def _home(path: str) -> str:
    """`path` with the home folder shown as ~ (window titles)."""
    path = os.path.abspath(path)
    home = os.path.expanduser("~")
    return "~" + path[len(home):] if path == home or path.startswith(home + os.sep) else path


def _html(text: str) -> str:
    return (text or "").replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\n", "<br>")
