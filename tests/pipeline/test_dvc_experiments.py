"""DVC over the whole pipeline: `dvc repro` runs Snakemake, `dvc exp run -S` changes a metric and
`dvc exp show` lists it, and a clone that pulls the trained results schedules only the reports."""

from __future__ import annotations

import contextlib
import functools
import http.server
import json
import re
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.test_dvc_roundtrip import BIN, run
from tests.workflow_helpers import REPO

pytestmark = pytest.mark.slow
PROJECT_FILES = ("Makefile", "Snakefile", "dvc.yaml", ".dvcignore", ".gitignore", "workflow", "config")
PROJECT_FILES += ("profiles",)
PROJECT_FILES += ("src", "notebooks", "results/.gitignore", "results/prepared/.gitignore")


@pytest.fixture(scope="module")
def project(tiny_pipeline: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A git + DVC repository holding this checkout's workflow and the tiny pipeline's results, its
    baseline committed and pushed. Built once for the module (a copy and a `dvc repro`): the pull test
    clones it and pulls what the fixture pushed, so it does not mind the experiment run in its workspace."""
    tmp_path = tmp_path_factory.mktemp("dvc_project")
    origin = tmp_path / "origin"
    for name in PROJECT_FILES:
        (origin / name).parent.mkdir(parents=True, exist_ok=True)
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, origin / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, origin / name)
    shutil.copy(tiny_pipeline / "params.yaml", origin)
    # copytree keeps modification times, and .snakemake keeps the params/code records of every output.
    for name in ("results", ".snakemake"):
        shutil.copytree(
            tiny_pipeline / name, origin / name, dirs_exist_ok=True, ignore=shutil.ignore_patterns("locks")
        )
    for cmd in (["git", "init", "-q"], ["git", "config", "user.email", "t@example.org"],
                ["git", "config", "user.name", "t"], [str(BIN / "dvc"), "init", "-q"],
                [str(BIN / "dvc"), "remote", "add", "-d", "store", str(tmp_path / "remote")]):  # fmt: skip
        run(cmd, origin)
    run([str(BIN / "dvc"), "repro", "-q"], origin)  # Snakemake finds everything up to date
    run(["git", "add", "-A"], origin)
    run(["git", "commit", "-qm", "baseline"], origin)
    run([str(BIN / "dvc"), "push", "-q"], origin)
    return origin


@contextlib.contextmanager
def served(folder: Path) -> Iterator[str]:
    """``folder`` served read-only over HTTP from 127.0.0.1 (a published DVC remote), for a block."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        thread.join()


def test_results_pull_over_http_renders_the_reports_without_training(project: Path, tmp_path: Path) -> None:
    clone = tmp_path / "clone"
    run(["git", "clone", "-q", str(project), str(clone)], tmp_path)
    assert not (clone / "results/runs").exists()
    remote = project.parent / "remote"  # where the fixture pushed
    with served(remote) as url:
        # the Makefile's target, with this checkout's environment (its set-up stamp counts as done)
        make = ["make", "-o", ".venv/.rsrepro-installed", "results-pull", f"REMOTE={url}", f"BIN={BIN}"]
        output = run(make, clone)
    assert (clone / "results/runs/swan/synthetic/corrected/seed0/model.pt").is_file()
    # what the final `snakemake --cores all` ran (its Job stats): the tables and reports, no training (DVC
    # tracks the runs, not their renderings)
    ran = dict(re.findall(r"^(\w+)\s+(\d+)\s*$", output.rsplit("Job stats:", 1)[1], flags=re.MULTILINE))
    reports = {"lsenet_report", "swan_report", "dsva_report", "index_report", "paper_table", "paired_table"}
    assert set(ran) - {"all", "total"} == reports | {"headline_summary"}
    assert "Nothing to be done" in run([str(BIN / "snakemake"), "-n", "--cores", "1"], clone)
    for name in ("index", "lsenet", "swan", "dsva"):
        assert "<table" in (clone / f"results/reports/{name}.html").read_text(), name
    assert "not comparable" in (clone / "results/tables/summary.md").read_text()


def test_exp_run_changes_the_metric_and_exp_show_lists_it(project: Path) -> None:
    dvc = str(BIN / "dvc")
    before = json.loads((project / "results/metrics/swan.json").read_text())
    run([dvc, "exp", "run", "-q", "-n", "low-lr", "-S", "swan.train.lr=0.02"], project)
    after = json.loads((project / "results/metrics/swan.json").read_text())
    assert after["synthetic"]["corrected"]["mR"] != before["synthetic"]["corrected"]["mR"]
    assert json.loads((project / "results/metrics/lsenet.json").read_text())  # still there (persist)
    shown = run([dvc, "exp", "show", "--csv"], project)
    assert "low-lr" in shown and "0.02" in shown
    diff = run([dvc, "metrics", "diff", "HEAD"], project)
    assert "synthetic.corrected.mR" in diff
