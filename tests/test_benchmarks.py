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
def test_training_benchmark_compares_pipeline_and_baseline_for_every_paper() -> None:
    out = run_smoke("bench_training.py", "--steps", "1")
    assert "device: cpu" in out
    for model in ("LSE-Net", "SWAN", "DSVA"):
        for way in ("pipeline", "baseline"):
            line = next(x for x in out.splitlines() if x.startswith(model) and f" {way} " in x)
            for figure in ("train", "eval", "peak", "% of step"):
                assert figure in line, (figure, line)
        assert f"{model:8s} pipeline / baseline training speed:" in out


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
