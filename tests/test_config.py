"""params.yaml validation: every mistake stops with the key, the value and what is allowed."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from rsrepro.config import ParamsError, load_schema, validate_params


@pytest.fixture(scope="module")
def schema(repo_root: Path) -> dict[str, Any]:
    return load_schema(repo_root / "workflow/schemas/params.schema.yaml")


@pytest.fixture(scope="module")
def params(repo_root: Path) -> dict[str, Any]:
    return yaml.safe_load((repo_root / "params.yaml").read_text())


def test_shipped_params_are_valid(params: dict[str, Any], schema: dict[str, Any]) -> None:
    validate_params(params, schema)


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    *parents, leaf = path.split(".")

    def apply(config: dict[str, Any]) -> None:
        for key in parents:
            config = config[key]
        config[leaf] = value

    return apply


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            _set("lsenet.datasets", ["ucm2"]),
            "lsenet.datasets lists 'ucm2' but data.ucm2 is not configured",
        ),
        (
            _set("swan.datasets", ["ucm"]),
            "swan.datasets lists 'ucm', a class_folders dataset; SWAN reads karpathy_captions datasets",
        ),
        (
            _set("data.synthetic.image_size", "64"),
            "data.synthetic.image_size = '64' has the wrong type; expected integer",
        ),
        (_set("swan.learning_rate", 0.1), "swan: unknown key(s) 'learning_rate'; allowed keys:"),
        (_set("lsenet.train_ratios.ucmx", [0.5]), "lsenet.train_ratios.ucmx"),
        (_set("dsva.splits", ["70/0"]), "dsva.splits[0] = '70/0' is not allowed; expected seen/unseen class"),
        (_set("splits.retrieval.val_fraction", 1.5), "splits.retrieval.val_fraction = 1.5"),
        (_set("preset", "fast"), "preset = 'fast' is not allowed; allowed values: 'embedded', 'paper'"),
    ],
)
def test_invalid_values_name_key_value_and_allowed(
    params: dict[str, Any], schema: dict[str, Any], change: Callable, expected: str
) -> None:
    config = copy.deepcopy(params)
    change(config)
    with pytest.raises(ParamsError) as error:
        validate_params(config, schema)
    assert expected in str(error.value)


def test_a_dataset_without_ratios_or_data_section_is_named(
    params: dict[str, Any], schema: dict[str, Any]
) -> None:
    config = copy.deepcopy(params)
    config["lsenet"]["datasets"] = ["synthetic", "ucm"]
    with pytest.raises(ParamsError) as error:
        validate_params(config, schema)
    message = str(error.value)
    assert "lsenet.train_ratios has no entry for dataset 'ucm'" in message
    assert "data.ucm is not configured; add data.ucm: {image_size: ...} (a registry dataset" in message
    config["lsenet"]["datasets"] = ["my_scenes"]
    with pytest.raises(ParamsError, match=r"add a data\.my_scenes section \(your own dataset: layout, path"):
        validate_params(config, schema)


def test_more_gpus_than_batch_rows_is_named(params: dict[str, Any], schema: dict[str, Any]) -> None:
    config = copy.deepcopy(params)
    config["lsenet"]["train"].update(gpus=4, batch_size=2)
    config["swan"]["train"]["gpus"] = 2  # fine: a batch of 100 pairs
    with pytest.raises(ParamsError) as error:
        validate_params(config, schema)
    lines = str(error.value).splitlines()[1:]
    assert lines == [
        "  - lsenet.train.gpus = 4 exceeds the global batch of 2 (lsenet.train.batch_size), which the GPUs "
        "share; lower lsenet.train.gpus to at most 2 or raise lsenet.train.batch_size"
    ]


# 358 bytes that expand to 9**9 (387 million) strings: each line aliases the one before nine times.
ANCHOR_BOMB = """value:
  - &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
  - &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
  - &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
  - &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
  - &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
  - &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
  - &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
  - &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
  - &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
"""


@pytest.mark.parametrize("key", ["data.synthetic.image_size", "lsenet.datasets"])
def test_a_yaml_anchor_bomb_is_named_in_one_short_line(
    params: dict[str, Any], schema: dict[str, Any], key: str
) -> None:
    config = copy.deepcopy(params)
    _set(key, yaml.safe_load(ANCHOR_BOMB)["value"][-1])(config)
    with pytest.raises(ParamsError) as error:
        validate_params(config, schema)
    assert str(error.value).splitlines()[1] == (
        f"  - {key} expands to 435,848,050 values (YAML anchors and aliases nested in each other?); params "
        "hold at most 100,000. Write the value out plainly."
    )


def test_long_values_are_cut_in_the_message(params: dict[str, Any], schema: dict[str, Any]) -> None:
    config = copy.deepcopy(params)
    config["data"]["synthetic"]["image_size"] = ["x" * 1000] * 5000
    config["swan"]["learning_rate"] = {"y" * 500: list(range(1000))}
    with pytest.raises(ParamsError) as error:
        validate_params(config, schema)
    lines = str(error.value).splitlines()
    assert lines[1].startswith("  - data.synthetic.image_size = ['xxxxx") and "has the wrong type" in lines[1]
    assert max(len(line) for line in lines) < 400, lines
