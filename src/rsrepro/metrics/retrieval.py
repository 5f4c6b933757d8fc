"""Image-text retrieval metrics from one similarity matrix (vectorised; no loop over queries).

``sims`` is images x captions; ``caption_image[j]`` is the image caption ``j`` describes. Ranks are
0-based and pessimistic about ties: an item scoring exactly as high as the target counts as ranked above
it, so a constant (collapsed) model scores zero instead of a perfect recall.

- image-to-text: an image's rank is that of its best-ranked caption (SWAN's ``acc_i2t``: best of five);
- text-to-image: a caption's rank is that of its image;
- R@K: percentage of queries with rank < K; mR: mean of the six recalls (SWAN's "rsum" field);
- median/mean rank are 1-based, as in the original (``floor(median) + 1``);
- scene recall SR@r (SWAN's ``srr_i2t``/``srr_t2i``): per query, the share of its top-r results whose scene
  equals the query's; queries without a scene (empty label) are left out.
"""

from __future__ import annotations

import numpy as np
import torch

RECALL_KS = (1, 5, 10)
SCENE_KS = (1, 5, 10)


def _as_tensor(x: np.ndarray | torch.Tensor) -> torch.Tensor:
    return x if isinstance(x, torch.Tensor) else torch.from_numpy(np.ascontiguousarray(x))


def image_to_text_ranks(sims: torch.Tensor, caption_image: torch.Tensor) -> torch.Tensor:
    """0-based rank of each image's best caption among all captions."""
    positive = caption_image.view(1, -1) == torch.arange(sims.shape[0]).view(-1, 1)
    best = sims.masked_fill(~positive, -torch.inf).amax(1, keepdim=True)
    return ((sims >= best) & ~positive).sum(1)


def text_to_image_ranks(sims: torch.Tensor, caption_image: torch.Tensor) -> torch.Tensor:
    """0-based rank of each caption's image among all images."""
    target = sims.gather(0, caption_image.view(1, -1))
    return (sims >= target).sum(0) - 1


def recall_summary(ranks: torch.Tensor, prefix: str, ks: tuple[int, ...] = RECALL_KS) -> dict[str, float]:
    out = {f"{prefix}_R@{k}": 100.0 * (ranks < k).double().mean().item() for k in ks}
    out[f"{prefix}_medr"] = float(np.floor(np.median(ranks.numpy())) + 1)
    out[f"{prefix}_meanr"] = ranks.double().mean().item() + 1
    return out


def scene_recall(
    sims: torch.Tensor, query_scene: np.ndarray, item_scene: np.ndarray, ks: tuple[int, ...] = SCENE_KS
) -> dict[int, float]:
    """SR@r: mean over queries with a scene of (# top-r items of the same scene) / r, in percent."""
    codes = {s: i for i, s in enumerate(sorted(set(query_scene) | set(item_scene)))}
    q = torch.tensor([codes[s] for s in query_scene])
    items = torch.tensor([codes[s] for s in item_scene])
    has_scene = torch.tensor([s != "" for s in query_scene])
    top = sims.topk(min(max(ks), sims.shape[1]), dim=1).indices  # r beyond the gallery: all of it
    same = (items[top] == q.view(-1, 1))[has_scene].double()
    return {k: 100.0 * same[:, :k].mean().item() for k in ks}


def retrieval_metrics(
    image_emb: np.ndarray | torch.Tensor,
    caption_emb: np.ndarray | torch.Tensor,
    caption_image: np.ndarray | torch.Tensor,
    image_scene: np.ndarray | None = None,
) -> dict[str, float]:
    """All of SWAN's retrieval figures from L2-normalised embeddings (cosine similarity)."""
    image_emb, caption_emb = _as_tensor(image_emb).float(), _as_tensor(caption_emb).float()
    caption_image = _as_tensor(caption_image).long()
    sims = image_emb @ caption_emb.T
    return metrics_from_similarity(sims, caption_image, image_scene)


def metrics_from_similarity(
    sims: torch.Tensor, caption_image: torch.Tensor, image_scene: np.ndarray | None = None
) -> dict[str, float]:
    out = recall_summary(image_to_text_ranks(sims, caption_image), "i2t")
    out |= recall_summary(text_to_image_ranks(sims, caption_image), "t2i")
    out["mR"] = float(np.mean([out[f"{d}_R@{k}"] for d in ("i2t", "t2i") for k in RECALL_KS]))
    if image_scene is not None:
        image_scene = np.asarray(image_scene, dtype=str)
        caption_scene = image_scene[caption_image.numpy()]
        for k, v in scene_recall(sims, image_scene, caption_scene).items():
            out[f"i2t_SR@{k}"] = v
        for k, v in scene_recall(sims.T, caption_scene, image_scene).items():
            out[f"t2i_SR@{k}"] = v
    return out
