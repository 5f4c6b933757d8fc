"""Images per second of the synthetic generator on one core, per image size.

PYTHONPATH=src python benchmarks/bench_synthetic.py [--sizes 64 256] [--images-per-class 10] [--smoke]
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

from rsrepro.data.synthetic import CLASSES, render_scene


def images_per_second(size: int, images_per_class: int, seed: int = 0) -> float:
    start = time.perf_counter()
    for c in range(len(CLASSES)):
        for j in range(images_per_class):
            render_scene(c, size, np.random.default_rng([seed, c, j]))
    return len(CLASSES) * images_per_class / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[64, 256])
    parser.add_argument("--images-per-class", type=int, default=10)
    parser.add_argument("--smoke", action="store_true", help="one image per class at 32 px, to check it runs")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core, as the targets are stated
    sizes, per_class = ([32], 1) if args.smoke else (args.sizes, args.images_per_class)
    images_per_second(sizes[0], 1)  # warm-up: imports, caches
    for size in sizes:
        rate = images_per_second(size, per_class)
        print(f"{size:4d} px: {rate:7.1f} images/s ({len(CLASSES) * per_class} images, one core)")


if __name__ == "__main__":
    main()
