"""benchmarks/gpu_check.sh in its smoke mode (GPU_CHECK_SMOKE=1: tiny models on the CPU, the same code
as on a GPU), in a Python that has only what a GPU node has; speed is not tested."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
import yaml

from tests.workflow_helpers import REPO

# What a GPU node offers (the GPU check needs nothing else): these and what they require.
GPU_NODE_STACK = ("torch", "torchvision", "transformers", "scipy", "numpy", "PyYAML")
# Run first in a Python that imports the GPU check: the project's other dependencies are absent there.
ABSENT_IMPORTS = """
import importlib.abc, importlib.machinery, sys

class _Absent(importlib.abc.Loader):
    def create_module(self, spec):
        return None

    def exec_module(self, module):
        raise ModuleNotFoundError(f"No module named {module.__name__!r} (not on the GPU node)")

class _Finder(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in BLOCKED:
            return importlib.machinery.ModuleSpec(name, _Absent())

sys.meta_path.insert(0, _Finder())
"""


def normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_closure(names: tuple[str, ...]) -> set[str]:
    """Distributions ``names`` need, themselves included (as installed here)."""
    found: set[str] = set()
    todo = list(names)
    while todo:
        name = normalized(todo.pop())
        if name in found:
            continue
        found.add(name)
        try:
            requires = metadata.requires(name) or []
        except metadata.PackageNotFoundError:
            continue
        todo += [re.split(r"[ ;<>=!~\[(]", r, maxsplit=1)[0] for r in requires if "extra ==" not in r]
    return found


def imports_absent_on_a_gpu_node() -> set[str]:
    """The import names of rsrepro's own dependencies that the GPU node's stack does not bring."""
    declared = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]
    absent = {normalized(re.split(r"[ ;<>=!~\[(]", d, maxsplit=1)[0]) for d in declared}
    absent -= requirement_closure(GPU_NODE_STACK)
    return {
        name
        for name, dists in metadata.packages_distributions().items()
        if any(normalized(d) in absent for d in dists)
    }


@pytest.mark.slow
def test_the_gpu_check_runs_every_paper_with_only_the_gpu_node_stack(tmp_path: Path) -> None:
    """GPU_CHECK_SMOKE=1: the whole check with tiny models on the CPU, in a Python where the project's
    dependencies beyond the GPU node's stack (Snakemake, papermill, DVC, pandas, ...) cannot be imported."""
    blocked = imports_absent_on_a_gpu_node()
    assert {"snakemake", "papermill", "dvc", "pandas"} <= blocked
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(f"BLOCKED = {sorted(blocked)!r}\n{ABSENT_IMPORTS}")
    env = {
        **os.environ,
        "PYTHONPATH": str(site),
        "PYTHON": sys.executable,
        "GPU_CHECK_SMOKE": "1",
        "GPU_CHECK_BUDGET_S": "100000",  # the sharing measurement runs however loaded the machine is
        "OUT": str(tmp_path / "out"),
        "OMP_NUM_THREADS": "1",
    }
    command = ["bash", str(REPO / "benchmarks/gpu_check.sh"), "--scratch", str(tmp_path / "scratch")]
    result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=600)
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]
    lines = result.stdout.strip().splitlines()
    assert re.fullmatch(
        r"gpu check: projected paper preset [\d.]+ h on cpu \(smoke: tiny models\)", lines[-1]
    )
    found = json.loads((tmp_path / "out/gpu_check.json").read_text())
    workloads = found["workloads"]
    assert set(workloads) == {
        "lsenet train",
        "swan train",
        *(f"dsva {v} crop {p}" for v in ("faithful", "corrected") for p in ("fine-tune", "warm-up")),
    }
    for key, row in workloads.items():
        assert row["rate"] > 0 and row["train_flops"] > 0 and row["checkpoint_s"] > 0, key
        if not key.endswith("warm-up"):
            assert row["baseline_rate"] > 0 and row["eval_rate"] > 0 and row["eval_flops"] > 0, key
    # the faithful (fp32) settings again with tf32_matmul: true (on the CPU the same fp32 code)
    assert set(found["tf32"]) == {"swan train", "dsva faithful crop fine-tune"}
    assert all(row["rate"] > 0 for row in found["tf32"].values())
    crop = found["device_crop"]  # DSVA's crop search as on a GPU, against scipy's on the CPU
    assert crop["maps"] > 0 and crop["same_boxes"] == crop["maps"] and crop["crop_max_diff"] < 1e-4
    slots = found["slots"]  # the recommended gpu.slots, printed as a line params.yaml takes
    assert 1 <= slots["recommended"] <= max(slots["by_memory"], 1) and slots["per_job_mb"] > 0
    assert f"gpu: {{slots: {slots['recommended']}}}" in lines
    assert yaml.safe_load(f"gpu: {{slots: {slots['recommended']}}}") == {
        "gpu": {"slots": slots["recommended"]}
    }
    shared = found["sharing"]["lsenet"]  # two training jobs at once, each its own process
    assert shared["jobs"] == 2 and shared["combined_rate"] > 0 and shared["startup_s"] > 0
    assert found["projection"]["hours"] == pytest.approx(float(lines[-1].split()[5]), abs=0.05)
    assert not (tmp_path / "scratch").exists()  # its random images and weights are gone
