"""SWAN benchmarks: evaluation from embeddings at RSICD size, the test pass, training throughput.

    PYTHONPATH=src python benchmarks/bench_swan.py [--smoke] [--threads N] [--captions F --vocab F]

Prints one line per figure. The test pass, at RSICD's test shapes (1,093 images x 5,465 captions), is
timed three ways on the same faithful model: rsrepro's (every image and caption encoded once, captions
padded per released shard, every metric), its floor (one pass over the images plus one over the
captions), and the released algorithm (the whole model per 128 x 128 image x caption shard pair); the
largest difference between the two similarity matrices is printed too. The paper model (ResNet-50 at
256 px, training with bf16 autocast) is measured only where CUDA is present.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

from rsrepro.metrics.retrieval import metrics_from_similarity, retrieval_metrics
from rsrepro.models.swan import SWAN, swan_embedded, swan_paper
from rsrepro.swan.data import CaptionSet, pad_tokens
from rsrepro.swan.encode import encode_captions
from rsrepro.swan.text import Vocabulary
from rsrepro.swan.train import hinge_triplet_loss
from rsrepro.training import augment
from rsrepro.training.device import autocast

RSICD_TEST = (1093, 5)  # images, captions per image
VOCAB = 1225
TEST_SHARD = 128  # the released test scripts' --shard_size


def once(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def timed(fn: Callable[[], object], repeats: int) -> float:
    """Median seconds of ``repeats`` calls after one warm-up call."""
    fn()
    return statistics.median(once(fn) for _ in range(repeats))


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


def test_set(
    n_images: int, size: int, rng: np.random.Generator, captions: list[list[int]] | None
) -> tuple[torch.Tensor, CaptionSet, np.ndarray]:
    """uint8 images, 5 captions each and scenes. Captions: the given token lists, else random ones with
    lengths 1 + Poisson(11), at most 34 (RSICD's test captions average 11.4 tokens, at most 32)."""
    images = torch.from_numpy(rng.integers(0, 256, (n_images, 3, size, size), dtype=np.uint8))
    n_captions = RSICD_TEST[1] * n_images
    if captions is None:
        lengths = np.minimum(1 + rng.poisson(11, n_captions), 34)
        captions = [rng.integers(1, VOCAB, n).tolist() for n in lengths]
    owner = np.repeat(np.arange(n_images), RSICD_TEST[1])
    scenes = rng.choice([f"scene{i}" for i in range(30)] + [""], n_images)
    return images, CaptionSet(np.arange(n_images), captions[:n_captions], owner), scenes


@torch.no_grad()
def bench_test_pass(
    model: SWAN,
    n_images: int,
    size: int,
    device: torch.device,
    batch: int,
    shard: int,
    captions: list[list[int]] | None,
    repeats: int,
) -> None:
    """The faithful test pass (every image and caption encoded once, captions padded per released shard,
    all metrics) against its floor, one pass over the images plus one over the captions (sorted by length,
    each batch padded to its longest), and against the released algorithm: the whole model on every image
    shard x caption shard pair (``shard_dis_SWAN``), on the same model."""
    model.eval().to(device)
    images, captions, scenes = test_set(n_images, size, np.random.default_rng(0), captions)
    owner = torch.from_numpy(captions.caption_image)
    ties = "numpy" if model.cfg.faithful else "pessimistic"

    def pixels(rows: slice) -> torch.Tensor:
        return augment.normalize(images[rows].to(device).float() / 255)

    def image_pass() -> torch.Tensor:
        return torch.cat(
            [model.image(pixels(slice(i, i + batch))).float().cpu() for i in range(0, n_images, batch)]
        )

    def caption_pass() -> None:  # shortest first, so each batch's padding to its longest is the least
        by_length = sorted(captions.tokens, key=len)
        for i in range(0, len(by_length), batch):
            tokens, lengths = pad_tokens(by_length[i : i + batch])
            model.text(tokens.to(device), lengths).float().cpu()

    def test_pass() -> torch.Tensor:
        sims = image_pass() @ encode_captions(model, captions, device, batch, shard).T
        metrics_from_similarity(sims, owner, scenes, ties)
        return sims

    def sharded() -> torch.Tensor:
        sims = torch.empty(n_images, len(captions.tokens))
        for i in range(0, n_images, shard):
            for j in range(0, len(captions.tokens), shard):
                tokens, lengths = pad_tokens(captions.tokens[j : j + shard])
                image, text = model(pixels(slice(i, i + shard)), tokens.to(device), lengths)
                sims[i : i + shard, j : j + shard] = (image @ text.T).float().cpu()
        return sims

    # Interleaved rounds, medians: other load on the machine falls on all three alike.
    test_pass()
    rounds = [[once(image_pass), once(caption_pass), once(test_pass)] for _ in range(repeats)]
    image_seconds, caption_seconds, seconds = np.median(rounds, axis=0)
    floor = image_seconds + caption_seconds
    start = time.perf_counter()
    difference = float((sharded() - test_pass()).abs().max())
    sharded_seconds = time.perf_counter() - start - seconds  # less the test pass it was compared with
    pairs = -(-n_images // shard) * -(-len(captions.tokens) // shard)
    what = f"{model.cfg.backbone}, faithful={model.cfg.faithful}, {size} px, {device}"
    print(f"test pass ({what}): {n_images} images x {len(captions.tokens)} captions")
    print(f"  floor: one pass over the images {image_seconds:.2f} s + one over the captions "
          f"{caption_seconds:.2f} s = {floor:.2f} s (medians of {repeats} interleaved rounds)")  # fmt: skip
    print(f"  encode-once test pass (metrics included): {seconds:.2f} s = {seconds / floor:.2f}x the floor")
    print(f"  sharded, the released algorithm ({shard} x {shard}, {pairs} pairs): {sharded_seconds:.1f} s = "
          f"{sharded_seconds / seconds:.1f}x the test pass")  # fmt: skip
    print(f"  max |sharded - encode-once| similarity: {difference:.1e}")


def bench_training(model: SWAN, size: int, device: torch.device, batch: int, steps: int, bf16: bool) -> None:
    model.train().to(device)
    optimizer = torch.optim.Adam(model.trainable_parameters(), lr=2e-4)
    rng = np.random.default_rng(0)
    images = torch.rand(batch, 3, size, size, device=device)
    tokens, lengths = random_captions(batch, rng)
    tokens = tokens.to(device)

    def step() -> None:
        with autocast(device, bf16):
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
    parser.add_argument("--captions", type=Path, help="real test captions, one a line (SWAN's test_caps.txt)")
    parser.add_argument("--vocab", type=Path, help="with --captions: its vocabulary (*_splits_vocab.json)")
    args = parser.parse_args()
    vocab_size, captions = VOCAB, None
    if args.captions:
        vocab = Vocabulary.load(args.vocab)
        vocab_size = vocab.size
        captions = [vocab.encode(line, faithful=True) for line in args.captions.read_text().splitlines()]
        print(f"test captions: {args.captions} ({len(captions)}, faithful tokens)")
    if args.threads:
        torch.set_num_threads(args.threads)
    cpu = torch.device("cpu")
    print(f"device: {torch.cuda.get_device_name() if torch.cuda.is_available() else 'CPU'}, "
          f"torch threads {torch.get_num_threads()}")  # fmt: skip
    n_images = 50 if args.smoke else RSICD_TEST[0]
    bench_eval_from_embeddings(n_images, 512, 1 if args.smoke else 5)
    embedded = swan_embedded(vocab_size, faithful=True)
    bench_test_pass(embedded, n_images, 64, cpu, 256, TEST_SHARD, captions, 1 if args.smoke else 7)
    bench_training(swan_embedded(VOCAB, faithful=False), 64, cpu, 100, 1 if args.smoke else 5, bf16=False)
    if torch.cuda.is_available():
        gpu = torch.device("cuda")
        paper = swan_paper(vocab_size, faithful=True)
        bench_test_pass(paper, n_images, 256, gpu, 256, TEST_SHARD, captions, 2 if args.smoke else 5)
        bench_training(paper, 256, gpu, 100, 2 if args.smoke else 20, bf16=True)


if __name__ == "__main__":
    main()
