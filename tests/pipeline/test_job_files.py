"""Every job of the tiny pipeline has its log and benchmark where rsrepro.jobs names them: under the rule's
name, a folder per wildcard, the log beside the benchmark (what the index report's stage times read)."""

from __future__ import annotations

import re
from pathlib import Path

from tests.workflow_helpers import REPO

RULES = {
    name
    for path in (REPO / "workflow/rules").glob("*.smk")
    for name in re.findall(r"^rule (\w+):", path.read_text(), re.M)
}


def test_each_job_has_its_log_beside_its_benchmark_under_its_rule(tiny_pipeline: Path) -> None:
    benchmarks = tiny_pipeline / "results/benchmarks"
    jobs = [path.relative_to(benchmarks).with_suffix("") for path in benchmarks.rglob("*.tsv")]
    assert {job.parts[0] for job in jobs} <= RULES
    assert {"prepare_synthetic", "image_text_train", "lsenet_train", "swan_train", "dsva_train"} <= {
        job.parts[0] for job in jobs
    }
    for job in jobs:
        assert (tiny_pipeline / "results/logs" / job).with_suffix(".log").is_file(), job
        assert all(re.fullmatch(r"\w+=[\w.+-]+", part) for part in job.parts[1:]), job
    assert Path("lsenet_train/dataset=synthetic/lsenet_variant=full/ratio=0.5/seed=0") in jobs
