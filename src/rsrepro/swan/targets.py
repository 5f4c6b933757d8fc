"""Rule-side helpers for workflow/rules/swan.smk: plain functions of the Snakemake ``config``."""

from __future__ import annotations

from typing import Any

from rsrepro.workflow import FEATURES, RESULTS, weights_input

SWAN = f"{RESULTS}/swan"


def run_dirs(config: dict[str, Any], dataset: str) -> list[str]:
    cfg = config["swan"]
    return [
        f"{SWAN}/{dataset}/{variant}/seed{seed}" for variant in cfg["variants"] for seed in cfg["run_seeds"]
    ]


def run_files(config: dict[str, Any], dataset: str, name: str) -> list[str]:
    return [f"{run}/{name}" for run in run_dirs(config, dataset)]


def vocab_file(dataset: str) -> str:
    return f"{FEATURES}/{dataset}/vocab.json"


def word_vectors_file(dataset: str) -> str:
    """GloVe vectors of one dataset's vocabulary, written by the ``glove_vectors`` rule (download.smk)."""
    return f"{FEATURES}/{dataset}/glove_840b_300d.npz"


def word_vectors_inputs(config: dict[str, Any], dataset: str) -> list[str]:
    return [word_vectors_file(dataset)] if config["swan"]["model"]["word_vectors"] == "glove" else []


def backbone_weights_inputs(config: dict[str, Any]) -> list[str]:
    return weights_input(config["swan"]["model"]["backbone_weights"])


def aggregate_files(config: dict[str, Any]) -> list[str]:
    return [f"{SWAN}/{dataset}/metrics.json" for dataset in config["swan"]["datasets"]]


def final_targets(config: dict[str, Any]) -> list[str]:
    return [*aggregate_files(config), f"{RESULTS}/reports/swan.html"]
