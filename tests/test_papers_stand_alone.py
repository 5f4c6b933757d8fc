"""Each paper stands alone: with one paper taken out of the registry (rsrepro.papers) and its params
section gone, Snakemake still plans the other two exactly as with all three, and they run.

Planning is checked for every removal (dry runs, all four at once). Running for real, once: without
DSVA, whose section and folder the other papers' baselines once took their image-text model from, the
jobs of LSE-Net and SWAN that embed with that model run on the shared image-text stage (the cheapest real
run that covers it: every other job the removals leave is the same as with all three papers).
"""

from __future__ import annotations

import copy
import os
import re
import subprocess
from pathlib import Path

import numpy as np
import pytest
import yaml

from rsrepro.io import read_json
from rsrepro.lsenet.targets import probe_features
from rsrepro.papers import PAPERS
from rsrepro.paths import image_text_model
from rsrepro.swan.targets import baseline_metrics
from tests.tiny_pipeline import TINY
from tests.workflow_helpers import (
    REPO,
    SNAKEMAKE,
    edit_params,
    make_workdir,
    snakemake,
    with_own_code,
    write_params,
)

pytestmark = pytest.mark.slow
REGISTRY = "PAPERS: dict[str, PaperTargets] = {paper.NAME: paper for paper in (lsenet, swan, dsva)}"


def paper_rules(paper: str) -> set[str]:
    """The rules of a paper's rule file."""
    return set(re.findall(r"^rule (\w+):", (REPO / f"workflow/rules/{paper}.smk").read_text(), re.M))


def workdir_without(root: Path, removed: str | None) -> Path:
    """A tiny-preset working directory whose code copy registers every paper but ``removed``, and whose
    params have no section for it (None: all three, as shipped)."""
    root.mkdir()
    workdir = make_workdir(root, **copy.deepcopy(TINY))
    if removed is not None:
        params = yaml.safe_load((workdir / "params.yaml").read_text())
        write_params(workdir, {key: value for key, value in params.items() if key != removed})
        registry = with_own_code(workdir) / "src/rsrepro/papers.py"
        source = registry.read_text()
        assert source.count(REGISTRY) == 1, "the registry's line changed: update REGISTRY"
        others = ", ".join(name for name in PAPERS if name != removed)
        registry.write_text(source.replace(REGISTRY, REGISTRY.replace("lsenet, swan, dsva", others)))
    return workdir


def planned(process: subprocess.Popen[str]) -> dict[str, int]:
    """Rule -> job count of a finished ``snakemake --dry-run``."""
    out, err = process.communicate(timeout=300)
    assert process.returncode == 0, f"the dry run failed:\n{out}\n{err}"
    table = (out + err).split("Job stats:", 1)[1]
    jobs = {rule: int(n) for rule, n in re.findall(r"^(\w+)\s+(\d+)\s*$", table, flags=re.M)}
    jobs.pop("total", None)
    return jobs


def dry_run(workdir: Path) -> subprocess.Popen[str]:
    """``snakemake --dry-run`` in ``workdir``, started (several run at once), with its code copy if any."""
    own_code = workdir / "checkout" / "src"
    env = {**os.environ, "PYTHONPATH": str(own_code)} if own_code.is_dir() else None
    return subprocess.Popen(
        [*SNAKEMAKE, "--snakefile", str(REPO / "Snakefile"), "--cores", "2", "--dry-run"],
        cwd=workdir,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_without_any_one_paper_the_others_plan_as_with_all_three(tmp_path: Path) -> None:
    removals = [None, *PAPERS]
    runs = {removed: dry_run(workdir_without(tmp_path / str(removed), removed)) for removed in removals}
    jobs = {removed: planned(process) for removed, process in runs.items()}
    shared = set(jobs[None]) - {rule for paper in PAPERS for rule in paper_rules(paper)}
    for removed in PAPERS:
        others = {rule for paper in PAPERS if paper != removed for rule in paper_rules(paper)}
        assert {r: n for r, n in jobs[removed].items() if r in others} == {
            r: n for r, n in jobs[None].items() if r in others
        }, f"without {removed}, the other papers' jobs changed"
        assert set(jobs[removed]) <= others | shared, f"without {removed}, a job of it is still planned"
        assert jobs[removed]["index_report"] == 1
        assert jobs[removed]["headline_metrics"] == len(PAPERS) - 1
    assert jobs["dsva"]["image_text_train"] == 1  # the baselines' model, without DSVA
    assert "split_classification" not in jobs["lsenet"]  # a shared stage runs only for who asks for it


def test_without_dsva_the_baselines_of_lsenet_and_swan_run_on_the_shared_image_text_model(
    tmp_path: Path,
) -> None:
    workdir = workdir_without(tmp_path / "run", "dsva")
    edit_params(workdir, data={"synthetic": {"image_size": 32}})  # the smallest: a quicker prepare
    features, retrieval = probe_features("synthetic"), baseline_metrics("synthetic")
    snakemake(workdir, features, retrieval)  # what embeds with the model; LSE-Net's probe then reads features
    model = workdir / image_text_model("synthetic", "60-10", 0)  # TINY's image_text.baselines
    trained = {Path(name).name for name in read_json(model / "training.json")["train_files"]}
    assert trained and len(np.load(workdir / features)["features"]) == 28 * 10
    metrics = read_json(workdir / retrieval)
    assert metrics["n_images"] > 0 and metrics["contaminated"] == (
        metrics["test_images_seen_in_training"] > 0
    )
    assert sorted(p.name for p in (workdir / "results/runs").iterdir()) == ["lsenet", "swan"]
