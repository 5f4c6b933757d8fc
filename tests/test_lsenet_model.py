"""LSE-Net model: peak finding on hand-made maps, CPR/CACPR, shapes, gradients, ablation switches."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from rsrepro.errors import RsreproError
from rsrepro.lsenet.evaluate import classification_metrics, summarize
from rsrepro.models.lsenet import (
    LSENetConfigError,
    build_lsenet,
    class_peak_response,
    context_aware_cpr,
    find_peaks,
    pretrained_state_dict,
    spatial_softmax,
    vgg16_backbone,
)

torch.set_num_threads(1)


def as_map(rows: list[list[float]]) -> torch.Tensor:
    return torch.tensor(rows, dtype=torch.float32).view(1, 1, len(rows), len(rows[0]))


def peak_set(mask: torch.Tensor) -> set[tuple[int, int]]:
    return {(int(i), int(j)) for i, j in mask[0, 0].nonzero()}


def decreasing_background(n: int = 5) -> torch.Tensor:
    """Values falling in raster order: only the top-left corner is a local maximum of it."""
    return -torch.arange(n * n, dtype=torch.float32).view(1, 1, n, n) * 0.01


def test_peaks_known_maxima_and_borders():
    maps = decreasing_background()
    maps[0, 0, 2, 2] = 5.0
    maps[0, 0, 4, 4] = 3.0  # a corner: its window is padded with -inf, so it can be a peak
    assert peak_set(find_peaks(maps, 3, "none")) == {(0, 0), (2, 2), (4, 4)}
    # R=5: the centre's value 5 now lies in the corners' windows, so only the centre stays a peak.
    assert peak_set(find_peaks(maps, 5, "none")) == {(2, 2)}
    # R=1: every position is the maximum of its own 1x1 window.
    assert find_peaks(maps, 1, "none").all()


def test_peaks_on_plateaus_are_deterministic():
    flat = torch.ones(1, 1, 4, 4)
    assert peak_set(find_peaks(flat, 3, "none")) == {(0, 0)}
    maps = torch.zeros(1, 1, 5, 5)
    maps[0, 0, 1:3, 1:3] = 1.0  # a 2x2 plateau: one peak, its first cell in raster order
    assert peak_set(find_peaks(maps, 3, "none")) == {(1, 1)}
    assert peak_set(find_peaks(maps, 3, "median")) == {(1, 1)}


def test_median_filter_drops_low_peaks():
    maps = torch.ones(1, 1, 6, 6)
    maps[0, 0, :, :2] = -5.0
    maps[0, 0, 3, 0] = -2.0  # a local maximum inside the low region, below the map's median (1)
    maps[0, 0, 1, 4] = 4.0
    unfiltered = peak_set(find_peaks(maps, 3, "none"))
    filtered = peak_set(find_peaks(maps, 3, "median"))
    assert {(3, 0), (1, 4)} <= unfiltered
    assert (3, 0) not in filtered and (1, 4) in filtered


def test_peaks_per_channel_and_window_must_be_odd():
    maps = torch.zeros(2, 3, 4, 4)
    maps[1, 2, 3, 1] = 1.0
    peaks = find_peaks(maps, 3, "none")
    assert peaks.shape == maps.shape and peaks[1, 2, 3, 1]
    with pytest.raises(LSENetConfigError, match="odd"):
        find_peaks(maps, 4)


def test_cpr_and_cacpr_on_a_single_peak():
    maps = decreasing_background()
    maps[0, 0, 2, 2] = 5.0
    peaks = torch.zeros_like(maps, dtype=torch.bool)
    peaks[0, 0, 2, 2] = True
    cpr = class_peak_response(maps, peaks)
    assert cpr.sum() == 5.0 and cpr[0, 0, 2, 2] == 5.0
    spread = context_aware_cpr(maps, peaks, 3, "spread_max")
    assert (spread[0, 0, 1:4, 1:4] == 5.0).all() and spread.sum() == 45.0  # filled 3x3, zero elsewhere
    assert torch.equal(context_aware_cpr(maps, peaks, 1, "spread_max"), cpr)  # R=1: no context
    mean = context_aware_cpr(maps, peaks, 3, "mean")
    assert torch.isclose(mean[0, 0, 2, 2], 5.0 + maps[0, 0, 1:4, 1:4].mean())
    assert mean.count_nonzero() == 1


def test_cacpr_gradient_reaches_only_peaks():
    maps = decreasing_background().requires_grad_()
    peaks = find_peaks(maps, 3, "none")
    context_aware_cpr(maps, peaks, 3, "spread_max").sum().backward()
    assert peak_set(maps.grad != 0) <= peak_set(peaks) and maps.grad.sum() > 0


def test_spatial_softmax_sums_to_one():
    weights = spatial_softmax(torch.randn(3, 1, 5, 7))
    assert torch.allclose(weights.sum(dim=(1, 2, 3)), torch.ones(3))


@pytest.mark.parametrize("variant", ["context", "perception_cpr", "full"])
def test_shapes_and_gradients_through_both_branches(variant):
    torch.manual_seed(0)
    model = build_lsenet(5, backbone="small", levels=2, variant=variant, width=8, bn_momentum=0.1)
    out = model.perceive(torch.randn(4, 3, 32, 32))
    assert out.logits.shape == (4, 5) and out.class_maps.shape == (4, 5, 8, 8)
    out.logits.pow(2).sum().backward()
    assert model.class_maps[1].weight.grad.abs().sum() > 0
    assert model.backbone.stages[0][0][0].weight.grad.abs().sum() > 0
    if variant != "context":
        assert out.attention.shape == (4, 1, 8, 8)
        assert model.attention.weight.grad.abs().sum() > 0


def test_each_ablation_switch_changes_the_computation():
    x = torch.randn(2, 3, 32, 32)
    outputs = {}
    reference = None
    for variant in ("backbone_gap", "context", "perception_cpr", "full"):
        torch.manual_seed(0)
        model = build_lsenet(4, backbone="small", variant=variant, width=8).eval()
        if reference is not None:  # share every common weight so only the switch differs
            model.load_state_dict(reference, strict=False)
        reference = model.state_dict()
        outputs[variant] = model(x)
    names = list(outputs)
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            assert not torch.allclose(outputs[a], outputs[b]), (a, b)
    assert not hasattr(build_lsenet(4, backbone="small", variant="backbone_gap"), "extractor")
    assert not hasattr(build_lsenet(4, backbone="small", variant="context"), "attention")


@pytest.mark.parametrize(
    ("option", "values"), [("context_op", ["spread_max", "mean"]), ("peak_window", [3, 5])]
)
def test_cacpr_options_change_the_logits(option, values):
    x = torch.randn(2, 3, 32, 32)
    logits = []
    for value in values:
        torch.manual_seed(0)
        logits.append(build_lsenet(4, backbone="small", width=8, **{option: value}).eval()(x))
    assert not torch.allclose(*logits)


def test_bad_settings_are_reported():
    with pytest.raises(LSENetConfigError, match="variant"):
        build_lsenet(3, backbone="small", variant="nope")
    with pytest.raises(LSENetConfigError, match="backbone"):
        build_lsenet(3, backbone="alexnet")
    with pytest.raises(LSENetConfigError, match="pretrained"):
        build_lsenet(3, backbone="small", pretrained=True)


def test_pretrained_weights_come_only_from_the_hub_cache(tmp_path, monkeypatch):
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path))
    with pytest.raises(RsreproError, match="not found"):
        pretrained_state_dict("https://download.pytorch.org/models/vgg16-397923af.pth")
    with pytest.raises(RsreproError, match="weights_file"):
        pretrained_state_dict("https://x/vgg16.pth", tmp_path / "missing.pth")


def test_vgg16_backbone_has_stride_16():
    levels = vgg16_backbone(levels=2)(torch.randn(1, 3, 64, 64))
    assert [tuple(t.shape) for t in levels] == [(1, 512, 4, 4), (1, 512, 4, 4)]


def test_metrics_against_a_hand_checked_confusion_matrix():
    y_true = np.array([0, 0, 1, 1, 2, 2, 2])
    y_pred = np.array([0, 1, 1, 1, 2, 0, 2])
    m = classification_metrics(y_true, y_pred, 3)
    assert m["confusion"] == [[1, 1, 0], [0, 2, 0], [1, 0, 2]]
    assert m["oa"] == pytest.approx(5 / 7)
    assert m["per_class_accuracy"] == pytest.approx([0.5, 1.0, 2 / 3])
    assert m["mean_per_class_accuracy"] == pytest.approx((0.5 + 1 + 2 / 3) / 3)


def test_summary_mean_and_std_over_seeds():
    base = {"variant": "full", "train_ratio": 0.2, "selection": "last", "confusion": [[1, 0], [0, 1]]}
    rows = summarize([{**base, "seed": 1, "oa": 0.8}, {**base, "seed": 0, "oa": 0.6}])
    (row,) = rows
    assert row["seeds"] == [0, 1] and row["oa"] == [0.6, 0.8]
    assert row["oa_mean"] == pytest.approx(0.7) and row["oa_std"] == pytest.approx(np.std([0.6, 0.8], ddof=1))
    assert row["confusion_sum"] == [[2, 0], [0, 2]]


def test_mixed_precision_and_channels_last_path():
    """The GPU recipe (bf16 autocast + channels_last), exercised with CPU autocast."""
    torch.manual_seed(0)
    model = build_lsenet(5, backbone="small", levels=2, width=8).to(memory_format=torch.channels_last)
    x = torch.randn(4, 3, 32, 32).contiguous(memory_format=torch.channels_last)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out = model.perceive(x)
    assert out.logits.dtype == torch.bfloat16 and torch.isfinite(out.logits.float()).all()
    out.logits.float().pow(2).sum().backward()
    assert model.attention.weight.grad.abs().sum() > 0
