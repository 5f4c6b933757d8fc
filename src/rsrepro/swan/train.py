"""Train one SWAN run: a seeded train/val re-split, best-val-mR selection, resumable from checkpoints.

A run writes what :mod:`rsrepro.training.run` says: ``model.pt`` (the best-validation weights),
``history.json``, and the test split's embeddings of those weights (``test_outputs.npz``: every image and
caption encoded once, the captions in the released evaluation's shards), which ``swan-evaluate`` scores.
Validation after every epoch is the protocol (the released code keeps the best-validation epoch).

Precision (:mod:`rsrepro.training.precision`): faithful runs fp32 under PyTorch's defaults
(``tf32_matmul`` allows TF32 matmuls), corrected runs bf16 autocast, on CUDA; fp32 on the CPU.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from rsrepro.data.prepared import PreparedDataset
from rsrepro.errors import RsreproError
from rsrepro.io import read_json
from rsrepro.metrics.retrieval import retrieval_metrics
from rsrepro.models.swan import SWAN, init_embeddings, load_backbone_weights, swan_embedded, swan_paper
from rsrepro.swan import VARIANTS
from rsrepro.swan.data import CaptionSet, ImagePipeline, pad_tokens, train_pairs
from rsrepro.swan.encode import encode_captions, encode_images
from rsrepro.swan.text import Vocabulary
from rsrepro.training.batches import (
    HostBatch,
    as_float,
    host_tensor,
    index_batches,
    pins,
    read_ahead,
    read_rows,
    to_device,
)
from rsrepro.training.checkpoint import EpochLoop, fresh_checkpoint_dir, load_torch
from rsrepro.training.device import autocast, pick_device, seed_everything
from rsrepro.training.distributed import (
    SINGLE_PROCESS,
    DistContext,
    gather_shards,
    seed_rank_stream,
    shard_rows,
    wrap,
)
from rsrepro.training.precision import Precision
from rsrepro.training.run import RunOutputs, finish_run, load_model_file, run_fingerprint
from rsrepro.training.sums import DeviceSums
from rsrepro.training.throughput import SteadyClock

log = logging.getLogger(__name__)
PAPER = "swan"
FAITHFUL = {variant: variant == "faithful" for variant in VARIANTS}  # reproduces the released code?


def build_model(
    model_cfg: dict[str, Any], vocab: Vocabulary, variant: str, vectors_file: str | Path | None = None
) -> SWAN:
    """The model of a params ``model`` section; loads backbone weights and word vectors when named."""
    if variant not in FAITHFUL:
        raise RsreproError(f"SWAN variant {variant!r} unknown; use one of {sorted(FAITHFUL)}")
    builder = {"paper": swan_paper, "embedded": swan_embedded}[model_cfg["arch"]]
    model = builder(vocab.size, faithful=FAITHFUL[variant], train_backbone=bool(model_cfg["train_backbone"]))
    if model_cfg.get("backbone_weights"):
        load_backbone_weights(model.image.backbone, model_cfg["backbone_weights"])
    if model_cfg.get("word_vectors", "none") != "none":
        if vectors_file is None:
            raise RsreproError("word_vectors: glove needs the extracted vectors file (--vectors)")
        found = init_embeddings(model.text.embed, vocab.words, vectors_file)
        log.info("initialised %d of %d word vectors from %s", found, len(vocab.words), vectors_file)
    return model


def hinge_triplet_loss(
    image: torch.Tensor, text: torch.Tensor, margin: float, max_violation: bool
) -> torch.Tensor:
    """SWAN's two-way hinge loss over the in-batch similarity matrix (pair i is (image i, caption i)).

    Summed over all negatives (the released default) or over the hardest negative per query.
    """
    scores = image @ text.T
    diagonal = scores.diag().view(-1, 1)
    cost_caption = (margin + scores - diagonal).clamp(min=0)  # image i vs wrong captions
    cost_image = (margin + scores - diagonal.T).clamp(min=0)  # caption j vs wrong images
    eye = torch.eye(len(scores), dtype=torch.bool, device=scores.device)
    cost_caption, cost_image = cost_caption.masked_fill(eye, 0), cost_image.masked_fill(eye, 0)
    if max_violation:
        return cost_caption.amax(1).sum() + cost_image.amax(0).sum()
    return cost_caption.sum() + cost_image.sum()


def train_step(
    net: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    images: torch.Tensor,
    tokens: torch.Tensor,
    lengths: torch.Tensor,
    cfg: dict[str, Any],
    context: DistContext = SINGLE_PROCESS,
) -> torch.Tensor:
    """One optimiser step on a global batch of pairs (padded to one length); ``net`` is the model, in DDP
    on several ranks. Each rank encodes its slice and the loss sees every rank's embeddings, so its
    negatives are the whole batch's. ``cfg["amp"]``: bf16 autocast on CUDA. Returns the batch's loss, on
    the device (reading it would wait for the step)."""
    rows = shard_rows(len(lengths), context)
    with autocast(images.device, cfg["amp"]):
        image, text = net(images[rows], tokens[rows], lengths[rows])
        loss = hinge_triplet_loss(
            gather_shards(image.float(), len(lengths), context),
            gather_shards(text.float(), len(lengths), context),
            cfg["margin"],
            cfg["max_violation"],
        )
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()
    return loss.detach()


def epoch_steps(
    net: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    data: PreparedDataset,
    captions: CaptionSet,
    pipeline: ImagePipeline,
    cfg: dict[str, Any],
    generator: torch.Generator,
    context: DistContext = SINGLE_PROCESS,
) -> tuple[DeviceSums, SteadyClock, int]:
    """One epoch's optimiser steps over pairs of ``captions``, none of which waits for the device.
    Returns the sum of the batches' losses (``loss``) on the device, the clock that counted the pairs,
    and the steps."""
    net.train()
    device, pin = pipeline.device, pins(pipeline.device)

    # Every rank draws the global batch's augmentation (one generator, so the ranks stay in step).
    def plans():
        pairs = train_pairs(captions, cfg["captions_per_image"], generator)
        for batch in index_batches(pairs, cfg["batch_size"], shuffle=True, generator=generator):
            if len(batch) >= context.world_size:  # else too small to give every rank a pair
                yield batch, pipeline.draw(len(batch), generator)

    def read(plan: tuple[np.ndarray, torch.Tensor]) -> HostBatch:
        batch, draws = plan
        tokens, lengths = pad_tokens([captions.tokens[i] for i in batch])
        return {
            "images": read_rows(data.images, captions.images[captions.caption_image[batch]], pin),
            "tokens": host_tensor(tokens, pin),
            "draws": host_tensor(draws, pin),
            "lengths": lengths,  # the GRU's packing reads them on the host
        }

    sums, clock, steps = DeviceSums(), SteadyClock(device), 0
    for host in read_ahead(plans(), read, ahead=pin):
        lengths = host.pop("lengths")
        batch = to_device(host, device)
        images = pipeline.augment(as_float(batch["images"]), batch["draws"])
        sums.add(loss=train_step(net, optimizer, images, batch["tokens"], lengths, cfg, context))
        clock.step(len(lengths))
        steps += 1
    return sums, clock, steps


def learning_rate(cfg: dict[str, Any], epoch: int) -> float:
    """lr x decay whenever epoch % every == every - 1 (the original decays before epochs 19, 39, ...)."""
    return cfg["lr"] * cfg["lr_decay"] ** ((epoch + 1) // cfg["lr_decay_every"])


def evaluate_split(
    model: SWAN,
    data: PreparedDataset,
    captions: CaptionSet,
    pipeline: ImagePipeline,
    batch_size: int,
    shard_size: int,
    with_scenes: bool,
) -> tuple[dict[str, float | int], torch.Tensor, torch.Tensor]:
    """Retrieval metrics of one split; ``shard_size``: the released evaluation's caption shards (faithful
    captions are padded per shard; ties are then broken as the released code breaks them)."""
    images = encode_images(model, data.images, captions.images, pipeline, batch_size)
    texts = encode_captions(model, captions, pipeline.device, batch_size, shard_size)
    scenes = captions.scenes(data) if with_scenes else None
    ties = "numpy" if model.cfg.faithful else "pessimistic"
    return retrieval_metrics(images, texts, captions.caption_image, scenes, ties), images, texts


def image_pipeline(train_cfg: dict[str, Any], device: torch.device, variant: str) -> ImagePipeline:
    """The variant's pipeline: the released RandomRotation interpolates nearest (faithful)."""
    return ImagePipeline(train_cfg, device, rotation="nearest" if FAITHFUL[variant] else "bilinear")


def train_run(
    prepared: str | Path,
    split_file: str | Path,
    vocab_file: str | Path,
    outputs: RunOutputs,
    cfg: dict[str, Any],
    variant: str,
    vectors_file: str | Path | None = None,
    context: DistContext = SINGLE_PROCESS,
) -> list[dict[str, float]]:
    """Train on the split's train images, select on val mR; write ``outputs`` (the best weights, the
    history and the test embeddings of those weights).

    In a DDP run (``context``) every rank trains its slice of each batch; the main rank alone writes.
    """
    train_cfg = cfg["train"]
    split = read_json(split_file)
    generator = seed_everything(int(split["seed"]))
    device = pick_device(train_cfg["device"])
    data = PreparedDataset.load(prepared)
    vocab = Vocabulary.load(vocab_file)
    model = build_model(cfg["model"], vocab, variant, vectors_file).to(device)
    faithful = FAITHFUL[variant]
    precision = Precision.of_variant(faithful, train_cfg["tf32_matmul"])
    precision.apply(device)
    step_cfg = {**train_cfg, "amp": precision.bf16}
    optimizer = torch.optim.Adam(model.trainable_parameters(), lr=train_cfg["lr"])
    train_caps = CaptionSet.build(data, np.asarray(split["train"]), vocab, faithful)
    val_caps = CaptionSet.build(data, np.asarray(split["val"]), vocab, faithful)
    pipeline = image_pipeline(train_cfg, device, variant)
    net = wrap(model, context)

    def train_epoch(epoch: int) -> dict[str, float]:
        for group in optimizer.param_groups:
            group["lr"] = learning_rate(train_cfg, epoch)
        seed_rank_stream(int(split["seed"]), epoch, context)  # dropout masks of its own on every rank
        sums, clock, steps = epoch_steps(
            net, optimizer, data, train_caps, pipeline, step_cfg, generator, context
        )
        return {
            # per batch, summed over its negatives as the original logs it (the same on every rank)
            **sums.means(steps, SINGLE_PROCESS),
            "lr": optimizer.param_groups[0]["lr"],
            **clock.record("pairs_per_s"),
        }

    def validate(epoch: int) -> dict[str, float]:
        metrics, _, _ = evaluate_split(
            model, data, val_caps, pipeline, train_cfg["eval_batch_size"], train_cfg["val_shard_size"], False
        )
        return {f"val_{k}": v for k, v in metrics.items() if "R@" in k or k == "mR"}

    inputs = [Path(vocab_file), *([Path(vectors_file)] if vectors_file else [])]
    key = run_fingerprint(PAPER, variant, cfg, split, data, __name__, inputs=inputs)
    checkpoints = fresh_checkpoint_dir(outputs.checkpoints, key, context)
    # Only the main rank writes and selects, so only it validates.
    loop = EpochLoop(
        checkpoints,
        {"model": model, "optimizer": optimizer},
        generator,
        select="val_mR" if context.is_main else None,
        save=context.is_main,
        checkpoint_s=60 * train_cfg["checkpoint_minutes"],
    )
    history = loop.run(int(train_cfg["epochs"]), train_epoch, validate if context.is_main else None)
    if not context.is_main:
        return history
    best = load_torch(loop.best_path)
    model.load_state_dict(best["model"])
    test = CaptionSet.build(data, np.asarray(split["test"]), vocab, faithful)
    start = time.perf_counter()
    images = encode_images(model, data.images, test.images, pipeline, train_cfg["eval_batch_size"])
    texts = encode_captions(model, test, device, train_cfg["eval_batch_size"], train_cfg["test_shard_size"])
    encode_seconds = time.perf_counter() - start
    finish_run(
        outputs,
        checkpoints,
        paper=PAPER,
        variant=variant,
        config=cfg,
        meta={"vocab_size": vocab.size},
        state_dict=best["model"],
        selection="best_val_mR",
        selected_epoch=best["epoch"],
        epochs=history,
        run={
            "dataset": data.name,
            "seed": int(split["seed"]),
            "n_images": len(test.images),
            "n_captions": len(test.tokens),
            "encode_seconds": encode_seconds,
        },
        test_outputs={
            "images": images.numpy(),
            "captions": texts.numpy(),
            "image_index": test.images,
            "caption_image": test.caption_image,
            "scenes": np.asarray(test.scenes(data)),
        },
        device=device,
        precision=precision,
    )
    return history


def load_trained(path: str | Path, vocab: Vocabulary) -> SWAN:
    """The model a run saved in ``model.pt`` (its best-validation weights), in eval mode."""
    saved = load_model_file(path, PAPER)
    model = build_model(
        {**saved["config"]["model"], "backbone_weights": None, "word_vectors": "none"},
        vocab,
        saved["variant"],
    )
    model.load_state_dict(saved["state_dict"])
    return model.eval()
