"""Mean +- std of the test metrics over the k runs of each variant."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rsrepro.io import read_json, write_json
from rsrepro.metrics.runs import mean_and_std


def aggregate_runs(metrics_files: Sequence[str | Path], out: str | Path) -> dict[str, Any]:
    by_variant: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for path in metrics_files:
        run = read_json(path)
        by_variant[run["variant"]].append(run)
    result: dict[str, Any] = {}
    for variant, runs in by_variant.items():
        keys = [k for k, v in runs[0].items() if isinstance(v, float) and k != "eval_seconds"]
        summary = {k: mean_and_std([r[k] for r in runs]) for k in keys}
        result[variant] = {
            "runs": len(runs),
            "seeds": [r["seed"] for r in runs],
            "mean": {k: mean for k, (mean, _) in summary.items()},
            "std": {k: std for k, (_, std) in summary.items()},
        }
    write_json(out, result)
    return result
