"""The precision policy of a training run, per paper and variant, and what a run's history records of it.

On a CUDA GPU:

- ``faithful`` runs (SWAN, DSVA) compute as their released code did on a GPU under PyTorch's defaults:
  fp32 tensors, cuDNN convolutions in TF32 (``torch.backends.cudnn.allow_tf32``, on by default), matmuls in
  full fp32 (``torch.get_float32_matmul_precision() == "highest"``, the default). ``tf32_matmul: true``
  lets matmuls use TF32 as well (Ampere or newer: several times the fp32 matmul rate, with TF32's 10-bit
  mantissa in the products).
- ``corrected`` runs (SWAN, DSVA) and LSE-Net with ``amp: true``: bf16 autocast (matmuls and convolutions
  in bf16 with fp32 accumulation; weights, optimiser state and losses in fp32).

On the CPU every run is fp32 (autocast is CUDA-only here, TF32 does not exist): what the golden tests
against the released code check. Training shapes are fixed, so cuDNN picks its convolution algorithms
by benchmark (``cudnn.benchmark``) once per shape.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

import torch

from rsrepro.training.device import autocast


@dataclass(frozen=True)
class Precision:
    bf16: bool  # bf16 autocast on CUDA
    tf32_matmul: bool = False  # fp32 runs: TF32 matmuls allowed on CUDA

    @classmethod
    def of_variant(cls, faithful: bool, tf32_matmul: bool) -> Precision:
        """SWAN's and DSVA's policy: faithful runs fp32 (TF32 matmuls on request), corrected runs bf16."""
        return cls(bf16=False, tf32_matmul=tf32_matmul) if faithful else cls(bf16=True)

    def apply(self, device: torch.device) -> None:
        """Set this process's CUDA math modes for the run (one training job per process)."""
        if device.type != "cuda":
            return
        torch.set_float32_matmul_precision("high" if self.tf32_matmul else "highest")
        torch.backends.cudnn.benchmark = True

    def autocast(self, device: torch.device) -> contextlib.AbstractContextManager:
        return autocast(device, self.bf16)

    def describe(self, device: torch.device) -> str:
        """What the run computed in, as its history and the paper report state it."""
        if device.type != "cuda":
            return "fp32 (CPU)"
        if self.bf16:
            return "bf16 autocast (fp32 weights, optimiser and losses)"
        matmuls = "TF32 matmuls (tf32_matmul: true)" if self.tf32_matmul else "fp32 matmuls (the default)"
        return f"fp32: TF32 cuDNN convolutions, {matmuls}"
