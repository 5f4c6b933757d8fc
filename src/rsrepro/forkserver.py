"""Warm starts for workflow jobs: a server that has imported torch forks one child per command.

Importing torch and torchvision takes 4-7 s on a small machine: most of a short job's time, and an
embedded run has about thirty such jobs. For the length of a run the Snakefile starts a server
(``onstart``) and puts its socket in ``RSREPRO_FORK_SERVER``. Each ``rsrepro`` command then hands its
arguments, working directory, environment, umask and standard streams to the server, which forks a child
to run it; the command waits for the child's exit status and passes on the signals it gets (Snakemake
stopping a job). Where no server answers (a SLURM node, a command typed by hand, a server still
importing) the command runs in its own process, as it always did. Children import rsrepro afresh, so
they run the code on disk, as a new process would.

Snakemake's ``benchmark:`` files measure a job's own process tree: their wall times stay right, but
their CPU time and memory leave out the forked child; ``snakemake --no-hooks`` runs without the server.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import os
import select
import signal
import socket
import subprocess
import sys
import tempfile
import traceback
from pathlib import Path
from typing import NoReturn

ENV = "RSREPRO_FORK_SERVER"
PRELOAD = ("numpy", "torch", "torchvision")  # what every training job imports first; no rsrepro module
MAX_MESSAGE = 1 << 20  # a request: arguments and environment
FORWARDED = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)


def run_in_server(argv: list[str]) -> int | None:
    """Run the command in a child of the server and return its exit code; None when no server answers."""
    path = os.environ.get(ENV)
    if not path:
        return None
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    try:
        conn.connect(path)
    except OSError:
        conn.close()
        return None
    umask = os.umask(0)
    os.umask(umask)
    request = {"argv": argv, "cwd": os.getcwd(), "env": dict(os.environ), "umask": umask}
    with conn:
        try:
            socket.send_fds(conn, [json.dumps(request).encode()], [0, 1, 2])
            started = conn.recv(MAX_MESSAGE)
        except OSError:
            started = b""
        if not started:
            return None  # the server stopped before forking: nothing ran
        pid = json.loads(started)["pid"]
        for sig in FORWARDED:
            signal.signal(sig, lambda number, _frame: os.kill(pid, number))
        finished = conn.recv(MAX_MESSAGE)
    if not finished:
        print("rsrepro: the fork server stopped while the command ran", file=sys.stderr)
        return 1
    code = json.loads(finished)["exit"]
    return code if code >= 0 else 128 - code  # killed by a signal: as a shell reports it


_server: subprocess.Popen[bytes] | None = None


def start() -> None:
    """Start a server for this process (it outlives it by a second at most) and point the commands this
    process starts (the jobs) at it. Linux only (sequenced-packet Unix sockets; forking a process that
    has imported torch is not safe on macOS): elsewhere commands start as usual."""
    global _server
    if sys.platform != "linux":
        return
    try:
        path = Path(tempfile.mkdtemp(prefix="rsrepro-fork-")) / "socket"  # in a private 0700 directory
        _server = subprocess.Popen(
            [sys.executable, "-P", "-m", "rsrepro.forkserver", str(path), str(os.getpid())],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            start_new_session=True,  # Ctrl-C reaches the jobs through Snakemake, not around it
        )
    except OSError as error:  # a full or read-only temporary folder: jobs merely start cold
        print(f"rsrepro: no fork server ({error}); every job imports torch itself", file=sys.stderr)
        return
    os.environ[ENV] = str(path)


def stop() -> None:
    """Stop the server :func:`start` started, if any."""
    global _server
    os.environ.pop(ENV, None)
    if _server is not None:
        _server.terminate()
        _server.wait()
        _server = None


def serve(path: Path, parent: int) -> None:
    """Accept commands on ``path`` until ``parent`` exits or SIGTERM arrives; children that are still
    running then are killed (their commands can no longer report them)."""
    for module in PRELOAD:
        importlib.import_module(module)
    wake_read, wake_write = os.pipe()
    for fd in (wake_read, wake_write):
        os.set_blocking(fd, False)
    signal.set_wakeup_fd(wake_write)  # a child's exit wakes select() at once
    signal.signal(signal.SIGCHLD, lambda *_: None)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    bound = path.with_name(f"{path.name}.binding")
    listener.bind(str(bound))
    listener.listen(64)
    bound.rename(path)  # commands find the socket only once it accepts
    children: dict[int, socket.socket] = {}
    try:
        while os.getppid() == parent:
            ready, _, _ = select.select([listener, wake_read, *children.values()], [], [], 1.0)
            if wake_read in ready:
                while _drained(wake_read):
                    pass
            if listener in ready:
                _fork_command(listener, children, wake_read, wake_write)
            for pid, conn in list(children.items()):
                if conn in ready:  # its command was killed outright: nobody waits for the child
                    _kill(pid)
            _reap(children)
    finally:
        for pid in children:
            _kill(pid)
        path.unlink(missing_ok=True)
        path.parent.rmdir()


def _fork_command(listener: socket.socket, children: dict[int, socket.socket], *inherited_fds: int) -> None:
    conn, _ = listener.accept()
    conn.settimeout(10)
    try:
        data, fds, _, _ = socket.recv_fds(conn, MAX_MESSAGE, 3)
        request = json.loads(data)
    except (OSError, ValueError):
        conn.close()
        return
    pid = os.fork()
    if pid == 0:
        for sock in (listener, conn, *children.values()):
            sock.close()
        for fd in inherited_fds:
            os.close(fd)
        _run_child(request, fds)
    for fd in fds:
        os.close(fd)
    conn.settimeout(None)
    conn.send(json.dumps({"pid": pid}).encode())
    children[pid] = conn


def _run_child(request: dict, fds: list[int]) -> NoReturn:
    """Become the command: its streams, directory, umask and environment, and rsrepro as on disk."""
    code = 1
    try:
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
            os.close(fd)
        os.chdir(request["cwd"])
        os.umask(request["umask"])
        os.environ.clear()
        os.environ.update(request["env"])
        del os.environ[ENV]  # commands this one starts (torchrun's ranks) run on their own
        sys.argv = ["rsrepro", *request["argv"]]
        threads = os.environ.get("OMP_NUM_THREADS", "")
        if threads.isdigit():  # the OpenMP runtime read the server's environment, not the job's
            import torch

            torch.set_num_threads(int(threads))
        for name in [m for m in sys.modules if m == "rsrepro" or m.startswith("rsrepro.")]:
            del sys.modules[name]
        from rsrepro.cli import run

        code = run(request["argv"])
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else 1
        if isinstance(exit_.code, str):
            print(exit_.code, file=sys.stderr)
    except BaseException:
        traceback.print_exc()
    finally:
        for stream in (sys.stdout, sys.stderr):
            stream.flush()
        os._exit(code)


def _drained(fd: int) -> bool:
    try:
        return bool(os.read(fd, 512))
    except BlockingIOError:
        return False


def _reap(children: dict[int, socket.socket]) -> None:
    while children:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        conn = children.pop(pid, None)
        if conn is not None:
            with contextlib.suppress(OSError):  # the command may be gone
                conn.send(json.dumps({"exit": os.waitstatus_to_exitcode(status)}).encode())
            conn.close()


def _kill(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


def main() -> None:
    parser = argparse.ArgumentParser(description="rsrepro's fork server (started by the Snakefile)")
    parser.add_argument("socket", type=Path)
    parser.add_argument("parent", type=int, help="serve while this process lives")
    args = parser.parse_args()
    serve(args.socket, args.parent)


if __name__ == "__main__":
    main()
