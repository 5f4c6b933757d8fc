"""SWAN benchmarks: evaluation from embeddings at RSICD size, a full test pass, training throughput.

    PYTHONPATH=src python benchmarks/bench_swan.py [--smoke] [--threads N]

Prints one line per figure. The paper model (ResNet-50 at 256 px, bf16 autocast) is measured only where
CUDA is present.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import numpy as np
import torch

from rsrepro.metrics.retrieval import retrieval_metrics
from rsrepro.models.swan import SWAN, swan_embedded, swan_paper
from rsrepro.swan.data import pad_tokens
from rsrepro.swan.train import hinge_triplet_loss
from rsrepro.training import augment

RSICD_TEST = (1093, 5)  # images, captions per image
VOCAB = 1225


def timed(fn: Callable[[], object], repeats: int) -> float:
    """Median seconds of ``repeats`` calls after one warm-up call."""
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def random_captions(n: int, rng: np.random.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    return pad_tokens([rng.integers(1, VOCAB, rng.integers(6, 20)).tolist() for _ in range(n)])


def bench_eval_from_embeddings(n_images: int, dim: int, repeats: int) -> None:
    rng = np.random.default_rng(0)
    images = torch.nn.functional.normalize(torch.randn(n_images, dim), dim=1)
    captions = torch.nn.functional.normalize(torch.randn(n_images * RSICD_TEST[1], dim), dim=1)
    owner = np.repeat(np.arange(n_images), RSICD_TEST[1])
    scenes = rng.choice([f"scene{i}" for i in range(30)] + [""], n_images)
    seconds = timed(lambda: retrieval_metrics(images, captions, owner, scenes), repeats)
    print(f"eval from embeddings: {n_images} images x {len(captions)} captions, {dim}-d: {seconds:.3f} s "
          "(R@K, mR, ranks, SR@1/5/10 both ways)")  # fmt: skip


@torch.no_grad()
def bench_full_test_pass(model: SWAN, n_images: int, size: int, device: torch.device, batch: int) -> None:
    """Encode every image and caption once, then all metrics: images/s of the whole pass."""
    model.eval().to(device)
    rng = np.random.default_rng(0)
    images = torch.rand(n_images, 3, size, size)
    tokens, lengths = random_captions(n_images * RSICD_TEST[1], rng)

    def run() -> None:
        img = torch.cat([model.image(augment.normalize(images[i : i + batch].to(device))).float().cpu()
                         for i in range(0, n_images, batch)])  # fmt: skip
        txt = torch.cat([model.text(tokens[i : i + batch].to(device), lengths[i : i + batch]).float().cpu()
                         for i in range(0, len(tokens), batch)])  # fmt: skip
        retrieval_metrics(img, txt, np.repeat(np.arange(n_images), RSICD_TEST[1]))

    seconds = timed(run, 1)
    print(f"full test pass ({model.cfg.backbone}, {size} px, {device}): {n_images} images + "
          f"{len(tokens)} captions in {seconds:.2f} s = {n_images / seconds:.0f} images/s")  # fmt: skip


def bench_training(model: SWAN, size: int, device: torch.device, batch: int, steps: int, bf16: bool) -> None:
    model.train().to(device)
    optimizer = torch.optim.Adam(model.trainable_parameters(), lr=2e-4)
    rng = np.random.default_rng(0)
    images = torch.rand(batch, 3, size, size, device=device)
    tokens, lengths = random_captions(batch, rng)
    tokens = tokens.to(device)

    def step() -> None:
        with torch.autocast(device.type, torch.bfloat16, enabled=bf16):
            image, text = model(augment.normalize(images), tokens, lengths)
            loss = hinge_triplet_loss(image.float(), text.float(), 0.2, False)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        if device.type == "cuda":
            torch.cuda.synchronize()

    seconds = timed(step, steps)
    precision = "bf16" if bf16 else "fp32"
    print(f"training ({model.cfg.backbone}, {size} px, batch {batch}, {precision}, {device}): "
          f"{batch / seconds:.0f} pairs/s")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny sizes (a check that it runs)")
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: default)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    cpu = torch.device("cpu")
    print(f"device: {torch.cuda.get_device_name() if torch.cuda.is_available() else 'CPU'}, "
          f"torch threads {torch.get_num_threads()}")  # fmt: skip
    n_images = 50 if args.smoke else RSICD_TEST[0]
    bench_eval_from_embeddings(n_images, 512, 1 if args.smoke else 5)
    embedded = swan_embedded(VOCAB, faithful=False)
    bench_full_test_pass(embedded, n_images, 64, cpu, 256)
    bench_training(embedded, 64, cpu, 100, 1 if args.smoke else 5, bf16=False)
    if torch.cuda.is_available():
        gpu = torch.device("cuda")
        paper = swan_paper(VOCAB, faithful=True)
        bench_full_test_pass(paper, n_images, 256, gpu, 256)
        bench_training(paper, 256, gpu, 100, 2 if args.smoke else 20, bf16=True)


if __name__ == "__main__":
    main()
