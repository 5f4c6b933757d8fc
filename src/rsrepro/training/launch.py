"""Start a training job on the GPU share Snakemake granted it: claim a slot or whole GPUs, then run it.

A GPU offers ``k`` slots (params ``gpu.slots``): several small jobs share one card. Snakemake counts slots
(``resources: gpu_slots``, ``k`` per GPU present, see :func:`job_resources`) but does not say *which* GPU a
job gets, nor set ``CUDA_VISIBLE_DEVICES``. So a job claims its share itself, with ``flock`` on files in a
machine-wide folder:

- a one-GPU job takes a slot on the GPU with the fewest jobs that has room: a shared lock on
  ``gpu<i>.lock`` (the GPU is in use) and an exclusive one on ``gpu<i>.slot<j>.lock``, ``j < k``;
- a job of several GPUs (DDP under torchrun) takes whole GPUs: an exclusive lock on ``gpu<i>.lock`` of
  GPUs no job uses;
- ``gpus == 0``: the job sees no GPU (``CUDA_VISIBLE_DEVICES=""``) and runs on the CPU;
- under SLURM (``SLURM_JOB_ID`` set) the job keeps the whole GPUs SLURM allocated and set.

A launcher holds ``claim.lock`` while it chooses, so two never pick the same slot. The locked descriptors
are inherited across ``exec`` (and by torchrun's workers), so a share stays taken exactly as long as the
job runs, and the kernel frees it when the job dies, whatever way it dies.

Several users of one machine share the folder: it is sticky and writable by all (as ``/tmp``), and every
lock file is created readable by all, whatever the creator's umask (``flock`` needs only a read-only
descriptor), so another user's job can lock it.

This module imports no torch: it runs before every training job, and torch's start-up is seconds.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import stat
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

from rsrepro.errors import RsreproError

NVIDIA_GPUS = Path("/proc/driver/nvidia/gpus")  # one entry per GPU the driver sees
SLOTS_ENV = "RSREPRO_GPU_SLOTS"  # folder of the lock files (default: <tmp>/rsrepro-gpu-slots)
SLOTS_PER_GPU_ENV = "RSREPRO_SLOTS_PER_GPU"  # k, exported by the Snakefile from params gpu.slots
FOLDER_MODE = 0o1777  # sticky and writable by all: everyone creates lock files, no one removes another's
LOCK_MODE = 0o644


def visible_gpus(environ: Mapping[str, str] = os.environ, driver_dir: Path = NVIDIA_GPUS) -> list[str]:
    """Ids of the GPUs this machine offers: ``CUDA_VISIBLE_DEVICES`` when set, else the driver's list."""
    if "CUDA_VISIBLE_DEVICES" in environ:
        return [g.strip() for g in environ["CUDA_VISIBLE_DEVICES"].split(",") if g.strip()]
    return [str(i) for i in range(len(list(driver_dir.iterdir())))] if driver_dir.is_dir() else []


def job_resources(gpus: int, slots_per_gpu: int) -> dict[str, int]:
    """What a training job asking for ``gpus`` GPUs requests from Snakemake: ``gpu``, the GPUs it runs on
    (what SLURM allocates, and ``rsrepro launch --gpus``), and ``gpu_slots``, what a local run counts: a
    slot for a one-GPU job, every slot of its GPUs for a DDP job."""
    return {"gpu": gpus, "gpu_slots": gpus * slots_per_gpu if gpus > 1 else gpus}


def local_limits(visible: int, slots_per_gpu: int) -> dict[str, int]:
    """The Snakemake resource limits of a local run with ``visible`` GPUs: ``gpu_slots``, k per GPU, bounds
    the jobs sharing them; ``gpu`` as many, which never binds before it, but lowers every request to 0
    on a machine without a GPU (Snakemake lowers a request to its limit): the same rules run on the CPU."""
    return {"gpu": visible * slots_per_gpu, "gpu_slots": visible * slots_per_gpu}


def slots_dir(environ: Mapping[str, str] = os.environ) -> Path:
    return Path(environ.get(SLOTS_ENV) or Path(tempfile.gettempdir()) / "rsrepro-gpu-slots")


def slots_per_gpu(environ: Mapping[str, str] = os.environ) -> int:
    value = environ.get(SLOTS_PER_GPU_ENV, "1")
    if not value.isdigit() or int(value) < 1:
        raise RsreproError(
            f"{SLOTS_PER_GPU_ENV}={value!r} is not a number of slots (1 or more); fix params gpu.slots"
        )
    return int(value)


def shared_folder(directory: Path) -> Path:
    """``directory``, created sticky and writable by all when this user makes it; a clear error when
    another user made it without that (an rsrepro before locks were shared, or by hand)."""
    directory.mkdir(parents=True, exist_ok=True)
    info = directory.stat()
    if info.st_uid == os.geteuid() and stat.S_IMODE(info.st_mode) != FOLDER_MODE:
        os.chmod(directory, FOLDER_MODE)  # chmod, not mkdir's mode: the umask does not apply
    elif not os.access(directory, os.W_OK | os.X_OK):
        raise RsreproError(
            f"the GPU lock folder {directory} belongs to another user (uid {info.st_uid}) and is not "
            f"writable by you; ask them to run `chmod 1777 {directory}`, or set {SLOTS_ENV} to a folder "
            "all users of this machine can write"
        )
    return directory


def open_lock(path: Path) -> int:
    """A read-only descriptor of lock file ``path``, which is created readable by all if missing: written
    under a private name with its mode set, then linked into place, so no one ever sees it with the
    creator's umask."""
    with contextlib.suppress(FileNotFoundError):
        return _open_existing(path)
    fd, draft = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        os.fchmod(fd, LOCK_MODE)
    finally:
        os.close(fd)
    try:
        os.link(draft, path)
    except FileExistsError:
        pass  # another launcher made it meanwhile
    finally:
        os.unlink(draft)
    return _open_existing(path)


def _open_existing(path: Path) -> int:
    try:
        return os.open(path, os.O_RDONLY)
    except PermissionError:
        raise RsreproError(
            f"cannot read the GPU lock file {path} (owner uid {path.stat().st_uid}); ask its owner to run "
            f"`chmod 644 {path}`, or set {SLOTS_ENV} to another folder"
        ) from None


def try_lock(path: Path, exclusive: bool) -> int | None:
    """A descriptor holding ``path``'s lock, or None if another holder prevents it."""
    fd = open_lock(path)
    try:
        fcntl.flock(fd, (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    return fd


@contextlib.contextmanager
def choosing(directory: Path) -> Iterator[None]:
    """One launcher at a time looks at the locks and takes its share."""
    fd = open_lock(directory / "claim.lock")
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _jobs_on(gpu: str, directory: Path, slots: int) -> int | None:
    """How many jobs hold slots of ``gpu``; None when it has no room (every slot taken, or a DDP job
    holds it whole). Each lock is taken and let go at once, to look."""
    locks = [(directory / f"gpu{gpu}.lock", False)] + [
        (directory / f"gpu{gpu}.slot{j}.lock", True) for j in range(slots)
    ]
    free = []
    for path, exclusive in locks:
        fd = try_lock(path, exclusive)
        free.append(fd is not None)
        if fd is not None:
            os.close(fd)
    taken = free[1:].count(False)
    return taken if free[0] and taken < slots else None


def _claim_slot(gpus: Sequence[str], directory: Path, slots: int) -> list[tuple[str, int]] | None:
    """A slot on the GPU with the fewest jobs that has room for one more (the first among equals)."""
    loads = {gpu: jobs for gpu in gpus if (jobs := _jobs_on(gpu, directory, slots)) is not None}
    if not loads:
        return None
    gpu = min(loads, key=loads.__getitem__)
    in_use = try_lock(directory / f"gpu{gpu}.lock", exclusive=False)
    for j in range(slots):  # while this launcher chooses, others can only let go
        slot = try_lock(directory / f"gpu{gpu}.slot{j}.lock", exclusive=True)
        if in_use is not None and slot is not None:
            return [(gpu, in_use), (gpu, slot)]
    if in_use is not None:
        os.close(in_use)
    return None


def _claim_whole(n: int, gpus: Sequence[str], directory: Path) -> list[tuple[str, int]] | None:
    held = []
    for gpu in gpus:
        fd = try_lock(directory / f"gpu{gpu}.lock", exclusive=True)
        if fd is not None:
            held.append((gpu, fd))
            if len(held) == n:
                return held
    for _, fd in held:
        os.close(fd)
    return None


def try_claim(n: int, gpus: Sequence[str], directory: Path, slots: int) -> list[tuple[str, int]] | None:
    """One try: a slot of one of ``gpus`` (``n`` = 1) or ``n`` whole GPUs, as (GPU, descriptor) pairs
    whose locks hold the share, or None if there is no room now."""
    with choosing(directory):
        return _claim_slot(gpus, directory, slots) if n == 1 else _claim_whole(n, gpus, directory)


def claim_gpus(
    n: int, gpus: Sequence[str], directory: Path, slots: int = 1, poll_s: float = 1.0
) -> list[str]:
    """Claim a slot of one of ``gpus`` (``n`` = 1) or ``n`` whole GPUs, waiting while others hold them;
    the locks live as long as this process and what it execs."""
    if n > len(gpus):
        raise RsreproError(
            f"a job asks for {n} GPU(s) but only {len(gpus)} are visible ({gpus}); lower the paper's "
            "train.gpus or run where more GPUs are present"
        )
    directory = shared_folder(directory)
    while (claimed := try_claim(n, gpus, directory, slots)) is None:
        time.sleep(poll_s)  # holding nothing while waiting, so two waiting jobs cannot deadlock
    for _, fd in claimed:
        os.set_inheritable(fd, True)
    return list(dict.fromkeys(gpu for gpu, _ in claimed))


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
        claimed = claim_gpus(n_gpus, visible_gpus(env), slots_dir(env), slots_per_gpu(env))
        env["CUDA_VISIBLE_DEVICES"] = ",".join(claimed)
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
