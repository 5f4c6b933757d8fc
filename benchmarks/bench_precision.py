"""How far each precision option moves the golden batches' losses (the precision policy of docs/gpu.md).

    python benchmarks/bench_precision.py            # on the GPU if there is one, else the CPU

SWAN's golden training batch (tests/test_swan_golden.py: the released model's weights, images and
captions, one training step) and DSVA's released-code episode (tests/test_dsva_released.py: forward and
``Loss_fn`` with every weight 1), each computed in fp32 with fp32 matmuls (PyTorch's default: the
faithful policy), with TF32 matmuls (``tf32_matmul: true``; CUDA only) and in bf16 autocast (the corrected
policy), against the released code's fp32 loss from the golden fixtures. On the CPU only fp32 and CPU
bf16 autocast run (the policy itself runs the CPU in fp32). Prints one line per paper and option.
"""

from __future__ import annotations

import contextlib
import copy
import json
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "src"), str(REPO)]

from rsrepro.dsva.train import dsva_loss  # noqa: E402
from rsrepro.models.dsva import DSVA  # noqa: E402
from rsrepro.swan.data import pad_tokens  # noqa: E402
from rsrepro.swan.train import train_step  # noqa: E402
from tests.golden.swan_seeds import SEEDS, released_state, seeded_images  # noqa: E402
from tests.released_dsva import shared  # noqa: E402
from tests.test_swan_golden import GOLDEN as SWAN_GOLDEN  # noqa: E402
from tests.test_swan_golden import build  # noqa: E402

DSVA_GOLDEN = REPO / "tests" / "released_dsva" / "golden.npz"
ALL_ONE = {"xe": 1.0, "l_xe": 1.0, "attri": 1.0, "l_attri": 1.0, "cpt": 1.0, "regular": 1.0, "l_regular": 1.0}


def options(device: torch.device) -> dict[str, tuple[str, bool]]:
    """name -> (float32 matmul precision, bf16 autocast)."""
    found = {"fp32": ("highest", False), "bf16 autocast": ("highest", True)}
    if device.type == "cuda":
        found["tf32 matmuls"] = ("high", False)
    return found


@contextlib.contextmanager
def computing(device: torch.device, matmul: str, bf16: bool):
    before = torch.get_float32_matmul_precision()
    torch.set_float32_matmul_precision(matmul)
    try:
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16):
            yield
    finally:
        torch.set_float32_matmul_precision(before)


def swan_loss(device: torch.device) -> tuple[float, Callable[[], float]]:
    with np.load(SWAN_GOLDEN) as golden:
        shapes = {k: tuple(v) for k, v in json.loads(str(golden["shapes"])).items()}
        model = build(released_state(shapes), int(golden["vocab"]), True)
        captions, expected = json.loads(str(golden["train_captions"])), float(golden["train_loss"])
    for module in model.modules():  # as the golden step: no dropout
        if isinstance(module, torch.nn.Dropout):
            module.p = 0.0
    images = seeded_images(SEEDS["train"], len(captions))
    tokens, lengths = pad_tokens([t or [0] for t in captions])

    def loss() -> float:
        step = copy.deepcopy(model).to(device).train()
        optimizer = torch.optim.Adam(step.trainable_parameters(), lr=2e-4)
        cfg = {"margin": 0.2, "max_violation": False, "amp": False}  # autocast comes from `computing`
        return float(train_step(step, optimizer, images.to(device), tokens.to(device), lengths, cfg))

    return expected, loss


def dsva_total_loss(device: torch.device) -> tuple[float, Callable[[], float]]:
    model = DSVA(shared.TinyViT(), shared.N_ATTRIBUTES, list(shared.GROUPS.values()), crop=True)
    model.load_state_dict(shared.shared_state())
    model = model.to(device).eval()
    images, labels, matrix = (t.to(device) for t in shared.episode())
    with np.load(DSVA_GOLDEN) as golden:
        expected = float(golden["loss_total"])

    def loss() -> float:
        with torch.no_grad():
            total, _ = dsva_loss(
                model, model(images), labels, matrix, {"faithful": True, "loss": ALL_ONE}, warm=False
            )
        return float(total)

    return expected, loss


def main() -> None:
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    torch.manual_seed(0)
    name = torch.cuda.get_device_name() if device.type == "cuda" else "cpu"
    print(f"device: {name}, torch {torch.__version__}")
    cases = {"SWAN golden training batch": swan_loss, "DSVA released episode": dsva_total_loss}
    for paper, case in cases.items():
        expected, loss = case(device)
        for option, (matmul, bf16) in options(device).items():
            with computing(device, matmul, bf16):
                value = loss()
            change = 100 * (value - expected) / abs(expected)
            print(f"{paper:28s} {option:14s} loss {value:.6g} (released fp32 {expected:.6g}) {change:+.4f} %")


if __name__ == "__main__":
    main()
