"""The executor's op types listed from source (c2core.ops._listing) equal the imported
registry's, and listing them, or asking which ops a net lacks, does not import torch."""

import json
import subprocess
import sys
import textwrap

from c2core.ops._listing import scan
from c2core.ops.registry import supported_op_types


def test_source_listing_equals_the_registry():
    types, unresolved = scan()
    assert unresolved == []  # every register(...) argument was followed, no fallback needed
    assert types == supported_op_types()
    # every way kernels register: literal, register(...)(fn), factories, loops, f-strings, imported constants
    assert {"Relu", "Conv3D", "ConvTranspose", "Exp", "EQ", "Xor", "ReduceBackMean", "GivenTensorFill"} <= types


def test_listing_follows_factories_loops_and_reports_what_it_cannot(tmp_path):
    (tmp_path / "fake.py").write_text(textwrap.dedent('''
        from .registry import register

        @register("A", "B")
        def a(ctx, x):
            return x

        def _make(name, fn):
            def kernel(ctx, x):
                return fn(x)
            register(name)(kernel)

        _make("C", abs)
        for _p, _f in (("D", abs), ("E", abs)):
            _make(f"{_p}1", _f)
        register(*("F", "G"))(a)
        register(some_runtime_value())(a)
    '''))
    types, unresolved = scan(str(tmp_path))
    assert types == {"A", "B", "C", "D1", "E1", "F", "G"}
    assert unresolved == ["c2core.ops.fake:17"]


def test_listing_and_unsupported_ops_do_not_import_torch():
    code = textwrap.dedent('''
        import json, sys
        from c2core.builder import NetBuilder
        from c2core.ops.registry import listed_op_types
        from c2core.runtime import unsupported_ops
        b = NetBuilder("n")
        b.op("Relu", "x", "y")
        b.op("NoSuchOp", "y", "z")
        print(json.dumps([len(listed_op_types()), unsupported_ops(b.net), "torch" in sys.modules]))
    ''')
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True).stdout
    n, missing, torch_loaded = json.loads(out)
    assert n == len(supported_op_types())
    assert missing == ["NoSuchOp"]
    assert torch_loaded is False
