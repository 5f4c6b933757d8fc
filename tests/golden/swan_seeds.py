"""Shared by the SWAN golden generator and the golden tests: the released code's parameter names mapped onto
rsrepro's faithful model, the by-name weight seeding both sides regenerate, and the seeded inputs.

No code of the released repository is here (it has no licence): only the names of its parameters, which
the fixture lists with their shapes, so the tests rebuild the same weights without the released code.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Iterable

import torch

RELEASED_COMMIT = "1c3b2177075c57e4adfd67d18e14fd263a585ec4"
SEEDS = {"text": 1, "image": 2, "full": 3, "shard": 4, "train": 5}
SHARD_IMAGES = 6  # the tiny test set's images; image 4 repeats image 1 (ties in text-to-image)
# Whole-model inputs are 64 px: the released model takes any multiple of 32 (the backbone feature maps of
# the image-side check have the 256 px shapes), and ResNet-50 at 256 px would make the tests slow.
IMAGE_SIZE = 64

# released name prefix -> rsrepro prefix, first match wins
PREFIXES = (
    ("image_encoder.resnet.", "image.backbone."),
    ("image_encoder.conv_filter.", "image.filter."),
    ("image_encoder.vmsf.conv_512.", "image.vmsf.p2."),
    ("image_encoder.vmsf.conv_1024.", "image.vmsf.p3."),
    ("image_encoder.vmsf.conv_2048.", "image.vmsf.p4."),
    ("image_encoder.vmsf.channel_att.", "image.vmsf.fuse."),
    ("image_encoder.vmsf.channel_filter.fc.linear.", "image.vmsf.mlp.0."),
    ("image_encoder.vmsf.channel_filter.linear.", "image.vmsf.mlp.3."),
    ("sfgs.conv2d_block_11.", "image.sfgs.branches.0.0."),
    ("sfgs.conv2d_block_33.", "image.sfgs.branches.1.0."),
    ("sfgs.conv2d_block_55.", "image.sfgs.branches.2.0."),
    ("sfgs.fc.linear.", "image.sfgs.token_fc.0."),
    # MHAtt.forward passes its projections (v, k, q) to att(k, q, v): the scores are linear_k(x) @
    # linear_v(x)^T and the values linear_q(x), so linear_k plays the query, linear_v the key.
    ("sfgs.wsa.mhatt.linear_k.", "image.sfgs.wsa.attn.q."),
    ("sfgs.wsa.mhatt.linear_v.", "image.sfgs.wsa.attn.k."),
    ("sfgs.wsa.mhatt.linear_q.", "image.sfgs.wsa.attn.v."),
    ("sfgs.wsa.mhatt.linear_merge.", "image.sfgs.wsa.attn.out."),
    ("sfgs.wsa.ffn.net.0.", "image.sfgs.wsa.ffn.0."),
    ("sfgs.wsa.ffn.net.3.", "image.sfgs.wsa.ffn.3."),
    ("sfgs.wsa.norm", "image.sfgs.wsa.norm"),
    ("sfgs.wsa.fmp_weight", "image.sfgs.weight"),  # 1 x tokens x dim there, tokens x dim here
    ("agg.fc_1.", "image.aggregate.0."),
    ("agg.fc_2.", "image.aggregate.2."),
    ("text_encoder.embed.", "text.embed."),  # 8590 rows there (hard-coded), the vocabulary's here
    ("text_encoder.rnn.", "text.gru."),
    ("tcge.bn_1d.", "text.ga_bn."),
    ("tcge.ga.linears.0.", "text.ga.q_proj."),
    ("tcge.ga.linears.1.", "text.ga.k_proj."),
    ("tcge.ga.linears.2.", "text.ga.v_proj."),
    ("tcge.ga.fc_", "text.ga.fc_"),
    ("tcge.mlp.fc.linear.", "text.mlp.0."),
    ("tcge.mlp.linear.", "text.mlp.3."),
    ("tcge.conv1d_block_22.0.", "text.phrases.0.conv."),
    ("tcge.conv1d_block_22.1.", "text.phrases.0.bn."),
    ("tcge.conv1d_block_33.0.", "text.phrases.1.conv."),
    ("tcge.conv1d_block_33.1.", "text.phrases.1.bn."),
)
UNUSED = ("text_encoder.projection.",)  # a layer the released code defines and never calls


def rsrepro_name(released: str) -> str | None:
    """rsrepro's name for a released parameter or buffer (None: it has no counterpart)."""
    if released.startswith(UNUSED):
        return None
    for prefix, ours in PREFIXES:
        if released.startswith(prefix):
            return ours + released[len(prefix) :]
    raise KeyError(f"no rsrepro counterpart declared for {released!r}")


def seeded_tensor(name: str, shape: Iterable[int]) -> torch.Tensor:
    """A deterministic value for a released parameter or buffer, from its name alone.

    Scaled to keep the activations of unit order: weights N(0, 1/fan_in), norm scales 1 + N(0, 0.01),
    biases and running means N(0, 0.01), running variances U(0.5, 1.5); the word embedding and SFGS's
    token weights keep the released init's N(0, 1).
    """
    shape = tuple(int(s) for s in shape)
    generator = torch.Generator().manual_seed(zlib.crc32(name.encode()))
    leaf = name.rsplit(".", 1)[-1]
    if leaf == "num_batches_tracked":
        return torch.zeros(shape, dtype=torch.long)
    if leaf == "running_var":
        return 0.5 + torch.rand(shape, generator=generator)
    noise = torch.randn(shape, generator=generator)
    if name in ("text_encoder.embed.weight", "sfgs.wsa.fmp_weight"):
        return noise
    if len(shape) >= 2:
        return noise / math.sqrt(math.prod(shape[1:]))
    return (1.0 if leaf == "weight" else 0.0) + 0.1 * noise


def released_state(shapes: dict[str, tuple[int, ...]]) -> dict[str, torch.Tensor]:
    """Seeded values of every released parameter and buffer."""
    return {name: seeded_tensor(name, shape) for name, shape in shapes.items()}


def rsrepro_state(
    released: dict[str, torch.Tensor], target: dict[str, torch.Tensor]
) -> dict[str, torch.Tensor]:
    """``released`` renamed (and reshaped) onto a state dict shaped like ``target``; every target entry
    must receive exactly one value."""
    out: dict[str, torch.Tensor] = {}
    for name, value in released.items():
        ours = rsrepro_name(name)
        if ours is None:
            continue
        if ours in out:
            raise KeyError(f"{ours} mapped twice")
        if ours not in target:
            raise KeyError(f"{name} -> {ours}: not in rsrepro's model")
        shape = target[ours].shape
        if name == "text_encoder.embed.weight":
            value = value[: shape[0]]
        out[ours] = value.reshape(shape)
    missing = sorted(set(target) - set(out))
    if missing:
        raise KeyError(f"rsrepro entries without a released value: {missing}")
    return out


def seeded_inputs(seed: int, *shapes: tuple[int, ...]) -> list[torch.Tensor]:
    """Inputs too large for the fixture (images, backbone feature maps), regenerated from ``seed``."""
    generator = torch.Generator().manual_seed(seed)
    return [torch.randn(shape, generator=generator) for shape in shapes]


def backbone_feature_shapes(batch: int) -> list[tuple[int, ...]]:
    """ResNet-50's stem (after max-pooling), layer 2, 3 and 4 outputs for 256 px images."""
    return [(batch, 64, 64, 64), (batch, 512, 32, 32), (batch, 1024, 16, 16), (batch, 2048, 8, 8)]


def seeded_images(seed: int, count: int) -> torch.Tensor:
    (images,) = seeded_inputs(seed, (count, 3, IMAGE_SIZE, IMAGE_SIZE))
    return images


def shard_images() -> torch.Tensor:
    """The tiny test set's images."""
    images = seeded_images(SEEDS["shard"], SHARD_IMAGES)
    images[4] = images[1]
    return images
