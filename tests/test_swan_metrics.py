"""Retrieval metrics against hand-checked answers and brute-force loops over queries.

The loops state the definitions one query at a time: pessimistic ranks count every tied item against
the query; "numpy" ranks are positions in ``np.argsort(row)[::-1]``, as SWAN's acc_i2t/acc_t2i find them;
the released scene recall (srr) takes the top r of that order. (The golden tests check the same against
the released code's own outputs.)
"""

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


def pessimistic_ranks(sims: np.ndarray, caption_image: np.ndarray) -> tuple[list[int], list[int]]:
    i2t, t2i = [], []
    for i in range(sims.shape[0]):
        targets = [j for j in range(sims.shape[1]) if caption_image[j] == i]
        best = max(sims[i, j] for j in targets)
        i2t.append(sum(1 for j in range(sims.shape[1]) if j not in targets and sims[i, j] >= best))
    for j in range(sims.shape[1]):
        target = sims[caption_image[j], j]
        t2i.append(sum(1 for i in range(sims.shape[0]) if i != caption_image[j] and sims[i, j] >= target))
    return i2t, t2i


def numpy_ranks(sims: np.ndarray, caption_image: np.ndarray) -> tuple[list[int], list[int]]:
    i2t = []
    for i, row in enumerate(sims.astype(np.float64)):
        order = list(np.argsort(row)[::-1])
        i2t.append(min(order.index(j) for j in np.flatnonzero(caption_image == i)))
    columns = sims.T.astype(np.float64)
    t2i = [list(np.argsort(col)[::-1]).index(caption_image[j]) for j, col in enumerate(columns)]
    return i2t, t2i


def released_srr(sims: np.ndarray, query_scene: np.ndarray, item_scene: np.ndarray, r: int) -> float:
    label = {s: s or "noneclass" for s in {*query_scene, *item_scene}}
    shares = []
    for q, row in enumerate(sims.astype(np.float64)):
        top = np.argsort(row)[::-1][:r]
        shares.append(sum(label[item_scene[i]] == label[query_scene[q]] for i in top) / r)
    return float(np.mean(shares))


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
    ranks, tied = image_to_text_ranks(sims, caption_image)
    assert ranks.tolist() == [1, 1] and tied.tolist() == [False, True]
    # captions 0..4 -> image 0: col 0 0.1 vs 0.8 -> 1; col 4 0.0 vs 0.1 -> 1; others rank 0
    # captions 5..9 -> image 1: col 5 0.3 vs 0.5 -> 1; col 6 0.2 vs 0.1 -> 0; col 7 0.1 vs 0.95 -> 1;
    # col 8 0.0 vs 0.2 -> 1; col 9 tie 0.8 vs 0.1 -> 0
    assert text_to_image_ranks(sims, caption_image)[0].tolist() == [1, 0, 0, 0, 1, 1, 0, 1, 1, 0]
    m = metrics_from_similarity(sims, caption_image)
    assert m["i2t_R@1"] == 0.0 and m["i2t_R@5"] == 100.0
    assert m["t2i_R@1"] == pytest.approx(50.0) and m["t2i_R@5"] == 100.0
    assert m["mR"] == pytest.approx((0 + 100 + 100 + 50 + 100 + 100) / 6)
    assert m["i2t_medr"] == 2.0 and m["t2i_meanr"] == pytest.approx(1.5)
    assert (m["i2t_tied"], m["t2i_tied"]) == (1, 0)


def test_constant_similarity_scores_zero_not_perfect():
    sims = torch.zeros(3, 15)
    m = metrics_from_similarity(sims, torch.arange(15) // 5)
    assert m["i2t_R@1"] == 0.0 and m["t2i_R@1"] == 0.0
    assert (m["i2t_tied"], m["t2i_tied"]) == (3, 15)


@pytest.mark.parametrize(("seed", "n_images"), [(0, 7), (1, 7), (2, 40)])
def test_ranks_match_brute_force(seed, n_images):
    rng = np.random.default_rng(seed)
    sims = rng.integers(0, 6, size=(n_images, 5 * n_images)).astype(np.float32)  # many ties on purpose
    caption_image = np.repeat(np.arange(n_images), 5)
    s, owner = torch.from_numpy(sims), torch.from_numpy(caption_image)
    i2t, t2i = pessimistic_ranks(sims, caption_image)
    assert image_to_text_ranks(s, owner)[0].tolist() == i2t
    assert text_to_image_ranks(s, owner)[0].tolist() == t2i
    i2t, t2i = numpy_ranks(sims, caption_image)
    assert image_to_text_ranks(s, owner, "numpy")[0].tolist() == i2t
    assert text_to_image_ranks(s, owner, "numpy")[0].tolist() == t2i


@pytest.mark.parametrize("ties", ["pessimistic", "numpy"])
def test_a_float64_and_a_float32_matrix_give_the_same_metrics(ties):
    rng = np.random.default_rng(3)
    sims = rng.integers(0, 6, size=(8, 40)).astype(np.float32) / 4  # ties on purpose, exact in both dtypes
    caption_image = np.repeat(np.arange(8), 5)
    scenes = np.array(["a", "b", "", "a", "c", "b", "", "c"])
    single = metrics_from_similarity(torch.from_numpy(sims), torch.from_numpy(caption_image), scenes, ties)
    double = metrics_from_similarity(
        torch.from_numpy(sims.astype(np.float64)), torch.from_numpy(caption_image), scenes, ties
    )
    assert double == single
    assert metrics_from_similarity(sims.astype(np.float64), caption_image, scenes, ties) == single  # numpy's
    assert single["i2t_tied"] > 0


def test_scene_recall_hand_checked_and_empty_scenes_excluded():
    # 3 image queries over 4 items; scenes of items: a a b ''
    sims = torch.tensor([[0.9, 0.1, 0.8, 0.0], [0.1, 0.2, 0.9, 0.3], [0.5, 0.4, 0.3, 0.2]])
    queries = np.array(["a", "b", ""])
    items = np.array(["a", "a", "b", ""])
    sr = scene_recall(sims, queries, items, ks=(1, 2))
    # query a: top2 = items 0 (a), 2 (b) -> SR@1 1, SR@2 1/2; query b: top2 = 2 (b), 3 ('') -> 1, 1/2
    assert sr["SR@1"] == pytest.approx(100.0) and sr["SR@2"] == pytest.approx(50.0)
    # released: a fraction over all 3 queries; '' is the scene "noneclass" (query 3's top-2 has none of it)
    assert sr["srr@1"] == pytest.approx(2 / 3) and sr["srr@2"] == pytest.approx(1 / 3)


@pytest.mark.parametrize("seed", [0, 1])
def test_released_scene_recall_matches_brute_force(seed):
    rng = np.random.default_rng(seed)
    sims = rng.integers(0, 4, size=(12, 60)).astype(np.float32)  # ties straddle every cut-off
    image_scene = rng.choice(["airport", "beach", ""], 12)
    caption_scene = np.repeat(image_scene, 5)
    for r in (1, 5, 10, 20):  # r = 20 is beyond the 12 images: the released code still divides by r
        for s, queries, items in ((sims, image_scene, caption_scene), (sims.T, caption_scene, image_scene)):
            srr = scene_recall(torch.from_numpy(s), queries, items, ks=(r,))[f"srr@{r}"]
            assert srr == pytest.approx(released_srr(s, queries, items, r))


def test_retrieval_metrics_perfect_embeddings():
    emb = torch.eye(4)
    caps = emb.repeat_interleave(5, 0)
    m = retrieval_metrics(emb, caps, np.repeat(np.arange(4), 5), np.array(["x", "x", "y", "z"]))
    assert m["mR"] == 100.0 and m["i2t_medr"] == 1.0
    assert m["i2t_SR@5"] == 100.0 and m["t2i_SR@1"] == 100.0  # top-5 captions / top image: own scene
    assert m["i2t_srr@5"] == 1.0 and m["t2i_srr@1"] == 1.0  # the released reading: fractions
