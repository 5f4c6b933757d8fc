"""File lists of the report rules (plain functions of the Snakemake config)."""

from __future__ import annotations

from typing import Any

from rsrepro.dsva import targets as dsva_targets
from rsrepro.lsenet import targets as lsenet_targets
from rsrepro.swan import targets as swan_targets
from rsrepro.workflow import RESULTS

PAPERS = ("lsenet", "swan", "dsva")
METRICS = f"{RESULTS}/metrics"
PLOTS = f"{RESULTS}/plots"
REPORTS = f"{RESULTS}/reports"


def summary_files(config: dict[str, Any]) -> dict[str, list[str]]:
    """paper -> the per-dataset summary files its workflow writes (what the headline adapters read)."""
    return {
        "lsenet": lsenet_targets.summaries(config),
        "swan": swan_targets.aggregate_files(config),
        "dsva": dsva_targets.aggregate_files(config),
    }


def history_files(config: dict[str, Any], paper: str, dataset: str) -> list[str]:
    if paper == "lsenet":
        return [
            f"{lsenet_targets.run_dir(dataset, *run)}/history.json"
            for run in lsenet_targets.runs(config, dataset)
        ]
    if paper == "swan":
        return swan_targets.run_files(config, dataset, "history.json")
    return [f"{run}/full/history.json" for run in dsva_targets.run_dirs(config, dataset)]


def plot_files(config: dict[str, Any]) -> list[str]:
    files = [
        f"{PLOTS}/{paper}/{dataset}/curves.csv" for paper in PAPERS for dataset in config[paper]["datasets"]
    ]
    return files + [f"{PLOTS}/lsenet/{dataset}/per_class.csv" for dataset in config["lsenet"]["datasets"]]


def metrics_files() -> list[str]:
    return [f"{METRICS}/{paper}.json" for paper in PAPERS]


def restored_targets(config: dict[str, Any]) -> list[str]:
    """The newest files that dvc.yaml's stage versions: their upstream jobs are the trained runs."""
    summaries = [f for files in summary_files(config).values() for f in files]
    return summaries + metrics_files() + plot_files(config)


def final_targets(config: dict[str, Any]) -> list[str]:
    return metrics_files() + plot_files(config) + [f"{REPORTS}/index.html"]
