"""Per-run metrics under three protocols, and the aggregate over runs.

A run of one split and variant is two trainings, as the released code's two scripts per split: the ZSL
setting's gives the ZSL accuracy, the GZSL setting's U, S and H, each at the epoch its protocol picks:

- ``paper``: the released code's protocol: best ZSL epoch and best-H epoch, both chosen on the test set
  (its ``Result``: the first epoch that beats all earlier ones and 0; a NaN never does);
- ``last``: the last epoch;
- ``validation``: the epoch whose pseudo-unseen validation ZSL accuracy (``select`` stage) is highest.
"""

from __future__ import annotations

from typing import Any

import numpy as np

SETTINGS = {"zsl": ("zsl", "zsl_g"), "gzsl": ("U", "S", "H", "U_g", "S_g", "H_g")}
HEADLINE = {"zsl": ("zsl",), "gzsl": ("U", "S", "H")}
Histories = dict[str, dict[str, list[dict[str, float]]]]  # setting -> stage -> history


def released_best_epoch(values: list[float]) -> int | None:
    """The epoch ``Result.update`` reports: the first to beat every earlier value and 0 (None if none)."""
    best, epoch = 0.0, None
    for k, value in enumerate(values):
        if value > best:  # False for NaN
            best, epoch = value, k
    return epoch


def _at(history: list[dict[str, float]], setting: str, epoch: int | None, keys: tuple[str, ...]) -> dict:
    """``keys`` of ``history`` at ``epoch``; None is the released code's answer when no epoch beats 0:
    its initial zeros."""
    values = {k: 0.0 if epoch is None else history[epoch][k] for k in keys}
    return {f"{setting}_epoch": epoch, **values}


def summarize(runs: Histories, info: dict[str, Any]) -> dict[str, Any]:
    """``runs``: the ``full`` and ``select`` histories of the ``zsl`` and ``gzsl`` settings."""
    paper, last, validation = {}, {}, {"val_zsl": {}}
    for setting, keys in SETTINGS.items():
        full, select = runs[setting]["full"], runs[setting]["select"]
        best = released_best_epoch([row[HEADLINE[setting][-1]] for row in full])
        paper.update(_at(full, setting, best, HEADLINE[setting]))
        last.update(_at(full, setting, len(full) - 1, keys))
        chosen = min(int(np.argmax([row["val_zsl"] for row in select])), len(full) - 1)
        validation.update(_at(full, setting, chosen, keys))
        validation["val_zsl"][setting] = select[chosen]["val_zsl"]
    return {"protocols": {"paper": paper, "last": last, "validation": validation}, "runs": info}


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
