"""c2core.io.publish: a multi-file result appears all at once, even when its writer is SIGKILLed.

Real writer processes are killed (a) at random moments while publishing
generation after generation and (b) deterministically before each rename of
the commit; after every kill a reader (through `settle`, as open_model and
ModelSource do) must find every file of one generation, never a mix.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from c2core.io import publish
from c2core.io.publish import JOURNAL_PREFIX, STAGE_PREFIX, Staging, settle, sweep

NAMES = ["model.xml", "model.bin", "a.json", "b.dat", "c.dat", "d.dat"]

WRITER = textwrap.dedent("""
    import os, signal, sys
    from c2core.io.publish import Staging
    folder, first, last, kill_at = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    names = {names!r}
    if kill_at:
        real, calls = os.replace, [0]
        def replace(a, b):
            calls[0] += 1
            if calls[0] == kill_at:
                os.kill(os.getpid(), signal.SIGKILL)
            return real(a, b)
        os.replace = replace
    for gen in range(first, last + 1):
        with Staging(folder) as st:
            moves = []
            for n in names:
                with open(st.path(n), "w") as f:
                    f.write(f"{{gen}}\\n" + "x" * 20000)
                moves.append((st.path(n), os.path.join(folder, n)))
            st.publish(moves)
        print(gen, flush=True)
""").format(names=NAMES)


def _generations(folder) -> set:
    gens = set()
    for n in NAMES:
        p = os.path.join(folder, n)
        gens.add(open(p).readline().strip() if os.path.exists(p) else None)
    return gens


def _writer(folder, first, last, kill_at=0):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    return subprocess.Popen([sys.executable, "-c", WRITER, str(folder), str(first), str(last), str(kill_at)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def test_sigkill_at_random_moments_never_shows_a_mix(tmp_path):
    rng = random.Random(12)
    gen = 0
    seen_mid_commit = 0
    for _ in range(12):
        p = _writer(tmp_path, gen + 1, gen + 10_000)
        first = p.stdout.readline()  # past interpreter start-up: publishing in a loop now
        assert first.strip(), p.stderr.read()
        time.sleep(rng.random() * 0.2)
        p.send_signal(signal.SIGKILL)
        out, _ = p.communicate(timeout=30)
        done = [int(x) for x in (first + out).split()]
        journals = [n for n in os.listdir(tmp_path) if n.startswith(JOURNAL_PREFIX) and n.endswith(".json")]
        seen_mid_commit += bool(journals)
        settle(str(tmp_path))
        gens = _generations(tmp_path)
        assert len(gens) == 1, f"mixed generations visible: {gens}"
        g = gens.pop()
        if done:  # the last completed publish or the one being committed
            assert g is not None and int(g) in (done[-1], done[-1] + 1)
            gen = int(g)
        assert not [n for n in os.listdir(tmp_path) if n.startswith(JOURNAL_PREFIX) and n.endswith(".json")]
    sweep(str(tmp_path))
    assert sorted(os.listdir(tmp_path)) == sorted(NAMES)  # stale staging folders of the dead writers swept


@pytest.mark.parametrize("kill_at", range(1, len(NAMES) + 2))
def test_sigkill_before_each_rename_of_the_commit(tmp_path, kill_at):
    """Generation 1 published; generation 2's writer dies before its kill_at-th rename
    (1 = the journal itself, the commit point; 2.. = the moves). A reader sees 1 or 2, whole."""
    assert _writer(tmp_path, 1, 1).wait(30) == 0
    assert _generations(tmp_path) == {"1"}
    p = _writer(tmp_path, 2, 2, kill_at)
    assert p.wait(30) == -signal.SIGKILL
    settle(str(tmp_path))
    assert _generations(tmp_path) == ({"1"} if kill_at == 1 else {"2"})
    sweep(str(tmp_path))
    assert sorted(os.listdir(tmp_path)) == sorted(NAMES)


def test_settle_waits_for_a_live_writer_then_gives_up(tmp_path):
    with Staging(str(tmp_path)) as st:
        journal = tmp_path / f"{JOURNAL_PREFIX}{st.token}.json"
        journal.write_text(json.dumps({"owner": publish._owner(), "moves": []}))
        t0 = time.monotonic()
        with pytest.raises(Exception, match="still publishing"):
            settle(str(tmp_path), wait=0.2)
        assert time.monotonic() - t0 >= 0.2
        journal.unlink()


def test_staging_lives_in_the_output_folder_and_only_dead_owners_are_swept(tmp_path):
    live = Staging(str(tmp_path))
    assert os.path.dirname(live.dir) == str(tmp_path) and os.path.basename(live.dir).startswith(STAGE_PREFIX)
    dead_pid = subprocess.Popen([sys.executable, "-c", "pass"])
    dead_pid.wait()
    stale = tmp_path / f"{STAGE_PREFIX}{dead_pid.pid}-deadbeef"
    stale.mkdir()
    (stale / publish.OWNER_FILE).write_text(json.dumps({"host": publish.socket.gethostname(), "pid": dead_pid.pid,
                                                         "start": "1"}))
    (stale / "half.bin").write_bytes(b"x")
    other = tmp_path / "user.txt"
    other.write_text("mine")
    gone = sweep(str(tmp_path))
    assert gone == [str(stale)] and os.path.isdir(live.dir) and other.read_text() == "mine"
    live.close()
    assert sorted(os.listdir(tmp_path)) == ["user.txt"]


def test_publish_can_drop_an_old_partner(tmp_path):
    (tmp_path / "m.onnx").write_bytes(b"old")
    (tmp_path / "m.onnx.data").write_bytes(b"old weights")
    with Staging(str(tmp_path)) as st:
        with open(st.path("m.onnx"), "wb") as f:
            f.write(b"new, weights inside")
        assert st.publish([(None, str(tmp_path / "m.onnx.data")), (st.path("m.onnx"), str(tmp_path / "m.onnx"))]) \
            == [str(tmp_path / "m.onnx")]
    assert sorted(os.listdir(tmp_path)) == ["m.onnx"] and (tmp_path / "m.onnx").read_bytes() == b"new, weights inside"


def test_atomic_writes_take_the_umask_without_changing_it(tmp_path, monkeypatch):
    from c2core.io.save import write_bytes

    mask = os.umask(0o027)
    os.umask(mask | 0o027)
    try:
        def no_umask(*a):
            raise AssertionError("os.umask changed process-wide state")

        monkeypatch.setattr(os, "umask", no_umask)
        write_bytes(str(tmp_path / "f.bin"), b"data")
        with Staging(str(tmp_path)) as st:
            with open(st.path("g.bin"), "wb") as f:
                f.write(b"g")
            st.publish([(st.path("g.bin"), str(tmp_path / "g.bin"))])
    finally:
        monkeypatch.undo()
        os.umask(mask)
    want = 0o666 & ~(mask | 0o027)
    assert (tmp_path / "f.bin").stat().st_mode & 0o777 == want
    assert (tmp_path / "g.bin").stat().st_mode & 0o777 == want


def test_a_planted_journal_cannot_move_or_remove_files_outside_its_folder(tmp_path):
    """A downloaded model folder holding a forged journal (dead owner) is opened safely:
    the journal's moves leave the folder or come from elsewhere, so nothing is done."""
    outside = tmp_path / "home"
    outside.mkdir()
    (outside / "precious.txt").write_text("keep")
    model = tmp_path / "model"
    model.mkdir()
    (model / "predict_net.pb").write_bytes(b"x")
    dead = {"host": publish.socket.gethostname(), "pid": 2**22 + 7, "start": "1"}
    forged = [
        {"owner": dead, "moves": [[str(outside / "precious.txt"), str(model / "stolen.txt")]]},
        {"owner": dead, "moves": [[None, str(outside / "precious.txt")]]},
        {"owner": dead, "moves": [[None, str(model / ".." / "home" / "precious.txt")]]},
        {"owner": dead, "moves": "not a list"},
        ["not", "an", "object"],
    ]
    for i, data in enumerate(forged):
        (model / f"{JOURNAL_PREFIX}{i}-bad.json").write_text(json.dumps(data))
    settle(str(model))
    assert (outside / "precious.txt").read_text() == "keep" and not (model / "stolen.txt").exists()
    from c2core.io import open_model

    with pytest.raises(Exception, match="not a|NetDef|parse"):  # the bytes are no net; the journals did nothing
        open_model(str(model / "predict_net.pb"))
    assert (outside / "precious.txt").read_text() == "keep"
