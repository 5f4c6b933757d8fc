"""Wall time of the embedded workflow from scratch, and of a no-op rerun.

    python benchmarks/bench_workflow.py                    # the whole DAG (every paper, reports)
    python benchmarks/bench_workflow.py --stage data       # only up to the prepared, split datasets
    python benchmarks/bench_workflow.py --smoke            # tiny synthetic data, data stage only
    python benchmarks/bench_workflow.py --keep DIR         # run in DIR and keep it (benchmark TSVs)

Runs this checkout's Snakefile in a fresh temporary working directory (so `results/` is untouched) with
`--cores all`, then once more with nothing to do, and prints both wall times, the CPU time of each run
(Snakemake and every job: steadier than wall times on a shared machine), the load average (other processes
slow the run down), `snakemake --version`'s wall time (Snakemake's own start, the floor of a no-op rerun),
and from the jobs' Snakemake benchmark files the CPU time and peak memory of every training job and per
rule. With `--keep`, the benchmark TSVs stay in `DIR/results/benchmarks/`.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from rsrepro.reports.targets import data_targets  # noqa: E402

SNAKEMAKE = [sys.executable, "-m", "snakemake"]


def timed(command: list[str], workdir: Path) -> tuple[float, float, str]:
    """Wall and CPU seconds (the command and its children, user + system) of a command, and its stderr."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    result = subprocess.run(command, cwd=workdir, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{result.stderr[-3000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return elapsed, cpu, result.stderr


def timed_snakemake(workdir: Path, targets: list[str]) -> tuple[float, float, str]:
    return timed([*SNAKEMAKE, "--snakefile", str(REPO / "Snakefile"), "--cores", "all", *targets], workdir)


def job_figures(benchmarks: Path) -> tuple[dict[str, dict[str, float]], dict[str, dict[str, float]]]:
    """From Snakemake's benchmark files: each training job's CPU seconds and peak memory (MB), and per
    rule the jobs, their CPU seconds in all and the largest peak memory."""
    training: dict[str, dict[str, float]] = {}
    rules: dict[str, dict[str, float]] = defaultdict(lambda: {"jobs": 0, "cpu_s": 0.0, "max_rss_mb": 0.0})
    for path in sorted(benchmarks.rglob("*.tsv")):
        with path.open(newline="") as handle:
            row = next(csv.DictReader(handle, delimiter="\t"))
        rule = path.relative_to(benchmarks).parts[0]
        cpu, rss = float(row["cpu_time"]), float(row["max_rss"])
        if rule.endswith("_train"):
            training[path.relative_to(benchmarks).with_suffix("").as_posix()] = {
                "cpu_s": cpu,
                "max_rss_mb": rss,
            }
        totals = rules[rule]
        totals["jobs"] += 1
        totals["cpu_s"] = round(totals["cpu_s"] + cpu, 2)
        totals["max_rss_mb"] = max(totals["max_rss_mb"], rss)
    return training, dict(rules)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stage", choices=["data", "all"], default="all")
    parser.add_argument("--smoke", action="store_true", help="tiny synthetic data, data stage only")
    parser.add_argument("--keep", type=Path, help="run in this (new) directory and keep it")
    args = parser.parse_args()

    config = yaml.safe_load((REPO / "params.yaml").read_text())
    if args.smoke:
        args.stage = "data"
        config["data"]["synthetic"].update(image_size=32, images_per_class=10)
    targets = data_targets(config) if args.stage == "data" else []
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="rsrepro-bench-") as tmp:
        workdir = args.keep or Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        (workdir / "params.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
        first, first_cpu, log = timed_snakemake(workdir, targets)
        noop, noop_cpu, _ = timed_snakemake(workdir, targets)
        version, _, _ = timed([*SNAKEMAKE, "--version"], workdir)
        steps = re.findall(r"(\d+) of (\d+) steps", log)
        training, rules = job_figures(workdir / "results" / "benchmarks")
    figures = {
        "stage": args.stage,
        "cores": os.cpu_count(),
        "synthetic": config["data"]["synthetic"],
        "jobs": int(steps[-1][1]) if steps else 0,
        "first_run_s": round(first, 1),
        "first_run_cpu_s": round(first_cpu, 1),
        "noop_rerun_s": round(noop, 2),
        "noop_rerun_cpu_s": round(noop_cpu, 2),
        "snakemake_version_s": round(version, 2),
        "load_average_1_5_15_before": [round(x, 2) for x in load_before],
        "load_average_1_5_15_after": [round(x, 2) for x in os.getloadavg()],
        "training_jobs": training,
        "rules": rules,
    }
    print(json.dumps(figures, indent=1))


if __name__ == "__main__":
    main()
