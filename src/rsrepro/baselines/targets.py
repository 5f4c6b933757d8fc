"""The image-text model behind every baseline, as rule inputs: the embedded one DSVA's collection trains
(on the dataset's seen-class captions of DSVA's first split seed) or clip-rsicd, and what it was trained
on."""

from __future__ import annotations

from typing import Any

from rsrepro.data.sources.catalog import SOURCES
from rsrepro.paths import PRETRAINED, paper_dir, weights_input

CLIP_SPLIT = f"{PRETRAINED}/clip_rsicd_split"  # clip-rsicd's published training and validation lists


def image_text_inputs(config: dict[str, Any], dataset: str) -> dict[str, list[str]]:
    """``model``: the embedded model's directory or the CLIP folder; ``trained_on``: the folder(s) whose
    files list its training images (see :func:`trained_on_files`)."""
    collection = config["dsva"]["collection"]
    if collection["model"] == "embedded":
        model = f"{paper_dir('dsva')}/{dataset}/image_text_seed{config['dsva']['split_seeds'][0]}"
        return {"model": [model], "trained_on": [model]}
    return {"model": weights_input(collection["clip_model_dir"]), "trained_on": [CLIP_SPLIT]}


def trained_on_files(config: dict[str, Any], dataset: str) -> list[str]:
    """The files the ``--trained-on`` option reads (inside the ``trained_on`` inputs)."""
    if config["dsva"]["collection"]["model"] == "embedded":
        return [f"{image_text_inputs(config, dataset)['model'][0]}/training.json"]
    return [f"{CLIP_SPLIT}/{remote.name}" for remote in SOURCES["clip_rsicd_split"].files.values()]


def model_option(config: dict[str, Any], dataset: str) -> str:
    """The CLI option that names the embedded model (clip-rsicd comes through the params)."""
    if config["dsva"]["collection"]["model"] != "embedded":
        return ""
    return f"--image-text {image_text_inputs(config, dataset)['model'][0]}"
