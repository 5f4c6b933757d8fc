"""What the full paper preset costs, projected from the rehearsal's measured throughputs.

The rehearsal runs the paper architectures at the paper resolutions, so its per-image training and
inference rates (each run's ``history.json``) are the full run's; what differs is how many images pass
through how many epochs of how many runs. Per paper and dataset::

    projected = runs x (epochs x training images / training rate + evaluated images / inference rate)
                + runs x the per-job start-up the rehearsal measured (wall time minus its compute)

with the image counts of the real datasets and the schedules of ``config/paper.yaml``. The data stages
scale with the image count, the disk with the prepared caches (exact: N x size^2 x 3 bytes), the
published archive sizes where known and the trained files per run. A FLOP count of each paper's training
(:func:`training_flops`) turns into the hours one GPU would need at an assumed utilisation.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rsrepro.io import read_json

# Images per dataset as published (research notes): UCM 21 x 100, AID 10,000, NWPU 45 x 700, RSITMD and
# RSICD with SWAN's official train / test lists, RSSDIVCS 70 x 800.
REAL_IMAGES = {
    "ucm": 2100,
    "aid": 10000,
    "nwpu_resisc45": 31500,
    "rsitmd": 4743,
    "rsicd": 10921,
    "rssdivcs": 56000,
}
OFFICIAL_TRAIN = {"rsitmd": 4291, "rsicd": 9828}
CAPTIONS_PER_IMAGE = 5
RSSDIVCS_PER_CLASS, RSSDIVCS_CLASSES = 800, 70
# Published sizes in bytes (research notes); the others are not published.
ARCHIVE_BYTES = {"ucm": 332e6, "nwpu_resisc45": 427_389_445, "rsicd": 484_955_574}
WEIGHT_BYTES = {"glove_840b_300d": 2.0e9, "clip_rsicd": 605e6}  # the 2 GB zip; pytorch_model.bin


@dataclass(frozen=True)
class Projection:
    paper: str
    dataset: str
    runs: int
    hours: float
    detail: str


def mean_rate(histories: Iterable[dict[str, Any]], key: str) -> float:
    rates = [e[key] for h in histories for e in h["epochs"] if key in e]
    return statistics.fmean(rates) if rates else float("nan")


def lsenet(config: dict[str, Any], histories: list[dict[str, Any]], startup_s: float) -> list[Projection]:
    cfg, train_rate = config["lsenet"], mean_rate(histories, "train_images_per_s")
    eval_rate = statistics.fmean(h["run"]["eval_images_per_s"] for h in histories)
    rows = []
    for dataset in cfg["datasets"]:
        runs = [
            (ratio, len(cfg["split_seeds"]) * len(cfg["variants"])) for ratio in cfg["train_ratios"][dataset]
        ] + [
            (ratio, len(cfg["ablation"]["split_seeds"]) * len(cfg["ablation"]["variants"]))
            for ratio in cfg["ablation"]["train_ratios"].get(dataset, [])
        ]
        n, epochs, seconds, count = REAL_IMAGES[dataset], cfg["train"]["epochs"], 0.0, 0
        for ratio, k in runs:
            per_epoch_eval = n * (1 - ratio) if cfg["train"]["eval_every_epoch"] else 0
            seconds += k * (
                epochs * (n * ratio / train_rate + per_epoch_eval / eval_rate) + n * (1 - ratio) / eval_rate
            )
            seconds += k * startup_s
            count += k
        rows.append(
            Projection("lsenet", dataset, count, seconds / 3600,
                       f"{epochs} epochs; {train_rate:.1f} train / {eval_rate:.1f} test images/s measured")
        )  # fmt: skip
    return rows


def swan(
    config: dict[str, Any], histories: list[dict[str, Any]], metrics: list[dict[str, Any]], startup_s: float
):
    cfg, pair_rate = config["swan"], mean_rate(histories, "pairs_per_s")
    encode_rate = statistics.fmean(m["n_images"] / m["eval_seconds"] for m in metrics)
    per_image = (
        CAPTIONS_PER_IMAGE
        if cfg["train"]["captions_per_image"] == "all"
        else cfg["train"]["captions_per_image"]
    )
    rows = []
    for dataset in cfg["datasets"]:
        train = OFFICIAL_TRAIN[dataset] * (1 - cfg["val_fraction"])
        val, test = (
            OFFICIAL_TRAIN[dataset] * cfg["val_fraction"],
            REAL_IMAGES[dataset] - OFFICIAL_TRAIN[dataset],
        )
        runs, epochs = len(cfg["run_seeds"]) * len(cfg["variants"]), cfg["train"]["epochs"]
        per_run = (
            epochs * (train * per_image / pair_rate + val / encode_rate) + test / encode_rate + startup_s
        )
        rows.append(
            Projection("swan", dataset, runs, runs * per_run / 3600,
                       f"{epochs} epochs of {train * per_image:,.0f} pairs; {pair_rate:.1f} pairs/s, "
                       f"{encode_rate:.1f} test images/s measured")
        )  # fmt: skip
    return rows


def dsva(config: dict[str, Any], histories: list[dict[str, Any]], startup_s: float) -> list[Projection]:
    cfg = config["dsva"]
    train, rows = cfg["train"], []
    train_rate, test_rate = (
        mean_rate(histories, "train_images_per_s"),
        mean_rate(histories, "test_images_per_s"),
    )
    seen_test = cfg["seen_test_fraction"]
    for split in cfg["splits"]:
        seen, unseen = (int(k) for k in split.split("/"))
        zsl_test = unseen * RSSDIVCS_PER_CLASS
        gzsl_test = zsl_test + seen * RSSDIVCS_PER_CLASS * seen_test
        val = train["val_classes"] * RSSDIVCS_PER_CLASS
        per_epoch = train["batches_per_epoch"] * train["ways"] * train["shots"] / train_rate
        seconds = 0.0
        for test in (zsl_test, gzsl_test):  # the two settings, each a full and a select stage
            seconds += (
                2 * train["epochs"] * per_epoch + train["epochs"] * (test + val) / test_rate + 2 * startup_s
            )
        runs = 4 * len(cfg["split_seeds"]) * len(cfg["variants"])
        rows.append(
            Projection("dsva", f"rssdivcs {split}", runs, seconds * runs / 4 / 3600,
                       f"{train['epochs']} epochs of {train['batches_per_epoch']} x {train['ways'] * train['shots']}; "
                       f"{train_rate:.1f} train / {test_rate:.1f} test images/s measured")
        )  # fmt: skip
    return rows


def prepared_bytes(config: dict[str, Any]) -> dict[str, float]:
    """The image cache of each real dataset: N x size^2 x 3 bytes."""
    return {
        name: REAL_IMAGES[name] * config["data"][name]["image_size"] ** 2 * 3
        for name in REAL_IMAGES
        if name in config["data"]
    }


def model_bytes(run_files: Iterable[Path]) -> float:
    """The mean size of the rehearsal's trained files per run (real architectures, so the real sizes)."""
    sizes = [path.stat().st_size for path in run_files if path.is_file()]
    return statistics.fmean(sizes) if sizes else 0.0


def read_histories(paths: Iterable[str | Path]) -> list[dict[str, Any]]:
    return [read_json(p) for p in paths if Path(p).is_file()]
