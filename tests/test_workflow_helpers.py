"""Helpers the rule files use: split file lists, params as JSON, weights inputs, the final targets."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from rsrepro.papers import PAPERS
from rsrepro.paths import weights_input
from rsrepro.reports.targets import final_targets, restored_targets
from rsrepro.workflow import as_json

REPO = Path(__file__).resolve().parents[1]
CONFIG: dict[str, Any] = {
    "lsenet": {"train_ratios": {"ucm": [0.5, 0.8]}, "split_seeds": [0, 1]},
    "swan": {"run_seeds": [3]},
    "dsva": {"splits": ["60/10", "40/30"], "split_seeds": [0]},
}


def test_split_file_lists_follow_the_params() -> None:
    assert PAPERS["lsenet"].split_files(CONFIG, "ucm") == [
        f"results/splits/ucm/classification/ratio{r}_seed{s}.json" for r in (0.5, 0.8) for s in (0, 1)
    ]
    assert PAPERS["swan"].split_files(CONFIG, "rsicd") == ["results/splits/rsicd/retrieval/seed3.json"]
    assert PAPERS["dsva"].split_files(CONFIG, "rssdivcs") == [
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


def test_the_final_targets_hold_every_paper_report_and_restoring_leaves_out_only_reports() -> None:
    config = yaml.safe_load((REPO / "params.yaml").read_text())
    targets = final_targets(config)
    for name in PAPERS:
        assert f"results/reports/{name}.html" in targets and f"results/metrics/{name}.json" in targets
    assert "results/reports/index.html" in targets and len(targets) == len(set(targets))
    restored = restored_targets(config)
    assert set(targets) - set(restored) == {f for f in targets if f.startswith("results/reports/")}
