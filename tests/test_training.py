"""Shared training machinery: resumable epochs, batches from the image cache, on-device augmentation."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest
import torch

from rsrepro.data.prepared import PreparedDataset
from rsrepro.errors import RsreproError
from rsrepro.training import augment, checkpoint
from rsrepro.training.batches import index_batches, load_images
from rsrepro.training.checkpoint import EpochLoop, fresh_checkpoint_dir, load_torch
from rsrepro.training.device import pick_device, seed_everything
from rsrepro.training.run import run_fingerprint
from tests.conftest import write_tiny_prepared


def _train(
    directory: Path, epochs: int = 5, crash_at: int | None = None, checkpoint_s: float = 0.0, clock=None
) -> list[dict[str, float]]:
    generator = seed_everything(0)
    model = torch.nn.Linear(3, 1)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5)
    components = {"model": model, "optimizer": optimizer, "scheduler": scheduler}
    loop = EpochLoop(directory, components, generator, "val", checkpoint_s=checkpoint_s)

    def train_epoch(epoch: int) -> dict[str, float]:
        if clock is not None:
            clock["now"] += 60.0  # every epoch takes a minute
        if epoch == crash_at:
            raise KeyboardInterrupt
        # Draw from every RNG a training job uses, so a resume must restore all of them.
        x = torch.randn(8, 3, generator=generator) + torch.rand(1) + np.random.rand() + random.random()
        loss = model(x).pow(2).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        scheduler.step()
        return {"loss": loss.item()}

    history = loop.run(epochs, train_epoch, lambda epoch: {"val": -abs(model.bias.item() - 0.1 * epoch)})
    assert all(record.pop("seconds") >= 0 for record in history)  # each epoch's wall time (not repeatable)
    return history


def test_interrupted_training_resumes_to_the_same_result(tmp_path: Path) -> None:
    uninterrupted = _train(tmp_path / "a")
    with pytest.raises(KeyboardInterrupt):
        _train(tmp_path / "b", crash_at=3)
    assert [h["epoch"] for h in load_torch(tmp_path / "b/last.pt")["history"]] == [0, 1, 2]
    assert _train(tmp_path / "b") == uninterrupted
    best = max(uninterrupted, key=lambda h: h["val"])
    assert load_torch(tmp_path / "b/best.pt")["epoch"] == best["epoch"]


def test_checkpoints_are_written_by_time_and_after_the_last_epoch(tmp_path: Path, monkeypatch) -> None:
    clock = {"now": 0.0}
    monkeypatch.setattr(checkpoint.time, "monotonic", lambda: clock["now"])
    written = []
    real_write = checkpoint.CheckpointWriter.write

    def write(self, state, path):
        written.append((path.name, state["epoch"]))
        real_write(self, state, path)

    monkeypatch.setattr(checkpoint.CheckpointWriter, "write", write)
    uninterrupted = _train(tmp_path / "a", epochs=6, checkpoint_s=150, clock=clock)
    last = [epoch for name, epoch in written if name == "last.pt"]
    assert last == [2, 5]  # 3 minutes after the start, then the end
    values = [h["val"] for h in uninterrupted]
    improved = [k for k, v in enumerate(values) if v > max(values[:k], default=-np.inf)]
    assert [epoch for name, epoch in written if name == "best.pt"] == improved  # each improvement, at once
    with pytest.raises(KeyboardInterrupt):
        _train(tmp_path / "b", epochs=6, crash_at=4, checkpoint_s=150, clock=clock)
    assert load_torch(tmp_path / "b/last.pt")["epoch"] == 2
    assert _train(tmp_path / "b", epochs=6, checkpoint_s=150, clock=clock) == uninterrupted  # 3 and 4 again


def test_host_copies_are_independent_of_the_training_state() -> None:
    model = torch.nn.Linear(2, 2)
    state = {"model": model.state_dict(), "history": [{"epoch": 0}], "steps": (torch.ones(1), 3)}
    copied = checkpoint.host_copy(state)
    with torch.no_grad():
        model.weight.add_(1.0)
    state["history"].append({"epoch": 1})
    assert not torch.equal(copied["model"]["weight"], model.weight)
    assert copied["history"] == [{"epoch": 0}] and copied["steps"][1] == 3


def test_a_finished_run_is_not_trained_again(tmp_path: Path) -> None:
    first = _train(tmp_path)
    assert _train(tmp_path, crash_at=0) == first  # would raise if any epoch ran


def test_index_batches_cover_every_index_once_in_a_seeded_order() -> None:
    batches = list(index_batches(range(10), 4, shuffle=True, generator=torch.Generator().manual_seed(1)))
    assert [len(b) for b in batches] == [4, 4, 2]
    assert sorted(np.concatenate(batches).tolist()) == list(range(10))
    again = list(index_batches(range(10), 4, shuffle=True, generator=torch.Generator().manual_seed(1)))
    assert all((a == b).all() for a, b in zip(batches, again, strict=True))
    assert [len(b) for b in index_batches(range(10), 4, shuffle=False, drop_last=True)] == [4, 4]


def test_load_images_keeps_the_requested_order(tiny_prepared: Path) -> None:
    data = PreparedDataset.load(tiny_prepared)
    batch = np.array([7, 2, 30])
    x = load_images(data.images, batch, torch.device("cpu"))
    assert x.shape == (3, 3, 8, 8) and x.dtype == torch.float32
    expected = torch.from_numpy(np.asarray(data.images[[7, 2, 30]])).permute(0, 3, 1, 2).float() / 255
    assert torch.equal(x, expected)


def test_crop_takes_the_window_its_numbers_give() -> None:
    x = torch.arange(3 * 1 * 6 * 6, dtype=torch.float32).view(3, 1, 6, 6)
    crops = augment.crop(x, 4, torch.tensor([0.0, 0.5, 0.99]), torch.tensor([0.99, 0.0, 0.34]))
    assert crops.shape == (3, 1, 4, 4)
    for image, crop, (top, left) in zip(x, crops, [(0, 2), (1, 0), (2, 1)], strict=True):
        assert torch.equal(crop, image[:, top : top + 4, left : left + 4])


def test_rot90_and_flip_are_exact_permutations_of_pixels() -> None:
    x = torch.rand(16, 3, 5, 5)
    k = torch.arange(16) % 5  # 4 turns are none
    rotated = augment.rot90(x, k)
    for out in (rotated, augment.flip(x, torch.rand(16))):
        assert torch.equal(out.flatten(1).sort(dim=1).values, x.flatten(1).sort(dim=1).values)
    for image, turned, turns in zip(x, rotated, k.tolist(), strict=True):
        assert torch.equal(turned, torch.rot90(image, turns, dims=(-2, -1)))


def test_rotation_by_zero_degrees_is_identity_and_normalize_centres() -> None:
    x = torch.rand(2, 3, 8, 8)
    assert torch.allclose(augment.rotation(x, 0.0, torch.rand(2)), x, atol=1e-5)
    mean = torch.tensor(augment.IMAGENET_MEAN).view(1, 3, 1, 1).expand(1, 3, 4, 4)
    assert torch.allclose(augment.normalize(mean), torch.zeros(1, 3, 4, 4), atol=1e-6)


def test_asking_for_cuda_without_a_gpu_is_a_clear_error() -> None:
    if torch.cuda.is_available():
        pytest.skip("a GPU is present: the error path cannot be reached")
    with pytest.raises(RsreproError, match="no CUDA GPU"):
        pick_device("cuda")
    assert pick_device("auto").type == "cpu"


def test_checkpoints_of_other_settings_are_discarded(tmp_path: Path) -> None:
    folder = fresh_checkpoint_dir(tmp_path / "ckpt", "settings-a")
    (folder / "last.pt").write_text("old")
    assert (fresh_checkpoint_dir(tmp_path / "ckpt", "settings-a") / "last.pt").exists()
    assert not (fresh_checkpoint_dir(tmp_path / "ckpt", "settings-b") / "last.pt").exists()


def test_a_run_fingerprint_holds_settings_split_data_code_and_inputs(
    tiny_prepared: Path, tmp_path: Path
) -> None:
    data, other_data = (
        PreparedDataset.load(tiny_prepared),
        PreparedDataset.load(write_tiny_prepared(tmp_path / "b", size=6)),
    )
    split = {"seed": 0, "train": [0, 1], "test": [2]}
    vocab = tmp_path / "vocab.json"
    vocab.write_text("[1]")

    def key(**changes):
        args = {"paper": "lsenet", "variant": "full", "settings": {"epochs": 2}, "split": split, "data": data,
                "trainer": "rsrepro.lsenet.train", "inputs": [vocab]} | changes  # fmt: skip
        return run_fingerprint(**args)

    base = key()
    assert base == key()
    changed = [
        key(variant="context"), key(settings={"epochs": 3}), key(split={**split, "test": [3]}),
        key(data=other_data), key(trainer="rsrepro.swan.train"), key(inputs=[]),
    ]  # fmt: skip
    assert base not in changed and len(set(changed)) == len(changed)
    vocab.write_text("[2]")
    assert key() != base
