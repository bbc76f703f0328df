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


# Colour classes for the graph (as in Netron); every op has one of these.
CATEGORIES = (
    "Layer", "Activation", "Pool", "Normalization", "Dropout", "Tensor", "Shape", "Data",
    "Quantization", "Control", "Detection", "Logic", "Math", "Loss", "Other",
)


def input_names(op_type: str) -> list[str]:
    """Declared input names (a variadic last input is listed once)."""
    s = op_schema(op_type)
    return [i["name"] for i in s.get("inputs", [])] if s else []


def output_names(op_type: str) -> list[str]:
    s = op_schema(op_type)
    return [o["name"] for o in s.get("outputs", [])] if s else []


def slot_name(op_type: str, index: int, output: bool = False) -> str:
    """Name of input (or output) slot `index`; variadic slots get a numeric suffix."""
    s = op_schema(op_type)
    items = (s.get("outputs" if output else "inputs", []) if s else [])
    if index < len(items) and not items[index].get("variadic"):
        return items[index]["name"]
    if items and items[-1].get("variadic") and index >= len(items) - 1:
        return f"{items[-1]['name']}_{index - len(items) + 1}"
    return f"{'output' if output else 'input'}_{index}"


def arg_spec(op_type: str, name: str) -> dict | None:
    """{'type', 'default'?, 'doc'} for one argument, or None when undeclared."""
    s = op_schema(op_type)
    return s.get("args", {}).get(name) if s else None
