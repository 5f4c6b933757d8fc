"""File lists for the LSE-Net rules (plain functions of the Snakemake config)."""

from __future__ import annotations

import os
from typing import Any

from rsrepro.workflow import RESULTS, SOURCE_ROOT, weights_input

LSENET = f"{RESULTS}/lsenet"


def run_dir(dataset: str, variant: str, ratio: float | str, seed: int | str) -> str:
    return f"{LSENET}/{dataset}/{variant}/ratio{ratio}_seed{seed}"


def runs(config: dict[str, Any], dataset: str) -> list[tuple[str, float, int]]:
    """(variant, ratio, seed) of every run of ``dataset``: the main table's and the ablation's."""
    cfg = config["lsenet"]
    found = [
        (variant, ratio, seed)
        for variant in cfg["variants"]
        for ratio in cfg["train_ratios"][dataset]
        for seed in cfg["split_seeds"]
    ]
    ablation = cfg["ablation"]
    found += [
        (variant, ratio, seed)
        for variant in ablation["variants"]
        for ratio in ablation["train_ratios"].get(dataset, [])
        for seed in ablation["split_seeds"]
    ]
    return list(dict.fromkeys(found))


def run_metrics(config: dict[str, Any], dataset: str) -> list[str]:
    return [f"{run_dir(dataset, *run)}/metrics.json" for run in runs(config, dataset)]


def summary_file(dataset: str) -> str:
    return f"{LSENET}/{dataset}/summary.json"


def summaries(config: dict[str, Any]) -> list[str]:
    return [summary_file(dataset) for dataset in config["lsenet"]["datasets"]]


def report_models(config: dict[str, Any]) -> list[str]:
    """Models of the first dataset's runs: the report draws its maps and peak-hit rates from them."""
    dataset = config["lsenet"]["datasets"][0]
    return [f"{run_dir(dataset, *run)}/model.pt" for run in runs(config, dataset)]


def weights_inputs(config: dict[str, Any]) -> list[str]:
    """The pretrained backbone weights as a training input, when a file is configured."""
    model = config["lsenet"]["model"]
    return weights_input(model["weights_file"] if model["pretrained"] else None)


def notebook() -> str:
    """The report notebook of this checkout, relative to the working directory (like ``code()``)."""
    return os.path.relpath(SOURCE_ROOT.parents[1] / "notebooks" / "lsenet.ipynb")
