"""DSVA throughput: attribute collection (images/s scored), training and evaluation (images/s).

    PYTHONPATH=src python benchmarks/bench_dsva.py            # embedded sizes on CPU; paper size too on CUDA
    PYTHONPATH=src python benchmarks/bench_dsva.py --smoke    # tiny sizes, a few steps

The paper-size model is a ViT-B/32-shaped tower (224 px, 32 px patches -> 7 x 7, width 768, 12 layers) with
random weights: clip-rsicd has this shape, and throughput does not depend on the weights. On CUDA the
training is measured for both variants: faithful in fp32 (as the released code), corrected in bf16 autocast.
"""

from __future__ import annotations

import argparse
import time
from types import SimpleNamespace

import numpy as np
import torch

from rsrepro.dsva.attributes import embed_images
from rsrepro.dsva.images import image_batch
from rsrepro.dsva.sampler import episodes
from rsrepro.dsva.train import dsva_loss
from rsrepro.models.dsva import dsva, image_text_model, patch_vit
from rsrepro.training.device import autocast

EMBEDDED = {"resize": 64, "crop": 56, "patch_size": 8, "dim": 64, "depth": 3, "heads": 4, "attributes": 38}
PAPER = {"resize": 256, "crop": 224, "patch_size": 32, "dim": 768, "depth": 12, "heads": 12, "attributes": 98}
LOSS = {"xe": 1.0, "l_xe": 1.0, "attri": 0.01, "l_attri": 0.08, "cpt": 1e-9, "regular": 0.0, "l_regular": 0.0}


def random_images(n: int, size: int) -> np.ndarray:
    """Random uint8 images standing in for the prepared memmap."""
    return np.random.default_rng(0).integers(0, 255, (n, size, size, 3), dtype=np.uint8)


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def bench_collection(size: dict, device: torch.device, n: int, batch: int) -> float:
    tower = patch_vit(size["crop"], size["patch_size"], size["dim"], size["depth"], size["heads"])
    model = image_text_model(tower, 500, 24, 64, 1, 64).to(device).eval()
    images = SimpleNamespace(images=random_images(n, size["resize"]))
    sizes = {"resize": size["resize"], "crop": size["crop"]}
    with autocast(device, amp=True):
        embed_images(model.encode_image, images, np.arange(batch), sizes, device, batch, False)  # warm-up
        sync(device)
        start = time.perf_counter()
        embed_images(model.encode_image, images, np.arange(n), sizes, device, batch, False)
        sync(device)
    return n / (time.perf_counter() - start)


def bench_training(
    size: dict, device: torch.device, steps: int, faithful: bool, ways: int = 8, shots: int = 3
):
    tower = patch_vit(size["crop"], size["patch_size"], size["dim"], size["depth"], size["heads"])
    a = size["attributes"]
    model = dsva(tower, a, [list(range(0, a, 3)), list(range(1, a, 3)), list(range(2, a, 3))], crop=False).to(
        device
    )
    n_classes = 20
    images = random_images(n_classes * 10, size["resize"])
    labels = np.repeat(np.arange(n_classes), 10)
    matrix = torch.rand(n_classes, a, device=device)
    cfg = {"loss": LOSS, "faithful": faithful}
    sizes = {"resize": size["resize"], "crop": size["crop"]}
    opt = torch.optim.Adam(model.parameters(), lr=1e-6, betas=(0.5, 0.999))
    g = torch.Generator().manual_seed(0)
    batches = list(episodes(np.arange(len(labels)), labels, ways, shots, steps + 2, g))
    timed = 0
    for k, batch in enumerate(batches):
        if k == 2:  # two warm-up steps
            sync(device)
            start = time.perf_counter()
        x = image_batch(images, batch, device, sizes, train=True, generator=g)
        y = torch.from_numpy(labels[batch]).to(device)
        with autocast(device, amp=not faithful):
            out = model(x)
        loss, _ = dsva_loss(model, out, y, matrix, cfg, warm=False)
        opt.zero_grad()
        loss.backward()
        opt.step()
        timed += len(batch) if k >= 2 else 0
    sync(device)
    train_rate = timed / (time.perf_counter() - start)
    model.eval()
    with torch.no_grad(), autocast(device, amp=not faithful):
        start = time.perf_counter()
        n = 0
        for batch in np.array_split(np.arange(len(labels)), max(1, len(labels) // 64)):
            model(image_batch(images, batch, device, sizes, train=False))
            n += len(batch)
        sync(device)
    return train_rate, n / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny sizes and a few steps")
    # 1 thread by default: on a shared 2-core machine, 2 threads stall on each other and the figures scatter
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    cpu = torch.device("cpu")
    n, steps = (64, 2) if args.smoke else (2048, 60)
    print(f"device: cpu ({args.threads} threads); torch {torch.__version__}")
    rate = bench_collection(EMBEDDED, cpu, n, 64)
    print(f"embedded attribute collection (56 px, ViT 64x3): {rate:8.1f} images/s scored  [cpu]")
    train_rate, eval_rate = bench_training(EMBEDDED, cpu, steps, faithful=True)
    print(f"embedded DSVA training (8 ways x 3 shots):       {train_rate:8.1f} images/s  [cpu]")
    print(f"embedded DSVA evaluation:                        {eval_rate:8.1f} images/s  [cpu]")
    if torch.cuda.is_available():
        gpu = torch.device("cuda")
        print(f"device: {torch.cuda.get_device_name(0)}")
        rate = bench_collection(PAPER, gpu, 256 if args.smoke else 4096, 256)
        print(f"paper attribute collection (224 px, ViT-B/32):   {rate:8.1f} images/s scored  [cuda, bf16]")
        for faithful, precision in ((True, "fp32"), (False, "bf16")):
            train_rate, eval_rate = bench_training(PAPER, gpu, 5 if args.smoke else 100, faithful)
            tag = f"[cuda, {precision}]"
            print(f"paper DSVA training (ViT-B/32, 8 x 3, full FT):  {train_rate:8.1f} images/s  {tag}")
            print(f"paper DSVA evaluation:                           {eval_rate:8.1f} images/s  {tag}")
    else:
        print("no CUDA device: paper-size GPU figures skipped")


if __name__ == "__main__":
    main()
