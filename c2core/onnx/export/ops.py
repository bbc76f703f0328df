"""Import every op family so that each registers its exporters."""

from . import activation, control, conv, detection, elementwise, int8, norm, pool, softmax, tensor  # noqa: F401
