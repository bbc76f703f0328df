"""Work around PySide6 6.12.0's `None` reference leak on Python < 3.12.

PySide6 6.12.0 wrappers return `None` from void methods without taking a
reference (fine on 3.12+, where None is immortal). On Python 3.11 every call
such as `item.setPos()` decrements None's count, and after a few thousand
calls the interpreter aborts with "none_dealloc: deallocating None". Giving
None a huge reference count makes it effectively immortal, as it is on 3.12.
The real fix is pinning `PySide6-Essentials!=6.12.0` (6.11.3 is unaffected).
"""

from __future__ import annotations

import ctypes
import sys

_BOOST = 1 << 40


def make_none_immortal() -> None:
    if sys.version_info >= (3, 12):
        return
    ref = ctypes.c_ssize_t.from_address(id(None))  # ob_refcnt is PyObject's first field
    if ref.value < _BOOST:
        ref.value += _BOOST
