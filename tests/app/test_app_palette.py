"""Op box colours keep their text readable: WCAG contrast of label vs fill ≥ 4.5 (AA, normal text)."""

from __future__ import annotations

import pytest


def _luminance(c) -> float:
    def lin(v):
        v /= 255
        return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4
    return 0.2126 * lin(c.red()) + 0.7152 * lin(c.green()) + 0.0722 * lin(c.blue())


def _contrast(a, b) -> float:
    hi, lo = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def _every_category():
    from c2core.schema import category, known_op_types

    return sorted({category(t) or "" for t in known_op_types()} | {"", "unknown", "something new"})


@pytest.mark.parametrize("kind", ["op", "input", "output", "weight"])
def test_node_text_contrast_for_every_category(qapp, kind):
    from app.graph.palette import category_color, text_color

    worst = []
    for cat in _every_category():
        fill = category_color(cat, kind)
        text = text_color(fill)
        worst.append((_contrast(fill, text), cat, fill.name()))
    worst.sort()
    assert worst[0][0] >= 4.5, f"least readable: {worst[0]}"
