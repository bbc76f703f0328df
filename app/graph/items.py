"""Scene items for the graph: op boxes, blob endpoints and edges.

Items paint themselves cheaply: text is skipped when zoomed out (level of
detail), every edge is one `QPainterPath`, and nothing allocates per paint.
The op colour comes from its schema category (`palette.py`).
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetricsF, QPainterPath, QPainterPathStroker, QPen, QPolygonF
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem

from .palette import category_color, text_color

TITLE_FONT = QFont("DejaVu Sans", 9)
TITLE_FONT.setBold(True)
LINE_FONT = QFont("DejaVu Sans", 8)
LABEL_FONT = QFont("DejaVu Sans", 7)
_TFM = QFontMetricsF(TITLE_FONT)
_LFM = QFontMetricsF(LINE_FONT)
_EFM = QFontMetricsF(LABEL_FONT)
PAD_X, PAD_Y, LINE_H = 10.0, 5.0, 14.0
TEXT_LOD = 0.45  # below this scale, boxes are drawn without text

SELECT_COLOR = QColor("#e8590c")
INPUT_EDGE_COLOR = QColor("#1971c2")
OUTPUT_EDGE_COLOR = QColor("#2f9e44")
EDGE_COLOR = QColor("#7a8590")


class TextMeasure:
    """Glyph advances of the box fonts, read once on the GUI thread.

    Node sizes are then plain dictionary sums, so the layout worker can size
    thousands of boxes without touching Qt's font machinery off the GUI thread.
    """

    EXTRA = "×⟨⟩…·—"

    def __init__(self):
        chars = [chr(c) for c in range(32, 127)] + list(self.EXTRA)
        self.title = {c: _TFM.horizontalAdvance(c) for c in chars}
        self.line = {c: _LFM.horizontalAdvance(c) for c in chars}
        self.title_avg = _TFM.averageCharWidth() * 1.1
        self.line_avg = _LFM.averageCharWidth() * 1.1
        self.title_h = _TFM.height()

    def size(self, node) -> tuple[float, float]:
        t, la = self.title, self.line
        w = sum(t.get(c, self.title_avg) for c in node.title)
        for line in node.lines:
            w = max(w, sum(la.get(c, self.line_avg) for c in line))
        w = max(w + 2 * PAD_X + 2, 60.0)
        h = 2 * PAD_Y + self.title_h + LINE_H * len(node.lines)
        if node.kind != "op":
            w += 8
        return min(w, 420.0), h


_MEASURE: TextMeasure | None = None


def text_measure() -> TextMeasure:
    """The shared measure (create it on the GUI thread first)."""
    global _MEASURE
    if _MEASURE is None:
        _MEASURE = TextMeasure()
    return _MEASURE


def node_size(node) -> tuple[float, float]:
    """Width and height of a node's box, from its text."""
    return text_measure().size(node)


class NodeItem(QGraphicsItem):
    def __init__(self, node, size):
        super().__init__()
        self.node = node
        self.w, self.h = size
        self._rect = QRectF(-self.w / 2, -self.h / 2, self.w, self.h)
        self.highlight = None  # None, "in", "out", "match"
        self.setFlag(QGraphicsItem.ItemIsSelectable, True)
        self.setAcceptHoverEvents(False)
        self.setZValue(1)
        self.setToolTip(self._tooltip())
        base = category_color(node.category, node.kind)
        self._fill = QBrush(base)
        self._header = QBrush(base.darker(115))
        self._pen = QPen(base.darker(160), 1.0)
        self._text = text_color(base)
        room = self.w - 2 * PAD_X
        # node_size() fitted the box to the text; only over-long text (width capped) needs eliding
        self._title = node.title if len(node.title) < 40 else _TFM.elidedText(node.title, Qt.ElideRight, room)
        self._lines = [t if len(t) < 48 else _LFM.elidedText(t, Qt.ElideMiddle, room) for t in node.lines]

    def _tooltip(self) -> str:
        n = self.node
        head = f"{n.title}" if n.kind == "op" else f"{n.kind}: {n.title}"
        return "\n".join([head] + list(n.lines))

    def boundingRect(self) -> QRectF:
        return self._rect.adjusted(-3, -3, 3, 3)

    def paint(self, painter, option, widget=None):
        lod = QStyleOptionGraphicsItem.levelOfDetailFromTransform(painter.worldTransform())
        r = self._rect
        pen = self._pen
        if self.isSelected():
            pen = QPen(SELECT_COLOR, 3.0)
        elif self.highlight == "in":
            pen = QPen(INPUT_EDGE_COLOR, 2.5)
        elif self.highlight == "out":
            pen = QPen(OUTPUT_EDGE_COLOR, 2.5)
        elif self.highlight == "match":
            pen = QPen(QColor("#f08c00"), 3.0, Qt.DashLine)
        painter.setPen(pen)
        painter.setBrush(self._fill)
        if lod < TEXT_LOD:
            painter.drawRect(r)
            return
        if self.node.kind == "op":
            painter.drawRoundedRect(r, 4, 4)
        else:
            painter.drawRoundedRect(r, r.height() / 2, r.height() / 2)
        painter.setPen(self._text)
        painter.setFont(TITLE_FONT)
        y = r.top() + PAD_Y
        painter.drawText(QRectF(r.left() + PAD_X, y, r.width() - 2 * PAD_X, _TFM.height()),
                         Qt.AlignHCenter | Qt.AlignVCenter, self._title)
        if self._lines:
            painter.setFont(LINE_FONT)
            y += _TFM.height()
            for t in self._lines:
                painter.drawText(QRectF(r.left() + PAD_X, y, r.width() - 2 * PAD_X, LINE_H),
                                 Qt.AlignHCenter | Qt.AlignVCenter, t)
                y += LINE_H


class EdgeItem(QGraphicsItem):
    """One data-flow edge: a single path, an arrowhead and an optional shape label."""

    def __init__(self, edge, points, spline: bool):
        super().__init__()
        self.edge = edge
        self.highlight = None
        self.setFlag(QGraphicsItem.ItemIsSelectable, True)
        self.setZValue(0)
        self.setToolTip(f"{edge.blob}" + (f"  ⟨{edge.label}⟩" if edge.label else ""))
        self.set_route(points, spline)

    def set_route(self, points, spline: bool) -> None:
        self.prepareGeometryChange()
        self.spline = spline
        path = QPainterPath(QPointF(*points[0]))
        if spline and len(points) >= 4 and (len(points) - 1) % 3 == 0:
            for k in range(1, len(points), 3):
                path.cubicTo(QPointF(*points[k]), QPointF(*points[k + 1]), QPointF(*points[k + 2]))
        else:
            for p in points[1:]:
                path.lineTo(QPointF(*p))
        self._path = path
        end = QPointF(*points[-1])
        before = path.pointAtPercent(0.97) if path.length() > 0 else QPointF(*points[0])
        d = end - before
        length = (d.x() ** 2 + d.y() ** 2) ** 0.5 or 1.0
        ux, uy = d.x() / length, d.y() / length
        s = 7.0
        self._arrow = QPolygonF([end, QPointF(end.x() - s * ux + s * 0.5 * uy, end.y() - s * uy - s * 0.5 * ux),
                                 QPointF(end.x() - s * ux - s * 0.5 * uy, end.y() - s * uy + s * 0.5 * ux)])
        self._label_rect = None
        if self.edge.label:
            mid = path.pointAtPercent(0.5)
            tw = _EFM.horizontalAdvance(self.edge.label) + 6
            angle = path.angleAtPercent(0.5) % 180
            if angle < 30 or angle > 150:  # a horizontal edge (left to right): label centred above it
                self._label_rect = QRectF(mid.x() - tw / 2, mid.y() - _EFM.height() - 2, tw, _EFM.height())
            else:  # vertical: label beside it
                self._label_rect = QRectF(mid.x() + 4, mid.y() - _EFM.height() / 2, tw, _EFM.height())
        self._shape = None  # hit-test outline, made on first use (clicks are rare)
        br = path.boundingRect().united(self._arrow.boundingRect())
        if self._label_rect is not None:
            br = br.united(self._label_rect)
        self._bounds = br.adjusted(-4, -4, 4, 4)

    def label_candidates(self, centre=None):
        """Places the shape label may take, best first (lazily: the first is usually free):
        where the layout put it (`centre`), beside or above the middle of the route, then
        further along it, then on the other side."""
        if not self.edge.label:
            return
        tw, th = _EFM.horizontalAdvance(self.edge.label) + 6, _EFM.height()
        if centre is not None:
            yield QRectF(centre[0] - tw / 2, centre[1] - th / 2, tw, th)
        for t in (0.5, 0.4, 0.6, 0.3, 0.7, 0.2, 0.8, 0.45, 0.55, 0.35, 0.65, 0.25, 0.75, 0.15, 0.85, 0.1, 0.9):
            p = self._path.pointAtPercent(t)
            angle = self._path.angleAtPercent(t) % 180
            if angle < 30 or angle > 150:
                yield QRectF(p.x() - tw / 2, p.y() - th - 2, tw, th)
                yield QRectF(p.x() - tw / 2, p.y() + 2, tw, th)
            else:
                yield QRectF(p.x() + 4, p.y() - th / 2, tw, th)
                yield QRectF(p.x() - 4 - tw, p.y() - th / 2, tw, th)

    def set_label_rect(self, rect: QRectF) -> None:
        self.prepareGeometryChange()
        self._label_rect = rect
        br = self._path.boundingRect().united(self._arrow.boundingRect()).united(rect)
        self._bounds = br.adjusted(-4, -4, 4, 4)
        self.update()

    def boundingRect(self) -> QRectF:
        return self._bounds

    def shape(self) -> QPainterPath:
        if self._shape is None:
            stroker = QPainterPathStroker()
            stroker.setWidth(8)
            self._shape = stroker.createStroke(self._path)
        s = QPainterPath(self._shape)
        if self._label_rect is not None:
            s.addRect(self._label_rect)
        return s

    def paint(self, painter, option, widget=None):
        lod = QStyleOptionGraphicsItem.levelOfDetailFromTransform(painter.worldTransform())
        color = EDGE_COLOR
        width = 1.2
        if self.isSelected():
            color, width = SELECT_COLOR, 3.0
        elif self.highlight == "in":
            color, width = INPUT_EDGE_COLOR, 2.5
        elif self.highlight == "out":
            color, width = OUTPUT_EDGE_COLOR, 2.5
        painter.setPen(QPen(color, width))
        painter.setBrush(Qt.NoBrush)
        painter.drawPath(self._path)
        painter.setPen(Qt.NoPen)
        painter.setBrush(color)
        painter.drawPolygon(self._arrow)
        if self._label_rect is not None and lod >= TEXT_LOD:
            painter.setFont(LABEL_FONT)
            painter.setPen(QColor("#495057") if not self.highlight else color)
            painter.drawText(self._label_rect, Qt.AlignLeft | Qt.AlignVCenter, self.edge.label)
