"""Helpers for the Snakemake rule files (kept here, importable and unit-tested, not in .smk files).

Paths are relative to the working directory, as Snakemake expects; all outputs live under ``results/``.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

RESULTS = "results"
PREPARED = f"{RESULTS}/prepared"
SPLITS = f"{RESULTS}/splits"
LOGS = f"{RESULTS}/logs"
BENCHMARKS = f"{RESULTS}/benchmarks"
FIGURES = f"{RESULTS}/figures"
FEATURES = f"{RESULTS}/features"
# Real data lives outside results/: DVC tracks data/raw and data/pretrained (results/prepared too).
DATA = "data"
RAW = f"{DATA}/raw"
PRETRAINED = f"{DATA}/pretrained"
DOWNLOADS = f"{DATA}/downloads"  # resumable partial downloads (not tracked)
SCRATCH = f"{DATA}/scratch"  # extraction during prepare (deleted afterwards)
CHECKSUM_LOCK = "config/checksums.lock.json"
SOURCE_ROOT = Path(__file__).resolve().parent


def put_interpreter_on_path() -> None:
    """Let rules call the `rsrepro` command of the interpreter running Snakemake, activated or not."""
    bin_dir = str(Path(sys.executable).parent)
    os.environ["PATH"] = os.pathsep.join([bin_dir, os.environ.get("PATH", "")])


def as_json(section: Any) -> str:
    """A config section as one JSON string: passed to the CLI and compared by Snakemake's params trigger."""
    return json.dumps(section, sort_keys=True)


def code(*parts: str) -> list[str]:
    """Source files of rsrepro modules/packages (``"data/synthetic"``, ``"models/swan"``) as rule inputs.

    Snakemake does not track code imported by a rule's command; listing it as input reruns the jobs that
    use it when it changes (files under 1 MB are compared by checksum, so a fresh clone reruns nothing).
    """
    found: list[Path] = []
    for part in parts:
        path = SOURCE_ROOT / part
        if path.is_dir():
            found += sorted(path.rglob("*.py"))
        elif path.with_suffix(".py").is_file():
            found.append(path.with_suffix(".py"))
        else:
            raise FileNotFoundError(f"code({part!r}): no module or package {path}")
    return [os.path.relpath(p) for p in found]


def fetch_params(section: dict[str, Any]) -> dict[str, Any]:
    """The part of a ``data.<source>`` section that decides which files are fetched and how they are
    verified (not image_size, so changing the resolution re-converts without re-downloading)."""
    params = {"files": section.get("files") or {}, "urls": section.get("urls") or {}}
    if section.get("checksums"):  # only when given, so data fetched before the key existed stays current
        params["checksums"] = section["checksums"]
    return params


def notebook(name: str) -> str:
    """A report notebook of this checkout, relative to the working directory (like :func:`code`)."""
    return os.path.relpath(SOURCE_ROOT.parents[1] / "notebooks" / f"{name}.ipynb")


def weights_input(weights_file: str | None) -> list[str]:
    """Pretrained weights as a rule input (none when ``weights_file`` is empty).

    A file the workflow fetches lies in the folder that ``fetch_pretrained`` outputs as a whole
    (``data/pretrained/<name>/``): the input is that folder, so Snakemake schedules the fetch.
    """
    if not weights_file:
        return []
    path, root = Path(weights_file), Path(PRETRAINED).parts
    if path.parts[: len(root)] == root and len(path.parts) > len(root) + 1:
        return [str(Path(*path.parts[: len(root) + 1]))]
    return [weights_file]


def split_tag(split: str) -> str:
    """A paper split such as '60/10' as a file-name part, '60-10'."""
    return split.replace("/", "-")


def classification_split_files(config: dict[str, Any], dataset: str) -> list[str]:
    cfg = config["lsenet"]
    return [
        f"{SPLITS}/{dataset}/classification/ratio{ratio}_seed{seed}.json"
        for ratio in cfg["train_ratios"][dataset]
        for seed in cfg["split_seeds"]
    ]


def retrieval_split_files(config: dict[str, Any], dataset: str) -> list[str]:
    return [f"{SPLITS}/{dataset}/retrieval/seed{seed}.json" for seed in config["swan"]["run_seeds"]]


def zero_shot_split_files(config: dict[str, Any], dataset: str) -> list[str]:
    cfg = config["dsva"]
    return [
        f"{SPLITS}/{dataset}/zero_shot/{split_tag(split)}_seed{seed}.json"
        for split in cfg["splits"]
        for seed in cfg["split_seeds"]
    ]
