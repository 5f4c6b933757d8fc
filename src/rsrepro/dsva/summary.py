"""Per-run metrics under three protocols, and the aggregate over runs.

- ``paper``: the released code's protocol: best ZSL epoch and best-H epoch, both chosen on the test set;
- ``last``: the last epoch;
- ``validation``: the epoch whose pseudo-unseen validation ZSL accuracy (``select`` stage) is highest.
"""

from __future__ import annotations

from typing import Any

import numpy as np

METRICS = ("zsl", "U", "S", "H", "zsl_g", "U_g", "S_g", "H_g")


def _at(history: list[dict[str, float]], epoch: int) -> dict[str, float]:
    row = history[epoch]
    return {"epoch": epoch, **{k: row[k] for k in METRICS}}


def summarize(
    full: list[dict[str, float]], select: list[dict[str, float]], run: dict[str, Any]
) -> dict[str, Any]:
    best_zsl = int(np.argmax([h["zsl"] for h in full]))
    best_h = int(np.argmax([h["H"] for h in full]))
    chosen = min(int(np.argmax([h["val_zsl"] for h in select])), len(full) - 1)
    paper = {
        "zsl_epoch": best_zsl,
        "gzsl_epoch": best_h,
        "zsl": full[best_zsl]["zsl"],
        **{k: full[best_h][k] for k in ("U", "S", "H")},
    }
    return {
        "protocols": {
            "paper": paper,
            "last": _at(full, len(full) - 1),
            "validation": {**_at(full, chosen), "val_zsl": select[chosen]["val_zsl"]},
        },
        "run": run,
    }


def aggregate(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Rows (one per run and protocol) and the mean over seeds per split, variant and protocol."""
    rows = [
        {
            **{k: r["key"][k] for k in ("dataset", "split", "seed", "variant")},
            "protocol": name,
            **{m: p[m] for m in ("zsl", "U", "S", "H")},
        }
        for r in runs
        for name, p in r["metrics"]["protocols"].items()
    ]
    groups: dict[tuple, list[dict]] = {}
    for row in rows:
        groups.setdefault((row["dataset"], row["split"], row["variant"], row["protocol"]), []).append(row)
    means = [
        {
            "dataset": d,
            "split": s,
            "variant": v,
            "protocol": p,
            "runs": len(g),
            **{m: float(np.mean([x[m] for x in g])) for m in ("zsl", "U", "S", "H")},
        }
        for (d, s, v, p), g in groups.items()
    ]
    return {"rows": rows, "mean_over_seeds": means}
