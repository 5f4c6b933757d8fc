"""The GPU check (``benchmarks/gpu_check.sh`` runs it): on a GPU node with the usual ML stack and no
network, whether every paper trains and evaluates at the paper preset's size and precision, how fast
(against a fair baseline, as MFU, with peak memory; faithful runs also with ``tf32_matmul``), whether
DSVA's crop search on the device finds the CPU's boxes, how many training jobs fit on the GPU at once and
what they do together (and so which ``gpu.slots`` to set), what a checkpoint costs, and what the whole
paper preset would take here.

    bash benchmarks/gpu_check.sh                      # the paper preset's sizes: at most 8 minutes
    GPU_CHECK_SMOKE=1 bash benchmarks/gpu_check.sh    # tiny models on any machine (about a minute)

Settings (environment): ``OUT`` (a folder for ``gpu_check.json``), ``GPU_CHECK_WORKERS`` (the
baseline's DataLoader workers, 8), ``GPU_CHECK_JOBS`` (most training jobs run at once, 4),
``GPU_CHECK_BUDGET_S`` (seconds after which the optional sharing measurement is skipped, 330).

Everything runs on random images in a uint8 memmap and random-init weights (a CLIP ViT-B/32 folder in the
Hugging Face format is written first); the workloads, timing, FLOP counts and the projection are the
project's own (:mod:`rsrepro.rehearsal.workloads`, :mod:`rsrepro.rehearsal.measure`,
:mod:`rsrepro.rehearsal.projection`), shared with ``bench_training.py`` and ``rsrepro rehearsal``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
import traceback
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # no network: every weight is written here
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")  # DataLoader workers fork after tokenizers loaded

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from rsrepro.dsva.settings import merged  # noqa: E402
from rsrepro.rehearsal import measure, projection  # noqa: E402
from rsrepro.rehearsal.workloads import (  # noqa: E402
    TINY,
    TINY_IMAGE_SIZE,
    Workload,
    image_size,
    paper_preset,
    precision_mode,
    random_images,
    with_tf32_matmul,
    workloads,
)
from rsrepro.training.throughput import synchronize  # noqa: E402

MAIN_WORKLOADS = {"lsenet": "lsenet train", "swan": "swan train", "dsva": "dsva corrected crop fine-tune"}
FAITHFUL_WORKLOADS = ("swan train", "dsva faithful crop fine-tune")  # fp32: measured with tf32_matmul too
MEMORY_SHARE = 0.95  # of the GPU's memory that jobs may fill together


def env_int(name: str, default: int) -> int:
    return int(os.environ.get(name) or default)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", default=os.environ.get("GPU_CHECK_SMOKE") == "1")
    parser.add_argument(
        "--out", type=Path, default=Path(os.environ["OUT"]) if os.environ.get("OUT") else None
    )
    parser.add_argument("--workers", type=int, default=env_int("GPU_CHECK_WORKERS", 8))
    parser.add_argument("--jobs", type=int, default=env_int("GPU_CHECK_JOBS", 4))
    parser.add_argument("--budget", type=float, default=env_int("GPU_CHECK_BUDGET_S", 330))
    parser.add_argument("--scratch", type=Path, default=REPO / "results" / "gpu_check")
    # one of several training jobs sharing the GPU (started by the check itself)
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--launched", type=float, default=float(os.environ.get("GPU_CHECK_LAUNCHED") or 0))
    return parser.parse_args()


class Check:
    """The check's settings, its scratch folder and everything it measures (``results``, the JSON)."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args, self.smoke = args, args.smoke
        self.started = time.perf_counter()
        self.device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
        self.config = paper_preset()
        self.sized = merged(self.config, TINY) if self.smoke else self.config
        # steps: untimed warm-up, timed; images evaluated; concurrent jobs' timed window (s)
        self.warmup, self.steps = (1, 3) if self.smoke else (5, 30)
        self.eval_images, self.window = (32, 2.0) if self.smoke else (1024, 10.0)
        self.workers = min(args.workers, 2) if self.smoke else args.workers
        self.jobs = min(args.jobs, 2) if self.smoke else args.jobs
        self.scratch = args.scratch
        self.results: dict[str, Any] = {
            "smoke": self.smoke,
            "workloads": {},
            "tf32": {},
            "sharing": {},
            "errors": {},
        }

    def elapsed(self) -> float:
        return time.perf_counter() - self.started

    def log(self, *parts: object) -> None:
        print(f"[{self.elapsed():5.0f}s]", *parts, flush=True)

    def workload_set(self, clip: Path) -> dict[str, Workload]:
        return workloads(self.sized, clip)


def environment(check: Check) -> dict[str, Any]:
    import torchvision
    import transformers

    device = check.device
    env = {
        "device": measure.device_name(device),
        "torch": torch.__version__,
        "torchvision": torchvision.__version__,
        "transformers": transformers.__version__,
        "python": sys.version.split()[0],
        "cpus": os.cpu_count(),
        "dataloader_workers": check.workers,
    }
    if device.type == "cuda":
        torch.zeros(1, device=device)  # the CUDA context, so that memory use can be read
        free, total = torch.cuda.mem_get_info(device)
        env.update(
            cuda=torch.version.cuda,
            cudnn=torch.backends.cudnn.version(),
            memory_mb=total / 2**20,
            # what a process uses before it allocates a tensor of its own (context, kernels)
            context_mb=(total - free - torch.cuda.memory_reserved(device)) / 2**20,
        )
    else:
        env.update(memory_mb=os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**20, context_mb=0.0)
    ceilings = measure.gemm_ceilings(device)
    peak, source = measure.device_peak(device, ceilings)
    env.update(gemm_flops=ceilings, peak_flops=peak, peak_source=source)
    return env


def measure_all(check: Check, images: np.ndarray, clip: Path) -> None:
    """Each workload: the smoke test (a first step with a finite loss, an evaluation), the project's
    steady rate, memory, FLOPs, checkpoint and evaluation rate; then the fair baseline per paper."""
    baselines: dict[str, float] = {}
    for key, workload in check.workload_set(clip).items():
        try:
            measured, model, optimizer = measure.measure(
                workload,
                images,
                check.device,
                warmup=check.warmup,
                steps=check.steps,
                eval_images=check.eval_images,
                scratch=check.scratch / "checkpoints",
            )
            del model, optimizer
            row = measured.as_dict()
            check.log(f"{key}: ok (loss {measured.loss:.3f}, first step {measured.first_step_s:.1f} s)")
            # the baseline trains the whole model in fp32, as fine-tuning does: one per paper (DSVA's
            # variants differ in precision and loss, not in what the baseline runs)
            if not key.endswith("warm-up"):
                if workload.paper not in baselines:
                    measure.reset_peak_memory(check.device)
                    baselines[workload.paper] = measure.baseline_rate(
                        workload,
                        images,
                        check.device,
                        workers=check.workers,
                        warmup=check.warmup,
                        steps=check.steps,
                    )
                row["baseline_rate"] = baselines[workload.paper]
            check.results["workloads"][key] = row
        except Exception as error:  # one workload failing must not hide the others
            check.results["errors"][key] = f"{type(error).__name__}: {error}"
            check.log(f"{key}: FAILED\n{traceback.format_exc()}")
        measure.reset_peak_memory(check.device)


def measure_tf32(check: Check, images: np.ndarray, clip: Path) -> None:
    """The faithful (fp32) workloads' training again with ``tf32_matmul: true`` (the CPU has no TF32:
    there it runs the same fp32 code)."""
    for key in FAITHFUL_WORKLOADS:
        row = check.results["workloads"].get(key)
        workload = check.workload_set(clip)[key]
        if row is None or workload.policy.bf16:  # a bf16 run has no fp32 matmuls to speed up
            continue
        if check.elapsed() > check.args.budget:
            check.results["tf32"][key] = {"skipped": f"time budget ({check.args.budget:.0f} s) spent"}
            continue
        try:
            measured, _, _ = measure.measure(
                with_tf32_matmul(workload),
                images,
                check.device,
                warmup=check.warmup,
                steps=check.steps,
                eval_images=0,
                scratch=None,
            )
            check.results["tf32"][key] = {"rate": measured.rate, "speedup": measured.rate / row["rate"]}
            check.log(f"{key} with tf32_matmul: {measured.rate:.1f}/s, x{measured.rate / row['rate']:.2f}")
        except Exception as error:
            check.results["errors"][f"{key} tf32"] = f"{type(error).__name__}: {error}"
            check.log(f"{key} with tf32_matmul: FAILED\n{traceback.format_exc()}")
        measure.reset_peak_memory(check.device)


def device_crop(check: Check, images: np.ndarray, clip: Path) -> None:
    """DSVA's crop branch as training and prediction run it on a GPU (the largest 8-connected component
    of each attention mask found with tensor ops, every crop resampled in one batched op) against the
    CPU's (scipy's labelling, one ``F.interpolate`` per crop), on the attention maps of the preset's
    model for an evaluation batch: whether boxes and crops agree, and each path's time per batch."""
    from rsrepro.dsva.images import prepare
    from rsrepro.models.dsva import (
        attention_masks,
        crop_and_resize,
        largest_component_box,
        largest_component_boxes,
        resize_boxes,
    )
    from rsrepro.training.batches import as_float

    key = "dsva faithful crop fine-tune"
    workload, device = check.workload_set(clip)[key], check.device
    try:
        with torch.no_grad(), precision_mode(workload.policy, device):
            model = workload.build(device).eval()
            rows = np.arange(min(workload.cfg["eval_batch_size"], 16 if check.smoke else len(images)))
            x = prepare(as_float(torch.from_numpy(images[rows]).to(device)), workload.cfg["image"])
            out = model(x)  # on CUDA: the device path inside the model
            masks = attention_masks(out.maps, out.attr_local, model.groups, model.crop_threshold, x.shape[-1])

            def on_device() -> tuple[torch.Tensor, torch.Tensor]:
                boxes = largest_component_boxes(masks)
                return boxes, resize_boxes(x, boxes)

            def on_host() -> tuple[torch.Tensor, torch.Tensor]:
                found = [largest_component_box(m) for m in masks.cpu().numpy()]
                boxes = torch.tensor(found, dtype=torch.int64).view(-1, 4)
                return boxes, crop_and_resize(x.cpu(), boxes)

            def timed(run) -> tuple[float, tuple[torch.Tensor, torch.Tensor]]:
                run()  # warm-up
                synchronize(device)
                start = time.perf_counter()
                result = run()
                synchronize(device)
                return time.perf_counter() - start, result

            device_s, (boxes, crops) = timed(on_device)
            host_s, (host_boxes, host_crops) = timed(on_host)
        entry = {
            "maps": len(rows),
            "same_boxes": int((boxes.cpu() == host_boxes).all(1).sum()),
            "crop_max_diff": float((crops.cpu() - host_crops).abs().max()),
            "device_ms": 1e3 * device_s,
            "host_ms": 1e3 * host_s,
        }
        check.results["device_crop"] = entry
        check.log(f"DSVA device crop: {entry['same_boxes']} of {entry['maps']} boxes as scipy's")
        if entry["same_boxes"] != entry["maps"]:
            check.results["errors"]["device crop"] = "boxes differ from the CPU's (scipy's)"
    except Exception as error:
        check.results["errors"]["device crop"] = f"{type(error).__name__}: {error}"
        check.log(f"DSVA device crop: FAILED\n{traceback.format_exc()}")


def recommend_slots(check: Check, env: dict[str, Any]) -> None:
    """``gpu.slots``: how many of the largest training job (its training and evaluation, the allocator's
    reserved peak, plus a process's CUDA context) fit in 95 % of the device's memory, at most one per
    CPU core (each job keeps a core busy launching kernels and reading batches)."""
    rows = check.results["workloads"]
    if not rows:
        return
    largest = max(rows, key=lambda k: rows[k]["reserved_mb"])
    per_job = rows[largest]["reserved_mb"] + env["context_mb"]
    by_memory = int(MEMORY_SHARE * env["memory_mb"] // per_job)
    check.results["slots"] = {
        "recommended": max(1, min(by_memory, env["cpus"] or 1)),
        "by_memory": by_memory,
        "largest_job": largest,
        "per_job_mb": per_job,
    }


def worker(args: argparse.Namespace) -> None:
    """One of several training jobs at once: start up, warm up, report ready, wait for the shared start,
    train epochs of the trainer's steps for the timed window, print the figures as JSON."""
    check = Check(args)
    images = np.load(args.scratch / "images.npy", mmap_mode="r")
    workload = check.workload_set(args.scratch / "clip")[args.worker]
    generator, cache = torch.Generator().manual_seed(os.getpid()), workload.cache(images)
    with precision_mode(workload.policy, check.device):
        model = workload.build(check.device)
        optimizer = workload.optimizer(model)
        workload.epoch(model, optimizer, cache, 1, generator)
        startup = time.time() - args.launched
        workload.epoch(model, optimizer, cache, check.warmup, generator)
        print("ready", flush=True)
        start_at = float(sys.stdin.readline())
        time.sleep(max(0.0, start_at - time.time()))
        late = time.time() - start_at
        samples, opened = 0, time.perf_counter()
        while time.perf_counter() - opened < check.window:  # each epoch ends with the device synced
            samples += workload.epoch(model, optimizer, cache, check.steps, generator).record["train_samples"]
        rate = samples / (time.perf_counter() - opened)
    print(json.dumps({"rate": rate, "startup_s": startup, "late_s": late}), flush=True)


def share(check: Check, key: str, jobs: int) -> dict[str, Any]:
    """``jobs`` processes training ``key`` at once, their windows aligned: the combined rate."""
    command = [sys.executable, __file__, "--worker", key, "--scratch", str(check.scratch)]
    command += ["--smoke"] if check.smoke else []
    pipes = {"stdin": subprocess.PIPE, "stdout": subprocess.PIPE, "text": True}
    procs = [subprocess.Popen([*command, "--launched", str(time.time())], **pipes) for _ in range(jobs)]
    try:
        for proc in procs:  # each job's stdout: anything, then "ready" once it is warm
            if not any(line.strip() == "ready" for line in iter(proc.stdout.readline, "")):
                raise RuntimeError(f"a {key} job stopped before its timed window (exit {proc.wait()})")
        start_at = time.time() + 1.0
        for proc in procs:
            proc.stdin.write(f"{start_at}\n")
            proc.stdin.flush()
        outputs = [proc.communicate(timeout=check.window + 120)[0] for proc in procs]
        rows = [json.loads(out.strip().splitlines()[-1]) for out in outputs]
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    return {
        "jobs": jobs,
        "combined_rate": sum(r["rate"] for r in rows),
        "startup_s": statistics.median(r["startup_s"] for r in rows),
        "late_s": max(r["late_s"] for r in rows),
    }


def share_all(check: Check, env: dict[str, Any]) -> None:
    """Per paper: how many of its training jobs fit in memory, and the combined rate of up to
    ``--jobs`` of them (each its own process and CUDA context, as Snakemake's jobs would be). The smoke
    run starts LSE-Net's only: the same code for every paper, and process starts are what cost there."""
    for paper, key in MAIN_WORKLOADS.items():
        row = check.results["workloads"].get(key)
        if row is None or (check.smoke and paper != "lsenet"):
            continue
        per_job = row["reserved_mb"] + env["context_mb"]
        fit = int(MEMORY_SHARE * env["memory_mb"] // per_job)
        entry: dict[str, Any] = {"workload": key, "fit": fit, "per_job_mb": per_job}
        check.results["sharing"][paper] = entry
        jobs = min(fit, check.jobs)
        if jobs < 2:
            entry["skipped"] = f"{fit} job(s) fit"
            continue
        if check.elapsed() > check.args.budget:
            entry["skipped"] = f"time budget ({check.args.budget:.0f} s) spent"
            continue
        try:
            entry.update(share(check, key, jobs))
            entry["speedup"] = entry["combined_rate"] / row["rate"]
            check.log(f"{jobs} x {key}: {entry['combined_rate']:.1f}/s together, x{entry['speedup']:.2f}")
        except Exception as error:
            entry["skipped"] = f"failed: {error}"
            check.log(f"{jobs} x {key}: FAILED\n{traceback.format_exc()}")


def rates(check: Check) -> projection.Rates:
    """The projection's inputs from what was measured; a job's start-up from the sharing measurement
    (process start to a first step done), else from this process's."""
    rows, per_s, flops = check.results["workloads"], {}, {}
    for key, row in rows.items():
        per_s[key], flops[key] = row["rate"], row["train_flops"]
        eval_key = check.workload_set(check.scratch / "clip")[key].eval_key
        if eval_key and row.get("eval_rate"):
            per_s[eval_key], flops[eval_key] = row["eval_rate"], row["eval_flops"]
    startup, checkpoint = {}, {}
    for paper, key in MAIN_WORKLOADS.items():
        measured = check.results["sharing"].get(paper, {}).get("startup_s")
        if key in rows:
            startup[paper] = measured or check.results["imports_s"] + rows[key]["first_step_s"]
            checkpoint[paper] = rows[key]["checkpoint_s"]
    return projection.Rates(per_s, flops, startup, checkpoint)


def report(check: Check, env: dict[str, Any]) -> float:
    """Print every figure; returns the projected hours (NaN when a paper could not be measured)."""
    peak = env["peak_flops"]
    ceilings = ", ".join(f"{k} {v / 1e12:.3g}" for k, v in env["gemm_flops"].items())
    print(f"\n== rsrepro GPU check{' (SMOKE: tiny models, not the preset)' if check.smoke else ''}")
    facts = ", ".join(
        f"{k} {v}" for k, v in env.items() if k not in ("gemm_flops", "peak_flops", "peak_source")
    )
    print(facts)
    print(f"peak {peak / 1e12:.3g} TFLOP/s ({env['peak_source']}); measured GEMM TFLOP/s: {ceilings}")
    rows = check.results["workloads"]
    print(
        "\nTraining, samples/s at the preset's batch (baseline: a fresh fp32 eager model fed by a"
        f" torchvision DataLoader, {check.workers} workers, pinned memory on CUDA; MFU against the peak)"
    )
    print(
        f"  {'workload':31} {'prec':4} {'batch':>5} {'project':>9} {'baseline':>9} {'x base':>6} {'MFU %':>6}"
        f" {'base %':>6} {'GFLOP':>7} {'peak MiB':>9} {'ckpt s':>6} {'1st step s':>10}"
    )
    for key, r in rows.items():
        mfu = 100 * r["rate"] * r["train_flops"] / peak
        base = r.get("baseline_rate")
        vs = f"{base:9.1f} {r['rate'] / base:6.2f}" if base else f"{'-':>9} {'-':>6}"
        base_mfu = f"{100 * base * r['train_flops'] / peak:6.1f}" if base else f"{'-':>6}"
        print(
            f"  {key:31} {r['precision']:4} {r['batch']:5d} {r['rate']:9.1f} {vs} {mfu:6.1f} {base_mfu}"
            f" {r['train_flops'] / 1e9:7.1f} {r['peak_mb']:9.0f} {r['checkpoint_s']:6.2f}"
            f" {r['first_step_s']:10.1f}"
        )
    for key, t in check.results["tf32"].items():
        if "skipped" in t:
            print(f"  {key + ' tf32':33} not run: {t['skipped']}")
        else:
            print(f"  {key + ' tf32':33} {t['rate']:9.1f}/s, x{t['speedup']:.2f} the fp32 rate")
    if check.results["tf32"]:
        cpu = " (the CPU has no TF32: the same fp32 code)" if check.device.type != "cuda" else ""
        print(f"  (the faithful settings with tf32_matmul: true{cpu})")
    crop = check.results.get("device_crop")
    if crop:
        print(
            f"\nDSVA's crop branch on the device: {crop['same_boxes']} of {crop['maps']} attention maps give"
            f" scipy's box, crops within {crop['crop_max_diff']:.1e}; {crop['device_ms']:.1f} ms a batch on"
            f" {check.device.type} against {crop['host_ms']:.1f} ms for the CPU path (host copy, scipy,"
            " one resize per crop)"
        )
    print("\nEvaluation with the papers' own code, images/s (SWAN: each image with its 5 captions)")
    for key, r in rows.items():
        if r.get("eval_rate"):
            mfu = 100 * r["eval_rate"] * r["eval_flops"] / peak
            name = check.workload_set(check.scratch / "clip")[key].eval_key
            gflop = r["eval_flops"] / 1e9
            print(f"  {name:31} {r['eval_rate']:9.1f}   MFU {mfu:5.1f} %   {gflop:6.1f} GFLOP/image")
    print("\nSeveral training jobs on one device at once (each its own process, as Snakemake's jobs)")
    for s in check.results["sharing"].values():
        head = f"  {s['workload']:31} {s['fit']:3d} fit ({s['per_job_mb']:,.0f} MiB each)"
        if "skipped" in s:
            print(f"{head}; not run: {s['skipped']}")
        else:
            late = f"; started up to {s['late_s']:.1f} s late" if s["late_s"] > 0.1 * check.window else ""
            print(
                f"{head}; {s['jobs']} at once: {s['combined_rate']:.1f}/s together,"
                f" x{s['speedup']:.2f} one job's; job start-up {s['startup_s']:.1f} s{late}"
            )
    slots = check.results.get("slots")
    if slots:
        print(
            f"\nGPU slots: {slots['by_memory']} of the largest job ({slots['largest_job']}, training and"
            f" evaluation: {slots['per_job_mb']:,.0f} MiB with its CUDA context) fit in {MEMORY_SHARE:.0%} of"
            f" the memory; at most one per CPU core ({env['cpus']}). Whether sharing pays: the combined"
            " rates above. In params.yaml (or config/paper.yaml), replace the gpu section with:"
        )
        print(f"gpu: {{slots: {slots['recommended']}}}")
    for key, error in check.results["errors"].items():
        print(f"FAILED {key}: {error}")
    hours = float("nan")
    if all(key in rows for key in MAIN_WORKLOADS.values()):
        measured = rates(check)
        priced = projection.project(check.config, measured)
        hours = projection.total_hours(priced)
        floor = sum(r.floor_hours(peak) or 0.0 for r in priced)
        check.results["projection"] = {
            "hours": hours,
            "floor_hours": floor,
            "rows": [{**vars(r.stage), "hours": r.hours, "flops": r.flops, "notes": r.notes} for r in priced],
        }
        print(
            "\nThe paper preset (config/paper.yaml) on this device, one training job at a time as the"
            f" Snakefile schedules it: {hours:,.1f} h (floor at the peak: {floor:,.1f} h). Job start-up as"
            " measured here, without loading weight files or Snakemake's own start (the rehearsal's)."
        )
        print("\n".join(projection.table(priced, measured, peak)))
    return hours


def main() -> None:
    args = parse_args()
    if args.worker:
        worker(args)
        return
    check = Check(args)
    launched = args.launched or time.time()
    check.results["imports_s"] = time.time() - launched
    env = check.results["environment"] = environment(check)
    check.log(f"{env['device']}, torch {env['torch']}, peak {env['peak_flops'] / 1e12:.3g} TFLOP/s")
    shutil.rmtree(check.scratch, ignore_errors=True)
    check.scratch.mkdir(parents=True)
    try:
        from rsrepro.rehearsal.weights import write_clip

        clip = write_clip(check.scratch / "clip", "narrow" if check.smoke else "vit-b/32")
        side = TINY_IMAGE_SIZE if check.smoke else image_size(check.config)
        images = random_images(check.scratch / "images.npy", 128 if check.smoke else 1536, side)
        check.log(f"random-init CLIP and {len(images)} random {side} px images written")
        measure_all(check, images, clip)
        measure_tf32(check, images, clip)
        device_crop(check, images, clip)
        share_all(check, env)
        recommend_slots(check, env)
    except KeyboardInterrupt:  # gpu_check.sh's time limit (or Ctrl-C): report what was measured
        check.results["errors"]["interrupted"] = f"stopped after {check.elapsed():.0f} s"
        check.log("interrupted: the figures below are what was measured until then")
    try:
        hours = report(check, env)
    finally:
        if args.out:
            args.out.mkdir(parents=True, exist_ok=True)
            (args.out / "gpu_check.json").write_text(json.dumps(check.results, indent=1, default=str))
        shutil.rmtree(check.scratch, ignore_errors=True)
    device = env["device"] + (" (smoke: tiny models)" if check.smoke else "")
    print(f"gpu check: projected paper preset {hours:.1f} h on {device}")
    sys.exit(1 if check.results["errors"] else 0)


if __name__ == "__main__":
    main()
