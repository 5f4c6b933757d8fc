"""Image-text retrieval metrics from one similarity matrix (vectorised; no loop over queries).

``sims`` is images x captions, of any float type; ``caption_image[j]`` is the image caption ``j`` describes.
Ranks are 0-based. NumPy alone (a tensor on the CPU is read as it is), so scoring embeddings never
imports torch.

- image-to-text: an image's rank is that of its best-ranked caption (SWAN's ``acc_i2t``: best of five);
- text-to-image: a caption's rank is that of its image;
- ties of a target with another item: ``ties="numpy"`` orders them as the released code does, by the
  position in numpy's descending ``argsort`` of the query's scores (``np.argsort(row)[::-1]``, float64;
  numpy's default sort is not stable, so that order is numpy's own); ``ties="pessimistic"`` ranks every
  tied item above the target, so a constant (collapsed) model scores zero instead of a perfect recall.
  ``i2t_tied`` / ``t2i_tied`` count the queries whose target score ties with another item's;
- R@K: percentage of queries with rank < K; mR: mean of the six recalls (SWAN's "rsum" field);
- median/mean rank are 1-based, as in the original (``floor(median) + 1``);
- scene recall, in two readings (the top-r sets follow numpy's descending argsort where ties straddle
  the r-th place):
  - ``SR@r``: percent; per query, the share of its top-r results whose scene equals the query's; queries
    without a scene (empty label: RSICD's numeric file names) are left out;
  - ``srr@r``: SWAN's ``srr_i2t``/``srr_t2i`` as released: the same share as a fraction, over every query,
    the numeric names forming one scene of their own ("noneclass").
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import ArrayLike

RECALL_KS = (1, 5, 10)
SCENE_KS = (1, 5, 10)
Ties = Literal["numpy", "pessimistic"]


def numpy_descending_order(scores: ArrayLike) -> np.ndarray:
    """Item indices as the released code orders one query's scores: ``np.argsort(float64)[::-1]``."""
    return np.argsort(np.asarray(scores, dtype=np.float64))[::-1]


def image_to_text_ranks(
    sims: ArrayLike, caption_image: ArrayLike, ties: Ties = "pessimistic"
) -> tuple[np.ndarray, np.ndarray]:
    """0-based rank of each image's best caption among all captions, and whether another image's caption
    ties with that best score."""
    sims, caption_image = np.asarray(sims), np.asarray(caption_image)
    target = sims[caption_image, np.arange(len(caption_image))]  # each caption's score with its image
    best = np.full(sims.shape[0], -np.inf, dtype=sims.dtype)
    np.maximum.at(best, caption_image, target)
    above = (sims > best[:, None]).sum(1, dtype=np.int64)
    own_best = np.bincount(caption_image, target == best[caption_image], sims.shape[0]).astype(np.int64)
    tied = (sims == best[:, None]).sum(1, dtype=np.int64) - own_best
    if ties == "pessimistic":
        return above + tied, tied > 0
    ranks = above.copy()
    for i in np.flatnonzero(tied):
        ranks[i] = np.flatnonzero(caption_image[numpy_descending_order(sims[i])] == i)[0]
    return ranks, tied > 0


def text_to_image_ranks(
    sims: ArrayLike, caption_image: ArrayLike, ties: Ties = "pessimistic"
) -> tuple[np.ndarray, np.ndarray]:
    """0-based rank of each caption's image among all images, and whether another image ties with it."""
    sims, caption_image = np.asarray(sims), np.asarray(caption_image)
    target = sims[caption_image, np.arange(len(caption_image))]
    above = (sims > target).sum(0, dtype=np.int64)
    tied = (sims == target).sum(0, dtype=np.int64) - 1
    if ties == "pessimistic":
        return above + tied, tied > 0
    ranks = above.copy()
    for j in np.flatnonzero(tied):
        ranks[j] = np.flatnonzero(numpy_descending_order(sims[:, j]) == caption_image[j])[0]
    return ranks, tied > 0


def recall_summary(ranks: ArrayLike, prefix: str, ks: tuple[int, ...] = RECALL_KS) -> dict[str, float]:
    ranks = np.asarray(ranks)
    out = {f"{prefix}_R@{k}": 100.0 * float(np.mean(ranks < k)) for k in ks}
    out[f"{prefix}_medr"] = float(np.floor(np.median(ranks)) + 1)
    out[f"{prefix}_meanr"] = float(np.mean(ranks, dtype=np.float64)) + 1
    return out


def top_items(sims: np.ndarray, ks: tuple[int, ...]) -> dict[int, np.ndarray]:
    """Per r in ``ks``: each row's top-r items (r beyond the gallery: all of it), the set numpy's descending
    argsort puts first where tied scores straddle the r-th place."""
    n = sims.shape[1]
    m = min(max(ks) + 1, n)
    top = np.argpartition(-sims, m - 1, axis=1)[:, :m]
    top = np.take_along_axis(top, np.argsort(-np.take_along_axis(sims, top, 1), axis=1, kind="stable"), 1)
    values = np.take_along_axis(sims, top, 1)
    out = {}
    for k in ks:
        r = min(k, n)
        chosen = top[:, :r].copy()
        if r < n:
            for i in np.flatnonzero(values[:, r - 1] == values[:, r]):
                chosen[i] = numpy_descending_order(sims[i])[:r]
        out[k] = chosen
    return out


def _mean(values: np.ndarray) -> float:
    return float(np.mean(values)) if values.size else float("nan")  # no query: no figure, no warning


def scene_recall(
    sims: ArrayLike, query_scene: np.ndarray, item_scene: np.ndarray, ks: tuple[int, ...] = SCENE_KS
) -> dict[str, float]:
    """Both readings of SR@r, mean over queries of (# top-r items of the query's scene) / r: ``SR@r`` in
    percent over the queries with a scene (r beyond the gallery: all of it); ``srr@r`` SWAN's ``srr_*``,
    a fraction over every query, an empty scene being the scene "noneclass", always divided by r."""
    scenes = sorted({*query_scene, *item_scene})
    codes = {s: i for i, s in enumerate(scenes)}
    q = np.array([codes[s] for s in query_scene]).reshape(-1, 1)
    items = np.array([codes[s] for s in item_scene])
    has_scene = np.asarray(query_scene) != ""
    out = {}
    for k, top in top_items(np.asarray(sims), ks).items():
        hits = (items[top] == q).sum(1).astype(np.float64)  # "" matches "": noneclass
        out[f"SR@{k}"] = 100.0 * _mean(hits[has_scene] / top.shape[1])
        out[f"srr@{k}"] = _mean(hits / k)
    return out


def retrieval_metrics(
    image_emb: ArrayLike,
    caption_emb: ArrayLike,
    caption_image: ArrayLike,
    image_scene: np.ndarray | None = None,
    ties: Ties = "pessimistic",
) -> dict[str, float | int]:
    """All of SWAN's retrieval figures from L2-normalised embeddings (cosine similarity)."""
    image_emb = np.asarray(image_emb, dtype=np.float32)
    caption_emb = np.asarray(caption_emb, dtype=np.float32)
    return metrics_from_similarity(image_emb @ caption_emb.T, caption_image, image_scene, ties)


def metrics_from_similarity(
    sims: ArrayLike,
    caption_image: ArrayLike,
    image_scene: np.ndarray | None = None,
    ties: Ties = "pessimistic",
) -> dict[str, float | int]:
    """All of SWAN's retrieval figures from a similarity matrix of any float dtype (images x captions)."""
    sims, caption_image = np.asarray(sims), np.asarray(caption_image, dtype=np.int64)
    i2t, i2t_tied = image_to_text_ranks(sims, caption_image, ties)
    t2i, t2i_tied = text_to_image_ranks(sims, caption_image, ties)
    out = recall_summary(i2t, "i2t") | recall_summary(t2i, "t2i")
    out["mR"] = float(np.mean([out[f"{d}_R@{k}"] for d in ("i2t", "t2i") for k in RECALL_KS]))
    out["i2t_tied"], out["t2i_tied"] = int(i2t_tied.sum()), int(t2i_tied.sum())
    if image_scene is not None:
        image_scene = np.asarray(image_scene, dtype=str)
        caption_scene = image_scene[caption_image]
        out |= {f"i2t_{k}": v for k, v in scene_recall(sims, image_scene, caption_scene).items()}
        out |= {f"t2i_{k}": v for k, v in scene_recall(sims.T, caption_scene, image_scene).items()}
    return out
