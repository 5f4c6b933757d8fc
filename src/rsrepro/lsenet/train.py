"""Train and evaluate one LSE-Net run (dataset x variant x train ratio x split seed), resumably.

Protocol (the group's code; see the research notes): Adam, batch 32, cross-entropy + ``weight_decay`` x
sum(w^2)/2 over conv weights; augmentation per batch on the device: random ``crop_size`` crop (224 of 256
in the paper preset), horizontal and vertical flips, rot90 with k drawn from ``rot90_choices`` values
(5 reproduces the original's k in 0..4, where k=4 equals k=0), brightness +-``brightness`` (20/255);
ImageNet mean/std normalisation; test on the full image. Step decay of the lr at ``lr_milestones`` epochs.

Model selection (``selection``): ``last`` (default, honest) keeps the last epoch's weights;
``best_on_test`` reproduces the original code, which scored every checkpoint on the test split and kept
the best (optimistic). The run's history (and so its ``metrics.json``) records which one was used.

A run writes what :mod:`rsrepro.training.run` says: ``model.pt``, ``history.json`` and the selected
weights' test logits, from which ``lsenet-evaluate`` computes the metrics. Checkpoints are written at
epoch ends every ``checkpoint_minutes`` (:class:`~rsrepro.training.checkpoint.EpochLoop`), so an
interrupted job resumes with the same result; a checkpoint of other settings, data or code is discarded,
and a finished run deletes it.

Precision (:mod:`rsrepro.training.precision`): bf16 autocast on CUDA with ``amp`` (the paper preset, with
channels-last), fp32 without; fp32 on the CPU. A training step never waits for the GPU: the batch's
random numbers travel with its images, and the loss and accuracy are summed on the device and read once
per epoch.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from rsrepro.data.prepared import PreparedDataset
from rsrepro.errors import RsreproError
from rsrepro.io import read_json
from rsrepro.lsenet.predict import predict_logits
from rsrepro.models.lsenet import LSENet, build_lsenet, conv_weight_l2
from rsrepro.training import augment
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
from rsrepro.training.device import pick_device, seed_everything
from rsrepro.training.distributed import (
    SINGLE_PROCESS,
    DistContext,
    mean_loss_weight,
    shard_rows,
    shard_size,
    wrap,
)
from rsrepro.training.precision import Precision
from rsrepro.training.run import RunOutputs, finish_run, load_model_file, run_fingerprint
from rsrepro.training.sums import DeviceSums
from rsrepro.training.throughput import SteadyClock

log = logging.getLogger(__name__)
PAPER = "lsenet"
SELECTIONS = ("last", "best_on_test")


def draw_augmentation(
    cfg: dict[str, Any], image_size: int, batch: int, generator: torch.Generator
) -> torch.Tensor:
    """A batch's random numbers, rows in the order the augmentation uses them: crop top and left (when
    the crop is smaller than the image), horizontal and vertical flips, rot90's k, brightness (when on).
    Drawn as the transforms drew them one by one: the run's random stream is unchanged."""
    cropped = cfg["crop_size"] < image_size
    rows = [augment.uniforms(generator, 4 if cropped else 2, batch)]
    rows.append(torch.randint(cfg["rot90_choices"], (1, batch), generator=generator).float())
    if cfg["brightness"] > 0:
        rows.append(augment.uniforms(generator, 1, batch))
    return torch.cat(rows)


def apply_augmentation(x: torch.Tensor, cfg: dict[str, Any], draws: torch.Tensor) -> torch.Tensor:
    """The training augmentation of a float batch in [0, 1] with its :func:`draw_augmentation` numbers
    (on ``x``'s device); returns it normalised."""
    draws = iter(draws)
    if cfg["crop_size"] < x.shape[-1]:
        x = augment.crop(x, cfg["crop_size"], next(draws), next(draws))
    x = augment.flip(x, next(draws))
    x = augment.flip(x, next(draws), vertical=True)
    x = augment.rot90(x, next(draws).long())
    if cfg["brightness"] > 0:
        x = augment.brightness(x, cfg["brightness"], next(draws))
    return augment.normalize(x)


def augment_batch(x: torch.Tensor, cfg: dict[str, Any], generator: torch.Generator) -> torch.Tensor:
    """The training augmentation on a float batch in [0, 1], drawing from ``generator``; normalised."""
    draws = draw_augmentation(cfg, x.shape[-1], len(x), generator)
    return apply_augmentation(x, cfg, draws.to(x.device, non_blocking=True))


def build_from_config(model_cfg: dict[str, Any], num_classes: int, variant: str) -> LSENet:
    return build_lsenet(
        num_classes,
        backbone=model_cfg["backbone"],
        pretrained=model_cfg["pretrained"],
        weights_file=model_cfg["weights_file"],
        levels=model_cfg["levels"],
        variant=variant,
        width=model_cfg["width"],
        rates=tuple(model_cfg["rates"]),
        peak_window=model_cfg["peak_window"],
        context_op=model_cfg["context_op"],
        peak_filter=model_cfg["peak_filter"],
        bn_momentum=model_cfg["bn_momentum"],
    )


def load_trained(path: str | Path, device: str | torch.device = "cpu") -> LSENet:
    """The model a run saved in ``model.pt`` (its selected weights), in eval mode."""
    saved = load_model_file(path, PAPER)
    model = build_from_config(
        {**saved["config"]["model"], "pretrained": False}, saved["meta"]["num_classes"], saved["variant"]
    )
    model.load_state_dict(saved["state_dict"])
    return model.to(device).eval()


def train_step(
    model: LSENet,
    net: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    x: torch.Tensor,
    y: torch.Tensor,
    cfg: dict[str, Any],
    context: DistContext = SINGLE_PROCESS,
) -> tuple[torch.Tensor, torch.Tensor, int]:
    """One optimiser step on the augmented global batch ``x``, ``y``. ``net`` is ``model``, compiled
    and/or wrapped in DDP; each rank takes its slice. Returns this rank's mean CE and correct count, both
    on the device (reading them would wait for the step), and its number of images."""
    rows = shard_rows(len(y), context)
    x_rank, y_rank, n_rank = x[rows], y[rows], shard_size(rows)
    if cfg["channels_last"]:
        x_rank = x_rank.contiguous(memory_format=torch.channels_last)
    with Precision(bf16=cfg["amp"]).autocast(x.device):
        logits = net(x_rank)
        ce = F.cross_entropy(logits.float(), y_rank)
    # The conv-weight penalty is no batch mean: every rank adds it whole and DDP's average keeps it once.
    loss = mean_loss_weight(n_rank, len(y), context) * ce + cfg["weight_decay"] * conv_weight_l2(model)
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()
    return ce.detach(), (logits.argmax(1) == y_rank).sum(), n_rank


def epoch_steps(
    model: LSENet,
    net: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    data: PreparedDataset,
    train_idx: np.ndarray,
    cfg: dict[str, Any],
    device: torch.device,
    generator: torch.Generator,
    context: DistContext = SINGLE_PROCESS,
) -> tuple[DeviceSums, SteadyClock, int]:
    """One epoch's optimiser steps, none of which waits for the device. Returns the sums of CE x images
    (``train_loss``) and of correct images (``train_acc``) on the device, the clock that counted the
    epoch's images, and this rank's images."""
    model.train()
    pin, image_size = pins(device), data.images.shape[1]

    # Every rank reads and augments the global batch (one generator, so the ranks stay in step).
    def plans():
        for batch in index_batches(
            train_idx, cfg["batch_size"], shuffle=True, generator=generator, drop_last=True
        ):
            yield batch, draw_augmentation(cfg, image_size, len(batch), generator)

    def read(plan: tuple[np.ndarray, torch.Tensor]) -> HostBatch:
        batch, draws = plan
        return {
            "images": read_rows(data.images, batch, pin),
            "labels": host_tensor(data.class_idx[batch], pin),
            "draws": host_tensor(draws, pin),
        }

    sums, clock, rank_images = DeviceSums(), SteadyClock(device), 0
    for host in read_ahead(plans(), read, ahead=pin):
        batch = to_device(host, device)
        x = apply_augmentation(as_float(batch["images"]), cfg, batch["draws"])
        ce, correct, n_rank = train_step(model, net, optimizer, x, batch["labels"], cfg, context)
        sums.add(train_loss=ce.double() * n_rank, train_acc=correct)
        clock.step(len(host["labels"]))
        rank_images += n_rank
    return sums, clock, rank_images


def train_one_epoch(
    model: LSENet,
    net: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    data: PreparedDataset,
    train_idx: np.ndarray,
    cfg: dict[str, Any],
    device: torch.device,
    generator: torch.Generator,
    context: DistContext = SINGLE_PROCESS,
) -> dict[str, float]:
    """The epoch's mean CE and accuracy of the augmented batches (over the ranks) and its images/s."""
    sums, clock, rank_images = epoch_steps(
        model, net, optimizer, data, train_idx, cfg, device, generator, context
    )
    record = sums.means(max(rank_images, 1), context)
    return {**record, **clock.record("train_images_per_s")}


def train_run(
    prepared: str | Path,
    split_path: str | Path,
    outputs: RunOutputs,
    cfg: dict[str, Any],
    variant: str,
    context: DistContext = SINGLE_PROCESS,
) -> dict[str, Any] | None:
    """Train and select; write ``outputs`` (model, history, test logits). Returns the history.

    In a DDP run (``context``) every rank trains its slice of each batch and the main rank alone writes
    files and returns the history.
    """
    model_cfg, train_cfg = cfg["model"], cfg["train"]
    if train_cfg["selection"] not in SELECTIONS:
        raise RsreproError(f"lsenet.train.selection {train_cfg['selection']!r} unknown; choose {SELECTIONS}")
    data = PreparedDataset.load(prepared)
    split = read_json(split_path)
    train_idx, test_idx = np.asarray(split["train"]), np.asarray(split["test"])
    if len(train_idx) < train_cfg["batch_size"]:
        raise RsreproError(
            f"{split_path}: {len(train_idx)} training images, fewer than one batch of "
            f"{train_cfg['batch_size']}; lower lsenet.train.batch_size"
        )
    device = pick_device(train_cfg["device"])
    precision = Precision(bf16=train_cfg["amp"])
    precision.apply(device)
    generator = seed_everything(int(split["seed"]))
    model = build_from_config(model_cfg, data.num_classes, variant).to(device)
    if train_cfg["channels_last"]:
        model = model.to(memory_format=torch.channels_last)

    # torch.compile'd forward (same weights as ``model``, which checkpoints and model.pt save); CUDA only,
    # as amp: torch 2.14's CPU inductor miscompiles this model's backward (an index-out-of-bounds kernel).
    def compiled(module: torch.nn.Module) -> torch.nn.Module:
        return torch.compile(module) if train_cfg["compile"] and device.type == "cuda" else module

    # Evaluation bypasses DDP, whose forward would wait for the other ranks to share buffers.
    eval_net = compiled(model)
    net = compiled(wrap(model, context)) if context.enabled else eval_net
    optimizer = torch.optim.Adam(model.parameters(), lr=train_cfg["lr"])
    scheduler = torch.optim.lr_scheduler.MultiStepLR(
        optimizer, milestones=train_cfg["lr_milestones"], gamma=train_cfg["lr_gamma"]
    )
    best_on_test = train_cfg["selection"] == "best_on_test"
    key = run_fingerprint(PAPER, variant, cfg, split, data, __name__)
    ckpt = fresh_checkpoint_dir(outputs.checkpoints, key, context)
    # Only the main rank writes and selects, so only it tests during training.
    per_epoch_test = (best_on_test or train_cfg["eval_every_epoch"]) and context.is_main
    loop = EpochLoop(
        ckpt,
        {"model": model, "optimizer": optimizer, "scheduler": scheduler},
        generator=generator,
        select="test_oa" if best_on_test and context.is_main else None,
        save=context.is_main,
        checkpoint_s=60 * train_cfg["checkpoint_minutes"],
    )
    eval_kw = {
        "batch_size": train_cfg["eval_batch_size"],
        "amp": train_cfg["amp"],
        "channels_last": train_cfg["channels_last"],
    }
    y_test = data.class_idx[test_idx]

    def train_epoch(epoch: int) -> dict[str, float]:
        record = train_one_epoch(
            model, net, optimizer, data, train_idx, train_cfg, device, generator, context
        )
        scheduler.step()
        return record

    def test_epoch(epoch: int) -> dict[str, float]:
        logits, _ = predict_logits(eval_net, data.images, test_idx, device, **eval_kw)
        return {"test_oa": float((logits.argmax(1) == y_test).mean())}

    history = loop.run(train_cfg["epochs"], train_epoch, test_epoch if per_epoch_test else None)
    if not context.is_main:
        return None
    selected_epoch = history[-1]["epoch"]
    if best_on_test:
        best = load_torch(loop.best_path, map_location=device)
        model.load_state_dict(best["model"])
        selected_epoch = best["epoch"]
    logits, eval_rate = predict_logits(eval_net, data.images, test_idx, device, **eval_kw)
    finish_run(
        outputs,
        ckpt,
        paper=PAPER,
        variant=variant,
        config=cfg,
        meta={"num_classes": data.num_classes},
        state_dict=model.state_dict(),
        selection=train_cfg["selection"],
        selected_epoch=selected_epoch,
        epochs=history,
        run={
            "dataset": data.name,
            "train_ratio": float(split["train_ratio"]),
            "seed": int(split["seed"]),
            "n_train": len(train_idx),
            "n_test": len(test_idx),
            "eval_images_per_s": eval_rate,
        },
        test_outputs={
            "logits": logits,
            "labels": y_test,
            "index": test_idx,
            "classes": np.array(data.classes),
        },
        device=device,
        precision=precision,
    )
    log.info("%s %s ratio %s seed %s: trained", data.name, variant, split["train_ratio"], split["seed"])
    return history
