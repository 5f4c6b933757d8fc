"""The headline numbers of the tiny pipeline, recomputed independently from the per-run metrics.json files:
each value, the paper's number beside it, the difference, the verdict, in every place they are shown
(the headline rows, DVC's metrics files, results/tables/summary.md)."""

from __future__ import annotations

import csv
import functools
import json
from pathlib import Path

import numpy as np
import pytest

from rsrepro.papers import headline_rows
from rsrepro.reports.verdicts import EMBEDDED, verdict

pytestmark = pytest.mark.slow
BASELINE = "zero_shot_baseline"  # DSVA's baseline runs' folder


def expected_headlines(runs: Path) -> dict[tuple[str, str, str], tuple[float, float]]:
    """(paper, setting, metric) -> (value %, baseline %), read straight from the per-run files (one run
    each)."""
    found = {}
    for run in (runs / "lsenet/synthetic/full").glob("ratio*_seed0/metrics.json"):
        m = json.loads(run.read_text())
        probe = json.loads(
            (runs / "lsenet/synthetic/linear_probe" / run.parent.name / "metrics.json").read_text()
        )
        found["lsenet", f"train {round(100 * m['train_ratio'])}%", "OA"] = (100 * m["oa"], 100 * probe["oa"])
    swan_base = json.loads((runs / "swan/synthetic/zero_shot_baseline/metrics.json").read_text())["mR"]
    for run in (runs / "swan/synthetic").glob("*/seed0/metrics.json"):
        found["swan", run.parent.parent.name, "mR"] = (json.loads(run.read_text())["mR"], swan_base)
    split = runs / "dsva/synthetic/60-10_seed0"
    base = json.loads((split / "zero_shot_baseline/metrics.json").read_text())["protocols"]["zero-shot"]
    for protocols in split.glob("*/metrics.json"):
        if protocols.parent.name == "zero_shot_baseline":
            continue
        for protocol in ("paper", "validation"):
            values = json.loads(protocols.read_text())["protocols"][protocol]
            setting = f"60/10 {protocols.parent.name}, {protocol} epochs"
            for key, metric in (("zsl", "ZSL"), ("H", "GZSL H")):
                found["dsva", setting, metric] = (100 * values[key], 100 * base[key])
    return found


def test_headlines_match_the_per_run_metrics(tiny_pipeline: Path) -> None:
    results = tiny_pipeline / "results"
    expected = expected_headlines(results / "runs")
    summaries = {
        "lsenet": [results / "runs/lsenet/synthetic/summary.json"],
        "swan": [results / "runs/swan/synthetic/metrics.json"],
        "dsva": [results / "runs/dsva/synthetic/metrics.json"],
    }
    rows = headline_rows(summaries)
    assert {(r.paper, r.setting, r.metric) for r in rows} == set(expected)
    summary_md = (results / "tables/summary.md").read_text()
    for row in rows:
        value, baseline = expected[row.paper, row.setting, row.metric]
        assert row.reproduced == pytest.approx(value) and row.baseline == pytest.approx(baseline)
        assert (row.runs, row.std) == (1, None)
        # the papers have no number on the synthetic dataset: no difference, and the embedded preset's reason
        assert row.paper_value is None and row.difference is None
        judged = verdict(row, "embedded")
        assert (judged.label, judged.reason) == ("not comparable", EMBEDDED)
        metrics = json.loads((results / f"metrics/{row.paper}.json").read_text())
        assert metrics["synthetic"][row.setting][row.metric] == pytest.approx(value, abs=1e-4)
        line = next(
            line
            for line in summary_md.splitlines()
            if f"| {row.setting} | {row.metric} | {value:.2f} |" in line
        )
        assert f"| – | not comparable: {EMBEDDED} | – | {baseline:.2f} |" in line
        assert "`snakemake --cores all results/runs/" in line


def test_index_shows_the_verdict_rule_and_no_nan(tiny_pipeline: Path) -> None:
    reports = tiny_pipeline / "results/reports"
    index = (reports / "index.html").read_text()
    assert index.count(f"not comparable: {EMBEDDED}") == len(
        expected_headlines(tiny_pipeline / "results/runs")
    )
    assert "Student t over seeds" in index
    for name in ("index", "lsenet", "swan", "dsva"):
        assert ">NaN<" not in (reports / f"{name}.html").read_text(), name
    lsenet_table = (tiny_pipeline / "results/tables/lsenet.csv").read_text()
    assert (
        "LSE-Net (paper; Papers-with-Code record)" in lsenet_table and "ucm, ratio not stated" in lsenet_table
    )
    assert ",," not in lsenet_table  # every empty cell reads –


def zero_shot_predictions(split: Path, run: str, metric: str, protocol: str) -> dict[str, np.ndarray]:
    """A DSVA run's or the baseline's test images for ``metric`` (zsl or H) under ``protocol``, read from
    its per-image outputs: ids, classes, predictions, and whether S is a plain mean (faithful)."""
    if run == BASELINE:  # class scores: the unseen classes as candidates (ZSL), or calibrated stacking
        seen, unseen = split_classes(split)
        out = np.load(split / run / "test_outputs.npz")
        scores, labels = out["scores"].astype(np.float64), out["labels"]
        if metric == "zsl":
            rows = np.isin(labels, unseen)
            predicted = unseen[scores[rows][:, unseen].argmax(1)]
            return {
                "ids": out["index"][rows],
                "labels": labels[rows],
                "predicted": predicted,
                "plain_s": False,
            }
        gamma = json.loads((split / run / "metrics.json").read_text())["gamma"]
        predicted = (scores - gamma * np.isin(np.arange(scores.shape[1]), seen)).argmax(1)
        return {"ids": out["index"], "labels": labels, "predicted": predicted, "plain_s": False}
    setting = "zsl" if metric == "zsl" else "gzsl"
    summary = json.loads((split / run / "metrics.json").read_text())
    epoch = summary["protocols"][protocol][f"{setting}_epoch"]  # the headline's epoch
    out = np.load(split / setting / run / "full/test_outputs.npz")
    predicted = out["predictions"][epoch][0]  # the prototype branch, the reported one
    plain_s = summary["runs"][setting]["faithful"]
    return {"ids": out["index"], "labels": out["labels"], "predicted": predicted, "plain_s": plain_s}


@functools.cache
def split_classes(split: Path) -> tuple[np.ndarray, np.ndarray]:
    """The seen and unseen classes of a DSVA run's split file."""
    classes = json.loads((split.parents[3] / f"splits/synthetic/zero_shot/{split.name}.json").read_text())
    return np.array(classes["seen_classes"]), np.array(classes["unseen_classes"])


def zero_shot_metric(
    labels: np.ndarray, predicted: np.ndarray, metric: str, split: Path, plain_s: bool
) -> float:
    """ZSL: mean per-class accuracy over the unseen classes with images; H: 2US / (U + S), S a plain mean
    over the seen classes (NaN where one has no image) when ``plain_s``."""
    seen, unseen = split_classes(split)
    accuracy = {c: np.mean(predicted[labels == c] == c) for c in np.unique(labels)}
    u = np.mean([accuracy[c] for c in unseen if c in accuracy])
    if metric == "zsl":
        return 100 * u
    s = np.mean(
        [accuracy.get(c, np.nan) for c in seen] if plain_s else [accuracy[c] for c in seen if c in accuracy]
    )
    return 100 * (0.0 if u + s == 0 else 2 * u * s / (u + s))


def paired_draws(
    split: Path, a: str, b: str, metric: str, protocol: str, rng: np.random.Generator
) -> tuple[float, np.ndarray, int]:
    """A minus B on the test images both score, and on 2000 draws of them within each class (100 draws
    at a time, classes in sorted order); the number of images."""
    first, second = (zero_shot_predictions(split, run, metric, protocol) for run in (a, b))
    position = {item: k for k, item in enumerate(second["ids"].tolist())}
    common = [k for k, item in enumerate(first["ids"].tolist()) if item in position]
    rows_b = [position[item] for item in first["ids"][common].tolist()]  # B's rows in A's order
    labels, predicted_a, predicted_b = (
        first["labels"][common],
        first["predicted"][common],
        second["predicted"][rows_b],
    )
    assert (second["labels"][rows_b] == labels).all()

    def difference(rows: np.ndarray) -> float:
        value_a = zero_shot_metric(labels[rows], predicted_a[rows], metric, split, first["plain_s"])
        return value_a - zero_shot_metric(labels[rows], predicted_b[rows], metric, split, second["plain_s"])

    groups = [np.flatnonzero(labels == c) for c in np.unique(labels)]
    draws = [np.hstack([g[rng.integers(0, len(g), size=(100, len(g)))] for g in groups]) for _ in range(20)]
    return (
        difference(np.arange(len(labels))),
        np.array([difference(r) for r in np.vstack(draws)]),
        len(labels),
    )


def test_dsva_paired_rows_come_from_the_per_image_outputs(tiny_pipeline: Path) -> None:
    """Every DSVA paired row of the tables, recomputed from the runs' test_outputs.npz: the difference
    of the headline metrics on the test images both runs score, and its interval from the same draws
    (seed 0: per split seed 2000 draws of the images within each class, then of the seeds)."""
    results = tiny_pipeline / "results"
    table = list(csv.DictReader((results / "tables/dsva_paired.csv").open()))
    splits = sorted((results / "runs/dsva/synthetic").glob("60-10_seed*"), key=lambda p: int(p.name[10:]))
    variants = sorted(p.parent.name for p in splits[0].glob("*/metrics.json") if p.parent.name != BASELINE)
    versus = [f"{v} − zero-shot baseline" for v in variants]
    versus += ["corrected − faithful"] if variants == ["corrected", "faithful"] else []
    assert {(r["setting"], r["metric"], r["method"]) for r in table} == {
        (f"60/10, {protocol} epochs", metric, name)
        for protocol in ("paper", "validation")
        for metric in ("ZSL", "GZSL H")
        for name in versus
    }  # per headline protocol and metric
    for row in table:
        metric = {"ZSL": "zsl", "GZSL H": "H"}[row["metric"]]
        protocol = row["setting"].split(", ")[1].split()[0]
        a, b = (name.replace("zero-shot baseline", BASELINE) for name in row["method"].split(" − "))
        rng = np.random.default_rng(0)
        fulls, per_seed, items = zip(
            *(paired_draws(split, a, b, metric, protocol, rng) for split in splits), strict=True
        )
        chosen = rng.integers(0, len(splits), size=(2000, len(splits)))
        which = rng.integers(0, 2000, size=(2000, len(splits)))
        low, high = np.nanquantile(np.array(per_seed)[chosen, which].mean(1), [0.025, 0.975])
        assert float(row["difference"]) == pytest.approx(np.mean(fulls), abs=0.006), row
        interval = [float(x) for x in row["95% interval"].strip("[]").split(", ")]
        assert interval == pytest.approx([low, high], abs=0.006), row
        assert row["excludes 0"] == ("yes" if low > 0 or high < 0 else "no")
        assert (int(row["seeds"]), int(row["items"])) == (len(splits), items[0])
    report = (results / "reports/dsva.html").read_text()
    assert "Paired differences" in report and "corrected − zero-shot baseline" in report
