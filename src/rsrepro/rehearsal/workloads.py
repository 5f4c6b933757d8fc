"""Each paper's training and evaluation at a preset's size and precision, on images from a uint8 cache
like the prepared datasets': what the GPU check, the training benchmark and the rehearsal's FLOP counts
share.

A :class:`Workload` is one model at one precision and phase, named as the projection names it
(:mod:`rsrepro.rehearsal.projection`). It runs two ways:

- the project's: the trainer's own epoch loop (``epoch_steps`` of :mod:`rsrepro.lsenet.train`,
  :mod:`rsrepro.swan.train`, :mod:`rsrepro.dsva.train`: batches read ahead into pinned memory, augmented
  on the device, steps that never wait for the GPU), over as many batches as asked, under the paper's
  precision policy (:mod:`rsrepro.training.precision`), and the paper's own evaluation code;
- a fair baseline's: a fresh model of the same architecture in fp32 eager PyTorch with PyTorch's default
  settings (default memory format, fp32 matmuls, no cuDNN autotuning), fed by a torchvision
  ``DataLoader`` whose workers decode each image to PIL and apply the paper's augmentation as
  ``torchvision.transforms``, into pinned memory on CUDA.

Nothing here reads a dataset or downloads: the images are random (speed does not depend on them), and
DSVA's CLIP tower is a random-init Hugging Face folder in the real format
(:func:`rsrepro.rehearsal.weights.write_clip`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
import yaml

from rsrepro.dsva.settings import merged
from rsrepro.rehearsal.projection import dsva_workload
from rsrepro.training.augment import IMAGENET_MEAN, IMAGENET_STD
from rsrepro.training.distributed import SINGLE_PROCESS
from rsrepro.training.precision import Precision
from rsrepro.training.sums import DeviceSums
from rsrepro.training.throughput import SteadyClock

REPO = Path(__file__).resolve().parents[3]
LSENET_CLASSES = 45  # NWPU-RESISC45, the preset's largest head
SWAN_VOCABULARY = 2000  # words (+ padding); its size changes nothing but the embedding table
DSVA_ATTRIBUTES, DSVA_SEEN = 98, 60  # RSSDIVCS: 98 attributes in 3 groups; 60/10's seen classes
CAPTION_WORDS = (8, 24)  # token counts drawn per caption (RSITMD's and RSICD's are mostly in this range)
# Small enough for a CPU in seconds, over the same code: the embedded preset's small LSE-Net and SWAN, a
# narrow CLIP tower (its 7 x 7 grid kept), 64 px stored images, small batches.
TINY_IMAGE_SIZE = 64
TINY = {
    "lsenet": {"model": {"backbone": "small", "width": 32}, "train": {"batch_size": 8, "crop_size": 56}},
    "swan": {"model": {"arch": "embedded"}, "train": {"batch_size": 8, "resize": 70, "crop": 64}},
    "dsva": {"train": {"ways": 4, "shots": 2}},
}


def preset_config(*overlays: Path) -> dict[str, Any]:
    """params.yaml with ``overlays`` over it (as ``snakemake --configfile`` merges them)."""
    config = yaml.safe_load((REPO / "params.yaml").read_text())
    for overlay in overlays:
        config = merged(config, yaml.safe_load(Path(overlay).read_text()) or {})
    return config


def paper_preset() -> dict[str, Any]:
    return preset_config(REPO / "config/paper.yaml")


def labels(rows: np.ndarray, classes: int, device: torch.device) -> torch.Tensor:
    return torch.from_numpy(rows % classes).to(device)


@dataclass
class ImageCache:
    """The part of a prepared dataset the trainers' epochs and DSVA's prediction read: the uint8 images
    and a class per image (row i is class i mod ``classes``)."""

    images: np.ndarray
    classes: int = 1

    @property
    def class_idx(self) -> np.ndarray:
        return np.arange(len(self.images)) % self.classes


@contextlib.contextmanager
def precision_mode(precision: Precision | None, device: torch.device) -> Iterator[None]:
    """This process's CUDA math modes as a training job under ``precision`` sets them
    (:meth:`Precision.apply`), or PyTorch's defaults (``None``: fp32 matmuls, no cuDNN autotuning);
    restored afterwards, so that workloads measured one after another do not inherit each other's."""
    saved = torch.get_float32_matmul_precision(), torch.backends.cudnn.benchmark
    if precision is not None:
        precision.apply(device)
    elif device.type == "cuda":
        torch.set_float32_matmul_precision("highest")
        torch.backends.cudnn.benchmark = False
    try:
        yield
    finally:
        torch.set_float32_matmul_precision(saved[0])
        torch.backends.cudnn.benchmark = saved[1]


@dataclass
class Epoch:
    """What a workload's epoch of the trainer's steps gives: the record of the trainer's clock
    (:meth:`SteadyClock.record`: ``rate`` over the steps after the first, ``train_samples`` and
    ``train_seconds`` over all), taken when the steps were done, and the mean loss, read after it."""

    loss: float
    record: dict[str, float]

    @classmethod
    def of(cls, clock: SteadyClock, losses: DeviceSums, count: float, name: str) -> Epoch:
        record = clock.record("rate")  # before the loss is read, which waits for the device
        return cls(losses.means(count, SINGLE_PROCESS)[name], record)


@dataclass
class Workload:
    """One paper model at one precision and phase: how to build it, train an epoch and evaluate it."""

    paper: str
    train_key: str  # the projection's workload names
    eval_key: str | None
    unit: str  # a training sample: images or image-caption pairs
    batch: int
    cfg: dict[str, Any]  # the paper's train settings
    model_cfg: dict[str, Any] = field(default_factory=dict)
    clip_dir: Path | None = None
    classes: int = 1  # of the training images (a classification head's size)

    @property
    def policy(self) -> Precision:
        """The trainer's precision policy for these settings (what ``train_run`` applies)."""
        raise NotImplementedError

    def precision(self, device: torch.device) -> str:
        """What a step computes in on ``device`` (the CPU always runs fp32)."""
        if device.type != "cuda":
            return "fp32"
        return "bf16" if self.policy.bf16 else "tf32" if self.policy.tf32_matmul else "fp32"

    # -- implemented per paper -------------------------------------------------------------------
    def build(self, device: torch.device) -> torch.nn.Module:
        """The project's model with the preset's settings, on ``device``."""
        raise NotImplementedError

    def build_baseline(self, device: torch.device) -> torch.nn.Module:
        """A fresh model of the same architecture with PyTorch's defaults (no memory-format change)."""
        return self.build(device)

    def optimizer(self, model: torch.nn.Module) -> torch.optim.Optimizer:
        raise NotImplementedError

    def epoch(
        self,
        model: torch.nn.Module,
        optimizer: torch.optim.Optimizer,
        cache: ImageCache,
        steps: int,
        generator: torch.Generator,
        batch: int | None = None,
    ) -> Epoch:
        """``steps`` optimiser steps of the trainer's own ``epoch_steps`` over ``cache`` at ``batch``
        samples a step (default: the preset's), run in :func:`precision_mode` by the caller."""
        raise NotImplementedError

    def baseline_transforms(self) -> list[torch.nn.Module]:
        """The paper's augmentation as torchvision transforms (before ToTensor and Normalize)."""
        raise NotImplementedError

    def baseline_loss(self, model: torch.nn.Module, x: torch.Tensor, rows: np.ndarray) -> torch.Tensor:
        raise NotImplementedError

    def evaluate(self, model: torch.nn.Module, images: np.ndarray, rows: np.ndarray) -> None:
        """The paper's own evaluation code over ``rows`` (results discarded)."""
        raise NotImplementedError

    # -- shared ------------------------------------------------------------------------------------
    def cache(self, images: np.ndarray) -> ImageCache:
        return ImageCache(images, self.classes)

    def checkpoint(self, model: torch.nn.Module, optimizer: torch.optim.Optimizer) -> dict[str, Any]:
        """What the trainer's EpochLoop saves in ``last.pt`` (DSVA rebuilds its optimiser each epoch
        and saves the model alone)."""
        components = {"model": model.state_dict()}
        if self.paper != "dsva":
            components["optimizer"] = optimizer.state_dict()
        return {"components": components}

    def baseline_step(self, model: torch.nn.Module, optimizer: torch.optim.Optimizer):
        """fp32 eager: forward, loss, backward, step; no autocast, no memory-format change."""

        def step(x: torch.Tensor, rows: np.ndarray) -> None:
            loss = self.baseline_loss(model, x, rows)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()

        return step


def rows_for(steps: int, batch: int, cache: ImageCache) -> np.ndarray:
    """``steps`` batches' worth of training rows of ``cache`` (rows repeat when it holds fewer)."""
    return np.arange(steps * batch) % len(cache.images)


class LSENetWorkload(Workload):
    @property
    def policy(self) -> Precision:
        return Precision(bf16=self.cfg["amp"])

    def build_baseline(self, device: torch.device) -> torch.nn.Module:
        from rsrepro.lsenet.train import build_from_config

        return build_from_config({**self.model_cfg, "pretrained": False}, LSENET_CLASSES, "full").to(device)

    def build(self, device: torch.device) -> torch.nn.Module:
        model = self.build_baseline(device)  # as lsenet.train's train_run
        return model.to(memory_format=torch.channels_last) if self.cfg["channels_last"] else model

    def optimizer(self, model: torch.nn.Module) -> torch.optim.Optimizer:
        return torch.optim.Adam(model.parameters(), lr=self.cfg["lr"])

    def epoch(self, model, optimizer, cache, steps, generator, batch=None) -> Epoch:
        from rsrepro.lsenet.train import epoch_steps

        device = next(model.parameters()).device
        cfg = {**self.cfg, "batch_size": batch or self.batch}
        # train_run compiles the forward on CUDA when asked; dynamo reuses its code on later calls
        net = torch.compile(model) if cfg["compile"] and device.type == "cuda" else model
        rows = rows_for(steps, cfg["batch_size"], cache)
        sums, clock, images = epoch_steps(model, net, optimizer, cache, rows, cfg, device, generator)
        return Epoch.of(clock, sums, images, "train_loss")

    def baseline_transforms(self) -> list[torch.nn.Module]:
        from torchvision import transforms as T

        rotations = [T.RandomRotation((a, a)) for a in (0, 90, 180, 270)]
        return [
            T.RandomCrop(self.cfg["crop_size"]),
            T.RandomHorizontalFlip(),
            T.RandomVerticalFlip(),
            T.RandomChoice(rotations),
            T.ColorJitter(brightness=self.cfg["brightness"]),
        ]

    def baseline_loss(self, model, x, rows) -> torch.Tensor:
        from rsrepro.models.lsenet import conv_weight_l2

        ce = F.cross_entropy(model(x), labels(rows, LSENET_CLASSES, x.device))
        return ce + self.cfg["weight_decay"] * conv_weight_l2(model)

    def evaluate(self, model, images, rows) -> None:
        from rsrepro.lsenet.predict import predict_logits

        device = next(model.parameters()).device
        kw = {"amp": self.cfg["amp"], "channels_last": self.cfg["channels_last"]}
        predict_logits(model, images, rows, device, batch_size=self.cfg["eval_batch_size"], **kw)


@dataclass
class SwanWorkload(Workload):
    variant: str = "faithful"

    @property
    def policy(self) -> Precision:
        from rsrepro.swan.train import FAITHFUL

        return Precision.of_variant(FAITHFUL[self.variant], self.cfg["tf32_matmul"])

    def build(self, device: torch.device) -> torch.nn.Module:
        from rsrepro.swan.text import Vocabulary
        from rsrepro.swan.train import build_model

        vocab = Vocabulary(tuple(f"w{i}" for i in range(SWAN_VOCABULARY)))
        cfg = {**self.model_cfg, "backbone_weights": None, "word_vectors": "none"}
        return build_model(cfg, vocab, self.variant).to(device)

    def optimizer(self, model) -> torch.optim.Optimizer:
        return torch.optim.Adam(model.trainable_parameters(), lr=self.cfg["lr"])

    def captions(self, n: int, seed: int = 0) -> list[list[int]]:
        rng = np.random.default_rng(seed)
        return [rng.integers(1, SWAN_VOCABULARY, rng.integers(*CAPTION_WORDS)).tolist() for _ in range(n)]

    def epoch(self, model, optimizer, cache, steps, generator, batch=None) -> Epoch:
        from rsrepro.swan.data import CaptionSet
        from rsrepro.swan.train import epoch_steps, image_pipeline

        device = next(model.parameters()).device
        # as train_run: the policy's autocast; one caption per image, so an epoch is one pair per image
        cfg = {**self.cfg, "batch_size": batch or self.batch, "amp": self.policy.bf16}
        rows = rows_for(steps, cfg["batch_size"], cache)
        captions = CaptionSet(rows, self.captions(len(rows)), np.arange(len(rows)))
        pipeline = image_pipeline(cfg, device, self.variant)
        sums, clock, batches = epoch_steps(model, optimizer, cache, captions, pipeline, cfg, generator)
        return Epoch.of(clock, sums, batches, "loss")

    def baseline_transforms(self) -> list[torch.nn.Module]:
        from torchvision import transforms as T

        return [
            T.Resize(self.cfg["resize"]),
            T.RandomRotation(self.cfg["max_rotation"]),
            T.RandomCrop(self.cfg["crop"]),
        ]

    def baseline_loss(self, model, x, rows) -> torch.Tensor:
        from rsrepro.swan.data import pad_tokens
        from rsrepro.swan.train import hinge_triplet_loss

        tokens, lengths = pad_tokens(self.captions(len(rows), seed=int(rows[0])))
        image, text = model(x, tokens.to(x.device), lengths)
        return hinge_triplet_loss(image, text, self.cfg["margin"], self.cfg["max_violation"])

    def evaluate(self, model, images, rows) -> None:
        """Every image and its five captions encoded, as validation and test do."""
        from rsrepro.swan.data import CaptionSet
        from rsrepro.swan.encode import encode_captions, encode_images
        from rsrepro.swan.train import image_pipeline

        device = next(model.parameters()).device
        batch = self.cfg["eval_batch_size"]
        encode_images(model, images, rows, image_pipeline(self.cfg, device, self.variant), batch)
        owner = np.repeat(np.arange(len(rows)), 5)
        captions = CaptionSet(np.asarray(rows), self.captions(len(owner)), owner)
        encode_captions(model, captions, device, batch, self.cfg["val_shard_size"])


@dataclass
class DSVAWorkload(Workload):
    warm: bool = False  # a warm-up epoch: tower and LayerNorm frozen, prototypes and head trained

    @property
    def policy(self) -> Precision:
        return Precision.of_variant(self.cfg["faithful"], self.cfg["tf32_matmul"])

    def build(self, device: torch.device) -> torch.nn.Module:
        from rsrepro.models.dsva import HFClipVisionTower, dsva

        groups = [list(range(k, DSVA_ATTRIBUTES, 3)) for k in range(3)]
        tower = HFClipVisionTower(str(self.clip_dir))
        return dsva(tower, DSVA_ATTRIBUTES, groups, crop=self.cfg["crop_branch"]).to(device)

    def optimizer(self, model) -> torch.optim.Optimizer:
        # as dsva.train's train_epoch: the phase's trainable parameters, a fresh Adam every epoch
        for p in [*model.tower.parameters(), *model.norm.parameters()]:
            p.requires_grad_(not self.warm)
        params = model.head_parameters() if self.warm else list(model.parameters())
        lr = self.cfg["warmup_lr"] if self.warm else self.cfg["lr"]
        return torch.optim.Adam(params, lr=lr, betas=tuple(self.cfg["betas"]))

    def matrix(self, device: torch.device) -> torch.Tensor:
        return torch.rand(DSVA_SEEN, DSVA_ATTRIBUTES, generator=torch.Generator().manual_seed(0)).to(device)

    def epoch(self, model, optimizer, cache, steps, generator, batch=None) -> Epoch:
        from rsrepro.dsva.train import epoch_steps

        device = next(model.parameters()).device
        cfg = {**self.cfg, "batches_per_epoch": steps}
        if batch is not None and batch != self.batch:  # episodes of ``batch`` classes, one image each
            cfg.update(ways=batch, shots=1)
        # every seen class holds a shot's images (rows repeat when the cache holds fewer)
        rows = rows_for(cfg["shots"], DSVA_SEEN, cache)
        y = np.arange(len(rows)) % DSVA_SEEN
        sums, clock = epoch_steps(
            model, model, optimizer, cache, rows, y, self.matrix(device), cfg, self.warm, device, generator
        )
        return Epoch.of(clock, sums, steps, "loss")

    def baseline_transforms(self) -> list[torch.nn.Module]:
        from torchvision import transforms as T

        size = self.cfg["image"]
        return [T.Resize(size["resize"]), T.RandomCrop(size["crop"]), T.RandomHorizontalFlip()]

    def baseline_loss(self, model, x, rows) -> torch.Tensor:
        from rsrepro.dsva.train import dsva_loss

        y = labels(rows, DSVA_SEEN, x.device)
        return dsva_loss(model, model(x), y, self.matrix(x.device), self.cfg, self.warm)[0]

    def evaluate(self, model, images, rows) -> None:
        from rsrepro.dsva.train import predict

        predict(model, ImageCache(images), rows, self.cfg, next(model.parameters()).device)


def image_size(config: dict[str, Any]) -> int:
    """The side of the prepared images the papers' datasets train on (the paper preset: 256)."""
    datasets = [*config["lsenet"]["datasets"], *config["swan"]["datasets"], *config["dsva"]["datasets"]]
    return max(config["data"][name]["image_size"] for name in datasets)


def workloads(
    config: dict[str, Any], clip_dir: Path | None = None, dsva_crops: tuple[bool, ...] = (True,)
) -> dict[str, Workload]:
    """The preset's workloads by training key: LSE-Net, SWAN (its first variant: the projection prices
    SWAN's variants alike), and per DSVA variant and crop branch setting (by default with it, as most of
    the preset's settings: those without it train the same tower with less work) its fine-tuning and
    warm-up phases."""
    lsenet, swan, dsva = config["lsenet"], config["swan"], config["dsva"]
    out: list[Workload] = [
        LSENetWorkload(
            "lsenet", "lsenet train", "lsenet test", "images", lsenet["train"]["batch_size"],
            lsenet["train"], lsenet["model"], classes=LSENET_CLASSES,
        ),
        SwanWorkload(
            "swan", "swan train", "swan encode", "pairs", swan["train"]["batch_size"], swan["train"],
            swan["model"], variant=swan["variants"][0],
        ),
    ]  # fmt: skip
    for variant, crop, warm in itertools.product(dsva["variants"], dsva_crops, (False, True)):
        cfg = {**dsva["train"], "faithful": variant == "faithful", "crop_branch": crop}
        out.append(
            DSVAWorkload(
                "dsva",
                dsva_workload(variant, crop, "warm-up" if warm else "fine-tune"),
                None if warm else dsva_workload(variant, crop, "predict"),
                "images",
                cfg["ways"] * cfg["shots"],
                cfg,
                clip_dir=clip_dir,
                warm=warm,
            )
        )
    return {w.train_key: w for w in out}


def with_tf32_matmul(workload: Workload) -> Workload:
    """A faithful (fp32) workload with ``tf32_matmul: true``, keyed ``<key> tf32``, its training only."""
    cfg = {**workload.cfg, "tf32_matmul": True}
    return dataclasses.replace(workload, train_key=f"{workload.train_key} tf32", eval_key=None, cfg=cfg)


def random_images(path: Path, n: int, size: int, seed: int = 0) -> np.ndarray:
    """A memory-mapped uint8 N x size x size x 3 cache of random images (the prepared datasets' form)."""
    array = np.lib.format.open_memmap(path, mode="w+", dtype=np.uint8, shape=(n, size, size, 3))
    for start in range(0, n, 256):
        block = array[start : start + 256]
        block[:] = np.random.default_rng([seed, start]).integers(0, 256, block.shape, dtype=np.uint8)
    array.flush()
    del array
    return np.load(path, mmap_mode="r")


def forever(make: Callable[[], Iterator]) -> Iterator:
    while True:
        yield from make()


class CachedImages(torch.utils.data.Dataset):
    """The baseline's dataset: a cached image as a PIL image through torchvision transforms."""

    def __init__(self, images: np.ndarray, transform: Callable) -> None:
        self.images, self.transform = images, transform

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, int]:
        from PIL import Image

        return self.transform(Image.fromarray(np.asarray(self.images[i]))), i


def baseline_batches(
    workload: Workload, images: np.ndarray, workers: int, device: torch.device
) -> Iterator[tuple[torch.Tensor, np.ndarray]]:
    """The baseline's input: a shuffling DataLoader with ``workers`` processes, pinned memory on CUDA."""
    from torchvision import transforms as T

    tensor = [T.ToTensor(), T.Normalize(IMAGENET_MEAN, IMAGENET_STD)]
    transform = T.Compose([*workload.baseline_transforms(), *tensor])
    loader = torch.utils.data.DataLoader(
        CachedImages(images, transform),
        batch_size=workload.batch,
        shuffle=True,
        drop_last=True,
        num_workers=workers,
        pin_memory=device.type == "cuda",
        persistent_workers=workers > 0,
    )
    return forever(lambda: ((x.to(device, non_blocking=True), i.numpy()) for x, i in loader))
