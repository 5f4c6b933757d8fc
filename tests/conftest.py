"""Shared fixtures: tiny prepared datasets built in memory, paths of the repository."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from rsrepro.data.prepared import PreparedDataset, PreparedWriter
from rsrepro.data.splits import classification_split, retrieval_split
from rsrepro.data.synthetic import prepare_synthetic
from rsrepro.io import write_json
from rsrepro.swan.text import build_vocabulary, vocabulary_captions
from tests.lsenet_data import write_tiny_dataset
from tests.tiny_pipeline import build_tiny_pipeline

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO


@pytest.fixture(scope="session")
def tiny_pipeline(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The whole workflow run once on the tiny preset; tests must leave it as they found it."""
    return build_tiny_pipeline(tmp_path_factory.mktemp("tiny_pipeline"))


def write_tiny_prepared(
    target: Path, n_classes: int = 4, per_class: int = 10, size: int = 8, test_every: int = 5
) -> Path:
    """A prepared dataset of random images: ``per_class`` images per class, every ``test_every``-th test."""
    n = n_classes * per_class
    rng = np.random.default_rng(0)
    classes = [f"class_{c}" for c in range(n_classes)]
    class_idx = np.repeat(np.arange(n_classes), per_class)
    meta = pd.DataFrame(
        {
            "file": [f"{classes[c]}/{i}.png" for i, c in enumerate(class_idx)],
            "class_idx": class_idx,
            "class_name": [classes[c] for c in class_idx],
            "scene": [classes[c] for c in class_idx],
            "official_split": ["test" if i % test_every == 0 else "train" for i in range(n)],
        }
    )
    with PreparedWriter(target, "tiny", n, size, source="test fixture") as writer:
        for i in range(n):
            writer.put(i, rng.integers(0, 256, (size, size, 3), dtype=np.uint8))
        writer.finish(
            meta, classes, captions=[[f"image {i} caption {k}" for k in range(5)] for i in range(n)]
        )
    return target


@pytest.fixture
def tiny_prepared(tmp_path: Path) -> Path:
    return write_tiny_prepared(tmp_path / "tiny")


@pytest.fixture(scope="module")
def tiny_lsenet_dataset(tmp_path_factory) -> tuple[Path, Path]:
    """Four coloured-square classes (tests/lsenet_data.py), 40 images each, and a 50% split."""
    root = tmp_path_factory.mktemp("lsenet")
    prepared = write_tiny_dataset(root / "tiny", per_class=40)
    data = PreparedDataset.load(prepared)
    split = root / "split.json"
    write_json(split, {"dataset": "tiny", **classification_split(data.class_idx, 0.5, 0)})
    return prepared, split


@pytest.fixture(scope="module")
def tiny_swan_dataset(tmp_path_factory) -> Path:
    """A small synthetic dataset with captions, a retrieval split and a vocabulary, in one folder."""
    root = tmp_path_factory.mktemp("swan")
    prepare_synthetic(root / "data", seed=0, image_size=32, images_per_class=10, test_fraction=0.2)
    data = PreparedDataset.load(root / "data")
    write_json(root / "split.json", retrieval_split(data.meta["official_split"], 0.2, seed=0))
    captions = vocabulary_captions(data.captions, data.meta["official_split"], "train")
    build_vocabulary(captions, min_count=2).save(root / "vocab.json")
    return root


# The tests of the shared tiny pipeline live in tests/pipeline/: one xdist worker runs them all, in turn
# (they edit the run and put it back), so it is built once. Every other test module is a unit of its own.
PIPELINE_TESTS = "tests/pipeline/"
# The longest units (measured with --durations) start first, so that no worker runs one alone at the end.
LONGEST_FIRST = (
    PIPELINE_TESTS,
    "tests/test_rehearsal.py",
    "tests/test_slurm_cluster.py",
    "tests/test_ddp_commands.py",
)


def work_unit(nodeid: str) -> str:
    path = nodeid.split("::", 1)[0]
    return PIPELINE_TESTS if path.startswith(PIPELINE_TESTS) else path


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    stray = [
        item.nodeid
        for item in items
        if "tiny_pipeline" in getattr(item, "fixturenames", ()) and work_unit(item.nodeid) != PIPELINE_TESTS
    ]
    if stray:
        raise pytest.UsageError(f"move the tests that use tiny_pipeline into {PIPELINE_TESTS}: {stray}")

    def rank(item: pytest.Item) -> int:
        unit = work_unit(item.nodeid)
        return LONGEST_FIRST.index(unit) if unit in LONGEST_FIRST else len(LONGEST_FIRST)

    items.sort(key=rank)  # stable: the order within a unit stays


def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object:
    """``pytest -n N``: whole work units (:func:`work_unit`) per worker, handed out in collection order."""
    from xdist.scheduler import LoadScopeScheduling

    class WorkUnitScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return work_unit(nodeid)

    config.option.loadscopereorder = False  # keep LONGEST_FIRST's order
    return WorkUnitScheduling(config, log)
