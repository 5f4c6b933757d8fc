"""Train one SWAN run: a seeded train/val re-split, best-val-mR checkpoint, resumable every epoch."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from rsrepro.data.prepared import PreparedDataset
from rsrepro.errors import RsreproError
from rsrepro.io import atomic_path, read_json, write_json
from rsrepro.metrics.retrieval import retrieval_metrics
from rsrepro.models import swan as swan_model_module
from rsrepro.models.swan import SWAN, init_embeddings, load_backbone_weights, swan_embedded, swan_paper
from rsrepro.swan.data import CaptionSet, ImagePipeline, pad_tokens, train_pairs
from rsrepro.swan.encode import encode_captions, encode_images
from rsrepro.swan.text import Vocabulary
from rsrepro.training.batches import index_batches
from rsrepro.training.checkpoint import EpochLoop, fingerprint, fresh_checkpoint_dir, save_torch
from rsrepro.training.device import pick_device, seed_everything
from rsrepro.training.distributed import (
    SINGLE_PROCESS,
    DistContext,
    gather_shards,
    seed_rank_stream,
    shard_rows,
    wrap,
)

log = logging.getLogger(__name__)
VARIANTS = {"faithful": True, "corrected": False}


def build_model(
    model_cfg: dict[str, Any], vocab: Vocabulary, variant: str, vectors_file: str | Path | None = None
) -> SWAN:
    """The model of a params ``model`` section; loads backbone weights and word vectors when named."""
    if variant not in VARIANTS:
        raise RsreproError(f"SWAN variant {variant!r} unknown; use one of {sorted(VARIANTS)}")
    builder = {"paper": swan_paper, "embedded": swan_embedded}[model_cfg["arch"]]
    model = builder(vocab.size, faithful=VARIANTS[variant], train_backbone=bool(model_cfg["train_backbone"]))
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
) -> float:
    """One optimiser step on a global batch of pairs (padded to one length); ``net`` is the model, in DDP
    on several ranks. Each rank encodes its slice and the loss sees every rank's embeddings, so its
    negatives are the whole batch's. Returns the batch's loss."""
    rows = shard_rows(len(lengths), context)
    with torch.autocast("cuda", torch.bfloat16, enabled=images.device.type == "cuda" and cfg["amp"]):
        image, text = net(images[rows.to(images.device)], tokens[rows.to(tokens.device)], lengths[rows])
        loss = hinge_triplet_loss(
            gather_shards(image.float(), len(lengths), context),
            gather_shards(text.float(), len(lengths), context),
            cfg["margin"],
            cfg["max_violation"],
        )
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()
    return loss.item()


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
    return ImagePipeline(train_cfg, device, rotation="nearest" if VARIANTS[variant] else "bilinear")


def run_fingerprint(
    cfg: dict[str, Any], variant: str, prepared: str | Path, *inputs: str | Path | None
) -> str:
    """Identity of a run: settings, input files, the prepared data's stamp and SWAN's source code."""
    sources = [Path(__file__).parent, Path(swan_model_module.__file__)]
    files = [Path(p) for p in inputs if p is not None]
    return fingerprint([cfg, variant], str(prepared_stamp(prepared)), sources=[*files, *sources])


def prepared_stamp(prepared: str | Path) -> tuple:
    """A cheap identity of a prepared dataset: its table, and the image cache's size and write time."""
    images = Path(prepared) / "images.npy"
    stat = images.stat()
    return (Path(prepared, "meta.csv").read_text(), stat.st_size, stat.st_mtime_ns)


def train_run(
    prepared: str | Path,
    split_file: str | Path,
    vocab_file: str | Path,
    out_dir: str | Path,
    cfg: dict[str, Any],
    variant: str,
    vectors_file: str | Path | None = None,
    context: DistContext = SINGLE_PROCESS,
) -> list[dict[str, float]]:
    """Train on the split's train images, select on val mR; write ``model.pt`` and ``history.json``.

    In a DDP run (``context``) every rank trains its slice of each batch; the main rank alone writes.
    """
    out_dir = Path(out_dir)
    train_cfg = cfg["train"]
    split = read_json(split_file)
    generator = seed_everything(int(split["seed"]))
    device = pick_device(train_cfg["device"])
    data = PreparedDataset.load(prepared)
    vocab = Vocabulary.load(vocab_file)
    model = build_model(cfg["model"], vocab, variant, vectors_file).to(device)
    faithful = VARIANTS[variant]
    optimizer = torch.optim.Adam(model.trainable_parameters(), lr=train_cfg["lr"])
    train_caps = CaptionSet.build(data, np.asarray(split["train"]), vocab, faithful)
    val_caps = CaptionSet.build(data, np.asarray(split["val"]), vocab, faithful)
    pipeline = image_pipeline(train_cfg, device, variant)
    net = wrap(model, context)

    def train_epoch(epoch: int) -> dict[str, float]:
        for group in optimizer.param_groups:
            group["lr"] = learning_rate(train_cfg, epoch)
        seed_rank_stream(int(split["seed"]), epoch, context)  # dropout masks of its own on every rank
        model.train()
        pairs = train_pairs(train_caps, train_cfg["captions_per_image"], generator)
        total, n, steps, start = 0.0, 0, 0, time.perf_counter()
        for batch in index_batches(pairs, train_cfg["batch_size"], shuffle=True, generator=generator):
            if len(batch) < context.world_size:
                continue  # a last batch too small to give every rank a pair (the same on every rank)
            rows = train_caps.images[train_caps.caption_image[batch]]
            tokens, lengths = pad_tokens([train_caps.tokens[i] for i in batch])
            # Every rank draws the global batch's augmentation (one generator, so the ranks stay in step).
            images = pipeline.train(data.images, rows, generator)
            total += train_step(net, optimizer, images, tokens.to(device), lengths, train_cfg, context)
            n, steps = n + len(batch), steps + 1
        return {
            "loss": total / steps,  # per batch, summed over its negatives as the original logs it
            "lr": optimizer.param_groups[0]["lr"],
            "pairs_per_s": n / (time.perf_counter() - start),
        }

    def validate(epoch: int) -> dict[str, float]:
        metrics, _, _ = evaluate_split(
            model, data, val_caps, pipeline, train_cfg["eval_batch_size"], train_cfg["val_shard_size"], False
        )
        return {f"val_{k}": v for k, v in metrics.items() if "R@" in k or k == "mR"}

    fresh_checkpoint_dir(
        out_dir / "checkpoints",
        run_fingerprint(cfg, variant, prepared, split_file, vocab_file, vectors_file),
        context,
    )
    loop = EpochLoop(
        out_dir / "checkpoints",
        {"model": model, "optimizer": optimizer},
        generator,
        select="val_mR",
        save=context.is_main,
    )
    history = loop.run(int(train_cfg["epochs"]), train_epoch, validate)
    if not context.is_main:
        return history
    best = torch.load(loop.best_path, map_location="cpu", weights_only=True)
    save_torch({"model": best["model"], "epoch": best["epoch"], "variant": variant}, out_dir / "model.pt")
    write_json(
        out_dir / "history.json",
        {"variant": variant, "seed": split["seed"], "best_epoch": best["epoch"], "history": history},
    )
    return history


def evaluate_run(
    prepared: str | Path,
    split_file: str | Path,
    vocab_file: str | Path,
    weights: str | Path,
    out_dir: str | Path,
    cfg: dict[str, Any],
    variant: str,
) -> dict[str, float]:
    """Evaluate the selected checkpoint once on the official test split: metrics.json + embeddings.npz."""
    out_dir = Path(out_dir)
    device = pick_device(cfg["train"]["device"])
    data = PreparedDataset.load(prepared)
    vocab = Vocabulary.load(vocab_file)
    split = read_json(split_file)
    model = build_model({**cfg["model"], "backbone_weights": None, "word_vectors": "none"}, vocab, variant)
    model.load_state_dict(torch.load(weights, map_location="cpu", weights_only=True)["model"])
    model.to(device)
    captions = CaptionSet.build(data, np.asarray(split["test"]), vocab, VARIANTS[variant])
    start = time.perf_counter()
    train_cfg = cfg["train"]
    pipeline = image_pipeline(train_cfg, device, variant)
    metrics, images, texts = evaluate_split(
        model, data, captions, pipeline, train_cfg["eval_batch_size"], train_cfg["test_shard_size"], True
    )
    seconds = time.perf_counter() - start
    result = {
        "variant": variant,
        "seed": split["seed"],
        "n_images": len(captions.images),
        "n_captions": len(captions.tokens),
        "eval_seconds": seconds,
        **metrics,
    }
    write_json(out_dir / "metrics.json", result)
    with atomic_path(out_dir / "embeddings.npz", ".npz") as tmp, tmp.open("wb") as f:
        np.savez(
            f,
            images=images.numpy(),
            captions=texts.numpy(),
            image_index=captions.images,
            caption_image=captions.caption_image,
        )
    return result
