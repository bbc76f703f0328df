"""`GraphView`: zoom (wheel, pinch, keys), pan (drag), fit; `Minimap` overlay.

The minimap renders the scene once into a pixmap after each layout and only
repaints its viewport rectangle while the user pans, so it costs nothing on
large nets. Clicking or dragging in it recentres the main view.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPen, QPixmap
from PySide6.QtWidgets import QFrame, QGraphicsView, QWidget

MIN_SCALE, MAX_SCALE = 0.02, 6.0
MAX_FIT_SCALE = 1.25  # the initial view of a small graph: readable, not poster-sized
READABLE_SCALE = 0.5  # a fitted graph smaller than this has text too small to read (or none: TEXT_LOD)
START_SCALE = 0.8  # the initial zoom of a graph too big to fit legibly


class GraphView(QGraphicsView):
    zoomed = Signal(float)
    viewport_moved = Signal()
    item_double_clicked = Signal(object)  # the QGraphicsItem under the pointer

    def __init__(self, scene, parent=None):
        super().__init__(scene, parent)
        self.setRenderHints(QPainter.Antialiasing | QPainter.TextAntialiasing)
        self.setDragMode(QGraphicsView.ScrollHandDrag)
        self.setTransformationAnchor(QGraphicsView.AnchorUnderMouse)
        self.setResizeAnchor(QGraphicsView.AnchorViewCenter)
        self.setViewportUpdateMode(QGraphicsView.SmartViewportUpdate)
        self.setOptimizationFlags(QGraphicsView.DontSavePainterState | QGraphicsView.DontAdjustForAntialiasing)
        self.setCacheMode(QGraphicsView.CacheBackground)
        self.setBackgroundBrush(QColor("#fbfbfc"))
        self.setFrameShape(QFrame.NoFrame)
        self.viewport().grabGesture(Qt.PinchGesture)
        self.horizontalScrollBar().valueChanged.connect(self.viewport_moved)
        self.verticalScrollBar().valueChanged.connect(self.viewport_moved)

    def mouseDoubleClickEvent(self, event):
        item = self.itemAt(event.position().toPoint())
        if item is not None:
            self.item_double_clicked.emit(item)
        super().mouseDoubleClickEvent(event)

    @property
    def scale_factor(self) -> float:
        return self.transform().m11()

    def zoom_by(self, factor: float) -> None:
        s = self.scale_factor
        factor = max(MIN_SCALE / s, min(MAX_SCALE / s, factor))
        self.scale(factor, factor)
        self.zoomed.emit(self.scale_factor)
        self.viewport_moved.emit()

    def zoom_in(self):
        self.zoom_by(1.25)

    def zoom_out(self):
        self.zoom_by(0.8)

    def reset_zoom(self):
        self.zoom_by(1.0 / self.scale_factor)

    def fit(self, anchor: QPointF | None = None, rankdir: str = "TB") -> None:
        """The initial view of a freshly drawn graph: the whole graph when it fits
        legibly, else a readable zoom that starts at the inputs (`anchor`, the scene
        position of the first input) and looks down (TB) or right (LR) along the net."""
        r = self.scene().sceneRect()
        if r.isEmpty():
            return
        self.fitInView(r.adjusted(-20, -20, 20, 20), Qt.KeepAspectRatio)
        if self.scale_factor > MAX_FIT_SCALE:  # a tiny graph is not blown up to fill the window
            self.resetTransform()
            self.scale(MAX_FIT_SCALE, MAX_FIT_SCALE)
            self.centerOn(r.center())
        if self.scale_factor < READABLE_SCALE:
            self.resetTransform()
            self.scale(START_SCALE, START_SCALE)
            vw = self.viewport().width() / START_SCALE
            vh = self.viewport().height() / START_SCALE
            a = anchor if anchor is not None else (QPointF(r.left(), r.center().y()) if rankdir == "LR"
                                                   else QPointF(r.center().x(), r.top()))
            if rankdir == "LR":  # inputs at the left edge, vertically centred on them
                self.centerOn(max(a.x(), r.left()) - 60 + vw / 2, a.y())
            else:  # inputs at the top, horizontally centred on them
                self.centerOn(a.x(), max(a.y(), r.top()) - 40 + vh / 2)
        self.zoomed.emit(self.scale_factor)
        self.viewport_moved.emit()

    def fit_all(self) -> None:
        r = self.scene().itemsBoundingRect()
        if not r.isEmpty():
            self.fitInView(r.adjusted(-20, -20, 20, 20), Qt.KeepAspectRatio)
            for _ in range(4):  # scroll bars appearing or vanishing can leave an edge just outside
                if self.visible_scene_rect().contains(r):
                    break
                self.scale(0.96, 0.96)
                self.centerOn(r.center())
            self.zoomed.emit(self.scale_factor)
            self.viewport_moved.emit()

    def visible_scene_rect(self) -> QRectF:
        return self.mapToScene(self.viewport().rect()).boundingRect()

    def wheelEvent(self, event):
        if event.modifiers() & Qt.ShiftModifier:
            return super().wheelEvent(event)  # shift+wheel scrolls
        dy = event.angleDelta().y() or event.pixelDelta().y()
        if dy:
            self.zoom_by(1.0015 ** dy)
        event.accept()

    def viewportEvent(self, event):
        t = event.type()
        if t == QEvent.Gesture:
            pinch = event.gesture(Qt.PinchGesture)
            if pinch is not None:
                self.zoom_by(pinch.scaleFactor())
                return True
        if t == QEvent.NativeGesture and event.gestureType() == Qt.ZoomNativeGesture:
            self.zoom_by(1.0 + event.value())
            return True
        return super().viewportEvent(event)

    def keyPressEvent(self, event):
        k = event.key()
        if k in (Qt.Key_Plus, Qt.Key_Equal):
            self.zoom_in()
        elif k == Qt.Key_Minus:
            self.zoom_out()
        elif k == Qt.Key_0:
            self.fit_all()  # as Ctrl+0 (View > Fit to Window)
        else:
            super().keyPressEvent(event)


class Minimap(QWidget):
    """Overview of the whole net with the visible area outlined."""

    def __init__(self, view: GraphView, parent=None):
        super().__init__(parent)
        self.view = view
        self._pix: QPixmap | None = None
        self._scene_rect = QRectF()
        self.setFixedSize(180, 240)
        self.setCursor(Qt.PointingHandCursor)
        self.setToolTip("Overview: click or drag to move the view")
        view.viewport_moved.connect(self.update)

    def refresh(self, boxes=None, rect: QRectF | None = None) -> None:
        """Re-render the overview (after a layout).

        `boxes` (scene rect, colour) pairs are painted directly: much cheaper than
        `scene.render` for thousands of items; without them the scene is rendered.
        """
        scene = self.view.scene()
        r = rect if rect is not None else scene.itemsBoundingRect()
        self._scene_rect = r
        if not r.isEmpty():  # follow the net's aspect: a tall chain gets a narrow overview
            aspect = r.width() / max(r.height(), 1.0)
            self.setFixedSize(int(max(70, min(200, 240 * aspect))), int(max(90, min(240, 200 / max(aspect, 1e-3)))))
        if r.isEmpty():
            self._pix = None
            self.update()
            return
        pix = QPixmap(self.size())
        pix.fill(QColor(255, 255, 255, 235))
        p = QPainter(pix)
        if boxes is None:
            p.setRenderHint(QPainter.Antialiasing)
            scene.render(p, self._target(), r, Qt.KeepAspectRatio)
        else:
            t = self._target()
            sx, sy = t.width() / max(r.width(), 1), t.height() / max(r.height(), 1)
            p.setPen(Qt.NoPen)
            for br, color in boxes:
                p.fillRect(QRectF(t.left() + (br.left() - r.left()) * sx, t.top() + (br.top() - r.top()) * sy,
                                  max(1.0, br.width() * sx), max(1.0, br.height() * sy)), color)
        p.end()
        self._pix = pix
        self.update()

    def _target(self) -> QRectF:
        r = self._scene_rect
        w, h = self.width() - 8, self.height() - 8
        s = min(w / max(r.width(), 1), h / max(r.height(), 1))
        tw, th = r.width() * s, r.height() * s
        return QRectF(4 + (w - tw) / 2, 4 + (h - th) / 2, tw, th)

    def _to_map(self, rect: QRectF) -> QRectF:
        t, r = self._target(), self._scene_rect
        sx, sy = t.width() / max(r.width(), 1), t.height() / max(r.height(), 1)
        return QRectF(t.left() + (rect.left() - r.left()) * sx, t.top() + (rect.top() - r.top()) * sy,
                      rect.width() * sx, rect.height() * sy)

    def _to_scene(self, p) -> QPointF:
        t, r = self._target(), self._scene_rect
        sx, sy = r.width() / max(t.width(), 1), r.height() / max(t.height(), 1)
        return QPointF(r.left() + (p.x() - t.left()) * sx, r.top() + (p.y() - t.top()) * sy)

    def paintEvent(self, event):
        p = QPainter(self)
        p.setPen(QPen(QColor("#adb5bd"), 1))
        p.setBrush(QColor(255, 255, 255, 235))
        p.drawRect(self.rect().adjusted(0, 0, -1, -1))
        if self._pix is None:
            return
        p.drawPixmap(0, 0, self._pix)
        vis = self._to_map(self.view.visible_scene_rect()).intersected(QRectF(self.rect()))
        p.setPen(QPen(QColor("#e8590c"), 1.5))
        p.setBrush(QColor(232, 89, 12, 40))
        p.drawRect(vis)

    def mousePressEvent(self, event):
        self.view.centerOn(self._to_scene(event.position()))

    def mouseMoveEvent(self, event):
        if event.buttons() & Qt.LeftButton:
            self.view.centerOn(self._to_scene(event.position()))
