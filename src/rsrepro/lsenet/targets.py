"""What the workflow knows of LSE-Net (its entry in :mod:`rsrepro.papers`): file lists of its rules,
its variants, and the headline rows of its summaries. Plain functions of the Snakemake config."""

from __future__ import annotations

from typing import Any

from rsrepro.io import read_json
from rsrepro.lsenet import VARIANTS  # noqa: F401 (the registry's PaperTargets.VARIANTS)
from rsrepro.paths import PLOTS, PREPARED, classification_split, paper_dir, report_file, weights_input
from rsrepro.reports import paper_numbers
from rsrepro.reports.headline import Headline
from rsrepro.reports.paired import ItemScores, classification_scores
from rsrepro.reports.tables import cell
from rsrepro.training.run import read_outputs

NAME = "lsenet"
TITLE = "LSE-Net"
LAYOUTS = ("synthetic", "class_folders")  # the datasets it reads (rsrepro.data.own.dataset_layout)
CURVE_METRIC = "train_acc"  # the per-epoch value of history.json that the DVC curve plots
LSENET = paper_dir(NAME)
RUN_FILES = (("model", "pt"), ("history", "json"), ("metrics", "json"))  # what the report reads of a run


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


def checkpoint_dir(dataset: str, variant: str, ratio: float | str, seed: int | str) -> str:
    return f"{run_dir(dataset, variant, ratio, seed)}/checkpoints"


def probe_file(dataset: str, ratio: float | str, seed: int | str, name: str) -> str:
    """A file of the linear-probe baseline run on one split (rsrepro.baselines.linear_probe)."""
    return f"{LSENET}/{dataset}/linear_probe/ratio{ratio}_seed{seed}/{name}"


def probe_features(dataset: str) -> str:
    return f"{LSENET}/{dataset}/linear_probe/features.npz"


def run_metrics(config: dict[str, Any], dataset: str) -> list[str]:
    """Every run's metrics: the variants' and, on the main table's splits, the linear-probe baseline's."""
    cfg = config["lsenet"]
    probes = [
        probe_file(dataset, ratio, seed, "metrics.json")
        for ratio in cfg["train_ratios"][dataset]
        for seed in cfg["split_seeds"]
    ]
    return [f"{run_dir(dataset, *run)}/metrics.json" for run in runs(config, dataset)] + probes


def history_files(config: dict[str, Any], dataset: str) -> list[str]:
    return [f"{run_dir(dataset, *run)}/history.json" for run in runs(config, dataset)]


def split_files(config: dict[str, Any], dataset: str) -> list[str]:
    cfg = config["lsenet"]
    return [
        classification_split(dataset, ratio, seed)
        for ratio in cfg["train_ratios"][dataset]
        for seed in cfg["split_seeds"]
    ]


def summary_file(dataset: str) -> str:
    return f"{LSENET}/{dataset}/summary.json"


def summary_files(config: dict[str, Any]) -> list[str]:
    return [summary_file(dataset) for dataset in config["lsenet"]["datasets"]]


def per_class_plot(dataset: str) -> str:
    """Per-class accuracy of the full model (DVC plots it as bars)."""
    return f"{PLOTS}/per_class/{NAME}_{dataset}.csv"


def report_runs(config: dict[str, Any]) -> list[dict[str, Any]]:
    """Every run the report reads (its curves, speeds, peak-hit rates), with the files behind it."""
    return [
        {
            "dataset": dataset,
            "variant": variant,
            "train_ratio": ratio,
            "seed": seed,
            **{name: f"{run_dir(dataset, variant, ratio, seed)}/{name}.{ext}" for name, ext in RUN_FILES},
            "split": classification_split(dataset, ratio, seed),
            "prepared": f"{PREPARED}/{dataset}",
        }
        for dataset in config["lsenet"]["datasets"]
        for variant, ratio, seed in runs(config, dataset)
    ]


def maps_run(config: dict[str, Any]) -> dict[str, Any]:
    """The run whose attention / CPR / CACPR maps the report draws: the full model on the first dataset,
    largest train ratio, first split seed."""
    cfg = config["lsenet"]
    dataset = cfg["datasets"][0]
    ratio, seed = max(cfg["train_ratios"][dataset]), cfg["split_seeds"][0]
    return next(
        run
        for run in report_runs(config)
        if (run["dataset"], run["variant"], run["train_ratio"], run["seed"]) == (dataset, "full", ratio, seed)
    )


def weights_inputs(config: dict[str, Any]) -> list[str]:
    """The pretrained backbone weights as a training input, when a file is configured."""
    model = config["lsenet"]["model"]
    return weights_input(model["weights_file"] if model["pretrained"] else None)


def global_batch(config: dict[str, Any]) -> tuple[str, int]:
    """The params key of the global training batch (which the GPUs of a DDP run share) and its size."""
    return "lsenet.train.batch_size", config["lsenet"]["train"]["batch_size"]


def params_problems(config: dict[str, Any]) -> list[str]:
    """Every dataset of ``lsenet.datasets`` has its train ratios, and every ratio's dataset is configured
    (a misspelt name would be ignored)."""
    cfg = config["lsenet"]
    problems = [
        f"lsenet.train_ratios has no entry for dataset {name!r} listed in lsenet.datasets; "
        f"add e.g. `{name}: [0.5]` under lsenet.train_ratios"
        for name in cfg["datasets"]
        if name not in cfg["train_ratios"]
    ]
    return problems + [
        f"{key}.{name}: no dataset {name!r} in data; fix the name or declare data.{name}"
        for key, ratios in (
            ("lsenet.train_ratios", cfg["train_ratios"]),
            ("lsenet.ablation.train_ratios", cfg["ablation"]["train_ratios"]),
        )
        for name in ratios
        if name not in config["data"]
    ]


def final_targets(config: dict[str, Any]) -> list[str]:
    per_class = [per_class_plot(dataset) for dataset in config["lsenet"]["datasets"]]
    return [*summary_files(config), *per_class, report_file(NAME, "html")]


def headlines(summary_file: str) -> list[Headline]:
    """Overall accuracy of the full model per dataset and train ratio (``lsenet/<ds>/summary.json``), beside
    the linear-probe baseline's on the same splits."""
    summary = read_json(summary_file)
    probe = {
        row["train_ratio"]: row["oa_mean"] for row in summary["rows"] if row["variant"] == "linear_probe"
    }
    return [
        Headline(
            paper=NAME,
            dataset=dataset,
            setting=f"train {round(100 * row['train_ratio'])}%",
            metric="OA",
            reproduced=100 * row["oa_mean"],
            runs=row["n_runs"],
            std=100 * row["oa_std"] if row["n_runs"] > 1 else None,
            baseline=100 * probe[row["train_ratio"]] if row["train_ratio"] in probe else None,
            differs=paper_numbers.LSENET_RECORDS_NOTE if dataset in paper_numbers.LSENET_RECORDS else "",
        )
        for dataset in summary["datasets"]
        for row in summary["rows"]
        if row["variant"] == "full"
    ]


PAPER_COLUMNS = [
    ("ucm", 0.5),
    ("ucm", 0.8),
    ("aid", 0.2),
    ("aid", 0.5),
    ("nwpu_resisc45", 0.1),
    ("nwpu_resisc45", 0.2),
]
ROW_NAMES = {"full": "LSE-Net, reproduced", "backbone_gap": "backbone + GAP", "linear_probe": "linear probe"}


def main_table(summary_files: list[str]) -> tuple[str, list[str], list[dict[str, Any]]]:
    """The OA table (percent, mean ± sample std over split seeds): reproduced, baseline and anchor rows,
    one column per dataset and train ratio (the paper's six, then any other reproduced)."""
    summaries = [read_json(path) for path in summary_files]
    found = {(d, r["train_ratio"]) for s in summaries for d in s["datasets"] for r in s["rows"]}
    keys = PAPER_COLUMNS + sorted(found - set(PAPER_COLUMNS))
    column = {key: f"{key[0]} {round(100 * key[1])}%" for key in keys}
    rows: dict[str, dict[str, Any]] = {}
    for summary in summaries:
        (dataset,) = summary["datasets"]
        for r in summary["rows"]:
            if r["variant"] not in ROW_NAMES:
                continue
            group = "reproduced" if r["variant"] == "full" else "baseline"
            row = rows.setdefault(r["variant"], {"group": group, "method": ROW_NAMES[r["variant"]]})
            row[column[(dataset, r["train_ratio"])]] = cell(
                100 * r["oa_mean"], 100 * r["oa_std"], r["n_runs"]
            )
    anchors = [
        {"group": "anchor", "method": f"{name} (fine-tuned; its README)",
         **{column[k]: cell(v) for k, v in values.items()}}
        for name, values in paper_numbers.LSENET_ANCHORS.items()
    ]  # fmt: skip
    # LSE-Net's own published numbers state no train ratio: columns of their own, never under a ratio.
    unstated = {dataset: f"{dataset}, ratio not stated" for dataset in paper_numbers.LSENET_RECORDS}
    published = {"group": "paper", "method": paper_numbers.LSENET_RECORDS_METHOD}
    published |= {unstated[d]: cell(v) for d, v in paper_numbers.LSENET_RECORDS.items()}
    caption = "Overall accuracy (%) per train ratio, mean ± sample std over split seeds."
    return caption, [*column.values(), *unstated.values()], [published, *rows.values(), *anchors]


def paired_comparisons(config: dict[str, Any]) -> list[dict[str, Any]]:
    """OA of the full model minus the linear-probe baseline's, per dataset and ratio, paired over the same
    test images of each split seed (rsrepro.reports.paired)."""
    cfg = config["lsenet"]
    return [
        {
            "dataset": dataset,
            "setting": f"train {round(100 * ratio)}%",
            "metric": "OA",
            "comparison": "LSE-Net − linear probe",
            "pairs": [
                [
                    f"{run_dir(dataset, 'full', ratio, seed)}/test_outputs.npz",
                    probe_file(dataset, ratio, seed, "test_outputs.npz"),
                ]
                for seed in cfg["split_seeds"]
            ],
        }
        for dataset in cfg["datasets"]
        for ratio in cfg["train_ratios"][dataset]
        if "full" in cfg["variants"]
    ]


def item_scores(test_outputs: str) -> ItemScores:
    """A run's (or the probe's) test images: correct or not."""
    outputs = read_outputs(test_outputs)
    return classification_scores(outputs["labels"], outputs["logits"].argmax(1), outputs["index"])
