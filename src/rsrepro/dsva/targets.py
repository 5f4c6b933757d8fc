"""Paths of the DSVA workflow (plain functions of ``config``; the rule file uses them)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from rsrepro.workflow import RESULTS, SPLITS, split_tag, zero_shot_split_files

DSVA = f"{RESULTS}/dsva"
RUN = DSVA + "/{dataset}/{split}_seed{seed}"


def dsva_split_files(config: dict[str, Any], dataset: str, seed: int) -> list[str]:
    """The zero-shot split files of one split seed (the image-text model serves all of them)."""
    return [f"{SPLITS}/{dataset}/zero_shot/{split_tag(s)}_seed{seed}.json" for s in config["dsva"]["splits"]]


def image_text_inputs(config: dict[str, Any], dataset: str, seed: int) -> list[str]:
    """The embedded image-text model directory the attribute collection needs (none for clip-rsicd)."""
    if config["dsva"]["collection"]["model"] != "embedded":
        return []
    return [f"{DSVA}/{dataset}/image_text_seed{seed}"]


def run_dirs(config: dict[str, Any], dataset: str, setting: str = "zsl") -> list[str]:
    """The training runs of one setting, one per split file ("60-10_seed0") and variant
    (``<split>_seed<s>/<setting>/<variant>``, holding ``full/`` and ``select/``); the ZSL runs' histories
    are the training curves."""
    return [
        f"{DSVA}/{dataset}/{Path(split_file).stem}/{setting}/{variant}"
        for split_file in zero_shot_split_files(config, dataset)
        for variant in config["dsva"]["variants"]
    ]


def run_metrics(config: dict[str, Any], dataset: str) -> list[str]:
    """The summaries of both settings' runs, one per split file and variant."""
    return [
        f"{DSVA}/{dataset}/{Path(split_file).stem}/{variant}/metrics.json"
        for split_file in zero_shot_split_files(config, dataset)
        for variant in config["dsva"]["variants"]
    ]


def aggregate_files(config: dict[str, Any]) -> list[str]:
    return [f"{DSVA}/{dataset}/metrics.json" for dataset in config["dsva"]["datasets"]]


def split_of(tag: str) -> str:
    """The params key of a split from its path tag ("50-20" -> "50/20")."""
    return tag.replace("-", "/")


def run_key(metrics_path: str | Path) -> dict[str, Any]:
    """dataset, split, seed and variant of a run from its metrics path."""
    m = re.search(r"dsva/([^/]+)/(\d+-\d+)_seed(\d+)/([a-z]+)/metrics\.json$", str(metrics_path))
    if m is None:
        raise ValueError(f"not a DSVA run metrics path: {metrics_path}")
    dataset, split, seed, variant = m.groups()
    return {"dataset": dataset, "split": split_of(split), "seed": int(seed), "variant": variant}
