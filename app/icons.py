"""Toolbar and window icons: small SVGs shipped in app/resources."""

from __future__ import annotations

import os
from functools import lru_cache

from PySide6.QtGui import QIcon

RESOURCES = os.path.join(os.path.dirname(__file__), "resources")


@lru_cache(maxsize=None)
def icon(name: str) -> QIcon:
    path = os.path.join(RESOURCES, f"{name}.svg")
    return QIcon(path) if os.path.isfile(path) else QIcon()


def style_sheet() -> str:
    with open(os.path.join(RESOURCES, "style.qss"), encoding="utf-8") as f:
        return f.read()
