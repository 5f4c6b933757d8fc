"""The trainers' throughput record (rsrepro.training.throughput): steady-state steps only."""

from __future__ import annotations

import pytest
import torch

from rsrepro.training import throughput
from rsrepro.training.throughput import SteadyClock


class FakeTime:
    """perf_counter that moves only when a step says how long it took."""

    def __init__(self) -> None:
        self.now = 100.0

    def perf_counter(self) -> float:
        return self.now


@pytest.fixture
def clock_time(monkeypatch: pytest.MonkeyPatch) -> FakeTime:
    fake = FakeTime()
    monkeypatch.setattr(throughput.time, "perf_counter", fake.perf_counter)
    return fake


def test_the_rate_leaves_the_warm_up_steps_out(clock_time: FakeTime) -> None:
    clock = SteadyClock(torch.device("cpu"), warmup=2)
    for seconds in (30.0, 5.0, 1.0, 1.0, 2.0):  # two slow start-up steps, then 4 s for three steps
        clock_time.now += seconds
        clock.step(8)
    record = clock.record("train_images_per_s")
    assert record == {
        "train_images_per_s": 24 / 4.0,
        "steady_samples": 24,
        "steady_seconds": 4.0,
        "train_samples": 40,
        "train_seconds": 39.0,
    }


def test_an_epoch_too_short_to_time_reports_its_whole_rate_and_no_steady_steps(clock_time: FakeTime) -> None:
    clock = SteadyClock(torch.device("cpu"), warmup=1)
    clock_time.now += 4.0
    clock.step(8)
    record = clock.record("pairs_per_s")
    assert record["pairs_per_s"] == 2.0 and record["steady_samples"] == 0 and record["steady_seconds"] == 0
    assert clock.rate() == 0.0
