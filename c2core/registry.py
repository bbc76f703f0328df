"""One registry class for every table keyed by op type.

Kernels (`c2core.ops`), shape rules (`c2core.shapes`), ONNX exporters
(`c2core.onnx.export`) and ONNX importers (`c2core.onnx.importer`) are each a
`Registry`: a family module registers its entries with `@TABLE.register("Type")`,
a second registration of a type raises `RegistryError` at import time (two
modules can never silently disagree about an op), and the table fills itself
on first use by importing every public module of its package (`pkgutil` scan):
adding a family module is all it takes, there is no import list to edit.

Modules whose name starts with `_` are helpers and are not imported by the scan
(they are imported by the family modules that use them).
"""

from __future__ import annotations

import importlib
import pkgutil
import threading
from typing import Callable, Iterator


class RegistryError(Exception):
    """A programming error in a registry: the same op type registered twice."""


class Registry:
    """op type -> entry, filled by the family modules of one package.

    kind: what an entry is, for messages ("kernel", "shape rule"...).
    package: the dotted package whose public modules are the families.
    make: builds the stored entry from `(op_type, fn, **options)`; by default
    the function itself is stored (and options are refused).
    """

    def __init__(self, kind: str, package: str, make: Callable | None = None):
        self.kind = kind
        self.package = package
        self._make = make
        self._entries: dict[str, object] = {}
        self._origin: dict[str, str] = {}
        self._loaded = False
        self._lock = threading.RLock()

    # ----- registration
    def register(self, *op_types: str, **options):
        """Decorator: register `fn` for each op type given."""
        if not op_types:
            raise RegistryError(f"{self.kind}: register() needs at least one op type")
        if options and self._make is None:
            raise RegistryError(f"{self.kind}: register() takes no options ({', '.join(options)})")

        def deco(fn):
            for t in op_types:
                entry = self._make(t, fn, **options) if self._make else fn
                self.add(t, entry, f"{fn.__module__}.{getattr(fn, '__name__', fn)}")
            return fn

        return deco

    def add(self, op_type: str, entry, origin: str) -> None:
        with self._lock:
            if op_type in self._entries:
                raise RegistryError(f"{self.kind} for {op_type} registered twice: {self._origin[op_type]} and {origin}")
            self._entries[op_type] = entry
            self._origin[op_type] = origin

    # ----- lookup (each loads the families first)
    def get(self, op_type: str, default=None):
        self.load()
        return self._entries.get(op_type, default)

    def __contains__(self, op_type) -> bool:
        self.load()
        return op_type in self._entries

    def __iter__(self) -> Iterator[str]:
        self.load()
        return iter(sorted(self._entries))

    def __len__(self) -> int:
        self.load()
        return len(self._entries)

    def types(self) -> frozenset:
        """Every op type registered (loads all families)."""
        self.load()
        return frozenset(self._entries)

    def own_types(self) -> frozenset:
        """The op types registered by the package's own modules (not by a test or
        plugin that registered into the table at run time)."""
        self.load()
        prefix = self.package + "."
        return frozenset(t for t, o in self._origin.items() if o.startswith(prefix))

    def origin(self, op_type: str) -> str | None:
        """`module.function` that registered `op_type`."""
        self.load()
        return self._origin.get(op_type)

    def family(self, op_type: str) -> str | None:
        """The family module (last dotted part) that registered `op_type`."""
        o = self.origin(op_type)
        if o is None:
            return None
        mod = o.rsplit(".", 1)[0]
        prefix = self.package + "."
        return mod[len(prefix):].split(".")[0] if mod.startswith(prefix) else mod

    # ----- discovery
    def family_modules(self) -> list[str]:
        """The public modules of the package, sorted: the families the scan imports."""
        pkg = importlib.import_module(self.package)
        return sorted(m.name for m in pkgutil.iter_modules(pkg.__path__) if not m.name.startswith("_"))

    def load(self) -> None:
        """Import every family module once. Thread-safe: a second thread waits until
        the table is complete instead of seeing a half-filled one."""
        if self._loaded:
            return
        with self._lock:
            if self._loaded:
                return
            for name in self.family_modules():
                importlib.import_module(f"{self.package}.{name}")
            self._loaded = True
