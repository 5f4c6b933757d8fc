"""What the rehearsal prints: each stage's wall time and peak memory, and the full paper preset's
projected wall time and disk footprint on this machine (:mod:`rsrepro.rehearsal.projection`)."""

from __future__ import annotations

import statistics
from collections import defaultdict
from pathlib import Path
from typing import Any

import yaml

from rsrepro.rehearsal import projection
from rsrepro.reports.environment import stage_wall_times
from rsrepro.training.run import read_history

REPO = Path(__file__).resolve().parents[3]
TRAINING_RULES = {"lsenet": "lsenet_train", "swan": "swan_train", "dsva": "dsva_train"}
GB = 1e9


def paper_config() -> dict[str, Any]:
    """params.yaml with config/paper.yaml over it, as ``snakemake --configfile config/paper.yaml``."""
    from snakemake.utils import update_config

    config = yaml.safe_load((REPO / "params.yaml").read_text())
    update_config(config, yaml.safe_load((REPO / "config/paper.yaml").read_text()))
    return config


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


def startup_seconds(paper: str, histories: list[dict[str, Any]], costs: dict[str, dict[str, float]]) -> float:
    """A training job's time outside its epochs and final encoding (process, imports, model and data
    loading), the mean over the rehearsal's jobs of the paper."""
    inside = sum(e["seconds"] for h in histories for e in h["epochs"])
    inside += sum(h["run"].get("encode_seconds", 0.0) for h in histories)
    stage = costs[TRAINING_RULES[paper]]
    return max(0.0, (stage["wall_s"] - inside) / stage["jobs"])


def projections(workdir: Path, costs: dict[str, dict[str, float]]) -> list[projection.Projection]:
    config = paper_config()
    rows = []
    for paper, project in (
        ("lsenet", projection.lsenet),
        ("swan", projection.swan),
        ("dsva", projection.dsva),
    ):
        histories = [
            read_history(p) for p in sorted((workdir / "results/runs" / paper).rglob("history.json"))
        ]
        rows += project(config, histories, startup_seconds(paper, histories, costs))
    return rows


def disk_lines(workdir: Path) -> list[str]:
    config = paper_config()
    prepared = projection.prepared_bytes(config)
    lines = [f"  prepared image caches: {sum(prepared.values()) / GB:.1f} GB (" + ", ".join(
        f"{name} {size / GB:.1f}" for name, size in prepared.items()) + ")"]  # fmt: skip
    known = projection.PUBLISHED_BYTES
    lines.append(
        f"  downloads with published sizes: {sum(known.values()) / GB:.1f} GB ("
        + ", ".join(f"{k} {v / GB:.2f}" for k, v in known.items())
        + "); AID, RSITMD and RSSDIVCS publish none"
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


def print_report(workdir: Path, seconds: float, scale: str) -> None:
    costs = stage_costs(workdir / "results/benchmarks")
    print(f"\nRehearsal of the paper preset: {seconds / 60:.1f} min in all (stand-ins, weights and the DAG)")
    if scale != "full":
        print(f"({scale} scale: 64 px images and a narrow CLIP, so the throughputs below are not the paper")
        print(" resolutions'; `make rehearsal` measures those)")
    print(f"{'stage':28} {'jobs':>5} {'wall s':>9} {'longest s':>10} {'peak MB':>8}")
    for stage, c in sorted(costs.items(), key=lambda item: -item[1]["wall_s"]):
        print(f"{stage:28} {c['jobs']:5d} {c['wall_s']:9.1f} {c['longest_s']:10.1f} {c['peak_mb']:8.0f}")
    rows = projections(workdir, costs)
    total = sum(r.hours for r in rows)
    print(f"\nThe full paper preset on this machine, projected from these throughputs: {total:,.1f} h")
    for r in rows:
        print(f"  {r.paper:7} {r.setting:16} {r.runs:3d} runs {r.hours:10,.1f} h   ({r.how})")
    print("Disk:")
    print("\n".join(disk_lines(workdir)))
