"""Per-run metrics under three protocols, and the aggregate over runs (NumPy only: the evaluation jobs).

A run of one split and variant is two trainings, as the released code's two scripts per split: the ZSL
setting's gives the ZSL accuracy, the GZSL setting's U, S and H, each at the epoch its protocol picks
(scored here from the predictions every epoch left in ``test_outputs.npz``):

- ``paper``: the released code's protocol: best ZSL epoch and best-H epoch, both chosen on the test set
  (its ``Result``: the first epoch that beats all earlier ones and 0; a NaN never does);
- ``last``: the last epoch;
- ``validation``: the epoch whose pseudo-unseen validation ZSL accuracy (``select`` stage) is highest.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from rsrepro.dsva.metrics import gzsl_metrics_of, zsl_accuracy_of
from rsrepro.training.run import read_history, read_outputs

BRANCHES = ("", "_g")  # the prototype branch (reported) and the global branch, as the predictions hold them
METRIC_KEYS = {"zsl": ("zsl", "zsl_g"), "gzsl": ("U", "S", "H", "U_g", "S_g", "H_g")}
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
    for setting, keys in METRIC_KEYS.items():
        full, select = runs[setting]["full"], runs[setting]["select"]
        best = released_best_epoch([row[HEADLINE[setting][-1]] for row in full])
        paper.update(_at(full, setting, best, HEADLINE[setting]))
        last.update(_at(full, setting, len(full) - 1, keys))
        chosen = min(int(np.argmax([row["val_zsl"] for row in select])), len(full) - 1)
        validation.update(_at(full, setting, chosen, keys))
        validation["val_zsl"][setting] = select[chosen]["val_zsl"]
    return {"protocols": {"paper": paper, "last": last, "validation": validation}, "runs": info}


def epoch_metrics(outputs: dict[str, np.ndarray], setting: str, stage: str, faithful: bool) -> list[dict]:
    """Every epoch's metrics from its predictions: ZSL accuracy or U, S, H of both branches (``full``),
    the pseudo-unseen validation ZSL accuracy (``select``)."""
    labels, n_classes = outputs["labels"], int(outputs["n_classes"])
    records = []
    for predicted in outputs["predictions"]:  # epochs x branches x images
        if stage == "select":
            records.append(
                {"val_zsl": zsl_accuracy_of(predicted[0], labels, outputs["candidates"], n_classes)}
            )
        elif setting == "zsl":
            records.append(
                {
                    f"zsl{b}": zsl_accuracy_of(p, labels, outputs["candidates"], n_classes)
                    for b, p in zip(BRANCHES, predicted, strict=True)
                }
            )
        else:
            record: dict[str, float] = {}
            for branch, p in zip(BRANCHES, predicted, strict=True):
                metrics = gzsl_metrics_of(p, labels, outputs["seen"], outputs["unseen"], n_classes, faithful)
                record.update({f"{k}{branch}": v for k, v in metrics.items()})
            records.append(record)
    return records


def summarize_runs(runs: dict[str, dict[str, tuple[Path, Path]]]) -> dict[str, Any]:
    """metrics.json of one split and variant: ``runs`` is setting -> stage -> (history.json,
    test_outputs.npz). Holds the protocols and every epoch's metrics of both settings and stages."""
    per_epoch: Histories = {}
    info = {}
    for setting, stages in runs.items():
        for stage, (history_file, outputs_file) in stages.items():
            history = read_history(history_file)
            faithful = bool(history["run"]["faithful"])
            per_epoch.setdefault(setting, {})[stage] = epoch_metrics(
                read_outputs(outputs_file), setting, stage, faithful
            )
            if stage == "full":
                info[setting] = history["run"]
    return {**summarize(per_epoch, info), "per_epoch": per_epoch}


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
