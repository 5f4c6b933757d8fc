"""DSVA metrics, losses and sampler against hand-checked examples."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from rsrepro.dsva import losses
from rsrepro.dsva.metrics import gzsl_metrics, harmonic_mean, zsl_accuracy
from rsrepro.dsva.predictions import calibrated_stacking
from rsrepro.dsva.sampler import episodes

torch.set_num_threads(1)


def test_zsl_accuracy_is_mean_per_class_over_unseen_candidates():
    # classes 0,1 seen; 2,3 unseen. Column 0 is highest everywhere but is not a ZSL candidate.
    scores = np.array(
        [
            [9, 0, 1, 0],  # class 2 -> 2 (right)
            [9, 0, 1, 0],  # class 2 -> 2 (right)
            [9, 0, 0, 1],  # class 2 -> 3 (wrong)
            [9, 0, 0, 1],  # class 3 -> 3 (right)
        ],
        dtype=float,
    )
    labels = np.array([2, 2, 2, 3])
    # per class: 2/3 and 1/1 -> mean 5/6 (overall accuracy would be 3/4)
    assert zsl_accuracy(scores, labels, np.array([2, 3])) == pytest.approx(5 / 6)


def test_harmonic_mean():
    assert harmonic_mean(0.5, 0.5) == pytest.approx(0.5)
    assert harmonic_mean(0.2, 0.8) == pytest.approx(2 * 0.2 * 0.8 / 1.0)
    assert harmonic_mean(0.0, 0.9) == 0.0


def test_gzsl_u_s_h_by_hand():
    seen, unseen = np.array([0, 1]), np.array([2])
    scores = np.array(
        [
            [1.0, 0.0, 0.9],  # seen 0 -> 0 right
            [0.0, 1.0, 0.5],  # seen 1 -> 1 right
            [1.0, 0.0, 0.8],  # unseen 2 -> 0 wrong (seen bias)
            [0.0, 0.0, 1.0],  # unseen 2 -> 2 right
        ]
    )
    labels = np.array([0, 1, 2, 2])
    m = gzsl_metrics(scores, labels, seen, unseen, gamma=0.0, faithful=False)
    assert (m["S"], m["U"]) == (pytest.approx(1.0), pytest.approx(0.5))
    assert m["H"] == pytest.approx(2 / 3)
    # stacking by 0.3 on scores moves image 3 from seen class 0 to unseen class 2, and image 1 stays
    m = gzsl_metrics(scores, labels, seen, unseen, gamma=0.3, faithful=False)
    assert m["U"] == pytest.approx(1.0)
    assert m["S"] == pytest.approx(0.5)  # image 0: 1.0 - 0.3 < 0.9 -> now wrongly unseen


def test_calibrated_stacking_on_probabilities_vs_scores_differ():
    scores = np.array([[5.0, 4.9]])  # seen column 0 narrowly ahead (probabilities 0.525 / 0.475)
    seen = np.array([0])
    probs = calibrated_stacking(scores, seen, 0.06, on_probabilities=True)
    assert probs.sum() == pytest.approx(1 - 0.06)  # softmax first, then gamma off the seen column
    assert np.argmax(probs) == 1  # faithful: moved to unseen
    assert np.argmax(calibrated_stacking(scores, seen, 0.06, on_probabilities=False)) == 0  # corrected: not
    assert np.argmax(calibrated_stacking(scores, seen, 0.2, on_probabilities=False)) == 1
    # the same scores 10x sharper: on probabilities gamma 0.06 no longer moves it (scale dependence)
    assert np.argmax(calibrated_stacking(scores * 10, seen, 0.06, on_probabilities=True)) == 0


def test_double_softmax_ce_is_flat_and_corrected_is_not():
    torch.manual_seed(0)
    matrix = torch.rand(10, 6)
    target = torch.arange(4)
    grads = {}
    for double in (True, False):
        attr = (matrix[target] * 3).clone().requires_grad_(True)
        loss = losses.compatibility_ce(attr, matrix, target, double_softmax=double)
        loss.backward()
        grads[double] = (loss.item(), attr.grad.abs().sum().item())
    # double softmax: probabilities in [0, 1] fed to CE again -> loss near ln(10), tiny gradient
    assert grads[True][0] == pytest.approx(np.log(10), abs=0.15)
    assert grads[True][1] < 0.2 * grads[False][1]
    assert grads[False][0] < grads[True][0]


def test_compactness_zero_for_a_point_and_positive_for_spread():
    point = torch.full((1, 1, 7, 7), -50.0)
    point[0, 0, 3, 3] = 50.0
    spread = torch.zeros((1, 1, 7, 7))
    assert losses.compactness(point).item() == pytest.approx(0.0, abs=1e-6)
    assert losses.compactness(spread).item() > 0.5


def test_group_lasso_sums_group_norms():
    w = torch.tensor([[3.0, 0.0], [4.0, 0.0], [0.0, 1.0]])
    assert losses.group_lasso(w, [[0, 1], [2]]).item() == pytest.approx(5.0 + 1.0)


def test_episodes_have_ways_classes_by_shots_images():
    labels = np.repeat(np.arange(6), 10)
    indices = np.arange(100, 160)
    g = torch.Generator().manual_seed(0)
    batches = list(episodes(indices, labels, ways=4, shots=3, n_batches=20, generator=g))
    assert len(batches) == 20
    for batch in batches:
        assert len(batch) == 12 and len(set(batch.tolist())) == 12
        cls = labels[batch - 100]
        assert len(set(cls.tolist())) == 4
        assert all((cls == c).sum() == 3 for c in set(cls.tolist()))
        assert cls.tolist() == sorted(cls.tolist(), key=lambda c: cls.tolist().index(c))  # class-major


def test_paper_backbone_without_transformers_or_weights_is_an_actionable_error(tmp_path):
    from rsrepro.errors import RsreproError
    from rsrepro.pretrained.clip import load_clip

    with pytest.raises(RsreproError, match=r"no CLIP checkpoint at .*missing.*config.json"):
        load_clip(tmp_path / "missing")
