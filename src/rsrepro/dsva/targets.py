"""What the workflow knows of DSVA (its entry in :mod:`rsrepro.papers`): file lists of its rules, its
variants, and the headline rows of its aggregates. Plain functions of the Snakemake config."""

from __future__ import annotations

import re
from itertools import product
from pathlib import Path
from typing import Any

import numpy as np

from rsrepro.dsva import SETTINGS, STAGES, VARIANTS
from rsrepro.dsva.predictions import gzsl_predictions, zsl_predictions
from rsrepro.dsva.settings import train_settings
from rsrepro.dsva.summary import BRANCHES, HEADLINE
from rsrepro.io import read_json
from rsrepro.metrics.runs import mean_and_std
from rsrepro.paths import PREPARED, paper_dir, report_file, split_of, split_tag, zero_shot_split
from rsrepro.reports import paper_numbers
from rsrepro.reports.headline import Headline
from rsrepro.reports.paired import ItemScores, gzsl_h_scores, per_class_scores
from rsrepro.reports.tables import cell
from rsrepro.training.run import read_outputs

__all__ = ["VARIANTS"]  # the registry's PaperTargets.VARIANTS
NAME = "dsva"
TITLE = "DSVA"
LAYOUTS = (
    "synthetic",
    "class_folders",
    "rssdivcs_mat",
)  # the datasets it reads (rsrepro.data.own.dataset_layout)
CURVE_METRIC = "loss"  # per-epoch test metrics live in the run's metrics.json (dsva-summarize)
# "paper" picks epochs on the test set as the released code does (comparable with the paper's number);
# "validation" is the honest selection on pseudo-unseen validation classes.
HEADLINE_PROTOCOLS = ("paper", "validation")
BASELINE = "zero_shot_baseline"  # its runs' folder and variant name
DSVA = paper_dir(NAME)
TRAINING = (("history", "json"), ("model", "pt"))  # what the report reads of a training
RUN = DSVA + "/{dataset}/{split}_seed{seed}"
HEADLINE_METRICS = (("zsl", "ZSL"), ("H", "GZSL H"))  # summary key, label


def training_file(root: str | Path, setting: str, variant: str, stage: str, name: str) -> str:
    """A file of one training of a split file's run (``root``: ``RUN``), as rule dsva_train writes it."""
    return f"{root}/{setting}/{variant}/{stage}/{name}"


def run_dirs(config: dict[str, Any], dataset: str, setting: str = "zsl") -> list[str]:
    """The training runs of one setting, one per split file ("60-10_seed0") and variant
    (``<split>_seed<s>/<setting>/<variant>``, holding ``full/`` and ``select/``); the ZSL runs' histories
    are the training curves."""
    return [
        f"{DSVA}/{dataset}/{Path(split_file).stem}/{setting}/{variant}"
        for split_file in split_files(config, dataset)
        for variant in config["dsva"]["variants"]
    ]


def run_metrics(config: dict[str, Any], dataset: str) -> list[str]:
    """The summaries of both settings' runs, one per split file and variant, and the zero-shot
    baseline's of each split file."""
    return [
        f"{DSVA}/{dataset}/{Path(split_file).stem}/{variant}/metrics.json"
        for split_file in split_files(config, dataset)
        for variant in (*config["dsva"]["variants"], BASELINE)
    ]


def summary_files(config: dict[str, Any]) -> list[str]:
    return [f"{DSVA}/{dataset}/metrics.json" for dataset in config["dsva"]["datasets"]]


def run_key(metrics_path: str | Path) -> dict[str, Any]:
    """dataset, split, seed and variant of a run from its metrics path."""
    m = re.search(r"dsva/([^/]+)/(\d+-\d+)_seed(\d+)/([a-z_]+)/metrics\.json$", str(metrics_path))
    if m is None:
        raise ValueError(f"not a DSVA run metrics path: {metrics_path}")
    dataset, split, seed, variant = m.groups()
    return {"dataset": dataset, "split": split_of(split), "seed": int(seed), "variant": variant}


def report_runs(config: dict[str, Any]) -> list[dict[str, Any]]:
    """Every run (split file x variant) the report reads, with its files: the metrics, the attribute
    collection, the split, the prepared dataset, and each setting's and stage's history and model."""
    runs = []
    for dataset in config["dsva"]["datasets"]:
        for split_file in split_files(config, dataset):
            root = f"{DSVA}/{dataset}/{Path(split_file).stem}"
            for variant in config["dsva"]["variants"]:
                trainings = {
                    setting: {
                        stage: {
                            name: training_file(root, setting, variant, stage, f"{name}.{ext}")
                            for name, ext in TRAINING
                        }
                        for stage in STAGES
                    }
                    for setting in SETTINGS
                }
                runs.append(
                    {
                        "dataset": dataset,
                        "variant": variant,
                        "metrics": f"{root}/{variant}/metrics.json",
                        "attributes": f"{root}/attributes",
                        "split": split_file,
                        "prepared": f"{PREPARED}/{dataset}",
                        "trainings": trainings,
                    }
                )
    return runs


def report_inputs(config: dict[str, Any]) -> list[str]:
    """The files of :func:`report_runs`, each once."""
    files: dict[str, None] = {}
    for run in report_runs(config):
        files.update(dict.fromkeys([run["metrics"], run["attributes"], run["split"], run["prepared"]]))
        for stages in run["trainings"].values():
            for training in stages.values():
                files.update(dict.fromkeys(training.values()))
    return list(files)


def split_files(config: dict[str, Any], dataset: str) -> list[str]:
    cfg = config["dsva"]
    return [
        zero_shot_split(dataset, split_tag(split), seed)
        for split in cfg["splits"]
        for seed in cfg["split_seeds"]
    ]


def history_files(config: dict[str, Any], dataset: str) -> list[str]:
    return [f"{run}/full/history.json" for run in run_dirs(config, dataset)]


def global_batch(config: dict[str, Any]) -> tuple[str, int]:
    train = config["dsva"]["train"]
    return "dsva.train.ways x dsva.train.shots", train["ways"] * train["shots"]


def params_problems(config: dict[str, Any]) -> list[str]:
    """Classes listed by name for a dataset's split (``data.<name>.zero_shot_splits``) are for a split
    DSVA runs, and leave the select stage seen classes to train on beside its validation classes."""
    cfg, problems = config["dsva"], []
    for dataset in cfg["datasets"]:
        for split in (config["data"].get(dataset) or {}).get("zero_shot_splits", {}):
            where = f"data.{dataset}.zero_shot_splits[{split!r}]"
            if split not in cfg["splits"]:
                problems.append(
                    f"{where}: DSVA runs the splits {', '.join(cfg['splits'])} (dsva.splits); add {split!r} "
                    "to dsva.splits or remove the listing"
                )
                continue
            seen = int(split.split("/")[0])
            problems += [
                f"{where} has {seen} seen classes, the select stage holds out {val} of them (val_classes, "
                f"{setting}): list more seen classes or lower val_classes to at most {seen - 1}"
                for setting in SETTINGS
                if (val := train_settings(cfg, split, setting)["val_classes"]) >= seen
            ]
    return problems


def final_targets(config: dict[str, Any]) -> list[str]:
    return [*summary_files(config), report_file(NAME, "html")]


def headlines(summary_file: str) -> list[Headline]:
    """ZSL accuracy and GZSL H per split, variant and protocol (``dsva/<ds>/metrics.json``), beside the
    zero-shot baseline's on the same split and the authors' released re-runs."""
    summary = read_json(summary_file)
    means = summary["mean_over_seeds"]
    baseline = {(r["dataset"], r["split"]): r for r in means if r["variant"] == BASELINE}
    per_seed: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for r in summary["rows"]:
        per_seed.setdefault((r["dataset"], r["split"], r["variant"], r["protocol"]), []).append(r)
    rows = []
    for row in means:
        if row["protocol"] not in HEADLINE_PROTOCOLS:
            continue
        seeds = per_seed[(row["dataset"], row["split"], row["variant"], row["protocol"])]
        base = baseline.get((row["dataset"], row["split"]))
        for key, label in HEADLINE_METRICS:
            rows.append(
                Headline(
                    paper=NAME,
                    dataset=row["dataset"],
                    setting=f"{row['split']} {row['variant']}, {row['protocol']} epochs",
                    metric=label,
                    reproduced=100 * row[key],
                    runs=row["runs"],
                    std=100 * mean_and_std([r[key] for r in seeds])[1] if row["runs"] > 1 else None,
                    paper_value=paper_numbers.dsva_paper_number(row["dataset"], row["split"], key),
                    baseline=100 * base[key] if base else None,
                    differs=_differs(row["variant"], row["protocol"]),
                    reruns=paper_numbers.dsva_reruns(row["dataset"], row["split"], key),
                )
            )
    return rows


def _differs(variant: str, protocol: str) -> str:
    if protocol == "validation":
        return "epochs selected on pseudo-unseen validation classes; the paper picks them on the test set"
    return paper_numbers.CORRECTED if variant == "corrected" else ""


def main_table(summary_files: list[str]) -> tuple[str, list[str], list[dict[str, Any]]]:
    """DSVA's table (percent): per split, the paper's ZSL and GZSL U / S / H, the reproduced variants under
    each epoch protocol (mean over split seeds) and the zero-shot baseline."""
    columns = ["split", "ZSL", "U", "S", "H"]
    rows: list[dict[str, Any]] = [
        {"group": "paper", "method": "DSVA (paper)", "split": split, "ZSL": cell(n.zsl_paper),
         **{k: cell(v) for k, v in zip(("U", "S", "H"), n.gzsl_paper, strict=True)}}
        for split, n in paper_numbers.DSVA_TABLE.items()
    ]  # fmt: skip
    for path in summary_files:
        for r in read_json(path)["mean_over_seeds"]:
            baseline = r["variant"] == BASELINE
            method = (
                "zero-shot image-text model (baseline)"
                if baseline
                else f"DSVA, reproduced ({r['variant']}, {r['protocol']} epochs)"
            )
            values = {"ZSL": cell(100 * r["zsl"]), **{k: cell(100 * r[k]) for k in ("U", "S", "H")}}
            group = "baseline" if baseline else "reproduced"
            rows.append(
                {"group": group, "method": f"{method}, {r['dataset']}", "split": r["split"], **values}
            )
    caption = "Zero-shot scene classification (%): ZSL accuracy on the unseen classes, GZSL U, S and H."
    return caption, columns, rows


def paired_comparisons(config: dict[str, Any]) -> list[dict[str, Any]]:
    """ZSL accuracy and GZSL H differences per split and headline protocol, over the same test images of
    each split seed (rsrepro.reports.paired): corrected minus faithful, and each variant minus the
    zero-shot baseline. The baseline is scored on the test images it shares with DSVA, which leaves out
    of its evaluation the unseen images its attributes were collected from (``eval_excluded``)."""
    cfg = config["dsva"]
    versus = [(f"{variant} − zero-shot baseline", variant, BASELINE) for variant in cfg["variants"]]
    if {"faithful", "corrected"} <= set(cfg["variants"]):
        versus.insert(0, ("corrected − faithful", "corrected", "faithful"))
    found = []
    for dataset in cfg["datasets"]:
        for split in cfg["splits"]:
            roots = [RUN.format(dataset=dataset, split=split_tag(split), seed=s) for s in cfg["split_seeds"]]
            for protocol in HEADLINE_PROTOCOLS:
                for (key, label), (comparison, a, b) in product(HEADLINE_METRICS, versus):
                    pairs = [[f"{root}/{a}/metrics.json", f"{root}/{b}/metrics.json"] for root in roots]
                    reads = [file for pair in pairs for run in pair for file in scored_files(run, key)]
                    found.append(
                        {
                            "dataset": dataset,
                            "setting": f"{split}, {protocol} epochs",
                            "metric": label,
                            "comparison": comparison,
                            "pairs": pairs,
                            "scored_as": {"protocol": protocol, "metric": key},
                            "common_items": b == BASELINE,
                            "reads": reads,
                        }
                    )
    return found


def setting_of(metric: str) -> str:
    """The setting whose training reports ``metric`` (``zsl`` or ``H``)."""
    return next(setting for setting, keys in HEADLINE.items() if metric in keys)


def scored_files(run: str, metric: str) -> list[str]:
    """What :func:`item_scores` reads of a run (its ``metrics.json``) for ``metric``: the summary, the
    test outputs (of the training that reports it), and the baseline's split file (its classes)."""
    key, root = run_key(run), Path(run).parent.parent
    if key["variant"] == BASELINE:
        split = zero_shot_split(key["dataset"], split_tag(key["split"]), key["seed"])
        return [run, f"{root}/{BASELINE}/test_outputs.npz", split]
    return [run, training_file(root, setting_of(metric), key["variant"], "full", "test_outputs.npz")]


def item_scores(run: str, protocol: str, metric: str) -> ItemScores:
    """A run's test images scored for ``metric`` (``zsl`` or ``H``) as its headline under ``protocol``
    (one component per class, drawn within class): the predictions of the reported branch at the epoch
    dsva-summarize chose (in its ``metrics.json``); the baseline's, which has no epochs, from its class
    scores as rsrepro.baselines.zero_shot predicts."""
    summary, outputs, *split_file = scored_files(run, metric)
    out, metrics = read_outputs(outputs), read_json(summary)
    if split_file:
        return _baseline_scores(out, read_json(split_file[0]), metrics["gamma"], metric)
    labels, index = out["labels"], out["index"]
    setting = setting_of(metric)
    epoch = metrics["protocols"][protocol][f"{setting}_epoch"]
    if epoch is None:  # no epoch beat 0: the released code reports its initial zeros
        return per_class_scores(labels, np.full_like(labels, -1), index, np.unique(labels))
    predicted = out["predictions"][epoch][BRANCHES.index("")]
    if metric == "zsl":
        return per_class_scores(labels, predicted, index, out["candidates"])
    faithful = bool(metrics["runs"][setting]["faithful"])
    return gzsl_h_scores(labels, predicted, index, out["unseen"], out["seen"], plain_seen_mean=faithful)


def _baseline_scores(
    out: dict[str, np.ndarray], split: dict[str, Any], gamma: float, metric: str
) -> ItemScores:
    """The zero-shot baseline's: ZSL on the unseen test images among the unseen classes, GZSL H after
    calibrated stacking with its gamma (on scores)."""
    labels, index, scores = out["labels"], out["index"], out["scores"]
    seen, unseen = np.asarray(split["seen_classes"]), np.asarray(split["unseen_classes"])
    if metric == "zsl":
        rows = np.isin(labels, unseen)
        predicted = zsl_predictions(scores[rows], unseen)
        return per_class_scores(labels[rows], predicted, index[rows], unseen)
    predicted = gzsl_predictions(scores, labels, seen, gamma, faithful=False)
    return gzsl_h_scores(labels, predicted, index, unseen, seen, plain_seen_mean=False)
