"""What the full paper preset costs, projected from measured steady-state rates: one formula for the
rehearsal (rates from its runs' histories) and the GPU check (rates it measures at the preset's batch
sizes).

The preset's work is a list of stages per paper and dataset (or DSVA variant): training, evaluation and
the jobs' fixed costs. A stage's samples are counted from the real datasets' image counts and the
schedules of ``config/paper.yaml``; each sample belongs to a *workload* (a model at a precision and
phase: ``"lsenet train"``, ``"dsva corrected crop warm-up"``, ...), whose measured rate prices it::

    hours = sum over workloads (samples / rate) + jobs x start-up + checkpoints x checkpoint

where a run checkpoints after every epoch, or with ``checkpoint_minutes`` at most once per that many
minutes of its work and after its last epoch,

with the stage's floor at the device's peak beside it: samples x FLOPs per sample / peak FLOP/s. A
workload that was not measured is priced at the nearest measured one, and the row says so.
Disk: the prepared caches (exactly N x size^2 x 3 bytes) and the archives and weights whose sizes are
published.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from rsrepro.data.sources.catalog import CLIP_MODELS, DATASETS, SOURCES
from rsrepro.data.splits import scaled_class_counts
from rsrepro.dsva.settings import train_settings
from rsrepro.papers import PAPERS

# Images as published, the caption datasets' official training images and the published download sizes:
# the registry's (rsrepro.data.sources.catalog).
REAL_IMAGES = {name: entry.images for name, entry in DATASETS.items()}
OFFICIAL_TRAIN = {name: entry.official_train for name, entry in DATASETS.items() if entry.official_train}
CAPTIONS_PER_IMAGE = 5
PUBLISHED_BYTES = {
    name: source.download_bytes
    for name, source in {**SOURCES, **CLIP_MODELS}.items()
    if source.download_bytes is not None
}


def dsva_workload(variant: str, crop: bool, phase: str) -> str:
    """A DSVA workload: ``phase`` is ``warm-up`` (tower frozen), ``fine-tune`` or ``predict``."""
    return f"dsva {variant} {'crop' if crop else 'no-crop'} {phase}"


def substitutes(workload: str) -> list[str]:
    """The workloads that price ``workload`` when it was not measured, nearest first: for DSVA the same
    phase with the other crop setting, then the other variant, then (warm-up) the fine-tuning phase."""
    parts = workload.split()
    if parts[0] != "dsva":
        return []
    _, variant, crop, phase = parts
    variants = [variant, *({"faithful", "corrected"} - {variant})]
    crops = [crop, *({"crop", "no-crop"} - {crop})]
    phases = [phase, "fine-tune"] if phase == "warm-up" else [phase]
    found = [f"dsva {v} {c} {p}" for p, v, c in itertools.product(phases, variants, crops)]
    return found[1:]


@dataclass(frozen=True)
class Rates:
    """What was measured: samples/s and FLOPs per sample per workload, and per paper a training job's
    fixed seconds (process start, imports, model and weights, the warm-up steps) and one checkpoint's."""

    per_s: Mapping[str, float]
    flops: Mapping[str, float] = field(default_factory=dict)
    startup_s: Mapping[str, float] = field(default_factory=dict)
    checkpoint_s: Mapping[str, float] = field(default_factory=dict)

    def pick(self, workload: str) -> str:
        """The measured workload that prices ``workload`` (itself where measured)."""
        for candidate in [workload, *substitutes(workload)]:
            if self.per_s.get(candidate, 0) > 0:
                return candidate
        raise KeyError(f"no measured rate for {workload!r} or a stand-in for it")


@dataclass(frozen=True)
class Stage:
    """One stage of the preset's work: samples per workload, or (``jobs``) job starts and checkpoints."""

    paper: str
    setting: str
    name: str
    runs: int
    work: tuple[tuple[str, float], ...] = ()
    checkpoints: int = 0  # the jobs stage: epochs over every run (a checkpoint each with no time limit)
    checkpoint_minutes: float = 0.0  # the jobs stage: the paper's train.checkpoint_minutes

    @property
    def samples(self) -> float:
        return sum(n for _, n in self.work)


@dataclass(frozen=True)
class Priced:
    """A stage with its time at the measured rates and the FLOPs it runs (none for the jobs stage, or
    where a workload's FLOPs were not counted)."""

    stage: Stage
    seconds: float
    flops: float | None
    notes: tuple[str, ...] = ()
    checkpoints: int = 0  # the jobs stage: the checkpoints its runs write

    @property
    def hours(self) -> float:
        return self.seconds / 3600

    @property
    def rate(self) -> float:
        """Samples per second over the stage (its workloads' rates, weighted by their samples)."""
        return self.stage.samples / self.seconds if self.seconds else 0.0

    def floor_hours(self, peak_flops: float) -> float | None:
        """The stage's hours at ``peak_flops`` FLOP/s: the least any implementation could take."""
        return None if self.flops is None else self.flops / peak_flops / 3600


def minutes(train: dict[str, Any]) -> dict[str, float]:
    return {"checkpoint_minutes": float(train.get("checkpoint_minutes", 0))}


def lsenet_stages(config: dict[str, Any]) -> list[Stage]:
    """Per dataset: every ratio x split seed x variant (and the ablation's), ``epochs`` over the training
    images, the test images at the end (and after every epoch with ``eval_every_epoch``)."""
    cfg, train = config["lsenet"], config["lsenet"]["train"]
    ablation = cfg["ablation"]
    stages = []
    for dataset in cfg["datasets"]:
        n = REAL_IMAGES[dataset]
        runs = [(r, len(cfg["split_seeds"]) * len(cfg["variants"])) for r in cfg["train_ratios"][dataset]]
        runs += [
            (r, len(ablation["split_seeds"]) * len(ablation["variants"]))
            for r in ablation["train_ratios"].get(dataset, [])
        ]
        jobs = sum(count for _, count in runs)
        tests = 1 + (train["epochs"] if train["eval_every_epoch"] else 0)
        trained = sum(count * train["epochs"] * n * ratio for ratio, count in runs)
        tested = sum(count * tests * n * (1 - ratio) for ratio, count in runs)
        stages += [
            Stage("lsenet", dataset, "train", jobs, (("lsenet train", trained),)),
            Stage("lsenet", dataset, "test", jobs, (("lsenet test", tested),)),
            Stage("lsenet", dataset, "jobs", jobs, checkpoints=jobs * train["epochs"], **minutes(train)),
        ]
    return stages


def swan_stages(config: dict[str, Any]) -> list[Stage]:
    """Per dataset: seeds x variants runs of ``epochs`` over the training pairs, each epoch validated
    (its images encoded), the test images encoded at the end."""
    cfg, train = config["swan"], config["swan"]["train"]
    per_image = CAPTIONS_PER_IMAGE if train["captions_per_image"] == "all" else train["captions_per_image"]
    runs = len(cfg["run_seeds"]) * len(cfg["variants"])
    stages = []
    for dataset in cfg["datasets"]:
        official = OFFICIAL_TRAIN[dataset]
        val_fraction = config["splits"]["retrieval"]["val_fraction"]
        pairs = official * (1 - val_fraction) * per_image
        val, test = official * val_fraction, REAL_IMAGES[dataset] - official
        stages += [
            Stage("swan", dataset, "train", runs, (("swan train", runs * train["epochs"] * pairs),)),
            Stage("swan", dataset, "encode", runs, (("swan encode", runs * (train["epochs"] * val + test)),)),
            Stage("swan", dataset, "jobs", runs, checkpoints=runs * train["epochs"], **minutes(train)),
        ]
    return stages


def dsva_stages(config: dict[str, Any]) -> list[Stage]:
    """Per variant, over every split and split seed: two settings (each its own crop branch setting, as
    the released scripts), each a ``full`` stage predicting its test images every epoch and a ``select``
    stage predicting its validation classes' images; the first ``warmup_epochs`` train with the tower
    frozen."""
    cfg = config["dsva"]
    stages = []
    for dataset, variant in itertools.product(cfg["datasets"], cfg["variants"]):
        entry = DATASETS[dataset]
        per_class = entry.images / entry.class_count
        train_work: dict[str, float] = {}
        predict_work: dict[str, float] = {}
        jobs = checkpoints = 0
        for split in cfg["splits"]:
            seen, unseen = scaled_class_counts(entry.class_count, *(int(k) for k in split.split("/")))
            zsl_test = unseen * per_class
            seen_test = seen * per_class * config["splits"]["zero_shot"]["seen_test_fraction"]
            tests = {"zsl": zsl_test, "gzsl": zsl_test + seen_test}
            for setting in ("zsl", "gzsl"):
                s = train_settings(cfg, split, setting)
                crop = bool(s["crop_branch"])
                per_epoch = s["batches_per_epoch"] * s["ways"] * s["shots"]
                validation = s["val_classes"] * per_class
                for predicted in (tests[setting], validation):  # the full and the select stage
                    runs = len(cfg["split_seeds"])
                    jobs, checkpoints = jobs + runs, checkpoints + runs * s["epochs"]
                    for phase, epochs in (
                        ("warm-up", s["warmup_epochs"]),
                        ("fine-tune", s["epochs"] - s["warmup_epochs"]),
                    ):
                        key = dsva_workload(variant, crop, phase)
                        train_work[key] = train_work.get(key, 0.0) + runs * epochs * per_epoch
                    key = dsva_workload(variant, crop, "predict")
                    predict_work[key] = predict_work.get(key, 0.0) + runs * s["epochs"] * predicted
        setting = f"{dataset} {variant}"
        stages += [
            Stage("dsva", setting, "train", jobs, tuple(train_work.items())),
            Stage("dsva", setting, "predict", jobs, tuple(predict_work.items())),
            Stage("dsva", setting, "jobs", jobs, checkpoints=checkpoints, **minutes(cfg["train"])),
        ]
    return stages


# Per registered paper (rsrepro.papers): its stages.
PAPER_STAGES = {"lsenet": lsenet_stages, "swan": swan_stages, "dsva": dsva_stages}


def preset_stages(config: dict[str, Any]) -> list[Stage]:
    """Every registered paper's stages; a paper without a stage function here stops, named."""
    missing = sorted(set(PAPERS) - set(PAPER_STAGES))
    if missing:
        raise KeyError(f"no projection of the papers {missing}: add their stages to PAPER_STAGES")
    return [stage for paper in PAPERS for stage in PAPER_STAGES[paper](config)]


def checkpoints_written(stage: Stage, work_seconds: float) -> int:
    """The checkpoints the jobs ``stage``'s runs write, their work (training and evaluation) taking
    ``work_seconds`` in all: every epoch's, or with ``checkpoint_minutes`` one per that many minutes of a
    run (its runs' mean) and the last epoch's, never more than one per epoch."""
    if not stage.checkpoint_minutes or not stage.runs:
        return stage.checkpoints
    per_run = math.floor(work_seconds / stage.runs / (60 * stage.checkpoint_minutes)) + 1
    return min(stage.checkpoints, stage.runs * per_run)


def price(stage: Stage, rates: Rates, work_seconds: float = 0.0) -> Priced:
    """The stage's seconds at the measured rates, and its FLOPs where every workload's were counted; a
    jobs stage's checkpoints follow from ``work_seconds``, its runs' work as priced."""
    if stage.name == "jobs":
        written = checkpoints_written(stage, work_seconds)
        seconds = stage.runs * rates.startup_s.get(stage.paper, 0.0)
        seconds += written * rates.checkpoint_s.get(stage.paper, 0.0)
        return Priced(stage, seconds, None, checkpoints=written)
    seconds, notes, used = 0.0, [], []
    for workload, samples in stage.work:
        pricer = rates.pick(workload)
        if pricer != workload:
            notes.append(f"{workload} not measured: at {pricer}'s rate")
        seconds += samples / rates.per_s[pricer]
        used.append((pricer, samples))
    counted = all(pricer in rates.flops for pricer, _ in used)
    flops = sum(samples * rates.flops[pricer] for pricer, samples in used) if counted else None
    return Priced(stage, seconds, flops, tuple(notes))


def project(config: dict[str, Any], rates: Rates) -> list[Priced]:
    """The whole preset ``config`` (params.yaml with config/paper.yaml over it), stage by stage."""
    stages = preset_stages(config)
    work = {i: price(stage, rates) for i, stage in enumerate(stages) if stage.name != "jobs"}
    work_seconds = Counter()
    for priced in work.values():
        work_seconds[priced.stage.paper, priced.stage.setting] += priced.seconds
    return [
        work.get(i) or price(stage, rates, work_seconds[stage.paper, stage.setting])
        for i, stage in enumerate(stages)
    ]


def total_hours(rows: Iterable[Priced]) -> float:
    return sum(r.hours for r in rows)


def prepared_bytes(config: dict[str, Any]) -> dict[str, float]:
    """The image cache of each registry dataset ``config`` declares: N x size^2 x 3 bytes."""
    data = config["data"]
    return {name: n * data[name]["image_size"] ** 2 * 3 for name, n in REAL_IMAGES.items() if name in data}


def published_bytes(config: dict[str, Any]) -> dict[str, float]:
    """The published download sizes of the sources ``config`` declares (``data.<name>``,
    ``data.pretrained.<name>``): an extra registry dataset (PatternNet) counts where it is declared."""
    declared = set(config["data"]) | set(config["data"].get("pretrained", {}))
    return {name: size for name, size in PUBLISHED_BYTES.items() if name in declared}


def table(rows: list[Priced], rates: Rates, peak_flops: float) -> list[str]:
    """The projection stage by stage: runs, samples, the measured rate, hours here, FLOPs per sample and
    the floor at ``peak_flops``; a jobs row holds the start-ups and the after-epoch checkpoints."""
    lines = [
        f"  {'paper':6} {'setting':18} {'stage':8} {'runs':>4} {'samples':>12} {'per s':>9} {'hours':>9}"
        f" {'GFLOP/sample':>12} {'floor h':>8}"
    ]
    for r in rows:
        s = r.stage
        lead = f"  {s.paper:6} {s.setting:18} {s.name:8} {s.runs:4d}"
        if s.name == "jobs":
            start, ckpt = rates.startup_s.get(s.paper, 0.0), rates.checkpoint_s.get(s.paper, 0.0)
            how = f"{s.runs} x {start:.1f} s start-up + {r.checkpoints} checkpoints x {ckpt:.2f} s"
            lines.append(f"{lead} {'':12} {'':9} {r.hours:9.2f}   ({how})")
            continue
        floor = r.floor_hours(peak_flops)
        flops = f"{'-':>12} {'-':>8}"
        if floor is not None and s.samples:
            flops = f"{r.flops / s.samples / 1e9:12.2f} {floor:8.2f}"
        lines.append(f"{lead} {s.samples:12,.0f} {r.rate:9.1f} {r.hours:9.2f} {flops}")
        lines += [f"{'':37}({note})" for note in r.notes]
    return lines
