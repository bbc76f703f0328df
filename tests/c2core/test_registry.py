"""c2core.registry.Registry: duplicate refusal with one error type, discovery of
family modules by package scan (a new module needs no list), and the four op
tables all being Registries."""

import sys
import textwrap

import pytest

from c2core.registry import Registry, RegistryError


def _package(tmp_path, name, modules: dict):
    pkg = tmp_path / name
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    for mod, src in modules.items():
        (pkg / f"{mod}.py").write_text(textwrap.dedent(src))
    return pkg


def test_scan_imports_every_public_family_module_and_skips_helpers(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(tmp_path))
    _package(tmp_path, "fam_pkg", {
        "table": "from c2core.registry import Registry\nT = Registry('thing', 'fam_pkg')\n",
        "alpha": "from .table import T\n@T.register('A', 'A2')\ndef a(): return 'a'\n",
        "beta": "from .table import T\n@T.register('B')\ndef b(): return 'b'\n",
        "_helper": "raise RuntimeError('helpers are not imported by the scan')\n",
    })
    from fam_pkg.table import T  # noqa: E402

    try:
        assert T.types() == {"A", "A2", "B"}
        assert T.get("B")() == "b"
        assert T.get("missing") is None
        assert T.family("A2") == "alpha"
        assert T.origin("B") == "fam_pkg.beta.b"
    finally:
        for m in [m for m in sys.modules if m.startswith("fam_pkg")]:
            del sys.modules[m]


def test_duplicate_registration_is_refused_naming_both_places():
    r = Registry("kernel", "c2core.ops")

    @r.register("X")
    def first():
        pass

    with pytest.raises(RegistryError, match=r"kernel for X registered twice: .*first and .*second"):
        @r.register("X")
        def second():
            pass


def test_options_need_a_maker():
    r = Registry("rule", "c2core.shapes")
    with pytest.raises(RegistryError, match="takes no options"):
        r.register("X", view=True)
    made = Registry("kernel", "c2core.ops", make=lambda t, fn, view=False: (t, fn, view))
    made.register("Y", view=True)(len)
    made._loaded = True  # no scan for this throwaway table
    assert made.get("Y") == ("Y", len, True)


def test_the_four_op_tables_are_registries():
    from c2core.onnx.export.registry import EXPORTERS
    from c2core.onnx.importer.registry import CONVERTERS
    from c2core.ops.registry import KERNELS
    from c2core.shapes.registry import RULES

    for table in (KERNELS, RULES, EXPORTERS, CONVERTERS):
        assert isinstance(table, Registry)
        assert len(table) > 20


def test_own_types_leave_out_run_time_registrations():
    from c2core.ops.registry import KERNELS, register

    if KERNELS.get("TestOwnTypesProbe") is None:
        register("TestOwnTypesProbe")(lambda ctx, x: x)
    assert "TestOwnTypesProbe" in KERNELS.types()
    assert "TestOwnTypesProbe" not in KERNELS.own_types()
    assert "Relu" in KERNELS.own_types()
