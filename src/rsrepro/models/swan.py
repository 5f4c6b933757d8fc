"""SWAN (Pan, Ma, Bai, ICMR 2023): scene-aware image-text matching, after the released code.

Image side: a frozen ResNet backbone; the filter branch on its stem output feeds SFGS (multi-kernel
branches -> channel tokens -> a transformer layer -> a learned weighted sum), layers 2-4 feed VMSF (fused at
layer-3 resolution, pooled, an MLP); both are aggregated into the embedding. Text side: word embeddings,
a BiGRU with averaged directions, TCGE (gated attention GA + the JRU phrase convolutions), a token MLP
with a residual, the last real token. Cosine similarity.

``faithful=True`` keeps the released code's behaviour where it departs from the paper's intent:
floor-divided attention scores (zero gradient into the q/k/gate projections, integer logits), no padding
mask (attention and batch norm see the padding, so an embedding depends on the batch's longest caption),
the JRU branch computed but never reaching the output, and a frozen backbone whose batch norm still runs
in train mode. ``faithful=False`` fixes each. (Stopwords -> ``<unk>`` is a loader quirk:
:meth:`rsrepro.swan.text.Vocabulary.encode`.)

The paper variant (:func:`swan_paper`) uses torchvision's ResNet-50 with 30 classes (the AID-fine-tuned RSP
weights); the embedded variant (:func:`swan_embedded`) a small ResNet with the same stage structure.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence
from torchvision.models.resnet import BasicBlock, ResNet, resnet50

from rsrepro.errors import RsreproError


@dataclass(frozen=True)
class SwanConfig:
    vocab_size: int
    faithful: bool = True
    backbone: str = "resnet50"  # resnet50 | small
    small_widths: tuple[int, int, int, int] = (16, 32, 64, 128)
    train_backbone: bool = False
    embed_dim: int = 512
    word_dim: int = 300
    filter_channels: int = 32
    token_pool: int = 16  # SFGS pools each branch to token_pool x token_pool values per channel token
    sfgs_heads: int = 8
    ga_heads: int = 2


# ---------------------------------------------------------------- backbones
class SmallResNet(ResNet):
    """torchvision's ResNet with one BasicBlock per stage and custom stage widths (embedded preset)."""

    def __init__(self, widths: tuple[int, int, int, int]) -> None:
        super().__init__(BasicBlock, [1, 1, 1, 1], num_classes=10)
        stem = widths[0]
        self.conv1 = nn.Conv2d(3, stem, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(stem)
        self.inplanes = stem
        self.layer1 = self._make_layer(BasicBlock, widths[0], 1)
        self.layer2 = self._make_layer(BasicBlock, widths[1], 1, stride=2)
        self.layer3 = self._make_layer(BasicBlock, widths[2], 1, stride=2)
        self.layer4 = self._make_layer(BasicBlock, widths[3], 1, stride=2)
        self.fc = nn.Linear(widths[3], 10)


def stage_channels(backbone: ResNet) -> tuple[int, int, int, int]:
    """Channels of (stem, layer2, layer3, layer4) outputs."""
    last = [list(layer.children())[-1] for layer in (backbone.layer2, backbone.layer3, backbone.layer4)]
    out = [getattr(b, "bn3", getattr(b, "bn2", None)).num_features for b in last]
    return (backbone.bn1.num_features, *out)


def backbone_features(backbone: ResNet, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
    stem = backbone.maxpool(backbone.relu(backbone.bn1(backbone.conv1(x))))
    l2 = backbone.layer2(backbone.layer1(stem))
    l3 = backbone.layer3(l2)
    return stem, l2, l3, backbone.layer4(l3)


def load_backbone_weights(backbone: nn.Module, path: str | Path) -> None:
    """Strict load of a checkpoint's ``model`` state dict (the RSP AID ResNet-50 layout)."""
    path = Path(path)
    if not path.is_file():
        raise RsreproError(f"backbone weights {path} not found; fetch them with the weights rule first")
    state = torch.load(path, map_location="cpu", weights_only=True)
    state = state.get("model", state)
    try:
        backbone.load_state_dict(state, strict=True)
    except RuntimeError as error:
        raise RsreproError(
            f"{path}: not a ResNet-50 state dict with 30 classes under key 'model' "
            f"(the AID-fine-tuned RSP weights): {str(error)[:300]}"
        ) from error


# ---------------------------------------------------------------- image side
def conv_bn_relu(cin: int, cout: int, kernel: int = 1, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cout, kernel, stride, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)
    )


class VMSF(nn.Module):
    """Multi-scale fusion of layers 2-4 at layer-3 resolution, pooled and projected (-> v_g)."""

    def __init__(self, c2: int, c3: int, c4: int, dim: int) -> None:
        super().__init__()
        self.p2, self.p3, self.p4 = nn.Conv2d(c2, c2, 1), nn.Conv2d(c3, c3 // 2, 1), nn.Conv2d(c4, c4 // 2, 1)
        self.fuse = conv_bn_relu(c2 + c3 // 2 + c4 // 2, dim)
        self.mlp = nn.Sequential(
            nn.Linear(dim, 2 * dim), nn.ReLU(inplace=True), nn.Dropout(0.2), nn.Linear(2 * dim, dim)
        )

    def forward(self, l2: torch.Tensor, l3: torch.Tensor, l4: torch.Tensor) -> torch.Tensor:
        size = l3.shape[-2:]
        fused = torch.cat(
            [F.interpolate(self.p2(l2), size=size), self.p3(l3), F.interpolate(self.p4(l4), size=size)], 1
        )
        return self.mlp(self.fuse(fused).mean((2, 3)))


class SFGS(nn.Module):
    """Scene-fine-grained sensing on the filtered stem map: channel tokens, one transformer layer and a
    learned elementwise weighting averaged over tokens (-> v_l)."""

    def __init__(self, channels: int, dim: int, pool: int, heads: int) -> None:
        super().__init__()
        self.branches = nn.ModuleList(
            nn.Sequential(conv_bn_relu(channels, cout, k, k), nn.AdaptiveAvgPool2d(pool))
            for k, cout in ((1, channels), (3, channels), (5, 2 * channels))
        )
        self.token_fc = nn.Sequential(nn.Linear(pool * pool, dim), nn.ReLU(inplace=True), nn.Dropout(0.1))
        self.wsa = nn.TransformerEncoderLayer(
            dim, heads, 2 * dim, dropout=0.1, activation="gelu", batch_first=True
        )
        self.weight = nn.Parameter(torch.randn(4 * channels, dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        tokens = torch.cat([b(x).flatten(2) for b in self.branches], 1)  # B x 4C x pool^2
        tokens = self.wsa(self.token_fc(tokens))
        return (self.weight * tokens).mean(1)


class ImageEncoder(nn.Module):
    def __init__(self, cfg: SwanConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.backbone = (
            resnet50(num_classes=30) if cfg.backbone == "resnet50" else SmallResNet(cfg.small_widths)
        )
        c_stem, c2, c3, c4 = stage_channels(self.backbone)
        self.backbone.requires_grad_(cfg.train_backbone)
        self.filter = conv_bn_relu(c_stem, cfg.filter_channels)
        self.sfgs = SFGS(cfg.filter_channels, cfg.embed_dim, cfg.token_pool, cfg.sfgs_heads)
        self.vmsf = VMSF(c2, c3, c4, cfg.embed_dim)
        d = cfg.embed_dim
        self.aggregate = nn.Sequential(nn.Linear(2 * d, d), nn.ReLU(inplace=True), nn.Linear(d, d))

    def train(self, mode: bool = True) -> ImageEncoder:
        super().train(mode)
        # corrected: a frozen backbone keeps its statistics (the original left its BN in train mode)
        if not self.cfg.train_backbone and not self.cfg.faithful:
            self.backbone.eval()
        return self

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        with torch.set_grad_enabled(self.cfg.train_backbone and torch.is_grad_enabled()):
            stem, l2, l3, l4 = backbone_features(self.backbone, images)
        v_local = self.sfgs(self.filter(stem))
        v_global = self.vmsf(l2, l3, l4)
        return F.normalize(self.aggregate(torch.cat([v_local, v_global], 1)), dim=-1)


# ---------------------------------------------------------------- text side
def masked_batch_norm(bn: nn.BatchNorm1d, x: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
    """BN over the tokens of ``x`` (B x L x D); with a mask only real tokens feed and receive it."""
    if mask is None:
        return bn(x.reshape(-1, x.shape[-1])).view_as(x)
    out = torch.zeros_like(x)
    out[mask] = bn(x[mask])
    return out


class GatedAttention(nn.Module):
    """TCGE's GA: a sigmoid gate from q*k scales q and k, then multi-head attention over the words."""

    def __init__(self, dim: int, heads: int, faithful: bool) -> None:
        super().__init__()
        self.heads, self.d_k, self.faithful = heads, dim // heads, faithful
        self.fc_q, self.fc_k, self.fc_v = nn.Linear(dim, dim), nn.Linear(dim, dim), nn.Linear(dim, dim)
        self.fc_g = nn.Linear(dim, 2 * dim)
        self.fc_o = nn.Linear(dim, dim)

    def forward(self, h: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        b, length, dim = h.shape
        q, k, v = self.fc_q(h), self.fc_k(h), self.fc_v(h)
        gate = torch.sigmoid(self.fc_g(q * k))
        q, k = q * gate[..., :dim], k * gate[..., dim:]
        q, k, v = (t.view(b, length, self.heads, self.d_k).transpose(1, 2) for t in (q, k, v))
        scores = q @ k.transpose(-2, -1)
        if self.faithful:
            # torch.div(..., rounding_mode="floor") has zero gradient: q, k and the gate never learn
            scores = torch.div(scores, self.d_k**0.5, rounding_mode="floor")
        else:
            scores = (scores / self.d_k**0.5).masked_fill(~mask.view(b, 1, 1, length), -torch.inf)
        out = scores.softmax(-1) @ v
        return self.fc_o(out.transpose(1, 2).reshape(b, length, dim))


class PhraseConv(nn.Module):
    """JRU: a kernel = stride = ``k`` convolution over time with BN and ReLU (phrase features)."""

    def __init__(self, dim: int, k: int) -> None:
        super().__init__()
        self.k = k
        self.conv = nn.Conv1d(dim, dim, k, k)
        self.bn = nn.BatchNorm1d(dim)

    def forward(self, h: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
        out = self.conv(h.transpose(1, 2)).transpose(1, 2)
        return F.relu(masked_batch_norm(self.bn, out, mask))


class TextEncoder(nn.Module):
    def __init__(self, cfg: SwanConfig) -> None:
        super().__init__()
        self.faithful = cfg.faithful
        d = cfg.embed_dim
        self.embed = nn.Embedding(cfg.vocab_size, cfg.word_dim)
        self.dropout = nn.Dropout(0.4)
        self.gru = nn.GRU(cfg.word_dim, d, batch_first=True, bidirectional=True)
        self.ga = GatedAttention(d, cfg.ga_heads, cfg.faithful)
        self.ga_bn = nn.BatchNorm1d(d)
        self.ga_dropout = nn.Dropout(0.2)
        self.phrases = nn.ModuleList([PhraseConv(d, 2), PhraseConv(d, 3)])
        self.mlp = nn.Sequential(
            nn.Linear(d, 2 * d), nn.ReLU(inplace=True), nn.Dropout(0.1), nn.Linear(2 * d, d)
        )

    def forward(self, tokens: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """``tokens``: B x L (0 = padding), ``lengths``: B real lengths (CPU tensor) -> B x D, L2-normed."""
        if not self.faithful:  # the k=3 convolution needs 3 steps (the original crashes below that)
            tokens = F.pad(tokens, (0, max(0, 3 - tokens.shape[1])))
        length = tokens.shape[1]
        mask = torch.arange(length, device=tokens.device).view(1, -1) < lengths.to(tokens.device).view(-1, 1)
        packed = pack_padded_sequence(self.dropout(self.embed(tokens)), lengths.cpu(), True, False)
        h, _ = pad_packed_sequence(self.gru(packed)[0], batch_first=True, total_length=length)
        h = (h[..., : h.shape[-1] // 2] + h[..., h.shape[-1] // 2 :]) / 2
        bn_mask = None if self.faithful else mask
        ga = h + self.ga_dropout(masked_batch_norm(self.ga_bn, self.ga(h, mask), bn_mask))
        last = ga[torch.arange(len(ga)), lengths.to(ga.device) - 1]
        phrases = []
        for conv in self.phrases:
            valid = (torch.arange(length // conv.k, device=h.device).view(1, -1) + 1) * conv.k
            valid = valid <= lengths.to(h.device).view(-1, 1)
            out = conv(h, None if self.faithful else valid)
            phrases.append((out, valid))
        if self.faithful:
            # the original concatenates [ga, phrases] along time and takes index len-1 < L: always ga's
            g = torch.cat([ga, *(p for p, _ in phrases)], 1)[torch.arange(len(ga)), lengths.to(ga.device) - 1]
        else:
            # corrected: the phrase features reach the output (mean over each branch's complete phrases)
            g = last + sum(
                (p * v.unsqueeze(-1)).sum(1) / v.sum(1, keepdim=True).clamp(min=1) for p, v in phrases
            )
        return F.normalize(self.mlp(g) + g, dim=-1)


class SWAN(nn.Module):
    def __init__(self, cfg: SwanConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.image = ImageEncoder(cfg)
        self.text = TextEncoder(cfg)

    def forward(
        self, images: torch.Tensor, tokens: torch.Tensor, lengths: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        return self.image(images), self.text(tokens, lengths)

    def trainable_parameters(self) -> list[nn.Parameter]:
        return [p for p in self.parameters() if p.requires_grad]


def swan_paper(vocab_size: int, faithful: bool = True, **overrides) -> SWAN:
    """The released configuration: frozen ResNet-50 (30 classes), 512-d embedding, 300-d words."""
    return SWAN(SwanConfig(vocab_size=vocab_size, faithful=faithful, **overrides))


def swan_embedded(vocab_size: int, faithful: bool = True, **overrides) -> SWAN:
    """The embedded preset: a small ResNet (same stages) at 64 px, narrower everything."""
    defaults = dict(
        backbone="small",
        embed_dim=128,
        word_dim=64,
        filter_channels=8,
        token_pool=4,
        sfgs_heads=4,
    )
    return SWAN(SwanConfig(vocab_size=vocab_size, faithful=faithful, **(defaults | overrides)))


def init_embeddings(embedding: nn.Embedding, words: tuple[str, ...], vectors_file: str | Path) -> int:
    """Copy pre-extracted word vectors (GloVe 840B.300d in the paper preset) into ``embedding``.

    ``vectors_file``: the ``glove_vectors`` rule's ``.npz`` (``words``, ``vectors`` row-aligned, ``found``;
    words GloVe lacks have zero rows, as torchtext gave the original), or a GloVe-format text file
    (``word v1 ... vD`` per line, only the needed words). Vocabulary words absent from the file keep their
    random initialisation. Returns the number of vocabulary words whose row was set.
    """
    path = Path(vectors_file)
    if not path.is_file():
        raise RsreproError(
            f"word vectors {path} not found; run the glove_vectors rule or set swan.model.word_vectors: none"
        )
    if path.suffix == ".npz":
        with np.load(path) as npz:
            table = dict(zip(npz["words"].tolist(), npz["vectors"], strict=True))
    else:
        with path.open(encoding="utf8") as lines:
            table = {
                w: np.asarray(v, dtype=np.float32) for w, *v in (line.rstrip().split(" ") for line in lines)
            }
    weight = embedding.weight.data
    found = 0
    for index, word in enumerate(words, start=1):
        vector = table.get(word)
        if vector is not None:
            if vector.shape != weight.shape[1:]:
                raise RsreproError(
                    f"{path}: {word!r} has {vector.shape[0]} values, the model {weight.shape[1]}"
                )
            weight[index] = torch.from_numpy(np.asarray(vector, dtype=np.float32))
            found += 1
    return found
