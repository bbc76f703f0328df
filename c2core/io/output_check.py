"""Can an output go there? One answer for the app's convert dialog before it starts.

`output_problem(path, folder=...)` returns None when the path can be written
(its folder exists and is writable, or can be created inside a writable one)
or a short reason a user can act on: "no such folder: /proc/nope",
"not writable: /", "is a folder: give a file name". Nothing is created.
"""

from __future__ import annotations

import os


def _nearest_existing(path: str) -> str:
    p = os.path.abspath(path)
    while not os.path.exists(p):
        parent = os.path.dirname(p)
        if parent == p:
            break
        p = parent
    return p


def output_problem(path: str, folder: bool = False) -> str | None:
    """None if `path` (a file, or a folder when `folder`) can be written, else why not."""
    path = (path or "").strip()
    if not path:
        return "no output given"
    path = os.path.abspath(os.path.expanduser(path))
    if folder:
        if os.path.exists(path) and not os.path.isdir(path):
            return f"is a file, not a folder: {path}"
        target = path
    else:
        if os.path.isdir(path):
            return f"is a folder: give the name of a file to write ({path})"
        target = os.path.dirname(path)
    base = _nearest_existing(target)
    if not os.path.isdir(base):
        return f"not a folder: {base}"
    if (base != target and base in ("/proc", "/sys", "/dev")) or base.startswith(("/proc/", "/sys/")):
        return f"cannot create a folder here: {target}"
    if not os.access(base, os.W_OK | os.X_OK):
        return f"not writable: {base}" + ("" if base == target else f" (to create {target})")
    return None
