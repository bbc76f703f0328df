"""Sub-nets: an If's then_net opens in a drill-in view with breadcrumbs; a node inside is
selected, found and inspected; blobs from the outer net link back to it."""

from __future__ import annotations

from app_models import write_control_net
from app_testing import open_and_wait


def test_if_subnet_opens_inspects_finds_and_links_back(qtbot, window, tmp_path):
    path = write_control_net(tmp_path)
    open_and_wait(qtbot, window, path)
    assert not window.breadcrumbs.isVisible()
    # the If op lists its sub-nets as links in the inspector
    assert window.canvas.select_op(1)
    assert "then_net" in window.inspector.text() and "else_net" in window.inspector.text()
    with qtbot.waitSignal(window.canvas.drawn, timeout=30000):
        window.inspector._link("subnet:1:then_net:0")  # what clicking the link does
    qtbot.waitUntil(lambda: window.canvas.is_final, timeout=30000)
    assert window.breadcrumbs.isVisible()
    assert window.breadcrumbs.titles == ["control", "op #1 If · then_net"]
    ops = sorted(n.title for n in window.canvas.drawing.nodes if n.kind == "op")
    assert ops == ["Relu + Sigmoid"]  # the then_net's Relu and in-place Sigmoid, one chain
    # select a node inside and inspect it
    nid = window.canvas.drawing.node_of_op[1]
    assert window.canvas.select_node(nid)
    text = window.inspector.text()
    assert "Sigmoid" in text and "op #1" in text
    # find works inside the sub-net
    assert window.canvas.find("sigmoid") == 1
    # x comes from the outer net: it is an input here, and the inspector links back
    assert any(n.kind == "input" and n.blob == "x" for n in window.canvas.drawing.nodes)
    window.inspector.show_blob("x", 0)
    assert "from the outer net" in window.inspector.text()
    with qtbot.waitSignal(window.canvas.drawn, timeout=30000):
        window.inspector._link("outer:x")
    assert window.breadcrumbs.titles == ["control"] and not window.breadcrumbs.isVisible()
    qtbot.waitUntil(lambda: window.inspector.text().startswith("x"), timeout=10000)
    assert "op #0 Relu" in window.inspector.text()  # its producer in the outer net
    qtbot.waitUntil(lambda: window.canvas.is_final, timeout=30000)


def test_nested_subnet_by_double_click_and_breadcrumb_back(qtbot, window, tmp_path):
    path = write_control_net(tmp_path)
    window.act_collapse.setChecked(False)  # the While rewrites the If's y in place: one box otherwise
    open_and_wait(qtbot, window, path)
    node = window.canvas.node_items[window.canvas.drawing.node_of_op[2]].node  # the While
    with qtbot.waitSignal(window.canvas.drawn, timeout=30000):
        window.canvas.node_activated.emit(node)  # a double-click on it
    assert window.breadcrumbs.titles[-1] == "op #2 While · loop_net"
    qtbot.waitUntil(lambda: window.canvas.is_final, timeout=30000)
    with qtbot.waitSignal(window.canvas.drawn, timeout=30000):
        assert window.open_subnet(1, "then_net")  # the If inside the loop
    assert len(window.breadcrumbs.titles) == 3
    with qtbot.waitSignal(window.canvas.drawn, timeout=30000):
        window.breadcrumbs.go.emit(0)
    assert window.breadcrumbs.titles == ["control"]
    assert len([n for n in window.canvas.drawing.nodes if n.kind == "op"]) == 3
    window.act_collapse.setChecked(True)
    qtbot.waitUntil(lambda: window.canvas.is_final, timeout=30000)


def test_recurrent_network_step_net_opens(qtbot, window, tmp_path):
    """RecurrentNetwork keeps its step net as text in a string argument: it opens like If's."""
    from google.protobuf import text_format

    from c2core.builder import NetBuilder
    from c2core.io.save import save_net

    sb = NetBuilder("step")
    sb.op("FC", ["input_t", "w", "b"], "gates")
    sb.op("Tanh", "gates", "hidden_t")
    b = NetBuilder("rnn")
    b.op("RecurrentNetwork", ["x", "w", "b"], "h", step_net=text_format.MessageToString(sb.net))
    b.inputs("x", "w", "b").outputs("h")
    save_net(b.net, str(tmp_path / "predict_net.pb"))
    open_and_wait(qtbot, window, str(tmp_path / "predict_net.pb"))
    window.canvas.select_op(0)
    assert "step_net" in window.inspector.text()
    with qtbot.waitSignal(window.canvas.drawn, timeout=30000):
        window.inspector._link("subnet:0:step_net:0")
    assert window.breadcrumbs.titles[-1] == "op #0 RecurrentNetwork · step_net"
    assert sorted(n.title for n in window.canvas.drawing.nodes if n.kind == "op") == ["FC", "Tanh"]
    window.canvas.select_op(1)
    assert "Tanh" in window.inspector.text()
    qtbot.waitUntil(lambda: window.canvas.is_final, timeout=30000)


def test_subnet_shapes_follow_the_outer_net(qtbot, window, tmp_path):
    """Inside an If's then_net the shapes come from what the outer net knows: the outer input x
    (1×3×8×8 from value_info, through a Relu) reaches Relu+Sigmoid inside with that shape."""
    path = write_control_net(tmp_path)
    (tmp_path / "value_info.json").write_text('{"data": [1, [1, 3, 8, 8]], "c": [9, [1]], "one": [1, [1]], '
                                               '"ten": [1, [1]]}')
    open_and_wait(qtbot, window, path)
    with qtbot.waitSignal(window.canvas.drawn, timeout=30000):
        window.open_subnet(1, "then_net")
    x = next(n for n in window.canvas.drawing.nodes if n.kind == "input" and n.blob == "x")
    assert x.lines == ["1×3×8×8"]
    window.canvas.select_op(1)
    lines = [ln.strip() for ln in window.inspector.text().splitlines()]
    assert "1×3×8×8" in lines  # the Sigmoid's output shape
    qtbot.waitUntil(lambda: window.canvas.is_final, timeout=30000)
