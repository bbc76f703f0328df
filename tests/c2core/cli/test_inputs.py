"""The shared parsers of `--input-shape` and `--input` (c2core/cli/inputs.py)."""

import pytest

from c2core.cli.inputs import parse_input_files, parse_input_shapes
from c2core.errors import C2Error


def test_shapes_named_unnamed_and_x_separated():
    got = parse_input_shapes(["data=1,3,8,8", "im_info=1x3"], ["data", "im_info"])
    assert got == {"data": (1, 3, 8, 8), "im_info": (1, 3)}
    assert parse_input_shapes(["2,3"], ["data", "other"]) == {"data": (2, 3)}  # the first data input
    assert parse_input_shapes(["rois=0,5"], None, allow_zero=True) == {"rois": (0, 5)}
    assert parse_input_shapes([], None) == {}


@pytest.mark.parametrize("items,data,msg", [
    (["1,3"], None, "expected NAME=D0,D1,... but got '1,3'"),
    (["=1,3"], ["data"], "expected NAME=D0,D1"),
    (["data=1,x,3"], ["data"], "must be integers"),
    (["data=1,,3"], ["data"], "must be integers"),
    (["data="], ["data"], "must be integers"),
    (["data=1,0"], ["data"], "must be positive"),
    (["data=1,-2"], ["data"], "must be positive"),
    (["data=1", "data=2"], ["data"], "'data' given twice"),
    (["1,3"], [], "no data input"),
])
def test_bad_shapes_name_the_option(items, data, msg):
    with pytest.raises(C2Error) as e:
        parse_input_shapes(items, data)
    assert e.value.path == "--input-shape" and msg in e.value.reason


def test_files_named_unnamed_and_with_equals_in_the_name(tmp_path):
    a, odd = tmp_path / "a.npy", tmp_path / "x=1.npy"
    a.write_bytes(b"")
    odd.write_bytes(b"")
    assert parse_input_files([f"im={a}"], ["data"]) == {"im": str(a)}
    assert parse_input_files([str(a)], ["data", "im"]) == {"data": str(a)}
    assert parse_input_files([str(odd)], ["data"]) == {"data": str(odd)}
    with pytest.raises(C2Error, match="given twice"):
        parse_input_files([str(a), f"data={a}"], ["data"])
    with pytest.raises(C2Error, match="no data input") as e:
        parse_input_files([str(a)], [])
    assert e.value.path == "--input"
    with pytest.raises(C2Error, match="no such file") as e:
        parse_input_files(["data=/no/such.npy"], ["data"])
    assert e.value.path == "/no/such.npy"
