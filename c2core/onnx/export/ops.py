"""Import every op family so that each registers its exporters."""

from . import (  # noqa: F401
    activation, control, conv, detection, elementwise, fill, int8, matmul, norm, pool, reduce, softmax, tensor,
)
