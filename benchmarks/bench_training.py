"""Training and evaluation throughput of the three papers' models: this pipeline vs the usual baseline.

    PYTHONPATH=src python benchmarks/bench_training.py             # paper-preset sizes (meant for a GPU)
    PYTHONPATH=src python benchmarks/bench_training.py --smoke     # embedded sizes, a few steps (CPU: s)
    PYTHONPATH=src python benchmarks/bench_training.py --compile   # the pipeline's model under torch.compile

Two ways to feed and run each model (the real augmentation and loss of its paper):

- ``pipeline`` (what the workflow does): batches read from a memory-mapped uint8 cache, converted and
  augmented on the training device; on CUDA bf16 autocast and channels_last (CNNs).
- ``baseline`` (what a researcher would write): a torchvision ``DataLoader`` whose worker processes decode
  each image to PIL and apply ``torchvision.transforms``; fp32 eager PyTorch.

Per model and way: train images/s (image-caption pairs/s for SWAN), eval images/s, peak memory (CUDA:
allocator peak; CPU: the process's peak RSS, DataLoader workers not included), the device, and the share
of training step time spent on data (the pipeline prepares a batch in the step; the baseline waits for its
loader); then the pipeline/baseline training speed ratio. The images are random (speed does not depend on
them); sizes follow config/paper.yaml, or params.yaml's embedded preset with ``--smoke``.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import resource
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset
from torchvision import transforms

from rsrepro.dsva.images import image_batch
from rsrepro.dsva.train import dsva_loss
from rsrepro.lsenet.train import augment_batch
from rsrepro.models.dsva import dsva, patch_vit
from rsrepro.models.lsenet import build_lsenet, conv_weight_l2
from rsrepro.models.swan import swan_embedded, swan_paper
from rsrepro.swan.data import ImagePipeline, pad_tokens
from rsrepro.swan.train import hinge_triplet_loss
from rsrepro.training.augment import IMAGENET_MEAN, IMAGENET_STD, normalize
from rsrepro.training.batches import index_batches, load_images
from rsrepro.training.device import pick_device

VOCAB = 1225  # RSICD's vocabulary size


@dataclass
class Model:
    """One paper's model at one size, with its training loss and both ways to make its input."""

    name: str
    unit: str  # what a training sample is
    net: torch.nn.Module
    stored: int  # side of the cached images
    batch: int
    augment: Callable[[np.ndarray, np.ndarray, torch.Generator], torch.Tensor]  # pipeline, on device
    train_transform: transforms.Compose  # baseline, in DataLoader workers
    eval_size: int
    loss: Callable[[torch.nn.Module, torch.Tensor, np.ndarray], torch.Tensor]
    channels_last: bool = False


def baseline_transform(*ops: torch.nn.Module) -> transforms.Compose:
    return transforms.Compose(
        [*ops, transforms.ToTensor(), transforms.Normalize(IMAGENET_MEAN, IMAGENET_STD)]
    )


def lsenet(device: torch.device, smoke: bool) -> Model:
    classes, stored, crop = (28, 64, 56) if smoke else (45, 256, 224)
    kw = {"backbone": "small", "width": 32} if smoke else {"backbone": "vgg16", "width": 256}
    cfg = {"crop_size": crop, "rot90_choices": 5, "brightness": 20 / 255}

    def loss(net: torch.nn.Module, x: torch.Tensor, rows: np.ndarray) -> torch.Tensor:
        y = torch.from_numpy(rows % classes).to(x.device)
        return F.cross_entropy(net(x).float(), y) + 5e-4 * conv_weight_l2(net)

    return Model(
        "LSE-Net",
        "images",
        build_lsenet(classes, levels=2, **kw).to(device),
        stored,
        8 if smoke else 32,
        lambda images, rows, g: augment_batch(load_images(images, rows, device), cfg, g),
        baseline_transform(
            transforms.RandomCrop(crop), transforms.RandomHorizontalFlip(), transforms.RandomVerticalFlip()
        ),
        stored,
        loss,
        channels_last=True,
    )


def swan(device: torch.device, smoke: bool) -> Model:
    stored, resize, crop = (64, 70, 64) if smoke else (256, 278, 256)
    pipeline = ImagePipeline({"resize": resize, "crop": crop, "max_rotation": 90}, device)
    builder = swan_embedded if smoke else swan_paper
    rng = np.random.default_rng(0)

    def loss(net: torch.nn.Module, x: torch.Tensor, rows: np.ndarray) -> torch.Tensor:
        tokens, lengths = pad_tokens([rng.integers(1, VOCAB, rng.integers(6, 20)).tolist() for _ in rows])
        image, text = net(x, tokens.to(x.device), lengths)
        return hinge_triplet_loss(image.float(), text.float(), 0.2, False)

    return Model(
        "SWAN",
        "pairs",
        builder(VOCAB, faithful=False, train_backbone=False).to(device),
        stored,
        8 if smoke else 100,
        pipeline.train,
        baseline_transform(
            transforms.Resize(resize), transforms.RandomRotation(90), transforms.RandomCrop(crop)
        ),
        crop,
        loss,
        channels_last=True,
    )


def dsva_model(device: torch.device, smoke: bool) -> Model:
    size = (
        {"resize": 64, "crop": 56, "patch": 8, "dim": 64, "depth": 3, "heads": 4, "attributes": 38}
        if smoke
        else {"resize": 256, "crop": 224, "patch": 32, "dim": 768, "depth": 12, "heads": 12, "attributes": 98}
    )
    a = size["attributes"]
    tower = patch_vit(size["crop"], size["patch"], size["dim"], size["depth"], size["heads"])
    net = dsva(tower, a, [list(range(k, a, 3)) for k in range(3)], crop=False).to(device)
    matrix = torch.rand(8, a, device=device)
    cfg = {"faithful": True, "loss": {"xe": 1.0, "l_xe": 1.0, "attri": 0.01, "l_attri": 0.08, "cpt": 1e-9}}
    cfg["loss"].update(regular=0.0, l_regular=0.0)
    sizes = {"resize": size["resize"], "crop": size["crop"]}

    def loss(model: torch.nn.Module, x: torch.Tensor, rows: np.ndarray) -> torch.Tensor:
        y = torch.from_numpy(rows % 8).to(x.device)
        return dsva_loss(net, model(x), y, matrix, cfg, warm=False)[0]

    return Model(
        "DSVA",
        "images",
        net,
        size["resize"],
        24,  # 8 ways x 3 shots
        lambda images, rows, g: image_batch(images, rows, device, sizes, train=True, generator=g),
        baseline_transform(transforms.RandomCrop(size["crop"]), transforms.RandomHorizontalFlip()),
        size["crop"],
        loss,
    )


class CachedImages(Dataset):
    """The baseline's dataset: images of the uint8 cache as PIL images through torchvision transforms."""

    def __init__(self, images: np.ndarray, transform: Callable) -> None:
        self.images, self.transform = images, transform

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, int]:
        from PIL import Image

        return self.transform(Image.fromarray(np.asarray(self.images[i]))), i


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def peak_memory_mb(device: torch.device) -> float:
    if device.type == "cuda":
        return torch.cuda.max_memory_allocated() / 2**20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed_steps(
    batches: Iterator[tuple[torch.Tensor, np.ndarray]],
    step: Callable[[torch.Tensor, np.ndarray], None],
    steps: int,
    device: torch.device,
) -> tuple[float, float]:
    """Samples/s over ``steps`` steps after one warm-up step, and the share of time spent getting data."""
    data_s = total_s = 0.0
    samples = 0
    for i in range(steps + 1):
        start = time.perf_counter()
        x, rows = next(batches)
        sync(device)
        ready = time.perf_counter()
        step(x, rows)
        sync(device)
        if i:  # the first step warms up (allocator, cuDNN autotuning, compilation)
            data_s, total_s, samples = (
                data_s + ready - start,
                total_s + time.perf_counter() - start,
                samples + len(x),
            )
    return samples / total_s, data_s / total_s


def measure(model: Model, images: np.ndarray, way: str, steps: int, device: torch.device, compile_: bool):
    fast = way == "pipeline" and device.type == "cuda"
    net = model.net.to(memory_format=torch.channels_last) if fast and model.channels_last else model.net
    if way == "pipeline" and compile_:
        net = torch.compile(net)
    precision = torch.autocast("cuda", torch.bfloat16) if fast else contextlib.nullcontext()
    layout = torch.channels_last if fast and model.channels_last else torch.contiguous_format
    optimizer = torch.optim.Adam([p for p in model.net.parameters() if p.requires_grad], lr=1e-5)
    generator = torch.Generator().manual_seed(0)

    def train_step(x: torch.Tensor, rows: np.ndarray) -> None:
        with precision:
            loss = model.loss(net, x.contiguous(memory_format=layout), rows)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

    @torch.no_grad()
    def eval_step(x: torch.Tensor, rows: np.ndarray) -> None:
        with precision:
            forward = model.net.image if model.name == "SWAN" else net
            forward(x.contiguous(memory_format=layout))

    def forever(make: Callable[[], Iterator]) -> Iterator:
        while True:
            yield from make()

    if way == "pipeline":
        order = np.arange(len(images))
        train_batches = forever(
            lambda: (
                (model.augment(images, b, generator), b)
                for b in index_batches(order, model.batch, shuffle=True, generator=generator, drop_last=True)
            )
        )
        eval_batches = forever(
            lambda: (
                (normalize(F.interpolate(load_images(images, b, device), size=model.eval_size)), b)
                for b in index_batches(order, model.batch, shuffle=False, drop_last=True)
            )
        )
    else:
        workers = min(4, os.cpu_count() or 1)
        eval_transform = baseline_transform(transforms.Resize(model.eval_size))

        def loader(transform: Callable, shuffle: bool) -> Iterator:
            batches = DataLoader(
                CachedImages(images, transform),
                batch_size=model.batch,
                shuffle=shuffle,
                num_workers=workers,
                pin_memory=device.type == "cuda",
                drop_last=True,
                persistent_workers=True,
            )
            return forever(lambda: ((x.to(device, non_blocking=True), i.numpy()) for x, i in batches))

        train_batches, eval_batches = loader(model.train_transform, True), loader(eval_transform, False)
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats()
    model.net.train()
    train_rate, data_share = timed_steps(train_batches, train_step, steps, device)
    model.net.eval()
    eval_rate, _ = timed_steps(eval_batches, eval_step, steps, device)
    return train_rate, eval_rate, peak_memory_mb(device), data_share


def cached_images(n: int, size: int, folder: Path) -> np.ndarray:
    """A memory-mapped uint8 N x H x W x 3 cache of random images, like the prepared datasets'."""
    path = folder / f"images_{size}.npy"
    array = np.lib.format.open_memmap(path, mode="w+", dtype=np.uint8, shape=(n, size, size, 3))
    array[:] = np.random.default_rng(0).integers(0, 256, array.shape, dtype=np.uint8)
    array.flush()
    return np.load(path, mmap_mode="r")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="embedded sizes, 2 steps")
    parser.add_argument(
        "--steps", type=int, default=None, help="timed steps per figure (default 20; smoke 2)"
    )
    parser.add_argument("--device", default="auto", help="auto | cpu | cuda")
    parser.add_argument("--compile", action="store_true", help="torch.compile the pipeline's model")
    parser.add_argument("--models", nargs="+", default=["lsenet", "swan", "dsva"])
    args = parser.parse_args()
    device = pick_device(args.device)
    steps = args.steps or (2 if args.smoke else 20)
    name = (
        torch.cuda.get_device_name() if device.type == "cuda" else f"CPU, {torch.get_num_threads()} threads"
    )
    print(f"device: {device} ({name}); torch {torch.__version__}; {'smoke' if args.smoke else 'paper'} sizes")
    builders = {"lsenet": lsenet, "swan": swan, "dsva": dsva_model}
    with tempfile.TemporaryDirectory(prefix="rsrepro-bench-") as tmp:
        for key in args.models:
            model = builders[key](device, args.smoke)
            images = cached_images(model.batch * (steps + 2), model.stored, Path(tmp))
            rates = {}
            for way in ("pipeline", "baseline"):
                train, evaluate, peak, data_share = measure(model, images, way, steps, device, args.compile)
                rates[way] = train
                print(
                    f"{model.name:8s} {way:8s} train {train:8.1f} {model.unit}/s"
                    f"  eval {evaluate:8.1f} images/s  peak {peak:8.0f} MB"
                    f"  data {100 * data_share:4.1f} % of step  batch {model.batch}"
                )
            ratio = rates["pipeline"] / rates["baseline"]
            print(f"{model.name:8s} pipeline / baseline training speed: {ratio:.2f}x")


if __name__ == "__main__":
    main()
