"""Training settings of one split and setting: ``dsva.train`` with ``dsva.settings[split][setting]`` over it.

The released code has one script per split and setting (``script/*.sh``), each with its own seed,
calibration gamma, group-lasso weights and crop branch; ``config/paper.yaml`` carries them as overrides.
"""

from __future__ import annotations

from typing import Any

from rsrepro.paths import split_of

SETTINGS = ("zsl", "gzsl")


def train_settings(dsva: dict[str, Any], split: str, setting: str) -> dict[str, Any]:
    """``dsva.train`` with the overrides of ``split`` ("50/20") and ``setting`` ("zsl" | "gzsl")."""
    overrides = dsva.get("settings", {}).get(split, {}).get(setting, {})
    return merged(dsva["train"], overrides)


def job_train_settings(config: dict[str, Any], split_tag: str, setting: str) -> dict[str, Any]:
    """The settings of one training job, from its wildcards (split "50-20", setting)."""
    return train_settings(config["dsva"], split_of(split_tag), setting)


def merged(base: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``base`` with ``overrides`` applied key by key, nested sections (``loss``) included."""
    out = dict(base)
    for key, value in overrides.items():
        nested = isinstance(value, dict) and isinstance(base.get(key), dict)
        out[key] = merged(base[key], value) if nested else value
    return out
