"""Training throughput of each paper at the paper preset's size and precision: the project's own step
against a fair baseline.

    python benchmarks/bench_training.py             # paper-preset sizes (meant for a GPU)
    python benchmarks/bench_training.py --smoke     # tiny models, a few steps (any machine: seconds)
    python benchmarks/bench_training.py --compile   # LSE-Net's step under torch.compile (its `compile` param)

Per workload (:mod:`rsrepro.rehearsal.workloads`): LSE-Net (bf16 autocast and channels-last, as the
preset), SWAN faithful (fp32), DSVA faithful (fp32) and corrected (bf16), each with the preset's
clip-rsicd ViT-B/32 tower (random init) and crop branch; the precision as the trainers' policy sets it
(:mod:`rsrepro.training.precision`).

- ``project``: the trainer's own epoch loop (``epoch_steps``: batches of the uint8 memmap cache read
  ahead into pinned memory, augmented on the device, ``train_step``), with the preset's settings, its
  rate from the clock the trainer returns;
- ``baseline``: a fresh model of the same architecture in fp32 eager PyTorch with its defaults (memory
  format, fp32 matmuls, no cuDNN autotuning), fed by a torchvision ``DataLoader`` (``--workers``
  processes decoding to PIL and augmenting with ``torchvision.transforms``, pinned memory on CUDA),
  timed only once the batches it prefetched before the first step are used up.

Both are timed over steady-state steps (:class:`rsrepro.training.throughput.SteadyClock`; the project
after a warm-up epoch); printed are samples/s, the project/baseline ratio, MFU (model FLOPs/s from
``torch.utils.flop_counter`` over the device's peak: :func:`rsrepro.rehearsal.measure.device_peak`) and
the project's peak memory. The images are random (speed does not depend on them).
``benchmarks/gpu_check.sh`` runs the same measurements and more (evaluation, faithful runs with
``tf32_matmul``, several jobs at once, the projection).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import torch

from rsrepro.dsva.settings import merged
from rsrepro.rehearsal import measure
from rsrepro.rehearsal.weights import write_clip
from rsrepro.rehearsal.workloads import (
    TINY,
    TINY_IMAGE_SIZE,
    image_size,
    paper_preset,
    random_images,
    workloads,
)
from rsrepro.training.device import pick_device

PAPERS = ("lsenet", "swan", "dsva")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny models and images, a few steps")
    parser.add_argument("--steps", type=int, default=None, help="timed steps (default 30; smoke 2)")
    parser.add_argument("--warmup", type=int, default=None, help="untimed steps first (default 5; smoke 1)")
    parser.add_argument("--workers", type=int, default=8, help="the baseline's DataLoader workers")
    parser.add_argument("--device", default="auto", help="auto | cpu | cuda")
    parser.add_argument("--compile", action="store_true", help="LSE-Net's step under torch.compile (CUDA)")
    parser.add_argument("--models", nargs="+", default=list(PAPERS), choices=PAPERS)
    args = parser.parse_args()
    device = pick_device(args.device)
    steps = args.steps or (2 if args.smoke else 30)
    warmup = args.warmup if args.warmup is not None else (1 if args.smoke else 5)
    config = merged(paper_preset(), TINY) if args.smoke else paper_preset()
    config["lsenet"]["train"]["compile"] = args.compile
    ceilings = measure.gemm_ceilings(device)
    peak, source = measure.device_peak(device, ceilings)
    print(
        f"device: {device} ({measure.device_name(device)}); torch {torch.__version__};"
        f" {'tiny (smoke)' if args.smoke else 'paper-preset'} sizes; peak {peak / 1e12:.3g} TFLOP/s"
        f" ({source}); baseline: {args.workers} DataLoader workers"
    )
    print(
        f"{'workload':31} {'prec':4} {'batch':>5} {'project/s':>10} {'baseline/s':>10} {'ratio':>6}"
        f" {'MFU %':>6} {'base MFU %':>10} {'peak MiB':>9}"
    )
    with tempfile.TemporaryDirectory(prefix="rsrepro-bench-") as tmp:
        folder = Path(tmp)
        clip = None
        if "dsva" in args.models:
            clip = write_clip(folder / "clip", "narrow" if args.smoke else "vit-b/32")
        side = TINY_IMAGE_SIZE if args.smoke else image_size(config)
        images = random_images(folder / "images.npy", 64 if args.smoke else 1024, side)
        for key, workload in workloads(config, clip).items():
            if workload.paper not in args.models or key.endswith("warm-up"):
                continue
            found, model, optimizer = measure.measure(
                workload, images, device, warmup=warmup, steps=steps, eval_images=0, scratch=folder / "ckpt"
            )
            del model, optimizer
            measure.reset_peak_memory(device)
            sizes = {"workers": args.workers, "warmup": warmup, "steps": steps}
            base = measure.baseline_rate(workload, images, device, **sizes)
            mfu, base_mfu = (100 * rate * found.train_flops / peak for rate in (found.rate, base))
            print(
                f"{key:31} {found.precision:4} {found.batch:5d} {found.rate:10.1f} {base:10.1f}"
                f" {found.rate / base:6.2f} {mfu:6.1f} {base_mfu:10.1f} {found.peak_mb:9.0f}"
            )


if __name__ == "__main__":
    main()
