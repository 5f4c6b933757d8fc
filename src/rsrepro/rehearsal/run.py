"""Run the rehearsal: write the stand-ins and their overlay, run the paper DAG on them, report.

The working directory (default ``results/rehearsal``) gets ``params.yaml``, ``standins/`` (the data),
``weights/``, ``standins.yaml`` (the overlay that points ``data.*`` at them, as a researcher would point
at downloaded files: relative to the working directory, where Snakemake runs) and the run's own
``results/``; the repository's ``results/`` is untouched.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from rsrepro.data.sources.catalog import DATASETS
from rsrepro.data.standin import standin_params
from rsrepro.errors import RsreproError
from rsrepro.rehearsal.standins import caption_words, write_clip_rsicd_split, write_standins
from rsrepro.rehearsal.weights import write_clip, write_weights
from rsrepro.rehearsal.workloads import paper_preset

REPO = Path(__file__).resolve().parents[3]


@dataclass(frozen=True)
class Scale:
    """How large the stand-ins are: images per class, the size they are drawn at, the CLIP width, and
    overrides of the preset (``full``: none, every paper-preset resolution and ViT-B/32)."""

    per_class: dict[str, int]
    draw_size: int
    clip: str
    overrides: dict[str, Any]


# The fewest images per class at which every paper ratio leaves a train and a test image (the registry's).
STANDIN_IMAGES = {name: entry.standin_per_class for name, entry in DATASETS.items()}
SCALES = {
    "full": Scale(STANDIN_IMAGES, 256, "vit-b/32", {}),
    # the test suite's: every code path, format and architecture of the preset, on one dataset per
    # paper (the others' conversion is tested on its own), 64 px images and a narrow CLIP
    "reduced": Scale(
        STANDIN_IMAGES,
        64,
        "narrow",
        {
            "lsenet": {"datasets": ["ucm"], "train": {"crop_size": 56}},
            "swan": {"datasets": ["rsitmd"], "train": {"resize": 70, "crop": 64}},
            "dsva": {"splits": ["60/10"], "variants": ["faithful"]},
        },
    ),
}


def write_overlay(workdir: Path, scale: Scale) -> Path:
    """Stand-in data and weights under ``workdir``, and ``standins.yaml`` pointing the preset at them."""
    # Stand-ins of the registry datasets the preset declares (data.<name>), not of extra entries
    # (PatternNet): no paper of the preset runs those, so their stand-ins would never be fetched, and
    # their overlay sections would lack the image_size the preset gives its own. Their conversion is
    # tested with every entry of their layout (tests/test_convert_real.py).
    declared = paper_preset()["data"]
    per_class = {name: n for name, n in scale.per_class.items() if name in declared}
    files = write_standins(workdir / "standins", per_class, scale.draw_size)
    weights = write_weights(workdir / "weights", caption_words(files))
    data: dict[str, Any] = standin_params(files)
    clip = write_clip(workdir / "weights" / "clip_rsicd", scale.clip)
    weights["clip_rsicd_split"] = write_clip_rsicd_split(
        workdir / "weights" / "clip_rsicd_split", files["rsicd"]["captions"]
    )
    data["pretrained"] = standin_params(weights) | {"clip_rsicd": {"files": {"snapshot": str(clip)}}}
    if scale.draw_size < 256:
        for name in files:
            data[name]["image_size"] = scale.draw_size
    overlay = {"data": relative_files(data, workdir), **scale.overrides}
    path = workdir / "standins.yaml"
    path.write_text(yaml.safe_dump(overlay, sort_keys=False))
    return path


def relative_files(data: dict[str, Any], workdir: Path) -> dict[str, Any]:
    """``data`` with every local path under a ``files`` key relative to ``workdir``, the working
    directory the rehearsal's Snakemake runs in, which is what a relative path there is read from."""
    out = {}
    for key, value in data.items():
        if key == "files":
            value = {k: os.path.relpath(path, workdir) for k, path in value.items()}
        elif isinstance(value, dict):
            value = relative_files(value, workdir)
        out[key] = value
    return out


def snakemake_command(workdir: Path, overlay: Path, cores: str = "all") -> list[str]:
    configs = [str(REPO / "config/paper.yaml"), str(REPO / "config/rehearsal.yaml"), str(overlay)]
    snakefile = str(REPO / "Snakefile")
    # a run like any other: each job is its own process, so its benchmark file holds its own peak memory
    return [
        sys.executable, "-m", "snakemake", "--snakefile", snakefile, "--directory", str(workdir),
        "--cores", cores, "--configfile", *configs,
    ]  # fmt: skip


def rehearse(workdir: Path, scale: str = "full", cores: str = "all") -> float:
    """Prepare ``workdir`` from scratch and run the paper DAG there; returns the wall time in seconds."""
    if scale not in SCALES:
        raise RsreproError(f"rehearsal scale {scale!r} unknown; choose {', '.join(SCALES)}")
    if workdir.exists() and any(workdir.iterdir()) and not (workdir / "standins.yaml").is_file():
        raise RsreproError(
            f"{workdir} holds files but no earlier rehearsal (standins.yaml): give an empty or new folder"
        )
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    shutil.copy(REPO / "params.yaml", workdir / "params.yaml")
    start = time.perf_counter()
    overlay = write_overlay(workdir, SCALES[scale])
    env = {
        **os.environ,
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]),
    }
    done = subprocess.run(snakemake_command(workdir, overlay, cores), env=env)
    if done.returncode != 0:
        raise RsreproError(
            f"the rehearsal's Snakemake run failed (exit {done.returncode}); its logs: {workdir}/results/logs"
        )
    return time.perf_counter() - start
