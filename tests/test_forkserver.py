"""Commands run in children of the fork server exactly as in their own process (rsrepro.forkserver)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from rsrepro import forkserver

RSREPRO = str(Path(sys.executable).with_name("rsrepro"))


def wait_for(condition, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


@pytest.fixture(scope="module")
def server() -> Iterator[psutil.Process]:
    forkserver.start()
    wait_for(lambda: Path(os.environ[forkserver.ENV]).exists())
    yield psutil.Process(forkserver._server.pid)
    forkserver.stop()


def test_a_command_gets_its_directory_umask_environment_streams_and_exit_code(server, tmp_path) -> None:
    prepared = tmp_path / "prepared"
    script = (
        f"umask 027; {RSREPRO} prepare-synthetic --out {prepared} --contact-sheet sheet.png"
        """ --params '{"image_size": 16, "images_per_class": 2, "seed": 0, "test_fraction": 0.5}'"""
        f" > log.txt 2>&1; echo $? > rc.txt; {RSREPRO} no-such-command 2> err.txt; echo $? >> rc.txt"
    )
    subprocess.run(["bash", "-c", script], cwd=tmp_path, check=True)
    assert (tmp_path / "rc.txt").read_text().split() == ["0", "2"]
    assert (tmp_path / "sheet.png").is_file()  # a relative path: the job's directory
    assert (tmp_path / "sheet.png").stat().st_mode & 0o777 == 0o640  # the job's umask
    assert "synthetic" in (tmp_path / "log.txt").read_text()  # the job's log file
    assert "invalid choice: 'no-such-command'" in (tmp_path / "err.txt").read_text()
    assert server.children() == []


def long_command(directory: Path) -> subprocess.Popen[bytes]:
    """A command that runs for minutes: 56,000 synthetic images."""
    params = json.dumps({"image_size": 64, "images_per_class": 2000, "seed": 0, "test_fraction": 0.5})
    command = [RSREPRO, "prepare-synthetic", "--out", "p", "--contact-sheet", "s.png", "--params", params]
    return subprocess.Popen(command, cwd=directory, stderr=subprocess.DEVNULL)


def test_signals_reach_the_child_and_the_exit_status_says_which(server, tmp_path) -> None:
    client = long_command(tmp_path)
    wait_for(lambda: server.children())
    child = server.children()[0]
    client.send_signal(signal.SIGTERM)
    assert client.wait(timeout=30) == 128 + signal.SIGTERM
    wait_for(lambda: not child.is_running() or child.status() == psutil.STATUS_ZOMBIE)


def test_a_child_whose_command_is_killed_outright_is_killed_too(server, tmp_path) -> None:
    client = long_command(tmp_path)
    wait_for(lambda: server.children())
    child = server.children()[0]
    client.kill()
    wait_for(lambda: not child.is_running() or child.status() == psutil.STATUS_ZOMBIE)


def test_without_a_server_the_command_runs_in_its_own_process(tmp_path) -> None:
    env = {**os.environ, forkserver.ENV: str(tmp_path / "no-server")}
    result = subprocess.run([RSREPRO, "split", "--help"], env=env, capture_output=True, text=True)
    assert result.returncode == 0 and "usage: rsrepro split" in result.stdout


def test_the_server_stops_when_its_parent_does(tmp_path) -> None:
    path = tmp_path / "socket"
    parent = subprocess.Popen(
        ["bash", "-c", f'"{sys.executable}" -P -m rsrepro.forkserver {path} $$ & wait'],
        start_new_session=True,
    )
    wait_for(path.exists)
    server = psutil.Process(parent.pid).children()[0]
    parent.kill()
    parent.wait()
    wait_for(lambda: not server.is_running() or server.status() == psutil.STATUS_ZOMBIE)
    assert not path.exists() and not path.parent.joinpath("socket.binding").exists()


def test_without_a_temporary_folder_jobs_start_cold(monkeypatch, capsys) -> None:
    def read_only(**_: str) -> str:
        raise PermissionError(13, "Permission denied", "/tmp")

    monkeypatch.setattr(forkserver.tempfile, "mkdtemp", read_only)
    monkeypatch.setattr(forkserver, "_server", None)  # (another test's server may be running)
    monkeypatch.delenv(forkserver.ENV, raising=False)
    forkserver.start()
    assert forkserver._server is None and forkserver.ENV not in os.environ
    assert "no fork server" in capsys.readouterr().err
