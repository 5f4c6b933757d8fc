"""Verdicts of headline rows (rule of rsrepro.reports.verdicts), the papers' numbers they compare with, and
the tables' missing cells."""

from __future__ import annotations

import pytest
from scipy import stats

from rsrepro.reports import paper_numbers
from rsrepro.reports.headline import Headline
from rsrepro.reports.summary import rebuild_command
from rsrepro.reports.tables import MISSING, cell, latex
from rsrepro.reports.verdicts import EMBEDDED, SINGLE_RUN_TOLERANCE, interval, verdict


def row(value: float, runs: int = 3, std: float | None = 0.4, paper: float | None = 93.49, **kw) -> Headline:
    return Headline("lsenet", "nwpu_resisc45", "train 20%", "OA", value, runs, std, paper, **kw)


def test_interval_is_student_t_over_seeds() -> None:
    half = 4.302652729749464 * 0.4 / 3**0.5  # t(0.975, 2)
    assert interval(93.1, 0.4, 3, "OA") == pytest.approx((93.1 - half, 93.1 + half))
    assert stats.t.ppf(0.975, 2) == pytest.approx(4.302652729749464)
    assert interval(93.1, None, 1, "OA") == (
        93.1 - SINGLE_RUN_TOLERANCE["OA"],
        93.1 + SINGLE_RUN_TOLERANCE["OA"],
    )


def test_reproduced_when_the_paper_lies_inside_the_interval() -> None:
    judged = verdict(row(93.1), "paper")  # 93.1 ± 0.99 contains 93.49
    assert judged.label == "reproduced" and judged.text() == "reproduced"
    assert judged.gap == pytest.approx(93.1 - 93.49)


def test_below_and_above_give_the_gap_and_its_interval() -> None:
    below = verdict(row(91.0, std=0.2), "paper")
    half = stats.t.ppf(0.975, 2) * 0.2 / 3**0.5
    assert below.label == "below"
    assert below.gap_interval == pytest.approx((91.0 - half - 93.49, 91.0 + half - 93.49))
    assert below.text() == f"below: -2.49 [{91.0 - half - 93.49:+.2f}, {91.0 + half - 93.49:+.2f}]"
    assert verdict(row(94.5, std=0.2), "paper").label == "above"
    # one run: the stated tolerance decides
    assert verdict(row(93.9, runs=1, std=None), "paper").label == "reproduced"  # within 0.5
    assert verdict(row(94.1, runs=1, std=None), "paper").label == "above"


def test_not_comparable_says_why() -> None:
    assert verdict(row(93.49), "embedded").reason == EMBEDDED  # even when the numbers agree
    differs = verdict(row(93.49, differs="another selection rule"), "paper")
    assert (differs.label, differs.reason) == ("not comparable", "another selection rule")
    unknown = verdict(row(93.49, paper=None), "paper")
    assert unknown.text() == "not comparable: the paper gives no number for this setting"


def test_released_reruns_are_a_second_reference() -> None:
    reruns = paper_numbers.dsva_reruns("rssdivcs", "60/10", "zsl")
    assert reruns == (86.6, 86.4, 86.5)  # README "repo" row, the logs' range (shared/research/dsva.md)
    assert paper_numbers.dsva_reruns("rssdivcs", "40/30", "H") == (49.8, 50.9, 51.8)
    assert paper_numbers.dsva_reruns("synthetic", "60/10", "zsl") == ()
    zsl = Headline("dsva", "rssdivcs", "60/10 faithful, paper epochs", "ZSL", 86.0, 3, 0.3, 84.0,
                   reruns=reruns)  # fmt: skip
    judged = verdict(zsl, "paper")
    assert (judged.label, judged.rerun_label) == ("above", "reproduced")  # above the paper, like its re-runs


def test_paper_numbers_from_the_notes() -> None:
    assert paper_numbers.swan_paper_mr("rsitmd") == 34.11 and paper_numbers.swan_paper_mr("rsicd") == 20.61
    assert paper_numbers.swan_paper_mr("synthetic") is None
    assert paper_numbers.dsva_paper_number("rssdivcs", "50/20", "zsl") == 64.2
    assert paper_numbers.dsva_paper_number("rssdivcs", "40/30", "H") == 49.9


def test_missing_cells_read_a_dash_in_csv_and_latex() -> None:
    assert cell(None) == cell(float("nan")) == MISSING
    tex = latex(["a", "b"], [{"group": "paper", "method": "m", "a": "1.00"}], "caption")
    assert r"m & 1.00 & -- \\" in tex


def test_rebuild_command_quotes_its_config_files() -> None:
    command = rebuild_command(["config/paper.yaml", "my run.yaml"], "results/runs/swan/rsitmd/metrics.json")
    assert command == (
        "snakemake --cores all --configfile config/paper.yaml --configfile 'my run.yaml' "
        "results/runs/swan/rsitmd/metrics.json"
    )
