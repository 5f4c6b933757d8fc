"""The benchmark scripts run in their smoke mode (tiny sizes) and print their figures; speed is not tested."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.workflow_helpers import REPO


def run_smoke(script: str, *args: str) -> str:
    env = {**os.environ, "PYTHONPATH": str(REPO / "src"), "OMP_NUM_THREADS": "1"}
    result = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / script), "--smoke", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


@pytest.mark.slow
def test_training_benchmark_compares_the_project_with_a_fresh_baseline_for_every_paper() -> None:
    out = run_smoke("bench_training.py", "--steps", "1", "--workers", "2")
    assert "device: cpu" in out and "tiny (smoke) sizes" in out
    for workload in (
        "lsenet train",
        "swan train",
        "dsva faithful crop fine-tune",
        "dsva corrected crop fine-tune",
    ):
        line = next(x for x in out.splitlines() if x.startswith(workload))
        project, baseline, ratio, mfu, base_mfu = (float(v) for v in line.split()[-6:-1])
        assert project > 0 and baseline > 0 and ratio == pytest.approx(project / baseline, abs=0.01)
        assert mfu > 0 and base_mfu > 0


@pytest.mark.slow
@pytest.mark.parametrize(
    ("script", "expected"),
    [
        ("bench_lsenet.py", "paper (VGG-16"),
        ("bench_swan.py", "eval from embeddings"),
        ("bench_dsva.py", "train"),
    ],
)
def test_paper_benchmarks_run_in_smoke_mode(script: str, expected: str) -> None:
    assert expected in run_smoke(script)
