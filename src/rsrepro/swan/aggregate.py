"""Mean +- std of the test metrics over the k runs of each variant."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from rsrepro.io import read_json, write_json


def aggregate_runs(metrics_files: Sequence[str | Path], out: str | Path) -> dict[str, Any]:
    by_variant: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for path in metrics_files:
        run = read_json(path)
        by_variant[run["variant"]].append(run)
    result: dict[str, Any] = {}
    for variant, runs in by_variant.items():
        keys = [k for k, v in runs[0].items() if isinstance(v, float) and k != "eval_seconds"]
        result[variant] = {
            "runs": len(runs),
            "seeds": [r["seed"] for r in runs],
            "mean": {k: float(np.mean([r[k] for r in runs])) for k in keys},
            "std": {k: float(np.std([r[k] for r in runs], ddof=1)) if len(runs) > 1 else 0.0 for k in keys},
        }
    write_json(out, result)
    return result
