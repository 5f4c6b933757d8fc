"""A tiny preset of the whole pipeline (every paper, one run each, one or two epochs): the full DAG with
its reports runs in about a minute on two CPU cores. Shared by the report, rerun and DVC tests."""

from __future__ import annotations

import ast
import contextlib
import copy
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tests.workflow_helpers import make_workdir, snakemake, with_own_code

TINY: dict[str, Any] = {
    "data": {"synthetic": {"seed": 0, "image_size": 64, "images_per_class": 10, "test_fraction": 0.2}},
    "lsenet": {
        "train_ratios": {"synthetic": [0.5]},
        "split_seeds": [0],
        "variants": ["full"],
        "ablation": {"variants": [], "train_ratios": {"synthetic": [0.5]}, "split_seeds": [0]},
        "train": {"epochs": 1},
        "report": {"r_sweep": [1, 3], "roi_examples": 2},
    },
    "image_text": {"epochs": 1, "baselines": {"zero_shot_splits": ["60/10"], "split_seed": 0}},  # DSVA's too
    "swan": {"run_seeds": [0], "variants": ["corrected"], "train": {"epochs": 1}},
    "dsva": {
        "splits": ["60/10"],
        "variants": ["corrected"],
        "train": {"epochs": 2, "warmup_epochs": 1, "batches_per_epoch": 2},
    },
}


def build_tiny_pipeline(workdir: Path) -> Path:
    """Run the whole DAG (all three papers, their reports and the index) on the tiny preset in ``workdir``,
    with its own copy of the code, which tests may edit (:func:`edited`)."""
    make_workdir(workdir, **copy.deepcopy(TINY))
    with_own_code(workdir)
    old_umask = os.umask(0o022)  # what tests/test_permissions.py checks the outputs against
    try:
        snakemake(workdir)
    finally:
        os.umask(old_umask)
    return workdir


@contextlib.contextmanager
def edited(path: Path, extra: str = "", old: str = "", new: str = "") -> Iterator[None]:
    """Append ``extra`` to a file, or replace ``old`` (once in it) by ``new``, for the duration of a block,
    then restore it exactly."""
    original, stat = path.read_bytes(), path.stat()
    text = original.decode()
    assert not old or text.count(old) == 1, f"{old!r} in {path}"
    path.write_text(text.replace(old, new) + extra if old else text + extra)
    try:
        yield
    finally:
        path.write_bytes(original)
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))


@contextlib.contextmanager
def edited_definition(path: Path, name: str) -> Iterator[None]:
    """Change what the top-level function or class ``name`` does (a statement more, first in its body)
    for the duration of a block. The file is rewritten from its syntax tree: its formatting and comments
    change too, which no fingerprint sees."""
    tree = ast.parse(path.read_text())
    (node,) = [n for n in tree.body if getattr(n, "name", None) == name]
    node.body.insert(0, ast.parse("_edited_by_a_test = 1").body[0])
    with edited(path, old=path.read_text(), new=ast.unparse(tree) + "\n"):
        yield
