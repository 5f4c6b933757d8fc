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
weights' test logits, from which ``lsenet-evaluate`` computes the metrics. Every epoch ends with a
checkpoint (:class:`~rsrepro.training.checkpoint.EpochLoop`), so an interrupted job resumes with the same
result; a checkpoint of other settings, data or code is discarded, and a finished run deletes it.
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
from rsrepro.training.batches import index_batches, load_images
from rsrepro.training.checkpoint import EpochLoop, fresh_checkpoint_dir, load_torch
from rsrepro.training.device import autocast, pick_device, seed_everything
from rsrepro.training.distributed import (
    SINGLE_PROCESS,
    DistContext,
    mean_loss_weight,
    mean_over_ranks,
    shard_rows,
    wrap,
)
from rsrepro.training.run import (
    RunOutputs,
    load_model_file,
    remove_checkpoints,
    run_fingerprint,
    save_model,
    write_history,
    write_outputs,
)
from rsrepro.training.throughput import SteadyClock

log = logging.getLogger(__name__)
PAPER = "lsenet"
SELECTIONS = ("last", "best_on_test")


def augment_batch(x: torch.Tensor, cfg: dict[str, Any], generator: torch.Generator) -> torch.Tensor:
    """The training augmentation on a float batch in [0, 1]; returns it normalised."""
    if cfg["crop_size"] < x.shape[-1]:
        x = augment.random_crop(x, cfg["crop_size"], generator)
    x = augment.random_flip(x, generator)
    x = augment.random_flip(x, generator, vertical=True)
    x = augment.random_rot90(x, generator, choices=cfg["rot90_choices"])
    if cfg["brightness"] > 0:
        x = augment.random_brightness(x, cfg["brightness"], generator)
    return augment.normalize(x)


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
) -> tuple[float, int, int]:
    """One optimiser step on the augmented global batch ``x``, ``y``. ``net`` is ``model``, compiled
    and/or wrapped in DDP; each rank takes its slice. Returns this rank's summed CE, correct count and
    number of images."""
    rows = shard_rows(len(y), context, y.device)
    x_rank, y_rank = x[rows], y[rows]
    if cfg["channels_last"]:
        x_rank = x_rank.contiguous(memory_format=torch.channels_last)
    with autocast(x.device, cfg["amp"]):
        logits = net(x_rank)
        ce = F.cross_entropy(logits.float(), y_rank)
    # The conv-weight penalty is no batch mean: every rank adds it whole and DDP's average keeps it once.
    loss = mean_loss_weight(len(rows), len(y), context) * ce + cfg["weight_decay"] * conv_weight_l2(model)
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()
    return float(ce.detach()) * len(rows), int((logits.argmax(1) == y_rank).sum()), len(rows)


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
    model.train()
    rank_images, correct, loss_sum, clock = 0, 0, 0.0, SteadyClock(device)
    for batch in index_batches(
        train_idx, cfg["batch_size"], shuffle=True, generator=generator, drop_last=True
    ):
        # Every rank reads and augments the global batch (one generator, so the ranks stay in step).
        x = augment_batch(load_images(data.images, batch, device), cfg, generator)
        y = torch.from_numpy(data.class_idx[batch]).to(device)
        batch_loss, batch_correct, batch_rank_images = train_step(model, net, optimizer, x, y, cfg, context)
        clock.step(len(batch))
        rank_images += batch_rank_images
        correct += batch_correct
        loss_sum += batch_loss
    record = mean_over_ranks(
        {"train_loss": loss_sum / max(rank_images, 1), "train_acc": correct / max(rank_images, 1)}, context
    )
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
    loop = EpochLoop(
        ckpt,
        {"model": model, "optimizer": optimizer, "scheduler": scheduler},
        generator=generator,
        select="test_oa" if best_on_test else None,
        save=context.is_main,
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

    per_epoch_test = best_on_test or train_cfg["eval_every_epoch"]
    history = loop.run(train_cfg["epochs"], train_epoch, test_epoch if per_epoch_test else None)
    if not context.is_main:
        return None
    selected_epoch = history[-1]["epoch"]
    if best_on_test:
        best = load_torch(loop.best_path, map_location=device)
        model.load_state_dict(best["model"])
        selected_epoch = best["epoch"]
    logits, eval_rate = predict_logits(eval_net, data.images, test_idx, device, **eval_kw)
    write_outputs(
        outputs.test_outputs, logits=logits, labels=y_test, index=test_idx, classes=np.array(data.classes)
    )
    save_model(
        outputs.model,
        paper=PAPER,
        variant=variant,
        config=cfg,
        meta={"num_classes": data.num_classes},
        epoch=selected_epoch,
        state_dict=model.state_dict(),
    )
    run = {
        "dataset": data.name,
        "train_ratio": float(split["train_ratio"]),
        "seed": int(split["seed"]),
        "n_train": len(train_idx),
        "n_test": len(test_idx),
        "device": str(device),
        "eval_images_per_s": eval_rate,
    }
    selection = train_cfg["selection"]
    write_history(
        outputs.history,
        paper=PAPER,
        variant=variant,
        run=run,
        selection=selection,
        selected_epoch=selected_epoch,
        epochs=history,
    )
    remove_checkpoints(ckpt)
    log.info("%s %s ratio %s seed %s: trained", data.name, variant, split["train_ratio"], split["seed"])
    return history
