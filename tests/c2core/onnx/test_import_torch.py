"""Small CNNs written in torch, exported by torch.onnx.export at opsets 9, 13 and 17,
imported as Caffe2 and run by the executor: outputs match ONNX Runtime on the same
ONNX file within rtol 1e-4, atol 1e-5."""

import io
import warnings

import numpy as np
import pytest

from tests.c2core.onnx.import_helpers import ATOL, RTOL, c2_run, ort_run

torch = pytest.importorskip("torch")
nn, F = torch.nn, torch.nn.functional


class Classic(nn.Module):
    """Conv-BN-ReLU, ceil-mode max pool, depthwise conv + ReLU6, residual, avg pool,
    nearest upsampling, concat, view(n, -1), Linear, dropout, softmax."""

    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(3, 8, 3, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(8)
        self.dw = nn.Conv2d(8, 8, 3, padding=1, groups=8)
        self.pw = nn.Conv2d(16, 4, 1)
        self.fc = nn.Linear(4 * 4 * 4, 10)
        self.drop = nn.Dropout(0.5)

    def forward(self, x):
        y = F.relu(self.bn(self.c1(x)))
        y = F.max_pool2d(y, 3, 2, ceil_mode=True)  # 16 -> 8 (ceil) vs 7 (floor)
        z = F.relu6(self.dw(y)) + y
        z = F.avg_pool2d(z, 2)  # 8 -> 4
        u = F.interpolate(F.avg_pool2d(z, 2), scale_factor=2, mode="nearest")
        z = self.pw(torch.cat([z, u], 1))
        z = z.view(z.size(0), -1)
        return torch.softmax(self.fc(self.drop(z)), dim=1)


class Mobile(nn.Module):
    """LeakyReLU, squeeze-excite gate (mean over H,W, sigmoid, mul), asymmetric F.pad before a
    strided conv, 1x1 conv, global pooling, flatten, Linear with scalar arithmetic."""

    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(3, 12, 3, stride=2)
        self.se1 = nn.Conv2d(12, 4, 1)
        self.se2 = nn.Conv2d(4, 12, 1)
        self.c2 = nn.Conv2d(12, 6, 1)
        self.fc = nn.Linear(6, 5)

    def forward(self, x):
        x = F.pad(x, [0, 1, 0, 1])
        y = F.leaky_relu(self.c1(x), 0.1)
        g = torch.sigmoid(self.se2(F.relu(self.se1(y.mean((2, 3), keepdim=True)))))
        y = self.c2(y * g)
        y = F.adaptive_avg_pool2d(y, 1).flatten(1)
        return self.fc(y) * 0.5 - 1.0


class Layout(nn.Module):
    """Channel shuffle (reshape/transpose), channel slicing, bilinear align_corners upsampling,
    softmax over channels of a 4-D tensor (per axis from opset 13)."""

    def __init__(self):
        super().__init__()
        self.c = nn.Conv2d(4, 8, 3, padding=1)

    def forward(self, x):
        y = self.c(x)
        n, c, h, w = y.shape
        y = y.view(n, 2, c // 2, h, w).transpose(1, 2).reshape(n, c, h, w)
        a, b = y[:, :4], y[:, 4:]
        b = F.interpolate(b, scale_factor=2, mode="bilinear", align_corners=True)
        a = F.interpolate(a, scale_factor=2, mode="nearest")
        return torch.softmax(a + b, dim=1)


def export(module, shape, opset):
    torch.manual_seed(0)
    module.eval()
    for m in module.modules():  # non-trivial BN statistics
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 2.0)
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(module, (torch.zeros(shape),), buf, opset_version=opset, dynamo=False,
                          input_names=["data"], output_names=["out"])
    import onnx

    return onnx.load_from_string(buf.getvalue())


CASES = [(Classic, (2, 3, 16, 16), 9), (Classic, (2, 3, 16, 16), 13), (Classic, (2, 3, 16, 16), 17),
         (Mobile, (1, 3, 16, 16), 9), (Mobile, (1, 3, 16, 16), 13), (Mobile, (1, 3, 16, 16), 17),
         (Layout, (1, 4, 6, 6), 11), (Layout, (1, 4, 6, 6), 13), (Layout, (1, 4, 6, 6), 17)]


@pytest.mark.parametrize("net,shape,opset", CASES, ids=[f"{c[0].__name__}-opset{c[2]}" for c in CASES])
def test_torch_export_runs_like_onnxruntime(net, shape, opset):
    from c2core.onnx.importer import import_onnx

    torch.manual_seed(1)
    module = net()
    model = export(module, shape, opset)
    x = np.random.default_rng(opset).standard_normal(shape).astype(np.float32)
    c2 = import_onnx(model)
    assert c2.data_inputs == ["data"] and c2.external_outputs == ["out"]
    ref = ort_run(model, {"data": x})["out"]
    got = c2_run(c2, {"data": x})["out"]
    assert got.shape == ref.shape
    np.testing.assert_allclose(got, ref, rtol=RTOL, atol=ATOL)
    with torch.no_grad():  # and the source network itself
        np.testing.assert_allclose(got, module(torch.from_numpy(x)).numpy(), rtol=RTOL, atol=ATOL)


def test_dynamic_batch_needs_and_accepts_fixed_input_shape():
    """x.view(x.size(0), -1) with a symbolic batch is a run-time shape: refused, listed, then
    imported once the batch is fixed."""
    from c2core.errors import UnsupportedOpsError
    from c2core.onnx.importer import import_onnx

    torch.manual_seed(1)
    module = Classic().eval()
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(module, (torch.zeros(2, 3, 16, 16),), buf, opset_version=13, dynamo=False,
                          input_names=["data"], output_names=["out"], dynamic_axes={"data": {0: "n"}, "out": {0: "n"}})
    import onnx

    model = onnx.load_from_string(buf.getvalue())
    with pytest.raises(UnsupportedOpsError, match="Reshape to a computed shape"):
        import_onnx(model)
    c2 = import_onnx(model, input_shapes={"data": [3, 3, 16, 16]})
    assert c2.value_info["data"][1] == [3, 3, 16, 16]
    x = np.random.default_rng(0).standard_normal((3, 3, 16, 16)).astype(np.float32)
    np.testing.assert_allclose(c2_run(c2, {"data": x})["out"], ort_run(model, {"data": x})["out"], rtol=RTOL, atol=ATOL)
