"""What the workflow knows of SWAN (its entry in :mod:`rsrepro.papers`): file lists of its rules, its
variants, and the headline rows of its aggregates. Plain functions of the Snakemake config."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rsrepro.io import read_json
from rsrepro.paths import FEATURES, PREPARED, paper_dir, report_file, retrieval_split, weights_input
from rsrepro.reports import paper_numbers
from rsrepro.reports.headline import Headline
from rsrepro.reports.paired import ItemScores, retrieval_scores
from rsrepro.reports.tables import cell
from rsrepro.swan import VARIANTS  # noqa: F401 (the registry's PaperTargets.VARIANTS)
from rsrepro.training.run import read_outputs

NAME = "swan"
TITLE = "SWAN"
LAYOUTS = ("synthetic", "karpathy_captions")  # the datasets it reads (rsrepro.data.own.dataset_layout)
CURVE_METRIC = "val_mR"
SWAN = paper_dir(NAME)
RUN_FILES = (("history", "json"), ("metrics", "json"), ("test_outputs", "npz"))  # what the report reads
BASELINE = "zero_shot_baseline"  # its folder and its row in the aggregate


def run_dir(dataset: str, variant: str, seed: int | str) -> str:
    return f"{SWAN}/{dataset}/{variant}/seed{seed}"


def run_dirs(config: dict[str, Any], dataset: str) -> list[str]:
    cfg = config["swan"]
    return [run_dir(dataset, variant, seed) for variant in cfg["variants"] for seed in cfg["run_seeds"]]


def run_files(config: dict[str, Any], dataset: str, name: str) -> list[str]:
    return [f"{run}/{name}" for run in run_dirs(config, dataset)]


def report_runs(config: dict[str, Any]) -> list[dict[str, Any]]:
    """Every run the report reads, with its files (history, metrics, test embeddings, prepared data)."""
    cfg = config["swan"]
    return [
        {
            "dataset": dataset,
            "variant": variant,
            "seed": seed,
            **{name: f"{run_dir(dataset, variant, seed)}/{name}.{ext}" for name, ext in RUN_FILES},
            "prepared": f"{PREPARED}/{dataset}",
        }
        for dataset in cfg["datasets"]
        for variant in cfg["variants"]
        for seed in cfg["run_seeds"]
    ]


def baseline_metrics(dataset: str) -> str:
    """The zero-shot retrieval baseline's metrics (rsrepro.baselines.retrieval)."""
    return f"{SWAN}/{dataset}/{BASELINE}/metrics.json"


def baseline_outputs(dataset: str) -> str:
    """Its test embeddings, in a SWAN run's ``test_outputs.npz`` layout."""
    return f"{SWAN}/{dataset}/{BASELINE}/test_outputs.npz"


def history_files(config: dict[str, Any], dataset: str) -> list[str]:
    return run_files(config, dataset, "history.json")


def split_files(config: dict[str, Any], dataset: str) -> list[str]:
    return [retrieval_split(dataset, seed) for seed in config["swan"]["run_seeds"]]


def vocab_file(dataset: str) -> str:
    return f"{FEATURES}/{dataset}/vocab.json"


def word_vectors_file(dataset: str) -> str:
    """GloVe vectors of one dataset's vocabulary, written by the ``glove_vectors`` rule (download.smk)."""
    return f"{FEATURES}/{dataset}/glove_840b_300d.npz"


def word_vectors_inputs(config: dict[str, Any], dataset: str) -> list[str]:
    return [word_vectors_file(dataset)] if config["swan"]["model"]["word_vectors"] == "glove" else []


def backbone_weights_inputs(config: dict[str, Any]) -> list[str]:
    return weights_input(config["swan"]["model"]["backbone_weights"])


def summary_file(dataset: str) -> str:
    """The aggregate over one dataset's runs and its baseline."""
    return f"{SWAN}/{dataset}/metrics.json"


def summary_files(config: dict[str, Any]) -> list[str]:
    return [summary_file(dataset) for dataset in config["swan"]["datasets"]]


def global_batch(config: dict[str, Any]) -> tuple[str, int]:
    return "swan.train.batch_size", config["swan"]["train"]["batch_size"]


def params_problems(config: dict[str, Any]) -> list[str]:
    """None beyond its schema's."""
    return []


def final_targets(config: dict[str, Any]) -> list[str]:
    return [*summary_files(config), report_file(NAME, "html")]


def headlines(summary_file: str) -> list[Headline]:
    """mR per variant, mean over runs (``swan/<ds>/metrics.json``; the dataset is the folder name), beside
    the zero-shot retrieval baseline's."""
    dataset = Path(summary_file).parent.name
    summary = read_json(summary_file)
    baseline = summary.get(BASELINE, {}).get("mean", {}).get("mR")
    return [
        Headline(
            paper=NAME,
            dataset=dataset,
            setting=variant,
            metric="mR",
            reproduced=result["mean"]["mR"],
            runs=result["runs"],
            std=result["std"]["mR"] if result["runs"] > 1 else None,
            paper_value=paper_numbers.swan_paper_mr(dataset),
            baseline=baseline,
            differs=paper_numbers.CORRECTED if variant == "corrected" else "",
        )
        for variant, result in summary.items()
        if variant != BASELINE
    ]


def main_table(summary_files: list[str]) -> tuple[str, list[str], list[dict[str, Any]]]:
    """SWAN's table (R@K both ways and mR, percent): the paper's rows, the reproduced variants (mean ± std
    over runs), the zero-shot baseline and current models as anchors, per dataset."""
    columns = ["dataset", *paper_numbers.SWAN_RECALLS]
    rows: list[dict[str, Any]] = []
    for method, by_dataset in paper_numbers.SWAN_TABLE.items():
        for dataset, values in by_dataset.items():
            rows.append({"group": "paper", "method": method, "dataset": dataset, **_recall_cells(values)})
    for path in summary_files:
        dataset = Path(path).parent.name
        for variant, result in read_json(path).items():
            group, name = (
                ("baseline", result_name(variant))
                if variant == BASELINE
                else ("reproduced", f"SWAN, reproduced ({variant})")
            )
            cells = {
                k: cell(result["mean"][k], result["std"][k], result["runs"])
                for k in paper_numbers.SWAN_RECALLS
            }
            rows.append({"group": group, "method": name, "dataset": dataset, **cells})
    for name, anchor in paper_numbers.SWAN_ANCHORS.items():
        for dataset in ("rsicd", "rsitmd"):
            method = f"{name} ({anchor['protocol']})"
            rows.append(
                {"group": "anchor", "method": method, "dataset": dataset, **_recall_cells(anchor[dataset])}
            )
    caption = "Image-text retrieval (%): R@1/5/10 image-to-text and text-to-image, and their mean mR."
    return caption, columns, rows


def result_name(variant: str) -> str:
    return "zero-shot image-text model (baseline)" if variant == BASELINE else variant


def _recall_cells(values: tuple[float | None, ...]) -> dict[str, str]:
    return {k: cell(v) for k, v in zip(paper_numbers.SWAN_RECALLS, values, strict=True)}


def paired_comparisons(config: dict[str, Any]) -> list[dict[str, Any]]:
    """mR differences over the same test images of each seed: corrected minus faithful, and each variant
    minus the zero-shot baseline (rsrepro.reports.paired)."""
    cfg = config["swan"]
    found = []
    for dataset in cfg["datasets"]:

        def outputs(variant: str, seed: int, dataset: str = dataset) -> str:
            return f"{run_dir(dataset, variant, seed)}/test_outputs.npz"

        pairs = [(f"{variant} − zero-shot baseline", variant, None) for variant in cfg["variants"]]
        if {"faithful", "corrected"} <= set(cfg["variants"]):
            pairs.insert(0, ("corrected − faithful", "corrected", "faithful"))
        for comparison, a, b in pairs:
            found.append(
                {
                    "dataset": dataset,
                    "setting": "test split",
                    "metric": "mR",
                    "comparison": comparison,
                    "pairs": [
                        [outputs(a, seed), outputs(b, seed) if b else baseline_outputs(dataset)]
                        for seed in cfg["run_seeds"]
                    ],
                }
            )
    return found


def item_scores(test_outputs: str) -> ItemScores:
    """A run's (or the baseline's) test images with their recall hits, ties as its variant counts them
    (the faithful variant as the released code's argsort, the others against the query)."""
    outputs = read_outputs(test_outputs)
    ties = "numpy" if Path(test_outputs).parent.parent.name == "faithful" else "pessimistic"
    return retrieval_scores(
        outputs["images"], outputs["captions"], outputs["caption_image"], outputs["image_index"], ties
    )
