"""What the full paper preset costs, projected from the rehearsal's measured throughputs.

The rehearsal runs the paper architectures at the paper resolutions, so its per-image training and
inference rates (each run's ``history.json``) are the full run's on the same machine; what differs is how
many images pass through how many epochs of how many runs. Per paper and dataset::

    hours = runs x (epochs x (training items / training rate + per-epoch evaluation / inference rate)
                    + final evaluation / inference rate + start-up)

with the real datasets' image counts, the schedules of ``config/paper.yaml`` and the per-job start-up
the rehearsal measured (a training job's wall time minus its compute). Disk: the prepared caches
(exactly N x size^2 x 3 bytes), the archives and weights where their sizes are published, and the trained
files per run as the rehearsal wrote them (same architectures, so the same sizes).
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

# Images as published (research notes): UCM 21 x 100, AID 10,000, NWPU 45 x 700, RSITMD and RSICD with
# SWAN's official train / test lists, RSSDIVCS 70 x 800.
REAL_IMAGES = {
    "ucm": 2100, "aid": 10000, "nwpu_resisc45": 31500, "rsitmd": 4743, "rsicd": 10921, "rssdivcs": 56000,
}  # fmt: skip
OFFICIAL_TRAIN = {"rsitmd": 4291, "rsicd": 9828}
CAPTIONS_PER_IMAGE = 5
RSSDIVCS_PER_CLASS = 800
# Published sizes in bytes (research notes); AID's, RSITMD's and RSSDIVCS's are not published.
PUBLISHED_BYTES = {
    "ucm": 332e6, "nwpu_resisc45": 427_389_445, "rsicd": 484_955_574, "glove_840b_300d": 2.0e9,
    "clip_rsicd": 605e6,
}  # fmt: skip


@dataclass(frozen=True)
class Projection:
    paper: str
    setting: str
    runs: int
    hours: float
    how: str


def rate(histories: Sequence[dict[str, Any]], key: str) -> float:
    """The mean of an epoch record's throughput over every epoch of ``histories``."""
    return statistics.fmean(e[key] for h in histories for e in h["epochs"] if key in e)


def lsenet(config: dict[str, Any], histories: Sequence[dict[str, Any]], startup_s: float) -> list[Projection]:
    cfg, train = config["lsenet"], config["lsenet"]["train"]
    train_rate = rate(histories, "train_images_per_s")
    test_rate = statistics.fmean(h["run"]["eval_images_per_s"] for h in histories)
    rows = []
    for dataset in cfg["datasets"]:
        n = REAL_IMAGES[dataset]
        runs = [(r, len(cfg["split_seeds"]) * len(cfg["variants"])) for r in cfg["train_ratios"][dataset]]
        ablation = cfg["ablation"]
        runs += [
            (r, len(ablation["split_seeds"]) * len(ablation["variants"]))
            for r in ablation["train_ratios"].get(dataset, [])
        ]
        seconds = 0.0
        for ratio, count in runs:
            test = n * (1 - ratio) / test_rate
            per_epoch = n * ratio / train_rate + (test if train["eval_every_epoch"] else 0)
            seconds += count * (train["epochs"] * per_epoch + test + startup_s)
        how = f"{train['epochs']} epochs; {train_rate:.1f} training, {test_rate:.1f} test images/s"
        rows.append(Projection("lsenet", dataset, sum(c for _, c in runs), seconds / 3600, how))
    return rows


def swan(
    config: dict[str, Any],
    histories: Sequence[dict[str, Any]],
    startup_s: float,
) -> list[Projection]:
    cfg, train = config["swan"], config["swan"]["train"]
    pair_rate = rate(histories, "pairs_per_s")
    encode_rate = statistics.fmean(h["run"]["n_images"] / h["run"]["encode_seconds"] for h in histories)
    per_image = CAPTIONS_PER_IMAGE if train["captions_per_image"] == "all" else train["captions_per_image"]
    rows = []
    for dataset in cfg["datasets"]:
        official = OFFICIAL_TRAIN[dataset]
        val_fraction = config["splits"]["retrieval"]["val_fraction"]
        pairs = official * (1 - val_fraction) * per_image
        val, test = official * val_fraction, REAL_IMAGES[dataset] - official
        per_run = train["epochs"] * (pairs / pair_rate + val / encode_rate) + test / encode_rate + startup_s
        runs = len(cfg["run_seeds"]) * len(cfg["variants"])
        how = f"{train['epochs']} epochs of {pairs:,.0f} pairs; {pair_rate:.1f} pairs/s, "
        how += f"{encode_rate:.1f} images/s encoded"
        rows.append(Projection("swan", dataset, runs, runs * per_run / 3600, how))
    return rows


def dsva(config: dict[str, Any], histories: Sequence[dict[str, Any]], startup_s: float) -> list[Projection]:
    """Per split: two settings, each a ``full`` stage predicting its test images every epoch and a
    ``select`` stage predicting its validation classes' images, per variant and split seed."""
    cfg, train = config["dsva"], config["dsva"]["train"]
    train_rate, test_rate = rate(histories, "train_images_per_s"), rate(histories, "test_images_per_s")
    batch = train["ways"] * train["shots"]
    per_stage = train["epochs"] * train["batches_per_epoch"] * batch / train_rate + startup_s
    runs_per_stage = len(cfg["variants"]) * len(cfg["split_seeds"])
    rows = []
    for split in cfg["splits"]:
        seen, unseen = (int(k) for k in split.split("/"))
        zsl_test = unseen * RSSDIVCS_PER_CLASS
        gzsl_test = zsl_test + seen * RSSDIVCS_PER_CLASS * config["splits"]["zero_shot"]["seen_test_fraction"]
        validation = train["val_classes"] * RSSDIVCS_PER_CLASS
        predicted = train["epochs"] * (zsl_test + gzsl_test + 2 * validation)
        seconds = runs_per_stage * (4 * per_stage + predicted / test_rate)
        how = (
            f"{train['epochs']} epochs of {train['batches_per_epoch']} x {batch}; {train_rate:.1f} training, "
        )
        how += f"{test_rate:.1f} prediction images/s"
        rows.append(Projection("dsva", f"rssdivcs {split}", 4 * runs_per_stage, seconds / 3600, how))
    return rows


def prepared_bytes(config: dict[str, Any]) -> dict[str, float]:
    """The image cache of each real dataset: N x size^2 x 3 bytes."""
    return {name: n * config["data"][name]["image_size"] ** 2 * 3 for name, n in REAL_IMAGES.items()}
