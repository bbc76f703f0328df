"""How torch's OpenMP worker threads wait between parallel regions.

The executor runs one parallel region per convolution (about 50 per image
for an EfficientNet). By default libgomp's idle workers spin for a while
after each region. On a machine whose cores are shared with other processes
(a 2-core CI box, a desktop with the GUI busy), a spinning worker takes the
core the executor's own main thread needs, and a region stalls until the
scheduler hands a worker back: EfficientNet-Lite0 on 2 threads took 57-85
ms per image instead of 13-25 ms with passive waiting (same load, same
run). ONNX Runtime's equivalent knob is `session.intra_op.allow_spinning`.

It is NOT the default anywhere in the product: on a quiet machine (the usual
desktop) passive waiting made EfficientNet-Lite0 on 2 threads 11-13 ms per
image instead of 8 ms with libgomp's default short spin, measured each alone
in its own process. The benchmarks apply it only with `C2_OMP_PASSIVE=1`,
for runs on loaded shared machines.

libgomp reads its policy once, when torch is first imported, so
`prefer_passive_openmp()` must run before that; it only fills in
`OMP_WAIT_POLICY` when the user has set neither it nor `GOMP_SPINCOUNT`, and
reports whether the setting can still take effect.
"""

from __future__ import annotations

import os
import sys


def prefer_passive_openmp() -> bool:
    """Default torch's OpenMP workers to sleeping when idle (not spinning).

    Returns True when the policy will apply (torch not imported yet and the
    environment left it open), False otherwise. Never overrides the user.
    """
    if "OMP_WAIT_POLICY" in os.environ or "GOMP_SPINCOUNT" in os.environ:
        return False
    if "torch" in sys.modules:
        return False
    os.environ["OMP_WAIT_POLICY"] = "PASSIVE"
    return True
