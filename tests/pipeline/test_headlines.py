"""The headline numbers of the tiny pipeline, recomputed independently from the per-run metrics.json files:
each value, the paper's number beside it, the difference, the verdict, in every place they are shown
(the headline rows, DVC's metrics files, results/tables/summary.md)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rsrepro.papers import headline_rows
from rsrepro.reports.verdicts import EMBEDDED, verdict

pytestmark = pytest.mark.slow


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
