"""The precision policy per paper and variant, what a run's history states of it, and that the CPU (where
the golden tests run) computes fp32 whatever the policy."""

from __future__ import annotations

import pytest
import torch

from rsrepro.training.precision import Precision

CPU, CUDA = torch.device("cpu"), torch.device("cuda")


def test_faithful_runs_fp32_and_corrected_runs_bf16() -> None:
    assert Precision.of_variant(faithful=True, tf32_matmul=False) == Precision(bf16=False, tf32_matmul=False)
    assert Precision.of_variant(faithful=True, tf32_matmul=True) == Precision(bf16=False, tf32_matmul=True)
    assert Precision.of_variant(faithful=False, tf32_matmul=True) == Precision(bf16=True, tf32_matmul=False)


def test_histories_state_the_policy_of_the_device_they_ran_on() -> None:
    assert Precision(bf16=False).describe(CUDA) == "fp32: TF32 cuDNN convolutions, fp32 matmuls (the default)"
    assert Precision(bf16=False, tf32_matmul=True).describe(CUDA) == (
        "fp32: TF32 cuDNN convolutions, TF32 matmuls (tf32_matmul: true)"
    )
    assert Precision(bf16=True).describe(CUDA).startswith("bf16 autocast")
    assert {Precision(bf16=b, tf32_matmul=t).describe(CPU) for b in (True, False) for t in (True, False)} == {
        "fp32 (CPU)"
    }


def test_on_the_cpu_every_policy_computes_fp32_and_sets_nothing() -> None:
    before = torch.get_float32_matmul_precision(), torch.backends.cudnn.benchmark
    for policy in (Precision(bf16=True), Precision(bf16=False, tf32_matmul=True)):
        policy.apply(CPU)
        with policy.autocast(CPU):
            product = torch.ones(2, 3) @ torch.ones(3, 2)
        assert product.dtype == torch.float32
    assert (torch.get_float32_matmul_precision(), torch.backends.cudnn.benchmark) == before


@pytest.mark.skipif(not torch.cuda.is_available(), reason="CUDA math modes need a GPU")
def test_on_a_gpu_the_policy_sets_the_math_modes() -> None:
    before = torch.get_float32_matmul_precision(), torch.backends.cudnn.benchmark
    try:
        Precision(bf16=False).apply(CUDA)
        assert torch.get_float32_matmul_precision() == "highest" and torch.backends.cudnn.allow_tf32
        Precision(bf16=False, tf32_matmul=True).apply(CUDA)
        assert torch.get_float32_matmul_precision() == "high" and torch.backends.cudnn.benchmark
        with Precision(bf16=True).autocast(CUDA):
            product = torch.ones(2, 3, device=CUDA) @ torch.ones(3, 2, device=CUDA)
        assert product.dtype == torch.bfloat16
    finally:
        torch.set_float32_matmul_precision(before[0])
        torch.backends.cudnn.benchmark = before[1]
