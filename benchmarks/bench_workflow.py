"""Wall time of the embedded workflow from scratch, and of a no-op rerun.

    python benchmarks/bench_workflow.py                    # the whole DAG (every paper, reports)
    python benchmarks/bench_workflow.py --stage data       # only up to the prepared, split datasets
    python benchmarks/bench_workflow.py --smoke            # tiny synthetic data, data stage only
    python benchmarks/bench_workflow.py --keep DIR         # run in DIR and keep it (benchmark TSVs)

Runs this checkout's Snakefile in a fresh temporary working directory (so `results/` is untouched) with
`--cores all`, then once more with nothing to do, and prints both wall times and the load average (other
processes on the machine slow the run down). With `--keep`, the per-job Snakemake benchmark TSVs stay in
`DIR/results/benchmarks/` to see where the time goes.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from rsrepro.reports.targets import data_targets  # noqa: E402


def timed_snakemake(workdir: Path, targets: list[str]) -> tuple[float, str]:
    command = [sys.executable, "-m", "snakemake", "--snakefile", str(REPO / "Snakefile"), "--cores", "all"]
    start = time.perf_counter()
    result = subprocess.run([*command, *targets], cwd=workdir, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        sys.exit(f"snakemake failed:\n{result.stderr[-3000:]}")
    return elapsed, result.stderr


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
        first, log = timed_snakemake(workdir, targets)
        noop, _ = timed_snakemake(workdir, targets)
        steps = re.findall(r"(\d+) of (\d+) steps", log)
    figures = {
        "stage": args.stage,
        "cores": os.cpu_count(),
        "synthetic": config["data"]["synthetic"],
        "jobs": int(steps[-1][1]) if steps else 0,
        "first_run_s": round(first, 1),
        "noop_rerun_s": round(noop, 2),
        "load_average_1_5_15_before": [round(x, 2) for x in load_before],
        "load_average_1_5_15_after": [round(x, 2) for x in os.getloadavg()],
    }
    print(json.dumps(figures, indent=1))


if __name__ == "__main__":
    main()
