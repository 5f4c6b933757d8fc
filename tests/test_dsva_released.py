"""rsrepro's faithful DSVA against the released code's outputs on shared weights and inputs.

``tests/released_dsva/golden.npz`` holds what the released code (wenjiaXu/RS_Scene_ZSL @b69a498, MIT;
see ``tests/released_dsva/``) computed on ``tests/released_dsva/shared.py``'s tiny ViT, weights, episode,
attention maps and test scores; ``generate_golden.py`` regenerates it. These tests need none of the
released code's extra packages (scikit-image, timm, ...).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from rsrepro.dsva import losses
from rsrepro.dsva.metrics import gzsl_metrics, harmonic_mean, zsl_accuracy
from rsrepro.dsva.train import dsva_loss
from rsrepro.models.dsva import DSVA, attention_boxes, crop_and_resize, largest_component_box
from tests.released_dsva import shared

torch.set_num_threads(1)
GOLDEN = Path(__file__).parent / "released_dsva" / "golden.npz"
GROUPS = list(shared.GROUPS.values())
STRIDE = shared.WINDOW_STRIDE
ALL_ONE = {"xe": 1.0, "l_xe": 1.0, "attri": 1.0, "l_attri": 1.0, "cpt": 1.0, "regular": 1.0, "l_regular": 1.0}


@pytest.fixture(scope="module")
def golden() -> dict[str, np.ndarray]:
    with np.load(GOLDEN) as g:
        return dict(g)


@pytest.fixture(scope="module")
def episode_output():
    """rsrepro's DSVA (crop branch on) on the shared tower and weights, and its output on the episode."""
    model = DSVA(shared.TinyViT(), shared.N_ATTRIBUTES, GROUPS, crop=True)
    model.load_state_dict(shared.shared_state())
    images, labels, class_attributes = shared.episode()
    return model.eval(), model(images), labels, class_attributes


def test_golden_comes_from_the_released_commit(golden):
    assert str(golden["commit"]).startswith("b69a498")


def test_forward_outputs_match_to_1e5(episode_output, golden):
    _, out, _, class_attributes = episode_output
    close = {"rtol": 0, "atol": 1e-5}
    np.testing.assert_allclose(out.attr_global.detach().numpy(), golden["forward_attr_global"], **close)
    np.testing.assert_allclose(out.attr_local.detach().numpy(), golden["forward_attr_local"], **close)
    np.testing.assert_allclose(out.maps.detach().numpy(), golden["forward_maps"], **close)
    np.testing.assert_allclose(out.attr_crop.detach().numpy(), golden["forward_attr_crop"], **close)
    # class probabilities: the released output is softmax((global + crop) . A), the local softmax(local . A)
    scored = (out.attr_global_scored @ class_attributes.t()).softmax(1)
    np.testing.assert_allclose(scored.detach().numpy(), golden["forward_output"], **close)
    local = (out.attr_local @ class_attributes.t()).softmax(1)
    np.testing.assert_allclose(local.detach().numpy(), golden["forward_class_local"], **close)


def test_loss_terms_match_the_released_loss_fn(episode_output, golden):
    model, out, labels, class_attributes = episode_output
    cfg = {"faithful": True, "loss": ALL_ONE}
    loss, parts = dsva_loss(model, out, labels, class_attributes, cfg, warm=False)
    released = {  # Loss_fn's log, every weight 1
        "ce_global": "l_xe_final",
        "ce_local": "l_xe_layer",
        "mse_global": "l_attri_final",
        "mse_local": "l_attri_layer",
        "cpt": "l_cpt",
        "lasso_prototypes": "l_regular_layer",
        "lasso_head": "l_regular_final",
    }
    for ours, theirs in released.items():
        assert parts[ours].item() == pytest.approx(float(golden[f"loss_{theirs}"]), rel=1e-5), ours
    assert loss.item() == pytest.approx(float(golden["loss_total"]), rel=1e-5)
    # at the released init the group lasso's epsilon (dim x 1e-8 under each root) is a visible share
    lasso = losses.group_lasso(shared.initial_prototypes(), GROUPS).item()
    assert lasso == pytest.approx(float(golden["loss_lasso_initial"]), rel=1e-6)
    # the crop's logits enter the global CE only: its MSE is on the pre-crop attributes
    assert parts["mse_global"].item() != pytest.approx(
        torch.nn.functional.mse_loss(out.attr_global_scored, class_attributes[labels]).item(), rel=1e-3
    )


def test_crop_boxes_and_crop_images_match(episode_output, golden):
    _, out, _, _ = episode_output
    images, maps, attributes = shared.box_case()
    boxes = attention_boxes(maps, attributes, GROUPS, 1.0, shared.SIZE)
    episode_boxes = attention_boxes(out.maps.detach(), out.attr_local.detach(), GROUPS, 1.0, shared.SIZE)
    assert len(boxes) + len(episode_boxes) >= 48
    np.testing.assert_array_equal(boxes, golden["box_boxes"])
    np.testing.assert_array_equal(episode_boxes, golden["forward_boxes"])
    assert boxes[0].tolist() == [0, 0, 224, 224]  # a constant map: NaN after min-max, the whole image
    crops = crop_and_resize(images, boxes)[:, :, ::STRIDE, ::STRIDE]
    np.testing.assert_allclose(crops.numpy(), golden["box_windows"], rtol=0, atol=1e-5)
    episode_images = shared.episode()[0]
    episode_crops = crop_and_resize(episode_images, episode_boxes)[:, :, ::STRIDE, ::STRIDE]
    np.testing.assert_allclose(episode_crops.numpy(), golden["forward_windows"], rtol=0, atol=1e-5)


def test_components_are_labelled_as_skimage_with_full_connectivity(golden):
    from scipy import ndimage

    for mask, labels in zip(golden["label_masks"], golden["label_labels"], strict=True):
        ours, _ = ndimage.label(mask, structure=np.ones((3, 3), dtype=bool))
        np.testing.assert_array_equal(ours, labels)
        if labels.max() > 0:
            largest = 1 + np.argmax(np.bincount(labels.ravel())[1:])
            rows, cols = np.nonzero(labels == largest)
            expected = (rows.min(), cols.min(), rows.max() + 1, cols.max() + 1)
            assert largest_component_box(mask) == expected
    diagonal = np.eye(4, dtype=bool)  # one component with 8-connectivity, four with 4-connectivity
    assert largest_component_box(diagonal) == (0, 0, 4, 4)


@pytest.mark.parametrize("case", shared.metric_cases(), ids=lambda c: c["name"])
def test_zsl_and_gzsl_metrics_match_including_missing_classes(case, golden):
    labels, seen, unseen = case["labels"], case["seen"], case["unseen"]
    scores = case["predictions"] @ case["matrix"].T
    on_unseen = np.isin(labels, unseen)
    for gamma, expected in zip(shared.GAMMAS, golden[f"metrics_{case['name']}"], strict=True):
        zsl = zsl_accuracy(scores[on_unseen], labels[on_unseen], unseen, faithful=True)
        m = gzsl_metrics(scores, labels, seen, unseen, gamma, faithful=True)
        ours = 100 * np.array([zsl, m["U"], m["S"], m["H"]])
        np.testing.assert_allclose(ours, expected, rtol=1e-9, equal_nan=True)
    if case["name"] == "seen_class_without_test_images":
        assert np.isnan(expected[2]) and np.isnan(harmonic_mean(0.5, float("nan")))
        corrected = gzsl_metrics(scores, labels, seen, unseen, 0.0, faithful=False)
        assert np.isfinite(corrected["S"])  # corrected averages over the classes that have test images
