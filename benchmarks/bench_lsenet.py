"""LSE-Net throughput: training and evaluation images/s of the embedded and the paper model.

    PYTHONPATH=src python benchmarks/bench_lsenet.py            # embedded (CPU) + paper model (GPU if any)
    PYTHONPATH=src python benchmarks/bench_lsenet.py --smoke    # tiny sizes, seconds

A training step is the real one (augmentation, forward, CE + conv L2, backward, Adam) on random images;
the paper model runs with bf16 autocast and channels_last when CUDA is present. Without a GPU the paper
model (VGG-16, 256 px, 224 crops) is only smoke-tested at batch 2.
"""

from __future__ import annotations

import argparse
import time

import torch
import torch.nn.functional as F

from rsrepro.lsenet.train import augment_batch
from rsrepro.models.lsenet import build_lsenet, conv_weight_l2
from rsrepro.training.augment import normalize
from rsrepro.training.device import autocast, pick_device

TRAIN_CFG = {"rot90_choices": 5, "brightness": 20 / 255}


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def measure(
    model_kw: dict, size: int, crop: int, batch: int, steps: int, device: torch.device, classes: int = 45
) -> tuple[float, float]:
    model = build_lsenet(classes, **model_kw).to(device)
    fast = device.type == "cuda"
    if fast:
        model = model.to(memory_format=torch.channels_last)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-4)
    images = torch.rand(batch, 3, size, size, device=device)
    labels = torch.randint(classes, (batch,), device=device)
    generator = torch.Generator().manual_seed(0)
    cfg = {**TRAIN_CFG, "crop_size": crop}

    def train_step() -> None:
        x = augment_batch(images, cfg, generator)
        if fast:
            x = x.contiguous(memory_format=torch.channels_last)
        with autocast(device, amp=True):
            loss = F.cross_entropy(model(x).float(), labels)
        loss = loss + 5e-4 * conv_weight_l2(model)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

    @torch.no_grad()
    def eval_step() -> None:
        x = normalize(images)
        if fast:
            x = x.contiguous(memory_format=torch.channels_last)
        with autocast(device, amp=True):
            model(x)

    rates = []
    for step, mode in ((train_step, model.train), (eval_step, model.eval)):
        mode()
        step()  # warm-up (cuDNN autotuning, allocator)
        sync(device)
        start = time.perf_counter()
        for _ in range(steps):
            step()
        sync(device)
        rates.append(batch * steps / (time.perf_counter() - start))
    return rates[0], rates[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny sizes (seconds)")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    cpu, device = torch.device("cpu"), pick_device("auto")
    embedded = {"backbone": "small", "levels": 2, "width": 32, "bn_momentum": 0.1}
    paper = {"backbone": "vgg16", "levels": 2, "width": 256}
    steps = 2 if args.smoke else 10
    print(f"torch {torch.__version__}, CPU threads {torch.get_num_threads()}, device {device}")
    if device.type == "cuda":
        print(f"GPU: {torch.cuda.get_device_name()}")
    train, evaluate = measure(embedded, 64, 56, 32, steps, cpu, classes=28)
    print(
        f"embedded (small CNN, 64 px, crop 56, batch 32, CPU): "
        f"train {train:.0f} img/s, eval {evaluate:.0f} img/s"
    )
    if device.type == "cuda":
        batch, steps = (8, 2) if args.smoke else (32, 20)
        train, evaluate = measure(paper, 256, 224, batch, steps, device)
        print(
            f"paper (VGG-16, 256 px, crop 224, batch {batch}, {device}, bf16 + channels_last): "
            f"train {train:.1f} img/s, eval {evaluate:.1f} img/s"
        )
    else:
        train, evaluate = measure(paper, 256, 224, 2, 1, cpu)
        print(
            f"paper (VGG-16, 256 px, crop 224, batch 2, CPU smoke): "
            f"train {train:.2f} img/s, eval {evaluate:.2f} img/s"
        )


if __name__ == "__main__":
    main()
