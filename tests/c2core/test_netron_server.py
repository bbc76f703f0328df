"""Netron server API and CLI: pairing, staging, URL, stop, Ctrl-C (no browser here)."""

import os
import signal
import subprocess
import sys
import urllib.request

import numpy as np
import pytest

from c2core.builder import NetBuilder, model_from
from c2core.errors import C2Error
from c2core.io.save import save_model
from c2core.netron_server import NetronServer, _netron_would_pair


def small_pair(folder, predict_name="predict_net", init_name="init_net"):
    nb = NetBuilder("tiny").inputs("data", "conv_w", "conv_b").outputs("y")
    nb.op("Conv", ["data", "conv_w", "conv_b"], "c", kernel=3)
    nb.op("Relu", "c", "y")
    w = {"conv_w": np.zeros((4, 3, 3, 3), np.float32), "conv_b": np.zeros(4, np.float32)}
    return save_model(model_from(nb.net, w), str(folder), predict_name=predict_name, init_name=init_name)


def _get(url):
    with urllib.request.urlopen(url, timeout=5) as r:
        return r.status, r.read()


def test_netron_name_rule():
    assert _netron_would_pair("/m/predict_net.pb", "/m/init_net.pb")
    assert _netron_would_pair("/m/squeeze_predict_net.pb", "/m/squeeze_init_net.pb")
    assert _netron_would_pair("/m/model.pb", "/m/model_init.pb")
    assert not _netron_would_pair("/m/model.pb", "/m/weights.pb")
    assert not _netron_would_pair("/m/predict_net.pb", "/other/init_net.pb")


def test_serves_standard_pair_in_place_and_stops(tmp_path):
    predict, init = small_pair(tmp_path)
    with NetronServer(str(tmp_path)) as srv:
        assert srv.served_file == predict and srv.running
        status, page = _get(srv.url + "/")
        assert status == 200 and b'content="/data/predict_net.pb"' in page
        assert _get(srv.url + "/data/init_net.pb")[1] == open(init, "rb").read()
        port = srv.port
    assert not srv.running
    with pytest.raises(OSError):
        _get(f"http://localhost:{port}/")


def test_odd_names_are_staged_under_netron_names(tmp_path):
    predict, init = small_pair(tmp_path, "graph", "weights")
    srv = NetronServer(str(tmp_path)).start()  # the folder: c2core pairs the two by content
    try:
        staging = os.path.dirname(srv.served_file)
        assert os.path.basename(srv.served_file) == "predict_net.pb"
        assert _get(srv.url + "/data/init_net.pb")[1] == open(init, "rb").read()
    finally:
        srv.stop()
    assert not os.path.exists(staging)


def test_errors(tmp_path):
    with pytest.raises(C2Error, match="no such file"):
        NetronServer(str(tmp_path / "missing.pb")).start()
    (tmp_path / "m.xml").write_text("<net/>")
    with pytest.raises(C2Error, match="without its .bin"):
        NetronServer(str(tmp_path / "m.xml")).start()


def test_cli_prints_url_and_stops_on_ctrl_c(tmp_path):
    small_pair(tmp_path)
    proc = subprocess.Popen([sys.executable, "-m", "c2core.cli.main", "netron", str(tmp_path)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        url = proc.stdout.readline().strip()
        assert url.startswith("http://localhost:")
        assert _get(url + "/")[0] == 200
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=10) == 0
        assert "stopped" in proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
