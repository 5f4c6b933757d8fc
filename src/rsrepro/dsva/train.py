"""DSVA training (episodic, warm-up then full fine-tuning) with ZSL or GZSL evaluation after every epoch.

One run per setting, as the released code has one script per split and setting: ``zsl`` runs are
evaluated on the unseen test images with the unseen classes as candidates, ``gzsl`` runs on the seen and
unseen test images with all classes (U, S, H). Two stages per run:

- ``full``: trained on all seen classes; evaluated on the test set every epoch, so the history holds
  both the paper protocol (best epoch on test) and the last epoch.
- ``select``: ``val_classes`` seen classes are carved out as pseudo-unseen validation classes and the
  model is trained on the rest; its per-epoch validation ZSL accuracy picks the epoch that an honest
  protocol reports from the ``full`` history (Xian et al.'s select-then-retrain, with the retrain being
  the ``full`` stage).

``faithful`` reproduces the released code: double-softmax CE, calibrated stacking on probabilities of
the classes present in the seen test set, fp32, and both settings trained on the ZSL training list (its
loader reads ``trainval_loc = train_zsl_loc`` in every mode; RSSDIVCS: train_zsl_loc; a seeded split:
all seen-class images, so a GZSL run trains on its seen test images). ``faithful: false`` (corrected):
CE on scores, stacking on scores, bf16 autocast on CUDA; ZSL trains on the ZSL list too (ZSL has no seen
test set to protect), GZSL on the GZSL list (train_gzsl_loc, or the split's train) without any seen-test
image. Both take the released losses and crop branch (:mod:`rsrepro.dsva.losses`,
:func:`rsrepro.models.dsva.attention_boxes`).

Several GPUs (``torchrun``): every rank draws the same episode and augments it with the same generator
(so the ranks' random streams stay in step), then trains on its slice of it under DDP with the data
terms weighted by the slice's share: one step equals the single-process step on the whole episode (DSVA
has LayerNorm only, no batch statistics). The main rank alone writes files.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from rsrepro.data.leakage import require_seen_only
from rsrepro.data.prepared import PreparedDataset
from rsrepro.data.splits import held_out_classes
from rsrepro.dsva import losses
from rsrepro.dsva.images import draw_augmentation, prepare
from rsrepro.dsva.predictions import gzsl_predictions, zsl_candidates, zsl_predictions
from rsrepro.dsva.sampler import episodes
from rsrepro.models.dsva import DSVA, DSVAOutput, HFClipVisionTower, dsva, patch_vit
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
from rsrepro.training.device import autocast, seed_everything
from rsrepro.training.distributed import (
    SINGLE_PROCESS,
    DistContext,
    mean_loss_weight,
    shard_rows,
    shard_size,
    wrap,
)
from rsrepro.training.precision import Precision
from rsrepro.training.run import RunOutputs, finish_run, run_fingerprint
from rsrepro.training.sums import DeviceSums
from rsrepro.training.throughput import SteadyClock

log = logging.getLogger(__name__)
PAPER = "dsva"
BRANCHES = ("", "_g")  # the prototype branch (reported) and the global branch


def dataset_split(data: PreparedDataset, split: dict[str, Any]) -> dict[str, Any]:
    """The dataset's own lists for this paper split (RSSDIVCS ships ``train`` = train_zsl_loc and
    ``train_gzsl`` = train_gzsl_loc), or {} for a seeded split."""
    if split.get("source") != "dataset" or not data.has("zero_shot_splits"):
        return {}
    return data.zero_shot_splits.get(split["paper_split"], {})


def zsl_train_list(split: dict[str, Any], own: dict[str, Any]) -> list[int]:
    """The ZSL training list, which the released loader uses in every mode: the dataset's
    train_zsl_loc, or for a seeded split every seen-class image (ZSL has no seen test set)."""
    return own["train"] if own else sorted(split["train"] + split["test_seen"])


def gzsl_train_list(split: dict[str, Any], own: dict[str, Any]) -> list[int]:
    """The GZSL training list (the dataset's train_gzsl_loc where it has one), never a seen-test image."""
    images = own.get("train_gzsl", split["train"])
    return sorted(set(images) - set(split["test_seen"]))


def training_images(
    split: dict[str, Any], setting: str, faithful: bool, own: dict[str, Any] | None = None
) -> np.ndarray:
    """The released loader's ZSL list for faithful runs and for corrected ZSL runs; the GZSL list,
    without any seen-test image, for corrected GZSL runs."""
    own = own or {}
    chosen = gzsl_train_list(split, own) if setting == "gzsl" and not faithful else zsl_train_list(split, own)
    return np.asarray(chosen, dtype=np.int64)


def overlaps(split: dict[str, Any], own: dict[str, Any] | None = None) -> dict[str, Any]:
    """Train / seen-test overlap of the split file (must be 0) and of the released loader's ZSL list.

    Only a dataset's own lists (RSSDIVCS's train_zsl_loc) make the second a measurement; a seeded split
    has no ZSL list of its own, so it is train + test_seen and the overlap is total by construction."""
    test_seen = set(split["test_seen"])
    return {
        "split_file_train_test_seen": len(test_seen & set(split["train"])),
        "faithful_loader_train_test_seen": len(test_seen & set(zsl_train_list(split, own or {}))),
        "zsl_list": "dataset" if own else "seeded split: train + test_seen",
        "test_seen_images": len(test_seen),
    }


def build_model(cfg: dict[str, Any], attributes_dir: Path, data: PreparedDataset) -> DSVA:
    if cfg["backbone"] == "embedded":
        saved = load_torch(attributes_dir / "tower.pt")
        tower: torch.nn.Module = patch_vit(**saved["config"])
        tower.load_state_dict(saved["state"])
    else:
        tower = HFClipVisionTower(cfg["clip_model_dir"])
    groups = [g for g in data.attribute_groups.values() if g] or None
    return dsva(tower, len(data.attribute_names), groups, crop=cfg["crop_branch"])


def class_attribute_matrix(
    cfg: dict[str, Any], attributes_dir: Path, data: PreparedDataset, own: dict[str, Any]
) -> np.ndarray:
    """The collected matrix, or the dataset's (a split's own matrix where its files ship one)."""
    if cfg["class_attributes"] == "dataset":
        return np.asarray(own.get("class_attributes", data.class_attributes), dtype=np.float32)
    return np.load(attributes_dir / "class_attributes.npy")


@torch.no_grad()
def predict(
    model: DSVA, data: PreparedDataset, indices: np.ndarray, cfg: dict[str, Any], device: torch.device
):
    """Attribute predictions of both branches (N x A each; the global one with the crop's) for ``indices``.
    They stay on the device until the last batch is done; on a GPU the next batch is read meanwhile."""
    model.eval()
    pin = pins(device)
    local, glob = [], []
    batches = index_batches(indices, cfg["eval_batch_size"], shuffle=False)
    for host in read_ahead(batches, lambda batch: {"images": read_rows(data.images, batch, pin)}, ahead=pin):
        x = prepare(as_float(host["images"].to(device, non_blocking=True)), cfg["image"])
        with autocast(device, amp=not cfg["faithful"]):  # faithful: fp32, as the released code
            out = model(x)
        local.append(out.attr_local.float())
        glob.append(out.attr_global_scored.float())
    return torch.cat(local).cpu().numpy(), torch.cat(glob).cpu().numpy()


@dataclass(frozen=True)
class TestImages:
    """The images a stage predicts after every epoch and what its scoring needs: a ``full`` stage the
    setting's test set (ZSL: unseen images, unseen candidates; GZSL: unseen and seen images, all classes),
    a ``select`` stage its pseudo-unseen validation images."""

    index: np.ndarray
    labels: np.ndarray
    candidates: np.ndarray  # ZSL and validation: the classes chosen from (GZSL: all)
    seen: np.ndarray
    unseen: np.ndarray


def test_images(
    data: PreparedDataset, split: dict[str, Any], setting: str, excluded: Sequence[int], faithful: bool
) -> TestImages:
    test = np.setdiff1d(
        np.asarray(split["test_unseen"], dtype=np.int64), np.asarray(excluded, dtype=np.int64)
    )
    if setting == "gzsl":
        test = np.concatenate([test, np.asarray(split["test_seen"], dtype=np.int64)])
    labels = data.class_idx[test]
    seen, unseen = np.asarray(split["seen_classes"]), np.asarray(split["unseen_classes"])
    candidates = zsl_candidates(unseen, labels, faithful) if setting == "zsl" else np.arange(data.num_classes)
    return TestImages(test, labels, candidates, seen, unseen)


def epoch_predictions(
    model: DSVA,
    data: PreparedDataset,
    matrix: np.ndarray,
    images: TestImages,
    cfg: dict[str, Any],
    device: torch.device,
    setting: str,
) -> np.ndarray:
    """Predicted classes (branches x N, int16) of the test images under the setting's protocol: the best
    candidate (ZSL, validation) or all classes after calibrated stacking (GZSL)."""
    faithful = cfg["faithful"]
    gamma = cfg["cs_gamma_probability"] if faithful else cfg["cs_gamma_score"]
    rows = []
    for attr in predict(model, data, images.index, cfg, device):
        scores = attr @ matrix.T
        if setting == "gzsl":
            rows.append(gzsl_predictions(scores, images.labels, images.seen, gamma, faithful))
        else:
            rows.append(zsl_predictions(scores, images.candidates))
    return np.stack(rows).astype(np.int16)


def dsva_loss(
    model: DSVA,
    out: DSVAOutput,
    y: torch.Tensor,
    matrix: torch.Tensor,
    cfg: dict[str, Any],
    warm: bool,
    data_weight: float = 1.0,
    sum_weight: float = 1.0,
) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """The original's ``Loss_fn``: CE of both branches (the global one's class scores with the crop
    branch's added), attribute MSE of both (the global one on its pre-crop attributes), compactness after
    warm-up, group lasso on prototypes and head (the released scripts set it to 0 except GZSL 50/20).

    ``data_weight`` scales the batch-mean terms and ``sum_weight`` the batch-sum compactness (a DDP
    rank's share: its fraction of the batch times the ranks, and the ranks), not the weight penalties."""
    w = cfg["loss"]
    g, loc = out.attr_global.float(), out.attr_local.float()
    parts = {
        "ce_global": losses.compatibility_ce(out.attr_global_scored.float(), matrix, y, cfg["faithful"]),
        "ce_local": losses.compatibility_ce(loc, matrix, y, cfg["faithful"]),
        "mse_global": losses.attribute_regression(g, matrix[y]),
        "mse_local": losses.attribute_regression(loc, matrix[y]),
    }
    loss = data_weight * (
        w["xe"] * parts["ce_global"]
        + w["l_xe"] * parts["ce_local"]
        + w["attri"] * parts["mse_global"]
        + w["l_attri"] * parts["mse_local"]
    )
    if not warm and w["cpt"] > 0:
        parts["cpt"] = losses.compactness(out.maps.float())
        loss = loss + sum_weight * w["cpt"] * parts["cpt"]
    if w["l_regular"] > 0 or w["regular"] > 0:
        parts["lasso_prototypes"] = losses.group_lasso(model.prototypes, model.groups)
        parts["lasso_head"] = losses.group_lasso(model.head.weight, model.groups)
        loss = loss + w["l_regular"] * parts["lasso_prototypes"] + w["regular"] * parts["lasso_head"]
    return loss, parts


def train_step(
    model: DSVA,
    net: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    x: torch.Tensor,
    y: torch.Tensor,
    matrix: torch.Tensor,
    cfg: dict[str, Any],
    warm: bool,
    context: DistContext,
) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """One optimiser step on the global batch ``x``, ``y``; ``net`` is ``model`` (wrapped in DDP on
    several ranks, each of which takes its slice)."""
    rows = shard_rows(len(y), context)
    with autocast(x.device, amp=not cfg["faithful"]):
        out = net(x[rows])
    weight = mean_loss_weight(shard_size(rows), len(y), context)
    loss, parts = dsva_loss(
        model, out, y[rows], matrix, cfg, warm, data_weight=weight, sum_weight=context.world_size
    )
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return loss, parts


def epoch_steps(
    model: DSVA,
    net: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    data: PreparedDataset,
    images: np.ndarray,
    labels: np.ndarray,
    matrix: torch.Tensor,
    cfg: dict[str, Any],
    warm: bool,
    device: torch.device,
    generator: torch.Generator,
    context: DistContext = SINGLE_PROCESS,
) -> tuple[DeviceSums, SteadyClock]:
    """One epoch's episodes of ``images`` (dataset indices, with their local ``labels``), none of which
    waits for the device. Returns the sums of the loss and its terms on the device, and the clock that
    counted the images."""
    model.train()
    pin = pins(device)

    # Every rank draws the same episode and augmentation (one generator: the ranks stay in step).
    def plans():
        for batch_rel in episodes(
            np.arange(len(images)), labels, cfg["ways"], cfg["shots"], cfg["batches_per_epoch"], generator
        ):
            yield batch_rel, draw_augmentation(len(batch_rel), generator)

    def read(plan: tuple[np.ndarray, torch.Tensor]) -> HostBatch:
        batch_rel, draws = plan
        return {
            "images": read_rows(data.images, images[batch_rel], pin),
            "labels": host_tensor(labels[batch_rel], pin),
            "draws": host_tensor(draws, pin),
        }

    sums, clock = DeviceSums(), SteadyClock(device)
    for host in read_ahead(plans(), read, ahead=pin):
        batch = to_device(host, device)
        x = prepare(as_float(batch["images"]), cfg["image"], batch["draws"])
        loss, parts = train_step(model, net, optimizer, x, batch["labels"], matrix, cfg, warm, context)
        sums.add(loss=loss, **parts)
        clock.step(len(host["labels"]))
    return sums, clock


def train(
    data: PreparedDataset,
    split: dict[str, Any],
    attributes_dir: Path,
    cfg: dict[str, Any],
    setting: str,
    stage: str,
    outputs: RunOutputs,
    device: torch.device,
    seed: int,
    context: DistContext = SINGLE_PROCESS,
) -> list[dict[str, float]]:
    """Train one stage of one setting (``zsl`` or ``gzsl``) and write ``outputs`` (the main rank;
    ``context`` is this process's place in a DDP run): the model of the last epoch, the history, and
    every epoch's predictions for the stage's test images (:func:`test_images`), which
    ``dsva-summarize`` scores."""
    generator = seed_everything(seed)
    variant = "faithful" if cfg["faithful"] else "corrected"
    precision = Precision.of_variant(cfg["faithful"], cfg["tf32_matmul"])
    precision.apply(device)
    class_idx = data.class_idx
    own = dataset_split(data, split)
    matrix = class_attribute_matrix(cfg, attributes_dir, data, own)
    collection = (
        json.loads((attributes_dir / "collection.json").read_text())
        if cfg["class_attributes"] == "collected"
        else {}
    )
    excluded = collection.get("eval_excluded", [])
    images = training_images(split, setting, cfg["faithful"], own)
    seen = list(split["seen_classes"])
    val: list[int] = []
    targets = test_images(data, split, setting, excluded, cfg["faithful"])
    if stage == "select":
        val = held_out_classes(seen, cfg["val_classes"], seed)
        seen = [c for c in seen if c not in val]
        val_images = images[np.isin(class_idx[images], val)]
        images = images[np.isin(class_idx[images], seen)]
        targets = TestImages(
            val_images, class_idx[val_images], np.asarray(val), np.asarray(seen), np.asarray(val)
        )
    require_seen_only(images, class_idx, split["unseen_classes"], "DSVA training")
    require_seen_only(images, class_idx, val, "the select stage's training")
    local_label = {c: k for k, c in enumerate(seen)}
    labels = np.array([local_label[c] for c in class_idx[images]])
    train_matrix = torch.from_numpy(matrix[seen]).to(device)

    model = build_model(cfg, attributes_dir, data).to(device)

    def train_epoch(epoch: int) -> dict[str, float]:
        warm = epoch < cfg["warmup_epochs"]
        for p in [*model.tower.parameters(), *model.norm.parameters()]:
            p.requires_grad_(not warm)
        params = model.head_parameters() if warm else list(model.parameters())
        lr = cfg["warmup_lr"] if warm else cfg["lr"] * cfg["lr_decay"] ** (epoch // cfg["lr_decay_every"])
        # Rebuilt every epoch, as in the released code (its Adam state never survives an epoch); so is
        # DDP's wrapper, which must see the epoch's trainable parameters.
        opt = torch.optim.Adam(params, lr=lr, betas=tuple(cfg["betas"]))
        net = wrap(model, context)
        sums, clock = epoch_steps(
            model, net, opt, data, images, labels, train_matrix, cfg, warm, device, generator, context
        )
        record = sums.means(cfg["batches_per_epoch"], context)
        record.update(lr=lr, **clock.record("train_images_per_s"))
        return record

    settings = {**cfg, "setting": setting, "stage": stage, "seed": seed}
    attribute_files = sorted(p for p in attributes_dir.iterdir() if p.is_file())
    key = run_fingerprint(PAPER, variant, settings, split, data, __name__, inputs=attribute_files)
    checkpoints = fresh_checkpoint_dir(outputs.checkpoints, key, context)

    # Each epoch's predictions wait in the checkpoint folder (so a resumed run has them) until the end.
    # Only the main rank writes them, so only it predicts.
    def predict_epoch(epoch: int) -> dict[str, float]:
        start = time.perf_counter()
        predicted = epoch_predictions(model, data, matrix, targets, cfg, device, "zsl" if val else setting)
        np.save(checkpoints / f"predictions_{epoch:03d}.npy", predicted)
        return {"test_images_per_s": len(targets.index) / (time.perf_counter() - start)}

    loop = EpochLoop(
        checkpoints,
        {"model": model},
        generator=generator,
        save=context.is_main,
        checkpoint_s=60 * cfg["checkpoint_minutes"],
    )
    history = loop.run(cfg["epochs"], train_epoch, predict_epoch if context.is_main else None)
    if not context.is_main:
        return history
    predictions = np.stack([np.load(checkpoints / f"predictions_{e:03d}.npy") for e in range(cfg["epochs"])])
    finish_run(
        outputs,
        checkpoints,
        paper=PAPER,
        variant=variant,
        config=cfg,
        meta={"seen_classes": seen},
        state_dict=model.state_dict(),
        selection="last",  # the protocols pick their epochs from the predictions (dsva-summarize)
        selected_epoch=cfg["epochs"] - 1,
        epochs=history,
        run={
            "dataset": data.name,
            "setting": setting,
            "stage": stage,
            "faithful": cfg["faithful"],
            "seed": seed,
            "train_images": len(images),
            "train_classes": seen,
            "validation_classes": val,
            "unseen_classes": split["unseen_classes"],
            "eval_excluded_unseen_images": len(excluded),
            "train_test_seen_overlap_used": len(set(images.tolist()) & set(split["test_seen"])),
            **overlaps(split, own),
        },
        test_outputs={
            "index": targets.index,
            "labels": targets.labels,
            "predictions": predictions,  # epochs x branches x images
            "candidates": targets.candidates,
            "seen": targets.seen,
            "unseen": targets.unseen,
            "n_classes": np.array(data.num_classes),
        },
        device=device,
        precision=precision,
    )
    return history
