"""A single-node SLURM cluster on this machine (controller and node on localhost), for the profile test.

Needs root: installs Debian's ``slurm-wlm`` and ``munge`` when missing (bounded time), writes
``/etc/slurm/slurm.conf`` (where ``srun`` inside a job looks for it) unless the machine already has a SLURM
configuration of its own, and starts munged, slurmctld and slurmd; stops what it started and removes the
configuration afterwards.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

CONF = Path("/etc/slurm/slurm.conf")
MARKER = "# rsrepro test cluster"
PACKAGES = ["slurm-wlm", "munge"]


class Unavailable(Exception):
    """Why a single-node SLURM cannot be started here (the test skips with this reason)."""


def install() -> None:
    if shutil.which("slurmctld") and shutil.which("munged"):
        return
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        raise Unavailable("slurm-wlm is not installed and installing it needs root and apt-get")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    command = ["apt-get", "install", "-y", "-q", "--no-install-recommends", *PACKAGES]
    for attempt in ([], ["apt-get", "update", "-q"]):  # a fresh machine may need its package lists first
        if attempt:
            subprocess.run(attempt, env=env, capture_output=True, timeout=300)
        if subprocess.run(command, env=env, capture_output=True, timeout=600).returncode == 0:
            return
    raise Unavailable("apt-get could not install slurm-wlm and munge")


def write_config(state: Path) -> None:
    if CONF.exists() and MARKER not in CONF.read_text():
        raise Unavailable(f"{CONF} belongs to a real SLURM setup; the test does not touch it")
    host = socket.gethostname().split(".")[0]
    for folder in ("state", "spool", "log"):
        (state / folder).mkdir(parents=True, exist_ok=True)
    CONF.parent.mkdir(parents=True, exist_ok=True)
    # Memory is not enforced (CR_CPU) and config_overrides lets the node claim enough for the profile's
    # per-rule mem_mb; linuxproc/none plugins need no cgroups or systemd.
    CONF.write_text(
        f"""{MARKER}
ClusterName=rsrepro
SlurmctldHost={host}
SlurmctldPort=16817
SlurmdPort=16818
SlurmUser=root
SlurmdUser=root
StateSaveLocation={state}/state
SlurmdSpoolDir={state}/spool
SlurmctldPidFile={state}/slurmctld.pid
SlurmdPidFile={state}/slurmd.pid
SlurmctldLogFile={state}/log/slurmctld.log
SlurmdLogFile={state}/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SlurmdParameters=config_overrides
MpiDefault=none
ReturnToService=2
MinJobAge=600
NodeName={host} CPUs={os.cpu_count()} RealMemory=100000 State=UNKNOWN
PartitionName=cpu Nodes={host} Default=YES MaxTime=INFINITE State=UP
PartitionName=gpu Nodes={host} MaxTime=INFINITE State=UP
"""
    )


def munge_running() -> bool:
    encode = subprocess.run(["munge", "-n"], capture_output=True)
    return encode.returncode == 0


def wait_for_idle_node(seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        states = subprocess.run(["sinfo", "-h", "-o", "%T"], capture_output=True, text=True).stdout
        if "idle" in states:
            return
        time.sleep(1)
    raise Unavailable("the SLURM node did not become idle within a minute")


def stop(pid_file: Path) -> None:
    if pid_file.exists():
        with suppress(ProcessLookupError, ValueError):
            os.kill(int(pid_file.read_text()), 15)


@contextmanager
def single_node_slurm(state: Path) -> Iterator[None]:
    """Start munged (if needed), slurmctld and slurmd for the duration of the block."""
    install()
    write_config(state)
    started_munge = not munge_running()
    if started_munge:
        Path("/run/munge").mkdir(parents=True, exist_ok=True)
        shutil.chown("/run/munge", "munge", "munge")
        subprocess.run(["runuser", "-u", "munge", "--", "munged"], check=True)
    subprocess.run(["slurmctld", "-c"], check=True)
    subprocess.run(["slurmd"], check=True)
    try:
        wait_for_idle_node()
        yield
    finally:
        stop(state / "slurmd.pid")
        stop(state / "slurmctld.pid")
        if started_munge:
            stop(Path("/run/munge/munged.pid"))
        CONF.unlink()  # ours (write_config refuses to replace any other)
