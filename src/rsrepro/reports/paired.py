"""Paired differences between two models measured on the same test items, with a bootstrap interval.

Each run's metric is written as ratios of sums over its test items (:class:`ItemScores`: per item a
numerator and a denominator per component; the metric combines the component ratios), so resampling items
recomputes it exactly: OA is one component (correct / 1 per image), SWAN's mR six (the recall hits of an
image's own query and of its captions' queries, over the queries counted), a mean per-class accuracy one
component per class.

The interval has two levels, as the uncertainty has: within a run (one split or seed) the test items are
drawn with replacement, the same draw for both models, and the difference recomputed; then the seeds are
drawn with replacement and their within-run differences averaged. The point estimate is the mean over
seeds of the difference on all items. A difference "excludes zero" when its 95 % interval does.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from rsrepro.metrics.retrieval import RECALL_KS, Ties, image_to_text_ranks, text_to_image_ranks

LEVEL = 0.95
DRAWS = 2000
CHUNK = 100  # draws resampled at once (memory: CHUNK x items)


@dataclass(frozen=True)
class ItemScores:
    """Per test item (rows, identified by ``items``) a numerator and a denominator per component."""

    items: np.ndarray  # (n,) item ids, to pair two models' rows
    numerator: np.ndarray  # (n, k)
    denominator: np.ndarray  # (n, k)

    def aligned(self, ids: np.ndarray) -> ItemScores:
        order = {item: i for i, item in enumerate(self.items.tolist())}
        missing = [item for item in ids.tolist() if item not in order]
        if missing or len(ids) != len(self.items):
            raise ValueError(f"the two runs were scored on different test items (e.g. {missing[:3]})")
        rows = np.array([order[item] for item in ids.tolist()])
        return ItemScores(ids, self.numerator[rows], self.denominator[rows])


Combine = Callable[[np.ndarray], np.ndarray]  # (..., k) component ratios -> (...) metric


def mean_of_components(ratios: np.ndarray) -> np.ndarray:
    """OA, mR, a mean per-class accuracy: the plain mean of the components (classes absent from a draw
    are left out)."""
    return 100 * np.nanmean(ratios, axis=-1)


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


def within_run_draws(
    a: ItemScores, b: ItemScores, combine: Combine, draws: int, rng: np.random.Generator
) -> tuple[float, np.ndarray]:
    """The difference on all items, and ``draws`` differences on items drawn with replacement."""
    b = b.aligned(a.items)
    full = combine(ratios(a.numerator.sum(0), a.denominator.sum(0)))
    full -= combine(ratios(b.numerator.sum(0), b.denominator.sum(0)))
    n = len(a.items)
    out = np.empty(draws)
    for start in range(0, draws, CHUNK):
        idx = rng.integers(0, n, size=(min(CHUNK, draws - start), n))
        metric_a = combine(ratios(a.numerator[idx].sum(1), a.denominator[idx].sum(1)))
        metric_b = combine(ratios(b.numerator[idx].sum(1), b.denominator[idx].sum(1)))
        out[start : start + len(idx)] = metric_a - metric_b
    return float(full), out


def paired_difference(
    pairs: Sequence[tuple[ItemScores, ItemScores]],
    combine: Combine = mean_of_components,
    draws: int = DRAWS,
    seed: int = 0,
) -> PairedDifference:
    """A minus B over the runs in ``pairs`` (one (A, B) per seed, scored on the same items), with its
    two-level bootstrap interval (module docstring)."""
    if not pairs:
        raise ValueError("no pair of runs to compare")
    rng = np.random.default_rng(seed)
    fulls, per_seed = zip(*(within_run_draws(a, b, combine, draws, rng) for a, b in pairs), strict=True)
    stacked = np.stack(per_seed)  # (seeds, draws)
    chosen = rng.integers(0, len(pairs), size=(draws, len(pairs)))  # seeds drawn with replacement
    which = rng.integers(0, draws, size=(draws, len(pairs)))  # an independent within-run draw for each
    means = stacked[chosen, which].mean(1)
    low, high = np.nanquantile(means, [(1 - LEVEL) / 2, (1 + LEVEL) / 2])
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
    """A mean per-class accuracy's items: one component per class in ``classes``."""
    labels = np.asarray(labels)
    member = (labels[:, None] == np.asarray(classes)[None, :]).astype(np.float64)
    correct = member * (labels == np.asarray(predictions))[:, None]
    return ItemScores(np.asarray(items), correct, member)


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


def paired_rows(comparisons: Sequence[dict], scores: Callable[[str], ItemScores]) -> list[dict]:
    """One table row per comparison (a paper's ``paired_comparisons``), its runs scored by ``scores``."""
    rows = []
    for c in comparisons:
        found = paired_difference([(scores(a), scores(b)) for a, b in c["pairs"]])
        rows.append(
            {
                "group": "paired",
                "method": c["comparison"],
                **{k: c[k] for k in ("dataset", "setting", "metric")},
                "difference": f"{found.difference:+.2f}",
                "95% interval": f"[{found.low:+.2f}, {found.high:+.2f}]",
                "excludes 0": "yes" if found.excludes_zero else "no",
                "seeds": found.seeds,
                "items": found.items,
            }
        )
    return rows
