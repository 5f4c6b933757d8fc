"""DVC round trip: track fetched and prepared data, push to a local remote, pull in a fresh clone, and
Snakemake must then schedule nothing although DVC restored the files with new modification times."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.realdata_fixtures import folder_standin

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
WORKFLOW_FILES = ("Snakefile", "params.yaml", "workflow", "config", "profiles", ".dvcignore")

pytestmark = pytest.mark.slow


def run(cmd: list[str], cwd: Path) -> str:
    path = os.pathsep.join([str(BIN), os.environ["PATH"]])  # DVC's stage command calls `snakemake`
    env = {**os.environ, "PATH": path, "PYTHONPATH": str(REPO / "src"), "DVC_NO_ANALYTICS": "1"}
    done = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    assert done.returncode == 0, f"{cmd} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout + done.stderr


def snakemake(cwd: Path, *args: str) -> str:
    return run([str(BIN / "snakemake"), *args, "--cores", "1", "--configfile", "test.yaml"], cwd)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    origin = tmp_path / "origin"
    origin.mkdir()
    for name in WORKFLOW_FILES:
        source = REPO / name
        (shutil.copytree if source.is_dir() else shutil.copy)(source, origin / name)
    for ignore in (".gitignore", "results/.gitignore", "results/prepared/.gitignore"):
        (origin / ignore).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(REPO / ignore, origin / ignore)
    (origin / "test.yaml").write_text("data:\n  ucm:\n    image_size: 32\n")
    folder_standin("ucm", origin / "data" / "raw" / "ucm", per_class=1)  # UCMerced_LandUse.zip
    run(["git", "init", "-q"], origin)
    run(["git", "config", "user.email", "t@example.org"], origin)
    run(["git", "config", "user.name", "t"], origin)
    return origin


def test_pull_then_snakemake_schedules_nothing(project: Path, tmp_path: Path) -> None:
    if not (REPO / "src" / "rsrepro" / "data" / "synthetic").is_dir():
        pytest.skip("the workflow needs rsrepro.data.synthetic (another branch) to build its DAG")
    snakemake(project, "results/prepared/ucm")
    assert (project / "results/prepared/ucm/images.npy").is_file()
    dvc = str(BIN / "dvc")
    run([dvc, "init", "-q"], project)
    run([dvc, "remote", "add", "-d", "store", str(tmp_path / "remote")], project)
    run([dvc, "add", "-q", "data/raw", "results/prepared/ucm"], project)
    run(["git", "add", "-A"], project)
    run(["git", "commit", "-qm", "data"], project)
    run([dvc, "push", "-q"], project)

    clone = tmp_path / "clone"
    run(["git", "clone", "-q", str(project), str(clone)], tmp_path)
    assert not (clone / "data/raw/ucm").exists()
    run([dvc, "pull", "-q"], clone)
    assert (clone / "results/prepared/ucm/images.npy").read_bytes() == (
        project / "results/prepared/ucm/images.npy"
    ).read_bytes()
    # DVC's checkout order decides the modification times; make the worst case explicit.
    time.sleep(0.01)
    for path in (clone / "data/raw/ucm").iterdir():
        path.touch()
    assert "Nothing to be done" in snakemake(clone, "-n", "results/prepared/ucm")
