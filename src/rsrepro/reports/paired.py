"""Paired differences between two models measured on the same test items, with a bootstrap interval.

Each run's metric is written as ratios of sums over its test items (:class:`ItemScores`: per item a
numerator and a denominator per component, and how the metric combines the component ratios), so
resampling items recomputes it exactly: OA is one component (correct / 1 per image), SWAN's mR six (the
recall hits of an image's own query and of its captions' queries, over the queries counted), a mean
per-class accuracy one component per class, DSVA's GZSL H the harmonic mean of the means over the unseen
and the seen classes' components.

The interval has two levels, as the uncertainty has: within a run (one split or seed) the test items are
drawn with replacement, the same draw for both models, and the difference recomputed; then the seeds are
drawn with replacement and their within-run differences averaged. The point estimate is the mean over
seeds of the difference on all items. A difference "excludes zero" when its 95 % interval does.

Items with ``strata`` (their classes) are drawn within each stratum, its size kept: a mean per-class
accuracy's classes then keep their test images' count in every draw, as the split fixed them, so no class
drops out of the mean and each draw is the headline metric of a test set like the real one (DSVA's ZSL
accuracy and GZSL H). Without strata (OA, mR) the items are drawn from all of them.

A paper states its comparisons (``paired_comparisons``, one table row each) as dicts: ``dataset``,
``setting``, ``metric``, ``comparison`` (its name, "A − B"), ``pairs`` (per seed the runs A and B, as its
``item_scores`` takes them) and, where needed, ``scored_as`` (options of ``item_scores``), ``common_items``
(score both on the test items they share, where one model leaves some out) and ``reads`` (the further
files the scoring reads: with ``pairs``, the paired_table rule's inputs).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from rsrepro.metrics.retrieval import RECALL_KS, Ties, image_to_text_ranks, text_to_image_ranks
from rsrepro.reports.tables import MISSING

if TYPE_CHECKING:
    import pandas as pd

LEVEL = 0.95
DRAWS = 2000
CHUNK = 100  # draws resampled at once (memory: CHUNK x items)


Combine = Callable[[np.ndarray], np.ndarray]  # (..., k) component ratios -> (...) metric


def mean_of_components(ratios: np.ndarray) -> np.ndarray:
    """OA, mR, a mean per-class accuracy: the plain mean of the components (classes without test images
    are left out)."""
    return 100 * np.nanmean(ratios, axis=-1)


@dataclass(frozen=True)
class ItemScores:
    """Per test item (rows, identified by ``items``) a numerator and a denominator per component; the
    metric is ``combine`` of the component ratios, its items drawn within ``strata`` where given."""

    items: np.ndarray  # (n,) item ids, to pair two models' rows
    numerator: np.ndarray  # (n, k)
    denominator: np.ndarray  # (n, k)
    combine: Combine = mean_of_components
    strata: np.ndarray | None = None  # (n,) the stratum (class) of each item

    def rows(self, rows: np.ndarray) -> ItemScores:
        strata = None if self.strata is None else self.strata[rows]
        return replace(
            self, items=self.items[rows], numerator=self.numerator[rows], denominator=self.denominator[rows],
            strata=strata,
        )  # fmt: skip

    def aligned(self, ids: np.ndarray) -> ItemScores:
        order = {item: i for i, item in enumerate(self.items.tolist())}
        missing = [item for item in ids.tolist() if item not in order]
        if missing or len(ids) != len(self.items):
            raise ValueError(f"the two runs were scored on different test items (e.g. {missing[:3]})")
        return self.rows(np.array([order[item] for item in ids.tolist()], dtype=np.int64))

    def restricted(self, ids: np.ndarray) -> ItemScores:
        """The rows of the items in ``ids`` (those it has), in its own order."""
        return self.rows(np.flatnonzero(np.isin(self.items, ids)))

    def metric(self) -> float:
        """The metric on all items."""
        return float(self.combine(ratios(self.numerator.sum(0), self.denominator.sum(0))))


def ratios(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denominator > 0, numerator / np.where(denominator > 0, denominator, 1), np.nan)


@dataclass(frozen=True)
class PairedDifference:
    difference: float  # A minus B, metric units (percentage points)
    low: float
    high: float
    seeds: int
    items: int  # test items per run (the first run's)

    @property
    def excludes_zero(self) -> bool:
        return self.low > 0 or self.high < 0


def resampled_rows(
    n: int, strata: np.ndarray | None, draws: int, rng: np.random.Generator
) -> Iterator[np.ndarray]:
    """``draws`` resamples of the rows ``0..n-1`` with replacement, in chunks of (up to ``CHUNK``, n):
    from all rows, or within each stratum (in sorted order of the strata), its size kept."""
    groups = [np.arange(n)] if strata is None else [np.flatnonzero(strata == s) for s in np.unique(strata)]
    for start in range(0, draws, CHUNK):
        size = min(CHUNK, draws - start)
        yield np.hstack([g[rng.integers(0, len(g), size=(size, len(g)))] for g in groups])


def draw_counts(idx: np.ndarray, n: int) -> np.ndarray:
    """How often each of the ``n`` rows is drawn in each draw of ``idx`` (draws, n): the draws' sums are
    then ``counts @ values``, exact for the integer counts, without a (draws, n, k) copy of the values."""
    flat = (idx + n * np.arange(len(idx))[:, None]).ravel()
    return np.bincount(flat, minlength=len(idx) * n).reshape(len(idx), n).astype(np.float64)


def within_run_draws(
    a: ItemScores, b: ItemScores, draws: int, rng: np.random.Generator
) -> tuple[float, np.ndarray]:
    """The difference on all items, and ``draws`` differences on items drawn with replacement (within
    ``a``'s strata where it has them)."""
    b = b.aligned(a.items)
    out = np.empty(draws)
    done = 0
    for idx in resampled_rows(len(a.items), a.strata, draws, rng):
        counts = draw_counts(idx, len(a.items))
        metric_a = a.combine(ratios(counts @ a.numerator, counts @ a.denominator))
        metric_b = b.combine(ratios(counts @ b.numerator, counts @ b.denominator))
        out[done : done + len(idx)] = metric_a - metric_b
        done += len(idx)
    return a.metric() - b.metric(), out


def paired_difference(
    pairs: Sequence[tuple[ItemScores, ItemScores]], draws: int = DRAWS, seed: int = 0
) -> PairedDifference:
    """A minus B over the runs in ``pairs`` (one (A, B) per seed, scored on the same items), with its
    two-level bootstrap interval (module docstring)."""
    if not pairs:
        raise ValueError("no pair of runs to compare")
    rng = np.random.default_rng(seed)
    fulls, per_seed = zip(*(within_run_draws(a, b, draws, rng) for a, b in pairs), strict=True)
    stacked = np.stack(per_seed)  # (seeds, draws)
    chosen = rng.integers(0, len(pairs), size=(draws, len(pairs)))  # seeds drawn with replacement
    which = rng.integers(0, draws, size=(draws, len(pairs)))  # an independent within-run draw for each
    means = stacked[chosen, which].mean(1)
    low, high = (
        np.nanquantile(means, [(1 - LEVEL) / 2, (1 + LEVEL) / 2])
        if not np.isnan(means).all()
        else (np.nan,) * 2
    )  # a metric NaN on every draw (DSVA's faithful S with a seen class left without test images)
    return PairedDifference(
        float(np.mean(fulls)), float(low), float(high), len(pairs), len(pairs[0][0].items)
    )


def classification_scores(labels: np.ndarray, predictions: np.ndarray, items: np.ndarray) -> ItemScores:
    """Overall accuracy's items: one component, correct (1/0) over 1 per test image."""
    correct = (np.asarray(labels) == np.asarray(predictions)).astype(np.float64)[:, None]
    return ItemScores(np.asarray(items), correct, np.ones_like(correct))


def per_class_scores(
    labels: np.ndarray, predictions: np.ndarray, items: np.ndarray, classes: Sequence[int]
) -> ItemScores:
    """A mean per-class accuracy's items: one component per class in ``classes``, drawn within class."""
    labels = np.asarray(labels)
    member = (labels[:, None] == np.asarray(classes)[None, :]).astype(np.float64)
    correct = member * (labels == np.asarray(predictions))[:, None]
    return ItemScores(np.asarray(items), correct, member, strata=labels)


def harmonic_of_groups(ratios: np.ndarray, first: int, plain_second: bool) -> np.ndarray:
    """2US / (U + S) (0 when both are 0), U the mean of the first ``first`` components, S of the rest:
    a plain mean (NaN when a component has no item) if ``plain_second``, else over those that have."""
    u = np.nanmean(ratios[..., :first], axis=-1)
    s = np.mean(ratios[..., first:], axis=-1) if plain_second else np.nanmean(ratios[..., first:], axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return 100 * np.where(u + s == 0, 0.0, 2 * u * s / (u + s))


def gzsl_h_scores(
    labels: np.ndarray,
    predictions: np.ndarray,
    items: np.ndarray,
    unseen: Sequence[int],
    seen: Sequence[int],
    plain_seen_mean: bool,
) -> ItemScores:
    """GZSL H's items (:func:`rsrepro.dsva.metrics.gzsl_metrics_of`): a component per unseen, then per
    seen class, U and S their mean per-class accuracies (S a plain mean when ``plain_seen_mean``, as
    the released code's), drawn within class."""
    scores = per_class_scores(labels, predictions, items, [*np.asarray(unseen), *np.asarray(seen)])
    combine = functools.partial(harmonic_of_groups, first=len(unseen), plain_second=plain_seen_mean)
    return replace(scores, combine=combine)


def retrieval_scores(
    images: np.ndarray, captions: np.ndarray, caption_image: np.ndarray, image_ids: np.ndarray, ties: Ties
) -> ItemScores:
    """mR's items are the test images: per image, R@1/5/10 of its own image-to-text query and the hits of
    its captions' text-to-image queries over their count (six components; the gallery stays whole)."""
    caption_image = np.asarray(caption_image, dtype=np.int64)
    sims = np.asarray(images, dtype=np.float32) @ np.asarray(captions, dtype=np.float32).T
    i2t, _ = image_to_text_ranks(sims, caption_image, ties)
    t2i, _ = text_to_image_ranks(sims, caption_image, ties)
    n = len(images)
    i2t_hits = np.stack([i2t < k for k in RECALL_KS], 1).astype(np.float64)
    t2i_hits = np.stack([np.bincount(caption_image, t2i < k, n) for k in RECALL_KS], 1)
    counts = np.bincount(caption_image, minlength=n).astype(np.float64)[:, None].repeat(len(RECALL_KS), 1)
    return ItemScores(
        np.asarray(image_ids), np.hstack([i2t_hits, t2i_hits]), np.hstack([np.ones_like(i2t_hits), counts])
    )


READING = (
    "**difference**: the first model minus the second, in percentage points, on the same test images of "
    "each run (mean over seeds); **95% interval**: from drawing those images again (within class for a mean "
    "per-class accuracy), the same draw for both models, then the seeds; **excludes 0**: yes when the "
    "interval lies on one side of 0, a difference beyond test-set and seed noise."
)  # how to read a paired table, under each one shown

PAIRED_COLUMNS = [
    "dataset",
    "setting",
    "metric",
    "difference",
    "95% interval",
    "excludes 0",
    "seeds",
    "items",
]


def scored_pairs(comparison: dict, scores: Callable[..., ItemScores]) -> list[tuple[ItemScores, ItemScores]]:
    """The comparison's runs (A, B) per seed, scored by ``scores`` (a paper's ``item_scores``, with the
    comparison's ``scored_as`` options); with ``common_items`` both on the test items they share."""
    pairs = []
    for a, b in comparison["pairs"]:
        first, second = (scores(run, **comparison.get("scored_as", {})) for run in (a, b))
        if comparison.get("common_items"):
            first, second = first.restricted(second.items), second.restricted(first.items)
        pairs.append((first, second))
    return pairs


def signed(value: float) -> str:
    return f"{value:+.2f}" if np.isfinite(value) else MISSING


def paired_rows(comparisons: Sequence[dict], scores: Callable[..., ItemScores]) -> list[dict]:
    """One table row per comparison (a paper's ``paired_comparisons``), its runs scored by ``scores``;
    a difference that is not a number (a metric NaN on the whole test set) reads :data:`MISSING`."""
    rows = []
    for c in comparisons:
        found = paired_difference(scored_pairs(c, scores))
        defined = np.isfinite([found.difference, found.low, found.high]).all()
        rows.append(
            {
                "group": "paired",
                "method": c["comparison"],
                **{k: c[k] for k in ("dataset", "setting", "metric")},
                "difference": signed(found.difference),
                "95% interval": f"[{signed(found.low)}, {signed(found.high)}]" if defined else MISSING,
                "excludes 0": ("yes" if found.excludes_zero else "no") if defined else MISSING,
                "seeds": found.seeds,
                "items": found.items,
            }
        )
    return rows


def read_paired_table(path: str | Path) -> pd.DataFrame:
    """A paired table's CSV as the reports show it: its cells as written (signs, :data:`MISSING`), the
    comparison named."""
    import pandas as pd

    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    return table.drop(columns="group").rename(columns={"method": "comparison"})
