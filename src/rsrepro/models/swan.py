"""SWAN (Pan, Ma, Bai, ICMR 2023): scene-aware image-text matching, after the released code.

Image side: a frozen ResNet backbone; the filter branch on its stem output feeds SFGS (multi-kernel
branches -> channel tokens -> a transformer layer -> a learned weighting of the tokens), layers 2-4 feed
VMSF (fused at layer-3 resolution, pooled, an MLP); both are aggregated into the embedding. Text side: word
embeddings, a BiGRU with averaged directions, TCGE (gated attention GA + the JRU phrase convolutions), a
token MLP with a residual, the last real token. Cosine similarity.

``faithful=True`` is the released code (jaychempan/SWAN @1c3b217): the same outputs, loss and gradients on
the same weights (tests/test_swan_golden.py, against the released code's own outputs). ``faithful=False``
(corrected) fixes its bugs and keeps its own reading where the code's is a slip. The readings:

1. TCGE's gated attention, both: per head ``fc_q``, ``fc_k`` (d_k -> d_k) before the gate, the gate ``fc_g``
   d_k -> 2 d_k, no output projection. Scores: floor-divided, no padding mask (faithful: zero gradient into
   q, k and the gate, integer logits) / divided by sqrt(d_k), padding masked (corrected).
2. SFGS's token weighting (``W`` tokens x dim, randn): ``(W^T X).mean(1)``, one weight per token, each
   token's mean weight (faithful) / ``(W * X).mean(1)``, one weight per element (corrected).
3. SFGS's transformer layer: no dropout inside the feed-forward (faithful) / dropout 0.1 there, as
   ``nn.TransformerEncoderLayer`` (corrected).
4. Evaluation (:mod:`rsrepro.swan.encode`): each caption shard (128 at test, 256 at validation) padded to
   its longest caption, attention and batch norm seeing the padding (faithful) / each batch padded to its
   longest, masked, so the padding changes nothing (corrected).
5. GloVe init (:func:`init_embeddings`), both: a word GloVe lacks is looked up with ``-``, ``.``, ``'``
   removed and cut at ``/``; words without a vector keep their N(0, 1) init.
6. A blank caption (:meth:`rsrepro.swan.text.Vocabulary.encode`): length 1, token 0 (faithful) / ``<unk>``.
7. Training's random rotation (:mod:`rsrepro.swan.data`): nearest, torchvision's default (faithful) /
   bilinear (corrected).
8. Ties in the ranking (:mod:`rsrepro.metrics.retrieval`): numpy's descending ``argsort`` order (faithful) /
   every tie counted against the query (corrected).
9. Scene recall, both readings in every run: ``srr@r`` (the released fraction, numeric file names a scene
   "noneclass") and ``SR@r`` (percent, numeric names not queries).

Beyond these, faithful keeps the JRU phrase features that never reach the output (the gathered token
``len - 1`` is always GA's), batch norm over every token padding included, a frozen backbone whose batch
norm runs in train mode, and stopwords mapped to ``<unk>``; corrected averages the complete phrases into
the output, normalises real tokens only, keeps the frozen backbone in eval mode and drops stopwords.

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
from rsrepro.pretrained.torch_weights import load_torch_weights


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
    state = load_torch_weights(path)
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


class TokenAttention(nn.Module):
    """Multi-head self-attention over tokens with dropout on the attention map and an output projection."""

    def __init__(self, dim: int, heads: int, dropout: float = 0.1) -> None:
        super().__init__()
        self.heads = heads
        self.q, self.k, self.v, self.out = (nn.Linear(dim, dim) for _ in range(4))
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, n, dim = x.shape
        q, k, v = (p(x).view(b, n, self.heads, -1).transpose(1, 2) for p in (self.q, self.k, self.v))
        attention = self.dropout((q @ k.transpose(-2, -1) / q.shape[-1] ** 0.5).softmax(-1))
        return self.out((attention @ v).transpose(1, 2).reshape(b, n, dim))


class TransformerLayer(nn.Module):
    """SFGS's WSA: a post-LayerNorm transformer layer (attention, then a GELU feed-forward of width 2 dim).

    ``ffn_dropout``: dropout between the feed-forward's two linears; the released code has none there (0),
    ``nn.TransformerEncoderLayer`` puts its dropout (0.1) there too.
    """

    def __init__(self, dim: int, heads: int, ffn_dropout: float) -> None:
        super().__init__()
        self.attn = TokenAttention(dim, heads)
        self.ffn = nn.Sequential(
            nn.Linear(dim, 2 * dim), nn.GELU(), nn.Dropout(ffn_dropout), nn.Linear(2 * dim, dim)
        )
        self.dropout1, self.dropout2 = nn.Dropout(0.1), nn.Dropout(0.1)
        self.norm1, self.norm2 = nn.LayerNorm(dim), nn.LayerNorm(dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.norm1(x + self.dropout1(self.attn(x)))
        return self.norm2(x + self.dropout2(self.ffn(x)))


class SFGS(nn.Module):
    """Scene-fine-grained sensing on the filtered stem map: channel tokens, one transformer layer and a
    learned weighting of the tokens (-> v_l).

    The weight ``W`` (tokens x dim, randn init) is applied as the released code does, ``(W^T X).mean(1)``:
    a weighted sum of the tokens by each token's mean weight (faithful), or per element, the mean over the
    tokens of ``W * X`` (corrected: every entry of ``W`` counts).
    """

    def __init__(self, channels: int, dim: int, pool: int, heads: int, faithful: bool) -> None:
        super().__init__()
        self.faithful = faithful
        self.branches = nn.ModuleList(
            nn.Sequential(conv_bn_relu(channels, cout, k, k), nn.AdaptiveAvgPool2d(pool))
            for k, cout in ((1, channels), (3, channels), (5, 2 * channels))
        )
        self.token_fc = nn.Sequential(nn.Linear(pool * pool, dim), nn.ReLU(inplace=True), nn.Dropout(0.1))
        self.wsa = TransformerLayer(dim, heads, ffn_dropout=0.0 if faithful else 0.1)
        self.weight = nn.Parameter(torch.randn(4 * channels, dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        tokens = torch.cat([b(x).flatten(2) for b in self.branches], 1)  # B x 4C x pool^2
        tokens = self.wsa(self.token_fc(tokens))
        if self.faithful:
            return torch.einsum("t,btd->bd", self.weight.mean(1), tokens)
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
        self.sfgs = SFGS(cfg.filter_channels, cfg.embed_dim, cfg.token_pool, cfg.sfgs_heads, cfg.faithful)
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
            features = backbone_features(self.backbone, images)
        return F.normalize(self.embed_features(*features), dim=-1)

    def embed_features(
        self, stem: torch.Tensor, l2: torch.Tensor, l3: torch.Tensor, l4: torch.Tensor
    ) -> torch.Tensor:
        """The image side after the backbone: SFGS on the filtered stem, VMSF on layers 2-4, aggregation
        (not normalised)."""
        v_local = self.sfgs(self.filter(stem))
        v_global = self.vmsf(l2, l3, l4)
        return self.aggregate(torch.cat([v_local, v_global], 1))


# ---------------------------------------------------------------- text side
def masked_batch_norm(
    bn: nn.BatchNorm1d, x: torch.Tensor, steps: tuple[torch.Tensor, torch.Tensor] | None
) -> torch.Tensor:
    """BN over the tokens of ``x`` (B x L x D); given ``steps`` (:func:`real_steps`), only those tokens
    feed and receive it."""
    if steps is None:
        return bn(x.reshape(-1, x.shape[-1])).view_as(x)
    out = torch.zeros_like(x)
    out[steps] = bn(x[steps])
    return out


def real_steps(
    lengths: torch.Tensor, width: int, step: int, device: torch.device
) -> tuple[torch.Tensor, torch.Tensor]:
    """(row, position) indices of the B x (width // step) steps within their caption, (p + 1) x step <=
    length, in row-major order: what indexing with that mask selects, found from the CPU lengths on the
    host (a mask on a GPU must first be counted there: a wait) and copied without a wait."""
    ends = torch.arange(1, width // step + 1) * step
    within = ends.view(1, -1) <= lengths.view(-1, 1)
    return tuple(index.to(device, non_blocking=True) for index in within.nonzero(as_tuple=True))


class GatedAttention(nn.Module):
    """TCGE's GA: per head, a sigmoid gate from ``fc_q(q) * fc_k(k)`` (``d_k -> d_k``, shared by the heads)
    scales q by its first half and k by its second (``fc_g``: ``d_k -> 2 d_k``), then attention over the
    words; the heads are concatenated with no output projection (the released structure, both variants)."""

    def __init__(self, dim: int, heads: int, faithful: bool) -> None:
        super().__init__()
        self.heads, self.d_k, self.faithful = heads, dim // heads, faithful
        self.q_proj, self.k_proj, self.v_proj = (nn.Linear(dim, dim) for _ in range(3))
        self.fc_q, self.fc_k = nn.Linear(self.d_k, self.d_k), nn.Linear(self.d_k, self.d_k)
        self.fc_g = nn.Linear(self.d_k, 2 * self.d_k)

    def gated_heads(self, h: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """q, k (gated) and v per head: B x heads x L x d_k each."""
        b, length, _ = h.shape
        q, k, v = (
            p(h).view(b, length, self.heads, self.d_k).transpose(1, 2)
            for p in (self.q_proj, self.k_proj, self.v_proj)
        )
        gate = torch.sigmoid(self.fc_g(self.fc_q(q) * self.fc_k(k)))
        return q * gate[..., : self.d_k], k * gate[..., self.d_k :], v

    def scaled(self, scores: torch.Tensor) -> torch.Tensor:
        if self.faithful:
            # torch.div(..., rounding_mode="floor") has zero gradient: q, k and the gate never learn
            return torch.div(scores, self.d_k**0.5, rounding_mode="floor")
        return scores / self.d_k**0.5

    def forward(self, h: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        b, length, dim = h.shape
        q, k, v = self.gated_heads(h)
        scores = self.scaled(q @ k.transpose(-2, -1))
        if not self.faithful:
            scores = scores.masked_fill(~mask.view(b, 1, 1, length), -torch.inf)
        return (scores.softmax(-1) @ v).transpose(1, 2).reshape(b, length, dim)

    def at_last_token(self, h: torch.Tensor, lengths: torch.Tensor, widths: torch.Tensor) -> torch.Tensor:
        """The unmasked (faithful) output at each caption's last real token, B x D, as if caption i were
        zero-padded to ``widths[i]``. The padded positions share the zero vector's key and value, so one
        copy of it, weighted by their number, stands for them all: exact, at a cost that follows the real
        tokens."""
        b, _, dim = h.shape
        n = int(lengths.max())
        q, k, v = self.gated_heads(torch.cat([h[:, :n], h.new_zeros(b, 1, dim)], 1))
        last = (lengths - 1).view(b, 1, 1, 1).expand(-1, self.heads, 1, self.d_k)
        scores = self.scaled(q.gather(2, last) @ k.transpose(-2, -1))  # B x heads x 1 x (n + 1)
        real = torch.arange(n + 1, device=h.device).view(1, -1) < lengths.view(-1, 1)
        log_count = torch.where(real, 0.0, -torch.inf)
        log_count[:, n] = torch.log((widths - lengths).float())  # -inf where there is no padding
        out = (scores + log_count.view(b, 1, 1, n + 1)).softmax(-1) @ v
        return out.transpose(1, 2).reshape(b, dim)


class PhraseConv(nn.Module):
    """JRU: a kernel = stride = ``k`` convolution over time with BN and ReLU (phrase features)."""

    def __init__(self, dim: int, k: int) -> None:
        super().__init__()
        self.k = k
        self.conv = nn.Conv1d(dim, dim, k, k)
        self.bn = nn.BatchNorm1d(dim)

    def forward(self, h: torch.Tensor, steps: tuple[torch.Tensor, torch.Tensor] | None) -> torch.Tensor:
        out = self.conv(h.transpose(1, 2)).transpose(1, 2)
        return F.relu(masked_batch_norm(self.bn, out, steps))


def packed_gru(gru: nn.GRU, x: torch.Tensor, lengths: torch.Tensor, width: int) -> torch.Tensor:
    """``gru`` over the real steps of each row of ``x`` (B x L x D, batch first; ``lengths`` on the CPU),
    padded back to ``width``: the same operations as ``pack_padded_sequence(..., enforce_sorted=False)``
    and ``pad_packed_sequence``, without their copies of the sort order between host and GPU (each a
    wait for the GPU)."""
    lengths, order = torch.sort(lengths.to(torch.int64), descending=True)
    order = order.to(x.device, non_blocking=True)
    packed = pack_padded_sequence(x.index_select(0, order), lengths, batch_first=True, enforce_sorted=True)
    h, _ = pad_packed_sequence(gru(packed)[0], batch_first=True, total_length=width)
    unsorted = torch.empty_like(order).scatter_(0, order, torch.arange(len(order), device=order.device))
    return h.index_select(0, unsorted)


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

    def forward(
        self, tokens: torch.Tensor, lengths: torch.Tensor, widths: torch.Tensor | None = None
    ) -> torch.Tensor:
        """``tokens``: B x L (0 = padding), ``lengths``: B real lengths (CPU tensor) -> B x D, L2-normed.

        Faithful outputs depend on the padding (attention and batch norm see it): the released code pads a
        batch to its longest caption (``pad_packed_sequence`` without ``total_length``), so callers pad
        tokens as the original's batch or evaluation shard was, or, in faithful eval mode, pass ``widths``:
        the width each caption was padded to there (:mod:`rsrepro.swan.encode`).
        """
        if widths is not None and (self.training or not self.faithful):
            raise ValueError("per-caption widths are for the faithful text side in eval mode only")
        if not self.faithful:  # the k=3 convolution needs 3 steps (the original crashes below that)
            tokens = F.pad(tokens, (0, max(0, 3 - tokens.shape[1])))
        width, on_host = tokens.shape[1], lengths.cpu()
        h = packed_gru(self.gru, self.dropout(self.embed(tokens)), on_host, width)
        h = (h[..., : h.shape[-1] // 2] + h[..., h.shape[-1] // 2 :]) / 2
        lengths = lengths.to(h.device, non_blocking=True)  # no wait: its copy is staged at once
        last = torch.arange(len(h), device=h.device), lengths - 1
        if self.faithful and not self.training:
            # Only the last real token reaches the output, and in eval mode its batch norm is its own: the
            # gated attention is evaluated there alone (the JRU, which never reaches it, is skipped).
            widths = torch.full_like(lengths, width) if widths is None else widths.to(h.device)
            return self.head(h[last] + self.ga_bn(self.ga.at_last_token(h, lengths, widths)))
        mask = torch.arange(width, device=h.device).view(1, -1) < lengths.view(-1, 1)
        real = None if self.faithful else real_steps(on_host, width, 1, h.device)
        ga = h + self.ga_dropout(masked_batch_norm(self.ga_bn, self.ga(h, mask), real))
        if self.faithful:
            # The original concatenates [ga, JRU phrases] along time and takes index len-1 < L: always ga's.
            # The phrases still run, as there (their batch norms' statistics move, their gradients are 0).
            return self.head(torch.cat([ga, *(conv(h, None) for conv in self.phrases)], 1)[last])
        # corrected: the phrase features reach the output (mean over each branch's complete phrases)
        g, ends = ga[last], torch.arange(1, width + 1, device=h.device).view(1, -1)
        for conv in self.phrases:
            valid = ends[:, : width // conv.k] * conv.k <= lengths.view(-1, 1)  # phrases within the caption
            phrases = conv(h, real_steps(on_host, width, conv.k, h.device))
            g = g + (phrases * valid.unsqueeze(-1)).sum(1) / valid.sum(1, keepdim=True).clamp(min=1)
        return self.head(g)

    def head(self, g: torch.Tensor) -> torch.Tensor:
        """The token MLP with its residual, L2-normalised."""
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

    ``vectors_file``: the ``swan_word_vectors`` rule's ``.npz`` (``words``, ``vectors`` row-aligned,
    ``found``; :func:`rsrepro.pretrained.glove.glove_subset` has already tried the released code's fallback
    spellings),
    or a GloVe-format text file (``word v1 ... vD`` per line). Rows of words without a vector keep their
    random N(0, 1) initialisation, as in the released code. Returns the number of rows set.
    """
    path = Path(vectors_file)
    if not path.is_file():
        raise RsreproError(
            f"word vectors {path} not found; run the swan_word_vectors rule or set "
            "swan.model.word_vectors: none"
        )
    if path.suffix == ".npz":
        with np.load(path) as npz:
            found = npz["found"]
            table = dict(zip(npz["words"][found].tolist(), npz["vectors"][found], strict=True))
    else:
        with path.open(encoding="utf8") as lines:
            table = {
                w: np.asarray(v, dtype=np.float32) for w, *v in (line.rstrip().split(" ") for line in lines)
            }
    weight = embedding.weight.data
    set_rows = 0
    for index, word in enumerate(words, start=1):
        vector = table.get(word)
        if vector is not None:
            if vector.shape != weight.shape[1:]:
                raise RsreproError(
                    f"{path}: {word!r} has {vector.shape[0]} values, the model {weight.shape[1]}"
                )
            weight[index] = torch.from_numpy(np.asarray(vector, dtype=np.float32))
            set_rows += 1
    return set_rows
