"""Helpers the rule files use: code inputs, split file lists, params as JSON."""

from __future__ import annotations

import json
from typing import Any

import pytest

from rsrepro.workflow import (
    as_json,
    classification_split_files,
    code,
    retrieval_split_files,
    weights_input,
    zero_shot_split_files,
)

CONFIG: dict[str, Any] = {
    "lsenet": {"train_ratios": {"ucm": [0.5, 0.8]}, "split_seeds": [0, 1]},
    "swan": {"run_seeds": [3]},
    "dsva": {"splits": ["60/10", "40/30"], "split_seeds": [0]},
}


def test_code_lists_the_python_files_of_a_package_or_module() -> None:
    files = code("data", "config")
    assert any(f.endswith("rsrepro/data/splits.py") for f in files)
    assert files[-1].endswith("rsrepro/config.py")


def test_code_of_a_missing_module_is_an_error() -> None:
    with pytest.raises(FileNotFoundError, match="no_such_module"):
        code("no_such_module")


def test_split_file_lists_follow_the_params() -> None:
    assert classification_split_files(CONFIG, "ucm") == [
        f"results/splits/ucm/classification/ratio{r}_seed{s}.json" for r in (0.5, 0.8) for s in (0, 1)
    ]
    assert retrieval_split_files(CONFIG, "rsicd") == ["results/splits/rsicd/retrieval/seed3.json"]
    assert zero_shot_split_files(CONFIG, "rssdivcs") == [
        "results/splits/rssdivcs/zero_shot/60-10_seed0.json",
        "results/splits/rssdivcs/zero_shot/40-30_seed0.json",
    ]


def test_params_json_is_key_order_independent() -> None:
    assert as_json({"b": 1, "a": [1, 2]}) == as_json({"a": [1, 2], "b": 1})
    assert json.loads(as_json({"a": 1})) == {"a": 1}


def test_fetched_weights_are_an_input_through_their_fetch_folder() -> None:
    fetched = "data/pretrained/vgg16_imagenet/vgg16-397923af.pth"
    assert weights_input(fetched) == ["data/pretrained/vgg16_imagenet"]
    assert weights_input("/models/vgg.pth") == ["/models/vgg.pth"]
    assert weights_input(None) == [] and weights_input("") == []
