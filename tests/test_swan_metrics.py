"""Retrieval metrics against hand-checked answers and a brute-force loop implementation."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from rsrepro.metrics.retrieval import (
    image_to_text_ranks,
    metrics_from_similarity,
    retrieval_metrics,
    scene_recall,
    text_to_image_ranks,
)


def brute_force(sims: np.ndarray, caption_image: np.ndarray) -> tuple[list[int], list[int]]:
    """One query at a time: rank = items scoring >= the (best) target, the target itself excluded."""
    i2t, t2i = [], []
    for i in range(sims.shape[0]):
        targets = [j for j in range(sims.shape[1]) if caption_image[j] == i]
        best = max(sims[i, j] for j in targets)
        i2t.append(sum(1 for j in range(sims.shape[1]) if j not in targets and sims[i, j] >= best))
    for j in range(sims.shape[1]):
        target = sims[caption_image[j], j]
        t2i.append(sum(1 for i in range(sims.shape[0]) if i != caption_image[j] and sims[i, j] >= target))
    return i2t, t2i


def test_hand_checked_five_captions_rule_and_ties():
    # 2 images x 10 captions (5 each). Image 0: its best caption (col 3, 0.9) is beaten only by col 7 (0.95)
    # -> rank 1. Image 1: its best (col 9, 0.8) ties with col 0 (0.8) -> ties count against: rank 1.
    sims = torch.tensor(
        [
            [0.1, 0.2, 0.3, 0.9, 0.0, 0.5, 0.1, 0.95, 0.2, 0.1],
            [0.8, 0.1, 0.1, 0.1, 0.1, 0.3, 0.2, 0.1, 0.0, 0.8],
        ]
    )
    caption_image = torch.arange(10) // 5
    assert image_to_text_ranks(sims, caption_image).tolist() == [1, 1]
    # captions 0..4 -> image 0: col 0 0.1 vs 0.8 -> 1; col 4 0.0 vs 0.1 -> 1; others rank 0
    # captions 5..9 -> image 1: col 5 0.3 vs 0.5 -> 1; col 6 0.2 vs 0.1 -> 0; col 7 0.1 vs 0.95 -> 1;
    # col 8 0.0 vs 0.2 -> 1; col 9 tie 0.8 vs 0.1 -> 0
    assert text_to_image_ranks(sims, caption_image).tolist() == [1, 0, 0, 0, 1, 1, 0, 1, 1, 0]
    m = metrics_from_similarity(sims, caption_image)
    assert m["i2t_R@1"] == 0.0 and m["i2t_R@5"] == 100.0
    assert m["t2i_R@1"] == pytest.approx(50.0) and m["t2i_R@5"] == 100.0
    assert m["mR"] == pytest.approx((0 + 100 + 100 + 50 + 100 + 100) / 6)
    assert m["i2t_medr"] == 2.0 and m["t2i_meanr"] == pytest.approx(1.5)


def test_constant_similarity_scores_zero_not_perfect():
    sims = torch.zeros(3, 15)
    m = metrics_from_similarity(sims, torch.arange(15) // 5)
    assert m["i2t_R@1"] == 0.0 and m["t2i_R@1"] == 0.0


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_ranks_match_brute_force(seed):
    rng = np.random.default_rng(seed)
    sims = rng.integers(0, 6, size=(7, 35)).astype(np.float32)  # many ties on purpose
    caption_image = np.repeat(np.arange(7), 5)
    i2t, t2i = brute_force(sims, caption_image)
    assert image_to_text_ranks(torch.from_numpy(sims), torch.from_numpy(caption_image)).tolist() == i2t
    assert text_to_image_ranks(torch.from_numpy(sims), torch.from_numpy(caption_image)).tolist() == t2i


def test_scene_recall_hand_checked_and_empty_scenes_excluded():
    # 3 image queries over 4 items; scenes of items: a a b ''
    sims = torch.tensor([[0.9, 0.1, 0.8, 0.0], [0.1, 0.2, 0.9, 0.3], [0.5, 0.4, 0.3, 0.2]])
    queries = np.array(["a", "b", ""])
    items = np.array(["a", "a", "b", ""])
    sr = scene_recall(sims, queries, items, ks=(1, 2))
    # query a: top2 = items 0 (a), 2 (b) -> SR@1 1, SR@2 1/2; query b: top2 = 2 (b), 3 ('') -> 1, 1/2
    assert sr[1] == pytest.approx(100.0) and sr[2] == pytest.approx(50.0)


def test_retrieval_metrics_perfect_embeddings():
    emb = torch.eye(4)
    caps = emb.repeat_interleave(5, 0)
    m = retrieval_metrics(emb, caps, np.repeat(np.arange(4), 5), np.array(["x", "x", "y", "z"]))
    assert m["mR"] == 100.0 and m["i2t_medr"] == 1.0
    assert m["i2t_SR@5"] == 100.0 and m["t2i_SR@1"] == 100.0  # top-5 captions / top image: own scene
