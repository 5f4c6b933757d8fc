"""A DSVA settings override reruns its split and setting only (tests/test_dsva_settings.py: the rest)."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from tests.workflow_helpers import planned_jobs, write_params


@pytest.mark.slow
def test_a_settings_override_reruns_its_split_and_setting_only(tiny_pipeline: Path) -> None:
    params_file = tiny_pipeline / "params.yaml"
    original = yaml.safe_load(params_file.read_text())
    edited = copy.deepcopy(original)
    try:
        edited["dsva"]["settings"] = {"50/20": {"gzsl": {"cs_gamma_score": 0.4}}}  # a split the run lacks
        write_params(tiny_pipeline, edited)
        assert planned_jobs(tiny_pipeline) == {}
        edited["dsva"]["settings"] = {"60/10": {"gzsl": {"cs_gamma_score": 0.4}}}
        write_params(tiny_pipeline, edited)
        jobs = planned_jobs(tiny_pipeline)
        assert jobs["dsva_train"] == 2  # the GZSL run's full and select stages; the ZSL run stays
        assert jobs["dsva_summarize"] == 1
    finally:
        write_params(tiny_pipeline, original)
