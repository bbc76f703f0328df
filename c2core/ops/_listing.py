"""The executor's op types read from the kernel modules' source, without importing them.

Importing c2core/ops imports torch (seconds on a cold start); the model panel and
the backend-support checks only need the list of op types. This module parses
every kernel module with `ast` and collects the type names given to `register`:

- literal strings: `@register("Relu")`, `register("Conv", "Conv1D")(_conv)`;
- a factory's parameter: `def _unary(name, fn): ... register(name)(kernel)` with
  module-level calls `_unary("Exp", torch.exp)`, also inside module-level `for`
  loops over literal tuples and with f-strings (`f"Reduce{_side}Sum"`);
- expressions over constants imported from torch-free core modules
  (`*sorted(t for t in FILL_OPS if ...)`, FILL_OPS from c2core.fills).

A `register` argument it cannot resolve is reported in `unresolved`, and
`static_op_types()` then falls back to importing the registry, so the answer is
always right; tests/c2core/ops/test_listing.py checks that the scan equals the
imported registry and needs no fallback.
"""

from __future__ import annotations

import ast
import functools
import importlib
import os

_UNKNOWN = object()
_BUILTINS = {"sorted": sorted, "tuple": tuple, "list": list, "set": set, "str": str, "frozenset": frozenset}


class _Scan:
    def __init__(self, module: str, tree: ast.Module):
        self.module = module
        self.tree = tree
        self.types: set[str] = set()
        self.unresolved: list[str] = []
        self.env: dict = {}
        self.imports: dict[str, tuple[str, str]] = {}  # local name -> (module, attribute)
        self.factories: dict[str, list[str]] = {}  # function -> its parameters that reach register
        self.functions: dict[str, ast.FunctionDef] = {}

    # ----- values -------------------------------------------------------------------
    def lookup(self, name: str):
        if name in self.env:
            return self.env[name]
        if name in self.imports:
            mod, attr = self.imports[name]
            try:
                self.env[name] = getattr(importlib.import_module(mod), attr)
            except (ImportError, AttributeError):
                self.env[name] = _UNKNOWN
            return self.env[name]
        return _BUILTINS.get(name, _UNKNOWN)

    def value(self, node, env: dict | None = None):
        """The value of expression `node` where it can be known without torch, else _UNKNOWN."""
        local = dict(env or {})
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, (ast.Tuple, ast.List)):
            return tuple(self.value(e, local) for e in node.elts)
        if isinstance(node, ast.Name):
            return local[node.id] if node.id in local else self.lookup(node.id)
        if isinstance(node, ast.JoinedStr):
            parts = []
            for v in node.values:
                x = v.value if isinstance(v, ast.Constant) else self.value(v.value, local)
                if not isinstance(x, (str, int)):
                    return _UNKNOWN
                parts.append(str(x))
            return "".join(parts)
        # anything else (a call, a generator): evaluate it when every name it reads is known
        names = {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
        bound = {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
        scope = {}
        for n in names - bound:
            v = local[n] if n in local else self.lookup(n)
            if v is _UNKNOWN:
                return _UNKNOWN
            scope[n] = v
        try:
            return eval(compile(ast.Expression(node), self.module, "eval"), {"__builtins__": _BUILTINS, **scope})
        except Exception:
            return _UNKNOWN

    # ----- registrations ------------------------------------------------------------
    def add(self, args, env: dict, where: int) -> None:
        for a in args:
            if isinstance(a, ast.Starred):
                v = self.value(a.value, env)
                vals = list(v) if v is not _UNKNOWN and not isinstance(v, str) else [_UNKNOWN]
            else:
                vals = [self.value(a, env)]
            for v in vals:
                if isinstance(v, str):
                    self.types.add(v)
                else:
                    self.unresolved.append(f"{self.module}:{where}")

    def run(self) -> None:
        for stmt in self.tree.body:
            self.statement(stmt, {})

    def statement(self, stmt, env: dict) -> None:
        if isinstance(stmt, ast.ImportFrom) and stmt.level and stmt.module is not None:
            base = self.module.rsplit(".", stmt.level)[0]
            target = f"{base}.{stmt.module}"
            if not target.startswith("c2core.ops"):  # kernel modules import torch
                for alias in stmt.names:
                    self.imports[alias.asname or alias.name] = (target, alias.name)
        elif isinstance(stmt, ast.FunctionDef):
            self.function(stmt, env)
        elif isinstance(stmt, ast.Assign):
            v = self.value(stmt.value, env)
            for t in stmt.targets:
                if isinstance(t, ast.Name):
                    self.env[t.id] = v
        elif isinstance(stmt, ast.For):
            items = self.value(stmt.iter, env)
            if items is _UNKNOWN or isinstance(items, str):
                self.calls_in(stmt, env, resolvable=False)
                return
            for item in items:
                inner = dict(env)
                self.bind(stmt.target, item, inner)
                for s in stmt.body:
                    self.statement(s, inner)
        elif isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
            self.call(stmt.value, env)
        elif isinstance(stmt, (ast.If, ast.With, ast.Try)):
            self.calls_in(stmt, env, resolvable=True)

    def calls_in(self, stmt, env, resolvable: bool) -> None:
        for node in ast.walk(stmt):
            if isinstance(node, ast.Call):
                if resolvable:
                    self.call(node, env)
                elif self.registers(node) or self.factory_of(node):
                    self.unresolved.append(f"{self.module}:{node.lineno}")

    def bind(self, target, value, env: dict) -> None:
        if isinstance(target, ast.Name):
            env[target.id] = value
        elif isinstance(target, (ast.Tuple, ast.List)) and isinstance(value, tuple) and len(value) == len(target.elts):
            for t, v in zip(target.elts, value):
                self.bind(t, v, env)

    @staticmethod
    def registers(call) -> bool:
        f = call.func
        return isinstance(f, ast.Name) and f.id == "register" or isinstance(f, ast.Attribute) and f.attr == "register"

    def factory_of(self, call):
        return self.factories.get(call.func.id) if isinstance(call.func, ast.Name) else None

    def call(self, call, env: dict) -> None:
        if isinstance(call.func, ast.Call) and self.registers(call.func):  # register(...)(fn)
            self.add(call.func.args, env, call.lineno)
        elif self.registers(call):
            self.add(call.args, env, call.lineno)
        elif (params := self.factory_of(call)) is not None:
            fn = self.functions[call.func.id]
            names = [a.arg for a in fn.args.args]
            bound = {}
            for i, a in enumerate(call.args):
                if i < len(names):
                    bound[names[i]] = self.value(a, env)
            for kw in call.keywords:
                if kw.arg:
                    bound[kw.arg] = self.value(kw.value, env)
            for p in params:
                v = bound.get(p, _UNKNOWN)
                if isinstance(v, str):
                    self.types.add(v)
                else:
                    self.unresolved.append(f"{self.module}:{call.lineno}")

    def function(self, fn: ast.FunctionDef, env: dict) -> None:
        self.functions[fn.name] = fn
        for d in fn.decorator_list:
            if isinstance(d, ast.Call) and self.registers(d):
                self.add(d.args, env, d.lineno)
        params = {a.arg for a in fn.args.args}
        forwarded = []
        for node in ast.walk(fn):
            if node is fn or not isinstance(node, ast.Call) or not self.registers(node):
                continue
            if node in fn.decorator_list:
                continue
            for a in node.args:
                if isinstance(a, ast.Name) and a.id in params:
                    forwarded.append(a.id)
                elif isinstance(a, ast.Constant) and isinstance(a.value, str):
                    self.types.add(a.value)
                else:
                    self.unresolved.append(f"{self.module}:{node.lineno}")
        if forwarded:
            self.factories[fn.name] = forwarded


def scan(folder: str | None = None) -> tuple[frozenset, list[str]]:
    """(op types registered by the kernel modules in `folder`, places it could not resolve)."""
    folder = folder or os.path.dirname(os.path.abspath(__file__))
    types: set[str] = set()
    unresolved: list[str] = []
    for name in sorted(os.listdir(folder)):
        if not name.endswith(".py") or name.startswith("_") or name == "registry.py":
            continue
        with open(os.path.join(folder, name), encoding="utf-8") as f:
            tree = ast.parse(f.read(), name)
        s = _Scan(f"c2core.ops.{name[:-3]}", tree)
        s.run()
        types |= s.types
        unresolved += s.unresolved
    return frozenset(types), unresolved


@functools.lru_cache(maxsize=1)
def static_op_types() -> frozenset:
    """The executor's op types, read from source without importing torch (cached)."""
    types, unresolved = scan()
    if unresolved:  # a registration this reader does not follow: ask the registry itself
        from .registry import supported_op_types

        return supported_op_types()
    return types
