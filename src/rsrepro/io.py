"""Atomic file and directory writes: a reader (or Snakemake) never sees half a file, and no run leaves
half a file behind.

Temporary files and folders are created private (``mkstemp`` / ``mkdtemp`` ignore the umask); before the
rename each gets the permissions a plain ``open`` / ``mkdir`` would have given it, so results are as
readable by a group or a web server as the user's umask says.

A temporary is named ``.<target name>.<host>.<8 random characters>.tmp[<suffix>]`` and holds a kernel
lock (``flock``) while its process lives. Every exception removes it; a killed process (SIGKILL, a node
that died) cannot, so each new temporary first sweeps its folder: a temporary that nobody holds and that
is older than :data:`STALE_AFTER_S` (a minute: the lock is taken right after creation) goes. Where locks
might be local to a host (NFS mounted with ``nolock``), a temporary made on another host is left for
:data:`OTHER_HOST_STALE_AFTER_S` (a day) before it counts as abandoned.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import re
import shutil
import signal
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from rsrepro.errors import RsreproError

STALE_AFTER_S = 60
OTHER_HOST_STALE_AFTER_S = 24 * 3600
HOST = re.sub(r"[^A-Za-z0-9-]", "-", socket.gethostname().split(".")[0])[:32] or "host"
# mkstemp / mkdtemp put 8 characters of [a-z0-9_] between prefix and suffix.
TEMP_NAME = re.compile(r"^\..+\.(?P<host>[A-Za-z0-9-]+)\.[a-z0-9_]{8}\.tmp(\.[^.]+)?$")
DISK_FULL = (errno.ENOSPC, errno.EDQUOT)


class DiskSpaceError(RsreproError):
    """A folder has (or had, mid-write) too little free space for what is written into it."""


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike[str], suffix: str = "") -> Iterator[Path]:
    """Yield a temporary path beside ``target``; rename it onto ``target`` only if the block succeeds."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temps(target.parent)
    fd, tmp = tempfile.mkstemp(prefix=_temp_prefix(target), suffix=f".tmp{suffix}", dir=target.parent)
    tmp_path = Path(tmp)
    try:
        _hold(fd)
        yield tmp_path
        tmp_path.chmod(0o666 & ~current_umask())
        os.replace(tmp_path, target)
    finally:
        tmp_path.unlink(missing_ok=True)
        os.close(fd)


@contextlib.contextmanager
def atomic_dir(target: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary directory beside ``target``; it replaces ``target`` only if the block succeeds."""
    target = Path(target)
    with temp_dir(target) as tmp:
        yield tmp
        replace_dir(tmp, target)


@contextlib.contextmanager
def temp_dir(target: Path) -> Iterator[Path]:
    """A fresh hidden directory next to ``target`` (same filesystem, so a final rename is atomic), held
    for the block and removed after it, however the block ends (unless renamed away)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temps(target.parent)
    tmp = Path(tempfile.mkdtemp(prefix=_temp_prefix(target), suffix=".tmp", dir=target.parent))
    fd = os.open(tmp, os.O_RDONLY | os.O_DIRECTORY)
    try:
        _hold(fd)
        yield tmp
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        os.close(fd)


def remove_stale_temps(folder: Path) -> None:
    """Remove the temporaries in ``folder`` that killed runs left (see the module docstring)."""
    try:
        entries = list(os.scandir(folder))
    except FileNotFoundError:
        return
    now = time.time()
    for entry in entries:
        match = TEMP_NAME.match(entry.name)
        if match is None:
            continue
        try:
            age = now - entry.stat(follow_symlinks=False).st_mtime
        except FileNotFoundError:
            continue
        old = age > OTHER_HOST_STALE_AFTER_S
        if old or (match["host"] == HOST and age > STALE_AFTER_S):
            _remove_unless_held(Path(entry.path), sure_without_lock=old)


def _remove_unless_held(path: Path, sure_without_lock: bool) -> None:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | (os.O_DIRECTORY if path.is_dir() else 0))
    except OSError:
        return  # gone meanwhile, or not ours to open
    try:
        if _unheld(fd, sure_without_lock):
            shutil.rmtree(path, ignore_errors=True) if path.is_dir() else path.unlink(missing_ok=True)
    finally:
        os.close(fd)


def _unheld(fd: int, sure_without_lock: bool) -> bool:
    """Whether no live process holds the temporary open as ``fd``; where the filesystem has no locks,
    ``sure_without_lock`` (old enough to be abandoned whatever the filesystem) decides."""
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    except OSError:
        return sure_without_lock
    return True


def _hold(fd: int) -> None:
    """Lock a new temporary for this process's lifetime (the kernel releases it when the process dies)."""
    with contextlib.suppress(OSError):  # a filesystem without locks: the age rule alone protects it
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)


def _temp_prefix(target: Path) -> str:
    return f".{target.name}.{HOST}."


@contextlib.contextmanager
def exit_on_sigterm() -> Iterator[None]:
    """Turn SIGTERM (what ``kill``, a cluster's time limit or a cancelled job sends) into ``SystemExit``
    for the block, so ``finally`` blocks still remove its temporaries; outside the main thread, where
    Python cannot set a handler, the block runs unchanged."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _exit_for_signal)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _exit_for_signal(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


def replace_dir(tmp: Path, target: Path) -> None:
    """Move the finished directory ``tmp`` onto ``target``, replacing what was there."""
    tmp.chmod(0o777 & ~current_umask())
    if target.exists():
        shutil.rmtree(target)
    os.replace(tmp, target)


def current_umask() -> int:
    """The process's umask (reading it means setting it: put it straight back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def free_bytes(folder: Path) -> int:
    """Free space for this user on the filesystem of ``folder`` (or of its nearest existing parent)."""
    folder = Path(folder).absolute()
    while not folder.exists():
        folder = folder.parent
    return shutil.disk_usage(folder).free


def human_bytes(n: float) -> str:
    for unit in ("bytes", "kB", "MB", "GB"):
        if abs(n) < 1000:
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} TB"


@contextlib.contextmanager
def disk_space(folder: str | os.PathLike[str], needed: int, what: str) -> Iterator[None]:
    """Check that ``folder`` has ``needed`` bytes free before writing ``what`` into it, and turn a disk
    that fills up during the block (ENOSPC, EDQUOT) into the same one-line message."""
    folder = Path(folder)
    free = free_bytes(folder)
    if needed > free:
        raise DiskSpaceError(_disk_message(folder, needed, what, f"it has {human_bytes(free)} free"))
    try:
        yield
    except OSError as error:
        if error.errno not in DISK_FULL:
            raise
        raise DiskSpaceError(
            _disk_message(folder, needed, what, f"the disk filled up while writing ({error.strerror})")
        ) from error


def _disk_message(folder: Path, needed: int, what: str, found: str) -> str:
    return (
        f"{what} needs {human_bytes(needed)} in {folder}, but {found}; nothing was kept. Free that much "
        f"space there (or point {folder} at a larger disk, e.g. with a symbolic link) and rerun."
    )


def write_json(path: str | os.PathLike[str], obj: Any) -> None:
    """Write ``obj`` as indented JSON, atomically."""
    with atomic_path(path, ".json") as tmp:
        tmp.write_text(json.dumps(obj, indent=1) + "\n")


def read_json(path: str | os.PathLike[str]) -> Any:
    return json.loads(Path(path).read_text())
