"""Start a training job on the GPUs Snakemake granted it: pick free GPUs, then run it (torchrun for several).

Snakemake counts GPUs (``resources: gpu=N`` against the limit of the GPUs present) but does not say
*which* GPU a job gets, nor set ``CUDA_VISIBLE_DEVICES``. So a job claims its GPUs itself: GPU ``i`` is a
slot file ``gpu<i>.lock`` in a machine-wide folder, claimed with a non-blocking ``flock``. The locked file
descriptors are inherited across ``exec`` (and by torchrun's workers), so a slot stays taken exactly as
long as the job runs, and the kernel frees it when the job dies, whatever way it dies.

- ``gpus == 0``: the job sees no GPU (``CUDA_VISIBLE_DEVICES=""``) and runs on the CPU.
- Under SLURM (``SLURM_JOB_ID`` set), SLURM has already chosen the GPUs and set ``CUDA_VISIBLE_DEVICES``.

This module imports no torch: it runs before every training job, and torch's start-up is seconds.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from rsrepro.errors import RsreproError

NVIDIA_GPUS = Path("/proc/driver/nvidia/gpus")  # one entry per GPU the driver sees
SLOTS_ENV = "RSREPRO_GPU_SLOTS"  # folder of the slot files (default: <tmp>/rsrepro-gpu-slots)


def visible_gpus(environ: Mapping[str, str] = os.environ, driver_dir: Path = NVIDIA_GPUS) -> list[str]:
    """Ids of the GPUs this machine offers: ``CUDA_VISIBLE_DEVICES`` when set, else the driver's list."""
    if "CUDA_VISIBLE_DEVICES" in environ:
        return [g.strip() for g in environ["CUDA_VISIBLE_DEVICES"].split(",") if g.strip()]
    return [str(i) for i in range(len(list(driver_dir.iterdir())))] if driver_dir.is_dir() else []


def slots_dir(environ: Mapping[str, str] = os.environ) -> Path:
    return Path(environ.get(SLOTS_ENV) or Path(tempfile.gettempdir()) / "rsrepro-gpu-slots")


def claim_gpus(n: int, gpus: Sequence[str], directory: Path, poll_s: float = 1.0) -> list[str]:
    """Lock ``n`` of ``gpus`` (waiting while others hold them); the locks live as long as this process."""
    if n > len(gpus):
        raise RsreproError(
            f"a job asks for {n} GPU(s) but only {len(gpus)} are visible ({gpus}); lower the paper's "
            "train.gpus or run where more GPUs are present"
        )
    directory.mkdir(parents=True, exist_ok=True)
    while True:
        held: list[tuple[str, int]] = []
        for gpu in gpus:
            fd = os.open(directory / f"gpu{gpu}.lock", os.O_RDWR | os.O_CREAT, 0o666)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                continue
            held.append((gpu, fd))
            if len(held) == n:
                for _, kept in held:
                    os.set_inheritable(kept, True)
                return [g for g, _ in held]
        for _, fd in held:  # not enough free: let go and retry, so two waiting jobs cannot deadlock
            os.close(fd)
        time.sleep(poll_s)


def torchrun_command(n_gpus: int, argv: Sequence[str]) -> list[str]:
    """The command that runs ``rsrepro <argv>`` on ``n_gpus`` GPUs with DDP, one rank per GPU."""
    torchrun = shutil.which("torchrun") or "torchrun"
    return [torchrun, "--standalone", f"--nproc_per_node={n_gpus}", "-m", "rsrepro", *argv]


def job_environment(n_gpus: int, environ: Mapping[str, str] = os.environ) -> dict[str, str]:
    """The environment of a job given ``n_gpus`` GPUs, with its ``CUDA_VISIBLE_DEVICES`` decided."""
    env = dict(environ)
    if n_gpus == 0:
        env["CUDA_VISIBLE_DEVICES"] = ""
    elif "SLURM_JOB_ID" not in env:
        env["CUDA_VISIBLE_DEVICES"] = ",".join(claim_gpus(n_gpus, visible_gpus(env), slots_dir(env)))
    return env


def launch(n_gpus: int, argv: Sequence[str]) -> None:
    """Run the job here on the CPU or one GPU, or replace this process by torchrun for several (the GPU
    locks go along with it either way)."""
    env = job_environment(n_gpus)
    print(f"rsrepro launch: CUDA_VISIBLE_DEVICES={env.get('CUDA_VISIBLE_DEVICES')!r}", file=sys.stderr)
    if n_gpus > 1:
        command = torchrun_command(n_gpus, argv)
        os.execvpe(command[0], command, env)
    os.environ.update(env)  # before CUDA starts: torch reads CUDA_VISIBLE_DEVICES then
    from rsrepro.cli import main  # here, not at the top: the CLI imports every command module

    sys.exit(main(argv))
