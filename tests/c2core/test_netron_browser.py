"""A real browser (headless Debian Chromium via Playwright) sees the Caffe2 graph in Netron.

Never lets Playwright download a browser: it uses /usr/bin/chromium or skips.
A fresh profile first shows Netron's cookie consent page: click "Accept", then
wait for the graph's `g.node` elements.
"""

import os

import numpy as np
import pytest

from c2core.builder import NetBuilder, model_from
from c2core.io.save import save_model
from c2core.netron_server import NetronServer

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} missing (apt-get install -y chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("Python playwright is not installed")
    os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield b
        b.close()


def _model(folder):
    """data -> Conv -> Relu -> MaxPool -> FC -> Softmax, saved with names Netron does not pair itself."""
    nb = NetBuilder("browser_net").inputs("data", "conv_w", "conv_b", "fc_w", "fc_b").outputs("prob")
    nb.op("Conv", ["data", "conv_w", "conv_b"], "conv", kernel=3)
    nb.op("Relu", "conv", "relu")
    nb.op("MaxPool", "relu", "pool", kernel=2, stride=2)
    nb.op("FC", ["pool", "fc_w", "fc_b"], "fc")
    nb.op("Softmax", "fc", "prob")
    w = {"conv_w": np.zeros((16, 3, 3, 3), np.float32), "conv_b": np.zeros(16, np.float32),
         "fc_w": np.zeros((10, 16 * 3 * 3), np.float32), "fc_b": np.zeros(10, np.float32)}
    save_model(model_from(nb.net, w), str(folder), predict_name="browser_net", init_name="browser_weights")
    return 5


def test_netron_page_shows_the_caffe2_graph_with_weights(tmp_path, browser):
    n_ops = _model(tmp_path)
    with NetronServer(str(tmp_path)) as srv:
        page = browser.new_page()
        try:
            page.goto(srv.url, wait_until="domcontentloaded", timeout=30000)
            accept = page.get_by_role("button", name="Accept")
            try:
                accept.click(timeout=10000)  # cookie consent of a fresh profile
            except Exception:
                pass  # no consent page this time
            page.wait_for_selector("g.node", timeout=30000)
            count = page.locator("g.node").count()
            html = page.content()  # Netron disables window.eval, so read the DOM as HTML
        finally:
            page.close()
    # one node per op, plus the graph's input/output nodes
    assert count >= n_ops, count
    for op in ("Conv", "Relu", "MaxPool", "FC", "Softmax"):
        assert f">{op}<" in html, op
    # The weights' shapes appear only when Netron paired the init net: 16x3x3x3 for the conv kernel.
    assert "16×3×3×3" in html
