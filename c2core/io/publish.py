"""Publish a multi-file result all-or-nothing: no reader ever sees a new file beside an old partner.

A converted model is often several files that only make sense together: ONNX +
external data, OpenVINO .xml + .bin, a TensorRT plan + its sidecar, Caffe2
predict + init + value_info, a model.json beside them. Their names are fixed
by the formats (OpenVINO reads STEM.bin, Caffe2 folders hold predict_net.pb
and init_net.pb), so a versioned folder or content-hashed names would change
the contract. The scheme is a redo journal, as a database commits:

1. stage: every file is written into `OUT_DIR/.c2stage-<pid>-<random>/` (a
   folder in the output folder, so a rename is atomic; never a shared /tmp),
   then each file and the folder are fsync'd;
2. commit: a journal `OUT_DIR/.c2publish-<pid>-<random>.json` listing the
   moves (staged -> final, partners first, the root file last) is written to a
   temp name, fsync'd and renamed into place; OUT_DIR is fsync'd. From this
   instant the new result *is* published, whatever happens next;
3. the moves are done (os.replace each), OUT_DIR fsync'd, the journal removed.

A SIGKILL before step 2 leaves the old files untouched (the staging folder is
swept later); after it, the journal is there and every c2core reader
(`open_model`, `ModelSource`) first calls `settle(folder)`, which completes the
journal of a dead writer (roll forward: every staged file still present is
moved; done twice it changes nothing) and waits for a live one. So what c2core
opens is always one complete generation, old or new. (A program outside c2core
reading the folder while a writer is killed mid-step-3 could see the mix until
the next c2core access settles it; it never lasts longer.)

Stale staging folders and journal temps of dead processes are swept from the
output folder only (owner = host + pid + process start time, recorded inside,
the pid also in the name; a folder of another host is swept once older than
an hour).
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import socket
import time

from ..errors import C2Error

STAGE_PREFIX = ".c2stage-"
JOURNAL_PREFIX = ".c2publish-"
OWNER_FILE = ".owner.json"
FOREIGN_STALE_SECONDS = 3600.0
SETTLE_WAIT_SECONDS = 10.0


def _start_time(pid: int) -> str:
    """The process's start time in clock ticks since boot (tells a reused pid apart), or ''."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read().decode("ascii", "replace")
        return stat.rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return ""


def _owner() -> dict:
    pid = os.getpid()
    return {"host": socket.gethostname(), "pid": pid, "start": _start_time(pid)}


def _owner_from_token(token: str) -> dict | None:
    """The owner a staging name implies (`<pid>-<random>`) when its owner file was never
    written (the writer died between mkdir and writing it): a process of this host."""
    pid = token.split("-", 1)[0]
    return {"host": socket.gethostname(), "pid": int(pid), "start": ""} if pid.isdigit() else None


def _alive(owner: dict, age: float) -> bool:
    """Is the process that wrote `owner` still running (so its files are not stale)?"""
    if not isinstance(owner, dict) or not isinstance(owner.get("pid"), int):
        return age < 60.0  # no owner at all: give it a minute
    if owner.get("host") != socket.gethostname():
        return age < FOREIGN_STALE_SECONDS
    pid = owner["pid"]
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    start = _start_time(pid)
    return not (start and owner.get("start") and start != owner["start"])


def fsync_file(path: str) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_dir(path: str) -> None:
    """Make renames and new names in `path` durable (a no-op where folders cannot be opened)."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _age(path: str) -> float:
    try:
        return time.time() - os.stat(path).st_mtime
    except OSError:
        return 0.0


def _read_json(path: str):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def _inside(parent: str, path: str) -> bool:
    """Is `path` (resolved, symlinks followed) `parent` or below it?"""
    parent, path = os.path.realpath(parent), os.path.realpath(path)
    return os.path.commonpath([parent, path]) == parent


def _checked(folder: str, name: str, data) -> dict | None:
    """A journal found in `folder`, if it only moves files out of its own staging folder onto
    names inside `folder` (a journal planted in a downloaded folder must not rename or remove
    anything elsewhere); else None and it is left alone."""
    if not isinstance(data, dict) or not isinstance(data.get("moves"), list):
        return None
    stage = os.path.join(folder, STAGE_PREFIX + name[len(JOURNAL_PREFIX):-len(".json")])
    moves = []
    for m in data["moves"]:
        if not (isinstance(m, list) and len(m) == 2 and isinstance(m[1], str) and (m[0] is None or isinstance(m[0], str))):
            return None
        staged, final = m
        if os.path.basename(final).startswith((STAGE_PREFIX, JOURNAL_PREFIX)) or not _inside(folder, os.path.dirname(final)):
            return None
        if staged is not None and not _inside(stage, os.path.dirname(staged)):
            return None
        moves.append((staged, final))
    return {"owner": data.get("owner"), "stage": stage, "moves": moves}


def _roll_forward(folder: str, journal: str, data: dict) -> None:
    dirs = {folder}
    for staged, final in data.get("moves", []):
        with contextlib.suppress(FileNotFoundError):
            if staged is None:  # a partner the new generation does not have
                os.unlink(final)
            else:
                os.replace(staged, final)
        dirs.add(os.path.dirname(final))
    for d in dirs:
        fsync_dir(d)
    with contextlib.suppress(FileNotFoundError):
        os.unlink(journal)
    fsync_dir(folder)
    stage = data.get("stage")
    if stage and os.path.basename(stage).startswith(STAGE_PREFIX):
        shutil.rmtree(stage, ignore_errors=True)


def settle(folder: str, wait: float = SETTLE_WAIT_SECONDS) -> None:
    """Finish or wait for every publish into `folder`, so what is read next is one generation.

    A journal of a dead writer is rolled forward; one of a live writer is waited for
    (its moves take microseconds), at most `wait` seconds, then C2Error.
    """
    try:
        names = [n for n in os.listdir(folder) if n.startswith(JOURNAL_PREFIX) and n.endswith(".json")]
    except OSError:
        return
    for name in names:
        journal = os.path.join(folder, name)
        deadline = time.monotonic() + wait
        while True:
            raw = _read_json(journal)
            if raw is None:  # gone: its writer finished it
                break
            data = _checked(folder, name, raw)
            if data is None:  # not one of ours: never acted on
                break
            if not _alive(data.get("owner"), _age(journal)):
                _roll_forward(folder, journal, data)
                break
            if time.monotonic() > deadline:
                raise C2Error(f"another process (pid {data['owner'].get('pid')}) is still publishing files here",
                              folder)
            time.sleep(0.005)


def settle_model(path: str) -> None:
    """`settle` every folder a publish of `path` may have been journaled in: the file's
    folder, or a model folder and the folder above it (a new model folder is staged there)."""
    path = os.path.abspath(path)
    folder = path if os.path.isdir(path) else os.path.dirname(path)
    settle(folder)
    settle(os.path.dirname(folder))


def sweep(folder: str) -> list[str]:
    """Remove the staging folders and journal temps that dead processes left in `folder`
    (journals themselves are rolled forward by `settle`, never dropped). Returns what went."""
    settle(folder)
    gone = []
    try:
        names = os.listdir(folder)
    except OSError:
        return gone
    # journal temps first (their owner is read from them, or from their staging folder)
    for name in names:
        if not (name.startswith(JOURNAL_PREFIX) and name.endswith(".json.tmp")):
            continue
        path = os.path.join(folder, name)
        stage = os.path.join(folder, STAGE_PREFIX + name[len(JOURNAL_PREFIX):-len(".json.tmp")])
        token = name[len(JOURNAL_PREFIX):-len(".json.tmp")]
        owner = ((_read_json(path) or {}).get("owner") or _read_json(os.path.join(stage, OWNER_FILE))
                 or _owner_from_token(token))
        if not _alive(owner, _age(path)):
            with contextlib.suppress(OSError):
                os.unlink(path)
            gone.append(path)
    for name in names:
        path = os.path.join(folder, name)
        if name.startswith(STAGE_PREFIX) and os.path.isdir(path):
            owner = _read_json(os.path.join(path, OWNER_FILE)) or _owner_from_token(name[len(STAGE_PREFIX):])
            if not _alive(owner, _age(path)):
                shutil.rmtree(path, ignore_errors=True)
                gone.append(path)
    return gone


class Staging:
    """A private folder in the output folder; write files with `path(name)`, then `publish`.

    Use as a context manager: the folder is removed on exit, published or not.
    """

    def __init__(self, out_dir: str, about: str | None = None):
        self.out_dir = os.path.abspath(out_dir or ".")
        about = about or self.out_dir
        try:
            os.makedirs(self.out_dir, exist_ok=True)
        except OSError as e:
            raise C2Error(f"cannot create this folder: {e.strerror or e}", self.out_dir) from None
        sweep(self.out_dir)
        self.token = f"{os.getpid()}-{secrets.token_hex(4)}"
        self.dir = os.path.join(self.out_dir, STAGE_PREFIX + self.token)
        try:
            os.mkdir(self.dir)
            with open(os.path.join(self.dir, OWNER_FILE), "w", encoding="utf-8") as f:
                json.dump(_owner(), f)
        except OSError as e:
            shutil.rmtree(self.dir, ignore_errors=True)
            raise C2Error(f"cannot write here: {e.strerror or e}", about) from None
        self.published = False

    def path(self, name: str) -> str:
        """Where to write the staged file `name` (sub-folders are made)."""
        p = os.path.join(self.dir, name)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        return p

    def publish(self, moves: list[tuple[str, str]]) -> list[str]:
        """Move the staged files onto their final paths, all or nothing; returns the final paths.

        moves: (staged path, final path), partners first and the root file (the one a
        reader opens) last; (None, final) removes an old partner the new result does
        not have. Final paths must lie in the output folder or below it.
        """
        moves = [(None if s is None else os.path.abspath(s), os.path.abspath(f)) for s, f in moves]
        for staged, final in moves:
            if staged is None:
                continue
            if not os.path.isfile(staged):
                raise C2Error(f"staged file missing: {os.path.basename(staged)}", final)
            if not (os.path.dirname(final) + os.sep).startswith(self.out_dir + os.sep):
                raise ValueError(f"{final} is outside the output folder {self.out_dir}")
            if os.path.isdir(final):
                raise C2Error("is a folder: give the name of a file to write", final)
            fsync_file(staged)
            os.makedirs(os.path.dirname(final), exist_ok=True)
        fsync_dir(self.dir)
        journal = os.path.join(self.out_dir, JOURNAL_PREFIX + self.token + ".json")
        data = {"owner": _owner(), "stage": self.dir, "moves": moves}
        with open(journal + ".tmp", "w", encoding="utf-8") as f:
            json.dump(data, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(journal + ".tmp", journal)  # the commit point
        fsync_dir(self.out_dir)
        _roll_forward(self.out_dir, journal, {"moves": moves})
        self.published = True
        return [f for s, f in moves if s is not None]

    def close(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> "Staging":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def publish_files(out_dir: str, write, about: str | None = None) -> list[str]:
    """Stage with `write(staging) -> moves`, then publish; the one-call form."""
    with Staging(out_dir, about) as st:
        return st.publish(write(st))
