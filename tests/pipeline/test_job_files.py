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


USED = re.compile(r"rsrepro: \S+ used wall ([\d.]+) s, cpu ([\d.]+) s, peak memory (\d+) MB$", re.M)


def test_each_job_log_ends_with_what_the_kernel_counted(tiny_pipeline: Path) -> None:
    # Snakemake's benchmark samples the job's process tree, Snakemake's own job process included, each
    # second and then every 30 s, so it misses a long job's end; the log's last line is the kernel's count
    # for the command alone, which runs within the job's wall time.
    benchmarks = tiny_pipeline / "results/benchmarks"
    for benchmark in benchmarks.rglob("*.tsv"):
        job = benchmark.relative_to(benchmarks).with_suffix("")
        used = USED.findall((tiny_pipeline / "results/logs" / job).with_suffix(".log").read_text())
        assert used, job
        wall, cpu, peak_mb = used[-1]
        header, values = benchmark.read_text().splitlines()[:2]
        job_wall = float(dict(zip(header.split("\t"), values.split("\t"), strict=True))["s"])
        assert 0 < float(wall) <= job_wall and float(cpu) > 0 and int(peak_mb) > 0, (job, wall, job_wall)
