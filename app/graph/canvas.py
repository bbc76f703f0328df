"""`GraphCanvas`: the graph panel (view, minimap, find bar) and its layout jobs.

On `set_graph` the canvas builds the drawing, starts Graphviz on a worker
(`app.jobs`) and, if dot has not answered within `PROVISIONAL_AFTER_MS`,
draws the quick layered layout at once; dot's layout replaces it when it
arrives (items are moved, not rebuilt, so the selection survives). Signals:
`drawn(engine, seconds)` after each layout is on screen, `node_selected(node)`
and `edge_selected(blob, version)` for the inspector.
"""

from __future__ import annotations

import logging
import time

from PySide6.QtCore import QTimer, Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (QGraphicsScene, QHBoxLayout, QLabel, QLineEdit, QToolButton, QVBoxLayout,
                               QWidget)

from .. import jobs
from .drawing import DrawOptions, build_drawing
from .items import EdgeItem, NodeItem, text_measure
from .layout import dot_available, dot_layout, layered_layout
from .view import GraphView, Minimap

log = logging.getLogger("c2studio.graph")
PROVISIONAL_AFTER_MS = 250
SMALL_NET = 300  # nodes: below this dot is quick, no provisional layout is computed
ITEM_BATCH = 400  # scene items created per event-loop turn
MOVE_BATCH = 800  # items moved per event-loop turn when dot's layout replaces the quick one


class FindBar(QWidget):
    """Ctrl+F: search op types, op names and blob names; Enter/F3 next, Shift+Enter previous."""

    def __init__(self, canvas: "GraphCanvas"):
        super().__init__(canvas)
        self.canvas = canvas
        lay = QHBoxLayout(self)
        lay.setContentsMargins(8, 4, 8, 4)
        self.edit = QLineEdit(placeholderText="Find op type, op name or blob…")
        self.edit.setClearButtonEnabled(True)
        self.count = QLabel("")
        self.count.setMinimumWidth(70)
        self.prev_btn = QToolButton(text="▲", toolTip="Previous match (Shift+Enter)")
        self.next_btn = QToolButton(text="▼", toolTip="Next match (Enter)")
        close = QToolButton(text="✕", toolTip="Close (Esc)")
        for w in (QLabel("Find:"), self.edit, self.count, self.prev_btn, self.next_btn, close):
            lay.addWidget(w)
        self.edit.textChanged.connect(canvas.find)
        self.edit.returnPressed.connect(canvas.find_next)
        self.next_btn.clicked.connect(canvas.find_next)
        self.prev_btn.clicked.connect(canvas.find_previous)
        close.clicked.connect(self.close_bar)
        QShortcut(QKeySequence(Qt.SHIFT | Qt.Key_Return), self.edit, canvas.find_previous)
        QShortcut(QKeySequence(Qt.Key_Escape), self.edit, self.close_bar)
        self.setStyleSheet("FindBar { background: #f1f3f5; border-bottom: 1px solid #dee2e6; }")
        self.setAttribute(Qt.WA_StyledBackground, True)

    def close_bar(self):
        self.edit.clear()
        self.hide()
        self.canvas.view.setFocus()


class GraphCanvas(QWidget):
    drawn = Signal(str, float)  # engine ("dot" | "layered"), seconds since set_graph
    node_selected = Signal(object)  # DNode
    edge_selected = Signal(str, int)  # blob, version
    selection_cleared = Signal()
    node_activated = Signal(object)  # DNode double-clicked (an op with sub-nets opens them)
    status = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.scene = QGraphicsScene(self)
        self.scene.setItemIndexMethod(QGraphicsScene.BspTreeIndex)
        self.view = GraphView(self.scene, self)
        self.minimap = Minimap(self.view, self.view)
        self.findbar = FindBar(self)
        self.findbar.hide()
        self.placeholder = QLabel("", self.view)
        self.placeholder.setStyleSheet("color:#495057; background: rgba(255,255,255,220); padding:6px 10px;"
                                       "border:1px solid #dee2e6; border-radius:4px;")
        self.placeholder.hide()
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(0)
        lay.addWidget(self.findbar)
        lay.addWidget(self.view)
        self.options = DrawOptions()
        self.graph = None
        self.shapes = None
        self.drawing = None
        self.layout_result = None
        self.node_items: dict = {}
        self.edge_items: list = []
        self.matches: list = []
        self.match_index = -1
        self._gen = 0
        self._t0 = 0.0
        self._job = None
        self._sizes: dict = {}
        self._provisional = None
        self._creating = None
        self._target = None
        self._placed = None  # the layout the items were last put at
        self.timings: dict = {}
        self._provisional_timer = QTimer(self, singleShot=True)
        self._provisional_timer.timeout.connect(self._show_provisional)
        self.scene.selectionChanged.connect(self._on_selection)
        self.view.installEventFilter(self)
        self.view.viewport_moved.connect(self._update_minimap_visibility)
        self.view.item_double_clicked.connect(lambda it: isinstance(it, NodeItem) and self.node_activated.emit(it.node))

    # ----- geometry of overlays ----------------------------------------------
    def resizeEvent(self, event):
        super().resizeEvent(event)
        self._place_overlays()
        self._update_minimap_visibility()

    def showEvent(self, event):
        super().showEvent(event)
        self._place_overlays()

    def _place_overlays(self):
        vw = self.view.viewport()
        m = self.minimap
        sb = self.view.verticalScrollBar()
        extra = sb.width() if sb.isVisible() else 0
        hb = self.view.horizontalScrollBar()
        below = hb.height() if hb.isVisible() else 0
        # bottom-right: the corner a graph starting at its inputs (top or left) leaves free longest
        m.move(self.view.width() - m.width() - 12 - extra, self.view.height() - m.height() - 12 - below)
        self.placeholder.adjustSize()
        self.placeholder.move(12, 12)
        del vw

    # ----- model in ------------------------------------------------------------
    def set_graph(self, graph, shapes=None) -> None:
        self.graph, self.shapes = graph, shapes
        self.rebuild(fit=True)

    def clear(self) -> None:
        self._cancel_job()
        self._gen += 1
        self._creating = None
        self._provisional_timer.stop()
        self.graph = self.drawing = self.layout_result = None
        # forget the items first: clearing a scene with a selection emits selectionChanged,
        # and _on_selection must not touch the items being deleted
        self.node_items, self.edge_items, self.matches = {}, [], []
        self.scene.clear()
        self.minimap.refresh()
        self.minimap.hide()

    def set_options(self, **kw) -> None:
        for k, v in kw.items():
            setattr(self.options, k, v)
        if self.graph is not None:
            self.rebuild(fit=kw.keys() & {"rankdir", "collapse"} != set())

    def rebuild(self, fit: bool = True) -> None:
        """Prepare the drawing on a worker, then lay it out (dot) and draw it."""
        self._cancel_job()
        self._provisional_timer.stop()
        self._gen += 1
        gen = self._gen
        self._t0 = time.perf_counter()
        self._fit_next = fit
        self.layout_result = None
        self._provisional = None
        self._creating = None
        self.drawing = None
        self.node_items, self.edge_items, self.matches = {}, [], []  # before clear(): see clear()
        self.scene.clear()
        self._set_status("Preparing the graph…")
        graph, shapes, opts, measure = self.graph, self.shapes, DrawOptions(**vars(self.options)), text_measure()

        def prepare(progress, cancel):
            drawing = build_drawing(graph, shapes, opts)
            sizes = {n.id: measure.size(n) for n in drawing.nodes}
            cancel.check()
            quick = layered_layout(drawing, sizes) if len(drawing.nodes) > SMALL_NET else None
            return drawing, sizes, quick

        self._job = jobs.Job(prepare, "graph drawing", self)
        self._job.finished.connect(lambda r, g=gen: self._prepared(r, g))
        self._job.failed.connect(lambda msg, g=gen: g == self._gen and self._set_status(f"Cannot draw the graph: {msg}"))
        self._job.start()

    def _prepared(self, result, gen) -> None:
        if gen != self._gen:
            return
        self.drawing, self._sizes, self._provisional = result
        self.timings = {"nodes": len(self.drawing.nodes), "edges": len(self.drawing.edges),
                        "build_s": time.perf_counter() - self._t0}
        self._set_status(f"Laying out {len(self.drawing.nodes)} nodes with Graphviz…")
        if not dot_available():
            self._apply_layout(self._provisional or layered_layout(self.drawing, self._sizes), gen)
            self._set_status("Graphviz 'dot' not found: showing the quick layout")
            return
        drawing, sizes = self.drawing, self._sizes
        self._job = jobs.Job(lambda progress, cancel: dot_layout(drawing, sizes, cancel), "graph layout", self)
        self._job.finished.connect(lambda lay, g=gen: self._apply_layout(lay, g))
        self._job.failed.connect(lambda msg, g=gen: self._layout_failed(msg, g))
        self._job.start()
        self._provisional_timer.start(PROVISIONAL_AFTER_MS)

    def _cancel_job(self):
        if self._job is not None and self._job.is_running:
            self._job.cancel()
        self._job = None

    def _show_provisional(self):
        if self.drawing is None or self.layout_result is not None or self._creating is not None:
            return
        self._apply_layout(self._provisional or layered_layout(self.drawing, self._sizes), self._gen)
        self._set_status(f"Quick layout shown; Graphviz is still working on {len(self.drawing.nodes)} nodes…")

    def _layout_failed(self, msg, gen):
        if gen != self._gen:
            return
        self._provisional_timer.stop()
        if self.layout_result is None and self._creating is None:
            self._apply_layout(self._provisional or layered_layout(self.drawing, self._sizes), gen)
        self._set_status(msg)

    def _set_status(self, text: str):
        self.placeholder.setText(text)
        self.placeholder.setVisible(bool(text))
        self._place_overlays()
        self.status.emit(text)

    # ----- drawing -------------------------------------------------------------
    def _apply_layout(self, lay, gen) -> None:
        """Show `lay`: create the items (in batches, so the GUI keeps running) or move them."""
        if gen != self._gen or self.drawing is None:
            return
        if self.layout_result is not None and self.layout_result.engine == "dot":
            return
        if lay.engine == "dot":
            self._provisional_timer.stop()
        self._target = lay
        if self._creating is not None:
            return  # the running batches pick the newest layout up when they finish
        self._creating = self._move_items(lay) if self.node_items else self._create_items(lay)
        self._create_step()

    def _create_items(self, lay):
        """Generator: make node then edge items, yielding after every batch."""
        made = 0
        self._placed = lay
        for n in self.drawing.nodes:
            item = NodeItem(n, self._sizes[n.id])
            item.setPos(*self._target.pos[n.id])
            self.node_items[n.id] = item
            self.scene.addItem(item)
            made += 1
            if made % ITEM_BATCH == 0:
                yield
        for k, e in enumerate(self.drawing.edges):
            t = self._target
            pts = t.edges[k] or [t.pos[e.src], t.pos[e.dst]]
            item = EdgeItem(e, pts, t.spline and t.edges[k] is not None)
            self.edge_items.append(item)
            self.scene.addItem(item)
            made += 1
            if made % ITEM_BATCH == 0:
                yield

    def _create_step(self) -> None:
        gen_obj = self._creating
        if gen_obj is None:
            return
        t = time.perf_counter()
        try:
            next(gen_obj)
        except StopIteration:
            self._creating = None
            lay = self._target
            if self._placed is not lay:
                # a layout that arrived mid-way: items made earlier still sit where the old one put them
                self._creating = self._move_items(lay)
                QTimer.singleShot(0, self._create_step)
                return
            self._finish(lay)
            return
        finally:
            self.timings["longest_batch_s"] = max(self.timings.get("longest_batch_s", 0.0), time.perf_counter() - t)
        QTimer.singleShot(0, self._create_step)

    def _move_items(self, lay):
        """Generator: move nodes and re-route edges to `lay` (dot replacing the quick
        layout), yielding after every batch so a 5,000-op net does not stall the GUI."""
        self.timings["move_batches"] = 0
        self._placed = lay
        # the BSP index would be rebuilt per move: off while moving, back on (one rebuild) at the end
        self.scene.setItemIndexMethod(QGraphicsScene.NoIndex)
        try:
            moved = 0
            for nid, (x, y) in lay.pos.items():
                self.node_items[nid].setPos(x, y)
                moved += 1
                if moved % MOVE_BATCH == 0:
                    self.timings["move_batches"] += 1
                    yield
            for k, e in enumerate(self.drawing.edges):
                pts = lay.edges[k] or [lay.pos[e.src], lay.pos[e.dst]]
                self.edge_items[k].set_route(pts, lay.spline and lay.edges[k] is not None)
                moved += 1
                if moved % MOVE_BATCH == 0:
                    self.timings["move_batches"] += 1
                    yield
        finally:
            self.scene.setItemIndexMethod(QGraphicsScene.BspTreeIndex)
        self.timings["move_batches"] += 1

    def _finish(self, lay) -> None:
        from PySide6.QtCore import QRectF

        first = self.layout_result is None
        self._place_labels(lay)
        bounds = QRectF(0, 0, lay.width, lay.height)
        self.scene.setSceneRect(bounds.adjusted(-40, -40, 40, 40))
        self.layout_result = lay
        elapsed = time.perf_counter() - self._t0
        self.timings[f"{lay.engine}_drawn_s"] = elapsed
        self.timings[f"{lay.engine}_layout_s"] = lay.seconds
        if lay.engine == "dot":
            self._provisional_timer.stop()
            self._set_status("")
        if first and self._fit_next:
            self.view.fit(self._input_anchor(), self.options.rankdir)
        # on the next event-loop turn: the GUI breathes between moving items and drawing the overview
        QTimer.singleShot(0, lambda g=self._gen, b=bounds: g == self._gen and self._refresh_minimap(b))
        self._update_minimap_visibility()
        self._place_overlays()
        self._on_selection()
        log.info("graph: %s layout of %d nodes drawn %.3f s after opening", lay.engine, len(self.drawing.nodes), elapsed)
        self.drawn.emit(lay.engine, elapsed)

    def _input_anchor(self):
        """Scene centre of the first input node (where a big net's initial view starts)."""
        for n in self.drawing.nodes:
            if n.kind == "input" and n.id in self.node_items:
                return self.node_items[n.id].sceneBoundingRect().center()
        return None

    LABEL_PLACING_LIMIT = 250  # edges; bigger graphs keep the layout's own label spots (time)

    def _place_labels(self, lay=None) -> None:
        """Move shape labels off boxes and off each other (small graphs): each edge tries the
        spot dot gave its label, then spots along its route; the first free one wins, else
        the least covered. A grid of 64-px cells keeps each test to the rects nearby."""
        if len(self.edge_items) > self.LABEL_PLACING_LIMIT:
            return
        cell = 64.0
        grid: dict = {}

        def cells(r):
            for gx in range(int(r.left() // cell), int(r.right() // cell) + 1):
                for gy in range(int(r.top() // cell), int(r.bottom() // cell) + 1):
                    yield gx, gy

        def add(r):
            for c in cells(r):
                grid.setdefault(c, []).append(r)

        for it in self.node_items.values():
            add(it.sceneBoundingRect())
        placed = (lay.labels or {}) if lay is not None else {}
        for k, e in enumerate(self.edge_items):
            if e._label_rect is None:
                continue
            off = e.pos()
            best, best_cost = None, None
            for r in e.label_candidates(placed.get(k)):
                rs = r.translated(off).adjusted(-1.5, -1.5, 1.5, 1.5)  # a hair of space between texts
                near = {id(t): t for c in cells(rs) for t in grid.get(c, ())}
                cost = 0.0
                for t in near.values():
                    if rs.intersects(t):
                        i = rs.intersected(t)
                        cost += i.width() * i.height()
                if best_cost is None or cost < best_cost:
                    best, best_cost = r, cost
                if cost == 0:
                    break
            if best is not None:
                e.set_label_rect(best)  # free if any spot was; else the least covered one
            add(e._label_rect.translated(off))

    def _update_minimap_visibility(self) -> None:
        """The overview only when part of the graph is off screen: a graph that fits
        needs none, and the overview would only cover its nodes."""
        if self.layout_result is None or not self.node_items:
            self.minimap.hide()
            return
        from PySide6.QtCore import QRectF

        lay = self.layout_result  # the layout's own bounds: no walk over thousands of items per scroll
        whole = QRectF(0, 0, lay.width, lay.height).adjusted(4, 4, -4, -4)
        self.minimap.setVisible(not self.view.visible_scene_rect().contains(whole))

    def _refresh_minimap(self, bounds) -> None:
        boxes = [(it.sceneBoundingRect(), it._fill.color()) for it in self.node_items.values()]
        self.minimap.refresh(boxes, bounds)
        self._place_overlays()  # the overview's size follows the net's aspect

    @property
    def is_drawn(self) -> bool:
        return self.layout_result is not None

    @property
    def is_final(self) -> bool:
        return self.layout_result is not None and (self.layout_result.engine == "dot" or not dot_available())

    # ----- selection -----------------------------------------------------------
    def _on_selection(self):
        for it in self.node_items.values():
            if it.highlight in ("in", "out"):
                it.highlight = None
                it.update()
        for it in self.edge_items:
            if it.highlight:
                it.highlight = None
                it.update()
        sel = self.scene.selectedItems()
        if not sel:
            self.selection_cleared.emit()
            return
        item = sel[0]
        if isinstance(item, NodeItem):
            nid = item.node.id
            for e in self.edge_items:
                if e.edge.dst == nid:
                    e.highlight = "in"
                    self.node_items[e.edge.src].highlight = "in"
                elif e.edge.src == nid:
                    e.highlight = "out"
                    self.node_items[e.edge.dst].highlight = "out"
                else:
                    continue
                e.update()
                self.node_items[e.edge.src].update()
                self.node_items[e.edge.dst].update()
            self.node_selected.emit(item.node)
        elif isinstance(item, EdgeItem):
            self.edge_selected.emit(item.edge.blob, item.edge.version)

    def select_node(self, nid: str, center: bool = True) -> bool:
        item = self.node_items.get(nid)
        if item is None:
            return False
        self.scene.clearSelection()
        item.setSelected(True)
        if center:
            if self.view.scale_factor < 0.6:
                self.view.zoom_by(0.9 / self.view.scale_factor)
            self.view.centerOn(item)
        return True

    def select_op(self, index: int) -> bool:
        if self.drawing is None or index not in self.drawing.node_of_op:
            return False
        return self.select_node(self.drawing.node_of_op[index])

    def select_blob(self, blob: str) -> bool:
        for e in self.edge_items:
            if e.edge.blob == blob:
                self.scene.clearSelection()
                e.setSelected(True)
                if self.view.scale_factor < 0.6:  # as select_node: close enough to read the label
                    self.view.zoom_by(0.9 / self.view.scale_factor)
                self.view.centerOn(e)
                return True
        return False

    # ----- find ----------------------------------------------------------------
    def show_find(self):
        self.findbar.show()
        self.findbar.edit.setFocus()
        self.findbar.edit.selectAll()

    def find(self, text: str) -> int:
        for it in self.matches:
            it.highlight = None
            it.update()
        q = text.strip().lower()
        self.matches = []
        if q and self.drawing is not None:
            for n in self.drawing.nodes:
                if q in n.search or q in n.title.lower():
                    it = self.node_items.get(n.id)
                    if it is not None:
                        it.highlight = "match"
                        it.update()
                        self.matches.append(it)
        self.match_index = -1
        if self.findbar.edit.text() != text:
            self.findbar.edit.blockSignals(True)
            self.findbar.edit.setText(text)
            self.findbar.edit.blockSignals(False)
        self.findbar.count.setText(f"{len(self.matches)} match{'es' if len(self.matches) != 1 else ''}" if q else "")
        if self.matches:
            self.find_next()
        return len(self.matches)

    def _goto_match(self):
        it = self.matches[self.match_index]
        self.select_node(it.node.id)
        self.findbar.count.setText(f"{self.match_index + 1} of {len(self.matches)}")

    def find_next(self):
        if self.matches:
            self.match_index = (self.match_index + 1) % len(self.matches)
            self._goto_match()

    def find_previous(self):
        if self.matches:
            self.match_index = (self.match_index - 1) % len(self.matches)
            self._goto_match()

    def shutdown(self):
        self._provisional_timer.stop()
        self._cancel_job()
