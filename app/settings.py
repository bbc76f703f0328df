"""Persistent settings (QSettings, INI): window layout, recent files, last choices.

`C2STUDIO_SETTINGS=/path/file.ini` redirects them (tests use a temp file so
they never touch the user's own settings).
"""

from __future__ import annotations

import os

from PySide6.QtCore import QSettings

MAX_RECENT = 10


def settings() -> QSettings:
    path = os.environ.get("C2STUDIO_SETTINGS")
    if path:
        return QSettings(path, QSettings.IniFormat)
    return QSettings(QSettings.IniFormat, QSettings.UserScope, "caffe2-studio", "c2studio")


def recent_files() -> list[str]:
    v = settings().value("recent", [])
    if isinstance(v, str):
        v = [v]
    return [p for p in (v or []) if isinstance(p, str)]


def add_recent(path: str) -> list[str]:
    path = os.path.abspath(path)
    lst = [p for p in recent_files() if p != path]
    lst.insert(0, path)
    lst = lst[:MAX_RECENT]
    s = settings()
    s.setValue("recent", lst)
    s.sync()
    return lst


def get(key: str, default=None):
    return settings().value(key, default)


def put(key: str, value) -> None:
    s = settings()
    s.setValue(key, value)
    s.sync()
