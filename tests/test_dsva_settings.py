"""DSVA's settings per split and setting: merging, the released scripts' values in the paper preset,
validation of the overrides, and per-job params (an override reruns its split and setting only)."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import pytest

from rsrepro.config import ParamsError, load_schema, validate_params
from rsrepro.dsva.settings import train_settings
from rsrepro.workflow import as_json
from tests.test_paper_preset import merged_paper_config

REPO = Path(__file__).resolve().parents[1]
SPLITS = ("40/30", "50/20", "60/10")
# script/*.sh of wenjiaXu/RS_Scene_ZSL @b69a498: --manualSeed, --calibrated_stacking (GZSL), --regular,
# --l_regular, --pro_start_epoch (-1: crop branch on; 40: never within 30 epochs)
SCRIPTS = {
    ("40/30", "zsl"): ("01_ZSL_43_11.sh", 3982, None, 0.0, 0.0, True),
    ("50/20", "zsl"): ("02_ZSL_52_11.sh", 3866, None, 0.0, 0.0, True),
    ("60/10", "zsl"): ("03_ZSL_61_12.sh", 4702, None, 0.0, 0.0, False),
    ("40/30", "gzsl"): ("11_gzsl_43_11.sh", 1342, 1e-4, 0.0, 0.0, True),
    ("50/20", "gzsl"): ("12_gzsl_52_9.sh", 9905, 1.4e-4, 5e-6, 5e-4, True),
    ("60/10", "gzsl"): ("13_gzsl_61_12.sh", 299, 1e-4, 0.0, 0.0, True),  # no seed: its log's first run
}


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return load_schema(REPO / "workflow/schemas/params.schema.yaml")


def test_overrides_merge_key_by_key_into_dsva_train() -> None:
    dsva = {
        "train": {"seed": 0, "lr": 1e-6, "loss": {"xe": 1.0, "regular": 0.0}},
        "settings": {"50/20": {"gzsl": {"seed": 9905, "loss": {"regular": 5e-6}}}},
    }
    assert train_settings(dsva, "50/20", "gzsl") == {
        "seed": 9905,
        "lr": 1e-6,
        "loss": {"xe": 1.0, "regular": 5e-6},
    }
    assert train_settings(dsva, "50/20", "zsl") == dsva["train"]
    assert train_settings(dsva, "60/10", "gzsl") == dsva["train"]
    assert dsva["train"]["loss"]["regular"] == 0.0  # the base is not modified
    assert train_settings({"train": {"seed": 1}}, "50/20", "zsl") == {"seed": 1}  # no settings at all


def test_paper_preset_carries_each_released_script() -> None:
    config = merged_paper_config()
    for (split, setting), (_, seed, gamma, regular, l_regular, crop) in SCRIPTS.items():
        cfg = train_settings(config["dsva"], split, setting)
        assert cfg["seed"] == seed, (split, setting)
        assert (cfg["loss"]["regular"], cfg["loss"]["l_regular"]) == (regular, l_regular), (split, setting)
        assert cfg["crop_branch"] is crop, (split, setting)
        if gamma is not None:
            assert cfg["cs_gamma_probability"] == gamma, (split, setting)
        # what all six scripts share
        assert (cfg["warmup_epochs"], cfg["warmup_lr"], cfg["lr"], cfg["epochs"]) == (5, 1e-4, 1e-6, 30)
        assert (cfg["ways"], cfg["shots"], cfg["batches_per_epoch"]) == (8, 3, 300)
        assert cfg["loss"] | {"regular": 0, "l_regular": 0} == {
            "xe": 1.0, "l_xe": 1.0, "attri": 0.01, "l_attri": 0.08, "cpt": 1e-9, "regular": 0, "l_regular": 0
        }  # fmt: skip


def test_each_override_names_its_script() -> None:
    text = (REPO / "config/paper.yaml").read_text()
    settings = text[text.index("  settings:") :]
    for (split, setting), (script, *_) in SCRIPTS.items():
        block = re.search(rf'"{split}":\n(.*?)(?=\n    "|\Z)', settings, re.S).group(1)
        line = re.search(rf"^      {setting}:.*$", block, re.M).group(0)
        assert script in line, (split, setting, line)


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        (
            {"50/20": {"gzsl": {"gamma": 1e-4}}},
            "dsva.settings.50/20.gzsl: unknown key(s) 'gamma'; allowed keys:",
        ),
        (
            {"70/0": {"zsl": {"seed": 1}}},
            "dsva.settings = '70/0' is not allowed; expected seen/unseen class counts",
        ),
        (
            {"50/20": {"gzls": {"seed": 1}}},
            "dsva.settings.50/20: unknown key(s) 'gzls'; allowed keys: gzsl, zsl",
        ),
        (
            {"60/10": {"zsl": {"loss": {"regular": "0"}}}},
            "dsva.settings.60/10.zsl.loss.regular = '0' has the wrong",
        ),
        (
            {"60/10": {"zsl": {"loss": {"lasso": 1.0}}}},
            "dsva.settings.60/10.zsl.loss: unknown key(s) 'lasso'",
        ),
    ],
)
def test_invalid_overrides_name_the_key(schema: dict[str, Any], settings: dict, expected: str) -> None:
    config = merged_paper_config()
    config["dsva"]["settings"] = settings
    with pytest.raises(ParamsError) as error:
        validate_params(config, schema)
    assert expected in str(error.value)


def test_dsva_train_still_requires_every_key(schema: dict[str, Any]) -> None:
    config = merged_paper_config()
    del config["dsva"]["train"]["seed"], config["dsva"]["train"]["loss"]["cpt"]
    with pytest.raises(ParamsError) as error:
        validate_params(config, schema)
    assert "dsva.train: 'seed' is a required property" in str(error.value)
    assert "dsva.train.loss: 'cpt' is a required property" in str(error.value)


def test_one_override_changes_one_jobs_params_only() -> None:
    config = merged_paper_config()
    jobs = [(split, setting) for split in SPLITS for setting in ("zsl", "gzsl")]
    before = {job: as_json(train_settings(config["dsva"], *job)) for job in jobs}
    changed = copy.deepcopy(config)
    changed["dsva"]["settings"]["50/20"]["gzsl"]["loss"]["l_regular"] = 1e-3
    after = {job: as_json(train_settings(changed["dsva"], *job)) for job in jobs}
    assert [job for job in jobs if before[job] != after[job]] == [("50/20", "gzsl")]
