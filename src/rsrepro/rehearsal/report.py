"""What the rehearsal prints: each stage's wall time and peak memory, and the full paper preset's
projected wall time and disk footprint on this machine (:mod:`rsrepro.rehearsal.projection`).

The projection's rates come from the rehearsal's runs: each training epoch records its steady-state
steps (the first step left out: :class:`rsrepro.training.throughput.SteadyClock`), so a workload's rate
is its steady samples over their seconds, over every epoch and run. Evaluation rates are the runs' own
(DSVA's from its second epoch on, once its first prediction pass has warmed up). A training job's fixed
time is what its wall time holds beyond its epochs' work at those rates, its evaluations and its
checkpoints: process start, imports, weights, data, the first steps. FLOPs per sample are counted once
per model, at the rehearsal's sizes (the preset's), with ``torch.utils.flop_counter``.
"""

from __future__ import annotations

import re
import statistics
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np
import torch

from rsrepro.data.sources.catalog import DATASETS
from rsrepro.dsva.settings import train_settings
from rsrepro.papers import PAPERS
from rsrepro.paths import split_of
from rsrepro.rehearsal import measure, projection
from rsrepro.rehearsal.workloads import REPO, image_size, paper_preset, preset_config, workloads
from rsrepro.reports.environment import stage_wall_times
from rsrepro.training.device import pick_device
from rsrepro.training.run import read_history

TRAINING_RULES = {paper: f"{paper}_train" for paper in PAPERS}  # each registered paper's training rule
GB = 1e9


def rehearsal_config(workdir: Path) -> dict[str, Any]:
    """The configuration the rehearsal in ``workdir`` ran: the paper preset, the rehearsal's schedules
    and its stand-ins' overlay."""
    return preset_config(
        REPO / "config/paper.yaml", REPO / "config/rehearsal.yaml", workdir / "standins.yaml"
    )


def stage_costs(benchmarks: Path) -> dict[str, dict[str, float]]:
    """Per stage (rule): jobs, summed and longest wall seconds, peak resident memory (MB)."""
    stages: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in stage_wall_times(benchmarks):
        stages[row["stage"]].append(row)
    return {
        stage: {
            "jobs": len(rows),
            "wall_s": sum(r["wall_s"] for r in rows),
            "longest_s": max(r["wall_s"] for r in rows),
            "peak_mb": max((r["max_rss_mb"] or 0) for r in rows),
        }
        for stage, rows in stages.items()
    }


class Tally:
    """Samples and seconds per workload, summed over epochs and runs."""

    def __init__(self) -> None:
        self.samples: dict[str, float] = defaultdict(float)
        self.seconds: dict[str, float] = defaultdict(float)

    def add(self, key: str, samples: float, seconds: float) -> None:
        if samples and seconds > 0:
            self.samples[key] += samples
            self.seconds[key] += seconds

    def rates(self) -> dict[str, float]:
        return {key: self.samples[key] / self.seconds[key] for key in self.samples}


def histories(workdir: Path, paper: str) -> list[tuple[Path, dict[str, Any]]]:
    return [(p, read_history(p)) for p in sorted((workdir / "results/runs" / paper).rglob("history.json"))]


def epoch_workload(
    paper: str, path: Path, history: dict[str, Any], epoch: int, config: dict[str, Any]
) -> str:
    """The workload an epoch of a run trained: DSVA's by variant, crop branch and phase."""
    if paper != "dsva":
        return f"{paper} train"
    split = split_of(re.search(r"(\d+-\d+)_seed\d+", str(path)).group(1))
    settings = train_settings(config["dsva"], split, history["run"]["setting"])
    phase = "warm-up" if epoch < settings["warmup_epochs"] else "fine-tune"
    return projection.dsva_workload(history["variant"], bool(settings["crop_branch"]), phase)


def predict_workload(train: str) -> str:
    """The DSVA prediction after an epoch of ``train`` (same variant and crop branch)."""
    return " ".join([*train.split()[:-1], "predict"])


def measured_rates(workdir: Path, config: dict[str, Any]) -> tuple[dict[str, float], dict[str, list]]:
    """Samples/s per workload from the runs' histories, and the (path, history) pairs per paper."""
    tally, runs = Tally(), {}
    for paper in TRAINING_RULES:
        runs[paper] = histories(workdir, paper)
        for path, history in runs[paper]:
            for e in history["epochs"]:
                key = epoch_workload(paper, path, history, e["epoch"], config)
                tally.add(key, e.get("steady_samples", 0), e.get("steady_seconds", 0.0))
                if paper == "dsva" and e["epoch"] > 0:  # per epoch one unit of 1/rate s: a harmonic mean
                    tally.add(predict_workload(key), 1, 1 / e["test_images_per_s"])
            run = history["run"]
            if paper == "lsenet":
                tally.add("lsenet test", run["n_test"], run["n_test"] / run["eval_images_per_s"])
            elif paper == "swan":
                tally.add("swan encode", run["n_images"], run["encode_seconds"])
    return tally.rates(), runs


def fixed_seconds(
    paper: str, runs: list, rates: projection.Rates, config: dict[str, Any], wall_s: float, jobs: int
) -> float:
    """A training job's time beyond its epochs' training at the steady rates, its evaluations and its
    checkpoints (process start, imports, weights and data, the first steps' extra), the mean over the
    paper's ``jobs`` (their summed ``wall_s``)."""
    work = 0.0
    for path, history in runs:
        for e in history["epochs"]:
            rate = rates.per_s[rates.pick(epoch_workload(paper, path, history, e["epoch"], config))]
            evaluation = e["seconds"] - e.get("train_seconds", 0.0)
            work += evaluation + e.get("train_samples", 0) / rate + rates.checkpoint_s.get(paper, 0.0)
        run = history["run"]
        work += (
            run["n_test"] / run["eval_images_per_s"] if paper == "lsenet" else run.get("encode_seconds", 0.0)
        )
    return max(0.0, (wall_s - work) / jobs)


def model_costs(workdir: Path, config: dict[str, Any], keys: set[str]) -> tuple[dict, dict]:
    """FLOPs per sample of every measured workload, and one checkpoint's seconds per paper, counted on
    the CPU with random-init models at the rehearsal's sizes (DSVA with the rehearsal's CLIP folder)."""
    cpu, side = torch.device("cpu"), image_size(config)
    images = np.random.default_rng(0).integers(0, 256, (2, side, side, 3), dtype=np.uint8)
    clip = workdir / config["dsva"]["train"]["clip_model_dir"]
    flops: dict[str, float] = {}
    checkpoint: dict[str, float] = {}
    counted: dict[tuple, tuple[float, float | None]] = {}
    for key, workload in workloads(config, clip, dsva_crops=(True, False)).items():
        if key not in keys and workload.eval_key not in keys:
            continue
        # DSVA's variants run the same model: counted once per crop branch setting and phase
        model_shape = (workload.paper, workload.cfg.get("crop_branch"), getattr(workload, "warm", None))
        if model_shape not in counted:
            model = workload.build(cpu)
            optimizer = workload.optimizer(model)
            counted[model_shape] = measure.count_flops(workload, model, optimizer, images)
            if workload.paper not in checkpoint:
                with tempfile.TemporaryDirectory(dir=workdir) as tmp:
                    checkpoint[workload.paper] = measure.checkpoint_seconds(
                        workload, model, optimizer, Path(tmp)
                    )
        flops[key], eval_flops = counted[model_shape]
        if workload.eval_key:
            flops[workload.eval_key] = eval_flops
    return flops, checkpoint


def projections(
    workdir: Path, costs: dict[str, dict[str, float]]
) -> tuple[list[projection.Priced], projection.Rates]:
    """The paper preset priced at the rehearsal's measured rates, and those rates."""
    config = rehearsal_config(workdir)
    per_s, runs = measured_rates(workdir, config)
    flops, checkpoint = model_costs(workdir, config, set(per_s))
    rates = projection.Rates(per_s, flops, checkpoint_s=checkpoint)
    startup = {}
    for paper, paper_runs in runs.items():
        stage = costs.get(TRAINING_RULES[paper])
        if paper_runs and stage:
            startup[paper] = fixed_seconds(paper, paper_runs, rates, config, stage["wall_s"], stage["jobs"])
    rates = projection.Rates(per_s, flops, startup, checkpoint)
    return projection.project(paper_preset(), rates), rates


def disk_lines(workdir: Path) -> list[str]:
    config = paper_preset()
    prepared = projection.prepared_bytes(config)
    lines = [f"  prepared image caches: {sum(prepared.values()) / GB:.1f} GB (" + ", ".join(
        f"{name} {size / GB:.1f}" for name, size in prepared.items()) + ")"]  # fmt: skip
    known = projection.published_bytes(config)
    unknown = sorted(set(DATASETS) & set(config["data"]) - set(known))
    lines.append(
        f"  downloads with published sizes: {sum(known.values()) / GB:.1f} GB ("
        + ", ".join(f"{k} {v / GB:.2f}" for k, v in known.items())
        + f"); {', '.join(unknown)} publish none"
    )
    weights = sum(p.stat().st_size for p in (workdir / "weights").rglob("*") if p.is_file())
    lines.append(
        f"  VGG-16, RSP ResNet-50 (+ CLIP) weights as the rehearsal wrote them: {weights / GB:.2f} GB"
    )
    for paper in TRAINING_RULES:
        runs = list((workdir / "results/runs" / paper).rglob("model.pt"))
        if runs:
            each = statistics.fmean(p.stat().st_size for p in runs)
            lines.append(f"  {paper}: {each / 1e6:.0f} MB per trained model.pt")
    return lines


def print_report(
    workdir: Path, seconds: float, scale: str
) -> tuple[list[projection.Priced], projection.Rates]:
    """Print the stages' costs, the projection and the disk; returns the projection and its rates."""
    costs = stage_costs(workdir / "results/benchmarks")
    print(f"\nRehearsal of the paper preset: {seconds / 60:.1f} min in all (stand-ins, weights and the DAG)")
    if scale != "full":
        print(f"({scale} scale: 64 px images and a narrow CLIP, so the throughputs below are not the paper")
        print(" resolutions'; `make rehearsal` measures those)")
    print(f"{'stage':28} {'jobs':>5} {'wall s':>9} {'longest s':>10} {'peak MB':>8}")
    for stage, c in sorted(costs.items(), key=lambda item: -item[1]["wall_s"]):
        print(f"{stage:28} {c['jobs']:5d} {c['wall_s']:9.1f} {c['longest_s']:10.1f} {c['peak_mb']:8.0f}")
    rows, rates = projections(workdir, costs)
    device = pick_device("auto")
    peak, source = measure.device_peak(device, measure.gemm_ceilings(device))
    floor = sum(r.floor_hours(peak) or 0.0 for r in rows)
    print(
        f"\nThe full paper preset on this machine ({measure.device_name(device)}), one job at a time,"
        f" projected from these steady-state rates: {projection.total_hours(rows):,.1f} h; its floor at the"
        f" peak, {peak / 1e12:.3g} TFLOP/s ({source}): {floor:,.1f} h. The rehearsal trains at smaller"
        " batches than the preset; on a GPU, benchmarks/gpu_check.sh measures the preset's."
    )
    print("\n".join(projection.table(rows, rates, peak)))
    print("Disk:")
    print("\n".join(disk_lines(workdir)))
    return rows, rates
