"""What produced a run: package versions, the device, the git revision, and each job's wall time from the
Snakemake benchmark files."""

from __future__ import annotations

import csv
import os
import platform
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any

PACKAGES = ("torch", "numpy", "pandas", "matplotlib", "snakemake", "dvc", "papermill", "nbconvert")


def package_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def device_description() -> str:
    import torch

    cpu = f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores"
    if torch.cuda.is_available():
        return f"{torch.cuda.get_device_name(0)} (CUDA {torch.version.cuda}); CPU {cpu}"
    return f"CPU only: {cpu}"


def git_revision(directory: str | Path = ".") -> str:
    """The commit checked out in ``directory``, marked "+ local changes" when the tree is dirty."""

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=directory, capture_output=True, text=True, check=True
        ).stdout

    try:
        revision = git("rev-parse", "--short", "HEAD").strip()
        dirty = bool(git("status", "--porcelain", "--untracked-files=no").strip())
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a git checkout)"
    return revision + (" + local changes" if dirty else "")


def stage_wall_times(benchmarks_dir: str | Path) -> list[dict[str, Any]]:
    """One row per benchmarked job: its stage (the rule: every rule benchmarks into a folder of its name),
    job name, wall seconds and peak resident memory (MB)."""
    root = Path(benchmarks_dir)
    rows = []
    for path in sorted(root.rglob("*.tsv")):
        with open(path, newline="") as handle:
            record = next(csv.DictReader(handle, delimiter="\t"), None)
        if record is not None:
            job = path.relative_to(root).with_suffix("")
            rows.append(
                {
                    "stage": job.parts[0],
                    "job": str(job),
                    "wall_s": float(record["s"]),
                    "max_rss_mb": float(record["max_rss"]) if record["max_rss"] not in ("", "NA") else None,
                }
            )
    return rows
