"""An epoch's running sums of per-step figures, kept on the training device and read once."""

from __future__ import annotations

import torch

from rsrepro.training.distributed import DistContext, mean_over_ranks


class DeviceSums:
    """Sums of figures that training steps leave on the device (losses, counts), in float64: adding one
    never waits for the GPU, as reading it would. Float64 keeps the sums what summing Python floats gave."""

    def __init__(self) -> None:
        self.sums: dict[str, torch.Tensor] = {}

    def add(self, **figures: torch.Tensor) -> None:
        for name, value in figures.items():
            value = value.detach().double()
            self.sums[name] = self.sums[name] + value if name in self.sums else value

    def means(self, count: float, context: DistContext) -> dict[str, float]:
        """Each sum divided by ``count``, averaged over the ranks: the epoch's one wait for the device."""
        if not self.sums:
            return {}
        means = mean_over_ranks(torch.stack(list(self.sums.values())) / count, context)
        return dict(zip(self.sums, means.tolist(), strict=True))
