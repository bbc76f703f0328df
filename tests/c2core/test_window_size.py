"""Caffe2's ComputeSizeAndPad (c2core/window_size.py), one case per legacy_pad mode,
worked out by hand from conv_pool_op_base.h; exact integers."""

import pytest

from c2core.window_size import size_and_pad


@pytest.mark.parametrize("args,want", [
    # in, kernel, stride, dilation, head, tail, legacy -> (out, head, tail)
    ((7, 3, 2, 2, 1, 2, 0), (3, 1, 2)),   # NOTSET: dilated kernel 5, (7+3-5)//2+1
    ((7, 3, 1, 1, 5, 5, 1), (5, 0, 0)),   # VALID drops the given pads
    ((7, 3, 2, 1, 0, 0, 2), (4, 1, 1)),   # SAME: ceil(7/2)=4, needs 2, split evenly
    ((8, 3, 2, 1, 0, 0, 2), (4, 0, 1)),   # SAME: needs 1, the odd pad goes to the tail
    ((5, 1, 3, 1, 0, 0, 2), (2, 0, 0)),   # SAME with kernel < stride: pad not below zero
    ((6, 3, 2, 1, 0, 0, 3), (3, 0, 2)),   # legacy pooling: ceil mode adds a window, tail grows
    ((5, 2, 2, 1, 1, 0, 3), (3, 1, 1)),   # legacy pooling: a last window starting in the padding is dropped
])
def test_each_mode(args, want):
    assert size_and_pad(*args) == want


@pytest.mark.parametrize("args,msg", [
    ((2, 5, 1, 1, 0, 0, 0), "window 5 is larger than the input 2"),
    ((2, 5, 1, 1, 1, 1, 0), "larger than the padded input 4"),
    ((2, 3, 1, 2, 0, 0, 1), "window 5 is larger"),
    ((4, 3, 0, 1, 0, 0, 0), "must be positive"),
    ((4, 3, 1, 1, 0, 0, 7), "unknown legacy_pad 7"),
])
def test_refusals(args, msg):
    with pytest.raises(ValueError, match=msg):
        size_and_pad(*args)
