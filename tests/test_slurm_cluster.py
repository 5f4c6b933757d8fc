"""profiles/slurm for real: a tiny workflow submitted through sbatch to a single-node SLURM on localhost."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.slurm_node import Unavailable, single_node_slurm
from tests.workflow_helpers import REPO, make_workdir, snakemake

TARGET = "results/runs/lsenet/synthetic/full/ratio0.2_seed0/metrics.json"


@pytest.fixture
def slurm_cluster(tmp_path: Path) -> Iterator[None]:
    try:
        with single_node_slurm(tmp_path / "slurm"):
            yield
    except Unavailable as reason:
        pytest.skip(f"no single-node SLURM here: {reason}")


@pytest.mark.slow
def test_slurm_profile_runs_jobs_through_sbatch(tmp_path: Path, slurm_cluster: None) -> None:
    workdir = make_workdir(
        tmp_path,
        data={"synthetic": {"image_size": 32, "images_per_class": 10}},
        lsenet={"train": {"epochs": 1, "batch_size": 8}},
    )
    snakemake(
        workdir,
        "--profile",
        str(REPO / "profiles" / "slurm"),
        "--slurm-status-command",
        "squeue",  # no accounting daemon, so no sacct
        "--slurm-no-account",
        "--slurm-keep-successful-logs",
        "--slurm-init-seconds-before-status-checks",
        "1",
        "--seconds-between-status-checks",
        "1",
        TARGET,
    )
    assert (workdir / TARGET).exists()
    logs = workdir / ".snakemake" / "slurm_logs"
    assert {p.name for p in logs.iterdir()} >= {"rule_prepare_synthetic", "rule_lsenet_train"}
    log = "results/logs/lsenet_train/dataset=synthetic/lsenet_variant=full/ratio=0.2/seed=0.log"
    train_log = (workdir / log).read_text()
    assert train_log.startswith("rsrepro launch: CUDA_VISIBLE_DEVICES=''")  # gpus: 0, on the gpu partition
