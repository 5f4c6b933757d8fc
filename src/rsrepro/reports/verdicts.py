"""Did a headline reproduce? The verdict of one headline row against the paper's number, with its rule.

The rule (also printed on the index and in ``results/tables/summary.md``, :data:`RULE`):

- ``not comparable`` when the row was not measured as the paper measured it: the embedded preset
  (synthetic data, small models), a variant that departs from the released code on purpose, another
  epoch- or model-selection rule, or no published number for that setting. The reason is given.
- otherwise the 95 % interval of our mean over runs: Student t over seeds, ``mean ± t(0.975, n-1) · s /
  √n`` (s the sample std); with a single run, ``value ± tolerance``, a stated tolerance per metric
  (:data:`SINGLE_RUN_TOLERANCE`). ``reproduced`` when the paper's number lies inside it, ``above`` or
  ``below`` (our value against the paper's) otherwise, with the gap and the gap's interval.

Where the research notes give the authors' own re-runs (DSVA's released README "repo" row and training
logs), the same interval is compared with their range as a second reference: ``reproduced`` when the two
overlap.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from scipy import stats

from rsrepro.reports.headline import Headline
from rsrepro.reports.tables import MISSING, cell

LEVEL = 0.95
# Percentage points a single run may differ from the paper's number and still count as reproduced: about
# the seed-to-seed spread the papers and their released re-runs show (DSVA's logs differ by up to 1.4 ZSL
# points on one split; LSE-Net-style OA tables quote std of 0.1-0.3 at these accuracies).
SINGLE_RUN_TOLERANCE = {"OA": 0.5, "mR": 1.0, "ZSL": 1.5, "GZSL H": 1.5}
EMBEDDED = "embedded preset: synthetic data and small models, not the paper's datasets"

RULE = (
    f"**Verdict.** `not comparable` (with the reason) when the row was not measured as the paper measured "
    f"it: the embedded preset, a variant that departs from the released code on purpose, another selection "
    f"rule, or no published number. Otherwise our {LEVEL:.0%} interval: Student t over seeds, "
    f"mean ± t(0.975, n−1)·s/√n; with one run, value ± a tolerance per metric ("
    + ", ".join(f"{metric} ±{tol}" for metric, tol in SINGLE_RUN_TOLERANCE.items())
    + " points). `reproduced` when the paper's number lies inside it, `above` / `below` otherwise; the gap "
    "is ours minus the paper's, with its interval. **Re-runs** (DSVA): the same interval against the range "
    'of the authors\' released re-runs (README "repo" row and logs), `reproduced` when they overlap.'
)


@dataclass(frozen=True)
class Verdict:
    label: str  # reproduced / above / below / not comparable
    reason: str = ""  # why not comparable
    gap: float | None = None  # ours minus the paper's, percentage points
    gap_interval: tuple[float, float] | None = None
    rerun_label: str = ""  # against the released re-runs' range, where the notes give them

    def text(self) -> str:
        """One cell: "reproduced", "below: -1.23 [-2.01, -0.45]", "not comparable: <reason>"."""
        if self.label == "not comparable":
            return f"not comparable: {self.reason}"
        if self.label == "reproduced" or self.gap is None or self.gap_interval is None:
            return self.label
        low, high = self.gap_interval
        return f"{self.label}: {self.gap:+.2f} [{low:+.2f}, {high:+.2f}]"


def interval(mean: float, std: float | None, runs: int, metric: str) -> tuple[float, float]:
    """Our 95 % interval of the mean: Student t over ``runs`` seeds, or the metric's tolerance for one."""
    if runs < 2 or std is None:
        tolerance = SINGLE_RUN_TOLERANCE[metric]
        return mean - tolerance, mean + tolerance
    half = stats.t.ppf(0.5 + LEVEL / 2, runs - 1) * std / math.sqrt(runs)
    return mean - half, mean + half


def compare(ours: tuple[float, float], low: float, high: float) -> str:
    """``reproduced`` when our interval meets [low, high] (a point when low == high), else above / below."""
    if ours[1] < low:
        return "below"
    if ours[0] > high:
        return "above"
    return "reproduced"


def not_comparable_reason(row: Headline, preset: str) -> str:
    if preset == "embedded":
        return EMBEDDED
    if row.differs:
        return row.differs
    if row.paper_value is None:
        return "the paper gives no number for this setting"
    return ""


def verdict(row: Headline, preset: str) -> Verdict:
    """The verdict of one headline row (:data:`RULE`); ``preset`` is the config's ``preset``."""
    gap = row.difference
    reason = not_comparable_reason(row, preset)
    if reason or row.paper_value is None:
        return Verdict("not comparable", reason, gap)
    low, high = interval(row.reproduced, row.std, row.runs, row.metric)
    rerun = compare((low, high), min(row.reruns), max(row.reruns)) if row.reruns else ""
    return Verdict(
        compare((low, high), row.paper_value, row.paper_value),
        gap=gap,
        gap_interval=(low - row.paper_value, high - row.paper_value),
        rerun_label=rerun,
    )


def number(value: float | None) -> str:
    return MISSING if value is None else f"{value:.2f}"


def reproduced_cell(row: Headline) -> str:
    """Our mean, ± the sample std over seeds where there are several runs."""
    return cell(row.reproduced, row.std, row.runs)


def verdict_records(rows: Iterable[Headline], preset: str) -> list[dict[str, Any]]:
    """The headline rows as the index and the summary print them: values, paper's number, gap, verdict."""
    records = []
    for row in rows:
        judged = verdict(row, preset)
        records.append(
            {
                "paper": row.paper,
                "dataset": row.dataset,
                "setting": row.setting,
                "metric": row.metric,
                "reproduced": reproduced_cell(row),
                "runs": row.runs,
                "paper's number": number(row.paper_value),
                "gap": number(judged.gap),
                "verdict": judged.text(),
                "re-runs": judged.rerun_label or MISSING,
                "baseline": number(row.baseline),
                "note": row.note,
            }
        )
    return records
