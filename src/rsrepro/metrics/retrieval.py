"""Image-text retrieval metrics from one similarity matrix (vectorised; no loop over queries).

``sims`` is images x captions; ``caption_image[j]`` is the image caption ``j`` describes. Ranks are 0-based.

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
import torch

RECALL_KS = (1, 5, 10)
SCENE_KS = (1, 5, 10)
Ties = Literal["numpy", "pessimistic"]


def _as_tensor(x: np.ndarray | torch.Tensor) -> torch.Tensor:
    return x if isinstance(x, torch.Tensor) else torch.from_numpy(np.ascontiguousarray(x))


def numpy_descending_order(scores: torch.Tensor) -> np.ndarray:
    """Item indices as the released code orders one query's scores: ``np.argsort(float64)[::-1]``."""
    return np.argsort(scores.double().numpy())[::-1]


def _count(mask: np.ndarray, axis: int) -> torch.Tensor:
    """True entries along ``axis`` (numpy's boolean sums are several times faster than torch's here)."""
    return torch.from_numpy(mask.sum(axis, dtype=np.int64))


def image_to_text_ranks(
    sims: torch.Tensor, caption_image: torch.Tensor, ties: Ties = "pessimistic"
) -> tuple[torch.Tensor, torch.Tensor]:
    """0-based rank of each image's best caption among all captions, and whether another image's caption
    ties with that best score."""
    target = sims.gather(0, caption_image.view(1, -1)).view(-1)  # each caption's score with its image
    best = torch.full((sims.shape[0],), -torch.inf, dtype=sims.dtype).scatter_reduce(
        0, caption_image, target, "amax"
    )
    scores, threshold = sims.numpy(), best.numpy()[:, None]
    above = _count(scores > threshold, 1)
    own_best = torch.bincount(caption_image, target == best[caption_image], sims.shape[0]).long()
    tied = _count(scores == threshold, 1) - own_best
    if ties == "pessimistic":
        return above + tied, tied > 0
    ranks = above.clone()
    for i in tied.nonzero().flatten().tolist():
        ranks[i] = int(np.flatnonzero(caption_image.numpy()[numpy_descending_order(sims[i])] == i)[0])
    return ranks, tied > 0


def text_to_image_ranks(
    sims: torch.Tensor, caption_image: torch.Tensor, ties: Ties = "pessimistic"
) -> tuple[torch.Tensor, torch.Tensor]:
    """0-based rank of each caption's image among all images, and whether another image ties with it."""
    target = sims.gather(0, caption_image.view(1, -1)).numpy()
    scores = sims.numpy()
    above = _count(scores > target, 0)
    tied = _count(scores == target, 0) - 1
    if ties == "pessimistic":
        return above + tied, tied > 0
    ranks = above.clone()
    for j in tied.nonzero().flatten().tolist():
        ranks[j] = int(np.flatnonzero(numpy_descending_order(sims[:, j]) == int(caption_image[j]))[0])
    return ranks, tied > 0


def recall_summary(ranks: torch.Tensor, prefix: str, ks: tuple[int, ...] = RECALL_KS) -> dict[str, float]:
    out = {f"{prefix}_R@{k}": 100.0 * (ranks < k).double().mean().item() for k in ks}
    out[f"{prefix}_medr"] = float(np.floor(np.median(ranks.numpy())) + 1)
    out[f"{prefix}_meanr"] = ranks.double().mean().item() + 1
    return out


def top_items(sims: torch.Tensor, ks: tuple[int, ...]) -> dict[int, torch.Tensor]:
    """Per r in ``ks``: each row's top-r items (r beyond the gallery: all of it), the set numpy's descending
    argsort puts first where tied scores straddle the r-th place."""
    n = sims.shape[1]
    values, top = sims.topk(min(max(ks) + 1, n), dim=1)
    out = {}
    for k in ks:
        r = min(k, n)
        chosen = top[:, :r].clone()
        if r < n:
            for i in (values[:, r - 1] == values[:, r]).nonzero().flatten().tolist():
                chosen[i] = torch.from_numpy(numpy_descending_order(sims[i])[:r].copy())
        out[k] = chosen
    return out


def scene_recall(
    sims: torch.Tensor, query_scene: np.ndarray, item_scene: np.ndarray, ks: tuple[int, ...] = SCENE_KS
) -> dict[str, float]:
    """Both readings of SR@r, mean over queries of (# top-r items of the query's scene) / r: ``SR@r`` in
    percent over the queries with a scene (r beyond the gallery: all of it); ``srr@r`` SWAN's ``srr_*``,
    a fraction over every query, an empty scene being the scene "noneclass", always divided by r."""
    scenes = sorted({*query_scene, *item_scene})
    codes = {s: i for i, s in enumerate(scenes)}
    q = torch.tensor([codes[s] for s in query_scene]).view(-1, 1)
    items = torch.tensor([codes[s] for s in item_scene])
    has_scene = torch.from_numpy(np.asarray(query_scene) != "")
    out = {}
    for k, top in top_items(sims, ks).items():
        hits = (items[top] == q).sum(1, dtype=torch.int32).double()  # "" matches "": noneclass
        out[f"SR@{k}"] = 100.0 * (hits[has_scene] / top.shape[1]).mean().item()
        out[f"srr@{k}"] = (hits / k).mean().item()
    return out


def retrieval_metrics(
    image_emb: np.ndarray | torch.Tensor,
    caption_emb: np.ndarray | torch.Tensor,
    caption_image: np.ndarray | torch.Tensor,
    image_scene: np.ndarray | None = None,
    ties: Ties = "pessimistic",
) -> dict[str, float | int]:
    """All of SWAN's retrieval figures from L2-normalised embeddings (cosine similarity)."""
    image_emb, caption_emb = _as_tensor(image_emb).float(), _as_tensor(caption_emb).float()
    caption_image = _as_tensor(caption_image).long()
    sims = image_emb @ caption_emb.T
    return metrics_from_similarity(sims, caption_image, image_scene, ties)


def metrics_from_similarity(
    sims: np.ndarray | torch.Tensor,
    caption_image: np.ndarray | torch.Tensor,
    image_scene: np.ndarray | None = None,
    ties: Ties = "pessimistic",
) -> dict[str, float | int]:
    """All of SWAN's retrieval figures from a similarity matrix of any float dtype (images x captions)."""
    sims, caption_image = _as_tensor(sims), _as_tensor(caption_image).long()
    i2t, i2t_tied = image_to_text_ranks(sims, caption_image, ties)
    t2i, t2i_tied = text_to_image_ranks(sims, caption_image, ties)
    out = recall_summary(i2t, "i2t") | recall_summary(t2i, "t2i")
    out["mR"] = float(np.mean([out[f"{d}_R@{k}"] for d in ("i2t", "t2i") for k in RECALL_KS]))
    out["i2t_tied"], out["t2i_tied"] = int(i2t_tied.sum()), int(t2i_tied.sum())
    if image_scene is not None:
        image_scene = np.asarray(image_scene, dtype=str)
        caption_scene = image_scene[caption_image.numpy()]
        out |= {f"i2t_{k}": v for k, v in scene_recall(sims, image_scene, caption_scene).items()}
        out |= {f"t2i_{k}": v for k, v in scene_recall(sims.T, caption_scene, image_scene).items()}
    return out
