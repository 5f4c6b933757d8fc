"""LSE-Net (Bi, Qin, Zhang, Xia, IEEE TIP 30, 2021): local-semantic-enhanced ConvNet for aerial scenes.

No official code was released, so every detail the abstract leaves open follows the group's sibling code
(MI-CNN / AGOS) or the figures; each choice is recorded here and in the report:

1. **Backbone** (``backbone``): ImageNet VGG-16 cut after conv5_3 *before* its ReLU, pool5 dropped, so a
   256-px image gives the 16x16 maps of the paper's figures (stride 16). ``resnet50`` (layer4, stride 32)
   and a ``small`` CNN (stride 4: 16x16 maps at 64 px, the embedded preset) come from the same code.
2. **Context-enhanced extractor**: the last ``levels`` backbone levels (VGG: conv5_3, pool4) are resized
   to the deepest one's grid, concatenated, passed through BN + ReLU, then through parallel branches (a
   1x1 conv and 3x3 convs dilated at ``rates`` 1, 3, 5, 7, padding = rate), each with BN + ReLU; the
   branches are summed ("multi-scale dilated convolutions fuse multi-level features in a trainable way").
3. **Local semantic perception**, two branches on the fused features:
   - class confidence maps ``M`` (1x1 conv + BN + ReLU, then 1x1 conv to C classes), their class peak
     responses (PRM: a peak is the maximum of its odd R x R window, found with a stride-1 max-pool and
     index comparison; on a plateau only the first maximum in raster order of its own window is a peak,
     which is PyTorch's max-pool tie rule; borders are padded with -inf; optionally only peaks >= the
     map's median are kept) and their **CACPR**: ``context_op=spread_max`` (default, the reading that
     matches Fig2: R=1 gives the raw map, R=13 an almost uniform one) spreads each peak's value over its
     R x R neighbourhood, ``max_pool_R(M where peak else -inf)``, 0 where no peak is within reach;
     ``context_op=mean`` keeps the map sparse and adds to each peak the mean of its R x R context.
     One window R (``peak_window``, default 3, the value highlighted in Fig2) serves both steps.
   - spatial attention ``A``: 1x1 conv to one channel (no bias) -> sigmoid -> softmax over all H*W.
4. **Classification**: refined maps ``CACPR(M) * A``; logit_c = sum over positions, then a 1-D BN on the
   logits (the group's code; TF momentum 0.999 is ``bn_momentum`` 0.001).

Ablation ``variant`` (the paper's ablation rows): ``backbone_gap`` (backbone + GAP + linear),
``context`` (+ extractor, class maps averaged), ``perception_cpr`` (+ attention, plain CPR: peaks without
context), ``full`` (CACPR). New layers start from a truncated normal with std 0.01 and zero bias.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from rsrepro.errors import RsreproError
from rsrepro.lsenet import VARIANTS

CONTEXT_OPS = ("spread_max", "mean")
PEAK_FILTERS = ("median", "none")
BACKBONES = ("vgg16", "resnet50", "small")


class LSENetConfigError(RsreproError):
    """An LSE-Net setting is out of range."""


# --- peaks, CPR and CACPR --------------------------------------------------------------------------------


def _check_window(window: int) -> None:
    if window < 1 or window % 2 == 0:
        raise LSENetConfigError(f"peak window R must be an odd integer >= 1, got {window}; use 1, 3, 5, ...")


def find_peaks(maps: torch.Tensor, window: int = 3, peak_filter: str = "median") -> torch.Tensor:
    """Boolean B x C x H x W mask of class peaks: positions that are the max of their ``window`` square.

    Border windows are padded with -inf (so a corner can be a peak). On a plateau of equal values only the
    first maximum in raster order of each window wins (index comparison, as in PRM), so a flat region
    yields one peak per window-sized patch, deterministically. ``peak_filter="median"`` keeps only peaks
    at or above the map's median (PRM's default).
    """
    _check_window(window)
    b, c, h, w = maps.shape
    values = maps.detach().float()
    _, argmax = F.max_pool2d(values, window, stride=1, padding=window // 2, return_indices=True)
    own = torch.arange(h * w, device=maps.device).view(1, 1, h, w)
    peaks = argmax == own
    if peak_filter == "median":
        median = values.flatten(2).median(dim=2).values.view(b, c, 1, 1)
        peaks &= values >= median
    elif peak_filter != "none":
        raise LSENetConfigError(f"peak_filter {peak_filter!r} unknown; choose one of {PEAK_FILTERS}")
    return peaks


def class_peak_response(maps: torch.Tensor, peaks: torch.Tensor) -> torch.Tensor:
    """CPR: the class maps at their peaks, 0 elsewhere (gradients reach the peaks only)."""
    return torch.where(peaks, maps, torch.zeros_like(maps))


def context_aware_cpr(
    maps: torch.Tensor, peaks: torch.Tensor, window: int = 3, context_op: str = "spread_max"
) -> torch.Tensor:
    """CACPR: each peak measured together with its ``window`` x ``window`` context (see module docstring)."""
    _check_window(window)
    pad = window // 2
    if context_op == "spread_max":
        masked = torch.where(peaks, maps, torch.full_like(maps, -torch.inf))
        spread = F.max_pool2d(masked, window, stride=1, padding=pad)
        return torch.where(torch.isfinite(spread), spread, torch.zeros_like(spread))
    if context_op == "mean":
        context = F.avg_pool2d(maps, window, stride=1, padding=pad, count_include_pad=False)
        return torch.where(peaks, maps + context, torch.zeros_like(maps))
    raise LSENetConfigError(f"context_op {context_op!r} unknown; choose one of {CONTEXT_OPS}")


def spatial_softmax(scores: torch.Tensor) -> torch.Tensor:
    """B x 1 x H x W scores -> weights summing to 1 over all positions of each image."""
    b, _, h, w = scores.shape
    return scores.flatten(1).softmax(dim=1).view(b, 1, h, w)


# --- building blocks -------------------------------------------------------------------------------------


def conv_bn_relu(cin: int, cout: int, kernel: int = 3, dilation: int = 1) -> nn.Sequential:
    padding = dilation * (kernel // 2)
    return nn.Sequential(
        nn.Conv2d(cin, cout, kernel, padding=padding, dilation=dilation, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
    )


class Backbone(nn.Module):
    """Runs ``stages`` in turn and returns the outputs of the last ``levels`` of them (shallow first)."""

    def __init__(self, stages: Sequence[nn.Module], channels: Sequence[int], levels: int) -> None:
        super().__init__()
        if not 1 <= levels <= len(stages):
            raise LSENetConfigError(f"levels must be 1..{len(stages)} for this backbone, got {levels}")
        self.stages = nn.ModuleList(stages)
        self.levels = levels
        self.out_channels = list(channels[-levels:])

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        outs = []
        for stage in self.stages:
            x = stage(x)
            outs.append(x)
        return outs[-self.levels :]


class ContextExtractor(nn.Module):
    """Multi-level fusion + multi-scale dilated convolutions (summed branches), larger receptive field."""

    def __init__(self, in_channels: int, width: int, rates: Sequence[int]) -> None:
        super().__init__()
        self.pre = nn.Sequential(nn.BatchNorm2d(in_channels), nn.ReLU(inplace=True))
        branches = [conv_bn_relu(in_channels, width, kernel=1)]
        branches += [conv_bn_relu(in_channels, width, kernel=3, dilation=r) for r in rates]
        self.branches = nn.ModuleList(branches)

    def forward(self, levels: list[torch.Tensor]) -> torch.Tensor:
        size = levels[-1].shape[-2:]
        x = torch.cat([lv if lv.shape[-2:] == size else F.adaptive_avg_pool2d(lv, size) for lv in levels], 1)
        x = self.pre(x)
        return sum(branch(x) for branch in self.branches)


@dataclass(frozen=True)
class PerceptionOutput:
    """Everything the report draws: logits and the B x C x H x W / B x 1 x H x W maps behind them."""

    logits: torch.Tensor
    class_maps: torch.Tensor | None = None
    peaks: torch.Tensor | None = None
    cpr: torch.Tensor | None = None
    cacpr: torch.Tensor | None = None
    attention: torch.Tensor | None = None


class LSENet(nn.Module):
    """Backbone -> [context extractor] -> head selected by ``variant`` (see module docstring)."""

    def __init__(
        self,
        backbone: Backbone,
        num_classes: int,
        *,
        variant: str = "full",
        width: int = 256,
        rates: Sequence[int] = (1, 3, 5, 7),
        peak_window: int = 3,
        context_op: str = "spread_max",
        peak_filter: str = "median",
        bn_momentum: float = 0.001,
    ) -> None:
        super().__init__()
        if variant not in VARIANTS:
            raise LSENetConfigError(f"variant {variant!r} unknown; choose one of {VARIANTS}")
        if context_op not in CONTEXT_OPS:
            raise LSENetConfigError(f"context_op {context_op!r} unknown; choose one of {CONTEXT_OPS}")
        if peak_filter not in PEAK_FILTERS:
            raise LSENetConfigError(f"peak_filter {peak_filter!r} unknown; choose one of {PEAK_FILTERS}")
        _check_window(peak_window)
        self.variant = variant
        self.peak_window = peak_window
        self.context_op = context_op
        self.peak_filter = peak_filter
        self.backbone = backbone
        in_channels = sum(backbone.out_channels)
        new_layers: list[nn.Module] = []
        if variant == "backbone_gap":
            self.pre = nn.Sequential(nn.BatchNorm2d(backbone.out_channels[-1]), nn.ReLU(inplace=True))
            self.fc = nn.Linear(backbone.out_channels[-1], num_classes)
            new_layers += [self.pre, self.fc]
        else:
            self.extractor = ContextExtractor(in_channels, width, rates)
            self.class_maps = nn.Sequential(
                conv_bn_relu(width, width, kernel=1), nn.Conv2d(width, num_classes, 1)
            )
            self.logit_bn = nn.BatchNorm1d(num_classes, momentum=bn_momentum)
            new_layers += [self.extractor, self.class_maps]
            if variant in ("perception_cpr", "full"):
                self.attention = nn.Conv2d(width, 1, 1, bias=False)
                new_layers.append(self.attention)
        for module in new_layers:
            for m in module.modules():
                if isinstance(m, nn.Conv2d | nn.Linear):
                    nn.init.trunc_normal_(m.weight, std=0.01)
                    if m.bias is not None:
                        nn.init.zeros_(m.bias)

    def perceive(self, x: torch.Tensor) -> PerceptionOutput:
        levels = self.backbone(x)
        if self.variant == "backbone_gap":
            pooled = self.pre(levels[-1]).mean(dim=(2, 3))
            return PerceptionOutput(logits=self.fc(pooled))
        features = self.extractor(levels)
        maps = self.class_maps(features)
        if self.variant == "context":
            return PerceptionOutput(logits=self.logit_bn(maps.mean(dim=(2, 3))), class_maps=maps)
        attention = spatial_softmax(torch.sigmoid(self.attention(features)))
        peaks = find_peaks(maps, self.peak_window, self.peak_filter)
        cpr = class_peak_response(maps, peaks)
        if self.variant == "full":
            cacpr = context_aware_cpr(maps, peaks, self.peak_window, self.context_op)
        else:
            cacpr = cpr
        logits = self.logit_bn((cacpr * attention).sum(dim=(2, 3)))
        return PerceptionOutput(logits, maps, peaks, cpr, cacpr, attention)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.perceive(x).logits


def conv_weight_l2(model: nn.Module) -> torch.Tensor:
    """sum(w^2)/2 over convolution weights only (TF ``l2_loss``, the group's regulariser)."""
    terms = [m.weight.pow(2).sum() for m in model.modules() if isinstance(m, nn.Conv2d)]
    return torch.stack(terms).sum() / 2


# --- backbones -------------------------------------------------------------------------------------------


def pretrained_state_dict(url: str, weights_file: str | Path | None = None) -> dict[str, torch.Tensor]:
    """ImageNet weights: ``weights_file`` when given (the workflow's fetched file), else torchvision's file
    in the torch hub cache. Never downloads; loads through the project's ``weights_only`` loader.
    """
    from rsrepro.pretrained.torch_weights import load_torch_weights

    path = (
        Path(weights_file)
        if weights_file
        else Path(torch.hub.get_dir()) / "checkpoints" / url.rsplit("/", 1)[-1]
    )
    if not path.is_file():
        raise RsreproError(
            f"pretrained weights {path} not found (torchvision's {url}); set lsenet.model.weights_file to a "
            "local copy, or place it in the torch hub cache (on a machine with network: python -c "
            "'import torchvision; torchvision.models.vgg16(weights=\"IMAGENET1K_V1\")'), "
            "or set lsenet.model.pretrained: false"
        )
    return load_torch_weights(path)


def vgg16_backbone(
    levels: int = 1, pretrained: bool = False, weights_file: str | Path | None = None
) -> Backbone:
    """VGG-16 to pool4 (stride 16), then conv5_1..conv5_3 without the last ReLU and without pool5."""
    from torchvision.models import VGG16_Weights, vgg16

    net = vgg16()
    if pretrained:
        net.load_state_dict(pretrained_state_dict(VGG16_Weights.IMAGENET1K_V1.url, weights_file))
    features = net.features
    return Backbone([features[:24], features[24:29]], [512, 512], levels)


def resnet50_backbone(
    levels: int = 1, pretrained: bool = False, weights_file: str | Path | None = None
) -> Backbone:
    """ResNet-50 stem..layer3 (stride 16) and layer4 (stride 32; 8x8 maps at 256 px, AGOS's layout)."""
    from torchvision.models import ResNet50_Weights, resnet50

    net = resnet50()
    if pretrained:
        net.load_state_dict(pretrained_state_dict(ResNet50_Weights.IMAGENET1K_V1.url, weights_file))
    stem = nn.Sequential(net.conv1, net.bn1, net.relu, net.maxpool, net.layer1, net.layer2, net.layer3)
    return Backbone([stem, net.layer4], [1024, 2048], levels)


def small_backbone(levels: int = 1, widths: Sequence[int] = (16, 32, 64, 64)) -> Backbone:
    """A VGG-like CNN for the embedded preset: two pooled stages then two convs, stride 4.

    The last conv is left without BN/ReLU like VGG's conv5_3 here (the extractor normalises it).
    """
    w0, w1, w2, w3 = widths
    stage1 = nn.Sequential(
        conv_bn_relu(3, w0), nn.MaxPool2d(2), conv_bn_relu(w0, w1), nn.MaxPool2d(2), conv_bn_relu(w1, w2)
    )
    stage2 = nn.Conv2d(w2, w3, 3, padding=1)
    return Backbone([stage1, stage2], [w2, w3], levels)


def build_backbone(
    name: str, levels: int = 1, pretrained: bool = False, weights_file: str | Path | None = None
) -> Backbone:
    if name == "vgg16":
        return vgg16_backbone(levels, pretrained, weights_file)
    if name == "resnet50":
        return resnet50_backbone(levels, pretrained, weights_file)
    if name == "small":
        if pretrained:
            raise LSENetConfigError("the small backbone has no pretrained weights; set pretrained: false")
        return small_backbone(levels)
    raise LSENetConfigError(f"backbone {name!r} unknown; choose one of {BACKBONES}")


def build_lsenet(
    num_classes: int,
    *,
    backbone: str = "vgg16",
    pretrained: bool = False,
    weights_file: str | Path | None = None,
    levels: int = 1,
    variant: str = "full",
    width: int = 256,
    rates: Sequence[int] = (1, 3, 5, 7),
    peak_window: int = 3,
    context_op: str = "spread_max",
    peak_filter: str = "median",
    bn_momentum: float = 0.001,
) -> LSENet:
    """The builder every preset uses: the paper model is ``backbone="vgg16", pretrained=True``."""
    return LSENet(
        build_backbone(backbone, levels, pretrained, weights_file),
        num_classes,
        variant=variant,
        width=width,
        rates=rates,
        peak_window=peak_window,
        context_op=context_op,
        peak_filter=peak_filter,
        bn_momentum=bn_momentum,
    )
