"""Operator knowledge as data: `ops.json`, loaded once and shared.

Each entry: category (drawing colour, inspector), inputs and outputs (names,
`optional`), args (name -> {type, default, doc}), and a one-line doc. Shape
inference, the CLI, the exporter's messages and the app's inspector read the
same data, so a default shown to the user is the default the code uses.
"""

from __future__ import annotations

import json
import os
from functools import lru_cache

_PATH = os.path.join(os.path.dirname(__file__), "ops.json")


@lru_cache(maxsize=1)
def load() -> dict:
    with open(_PATH, "rb") as f:
        data = json.loads(f.read())
    return data["ops"]


def known_op_types() -> frozenset:
    return frozenset(load())


def op_schema(op_type: str) -> dict | None:
    return load().get(op_type)


def category(op_type: str) -> str:
    s = op_schema(op_type)
    return s.get("category", "Other") if s else "Unknown"


def arg_default(op_type: str, name: str, fallback=None):
    s = op_schema(op_type)
    if s:
        a = s.get("args", {}).get(name)
        if a is not None and "default" in a:
            return a["default"]
    return fallback
