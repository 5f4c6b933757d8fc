"""The image-text model as rule inputs: which model a job uses, the files that brings, and what the model
trained on (what the baselines check their test images against). Plain functions of the Snakemake config.

A job names the model by the zero-shot splits and the split seed whose unseen classes it must never have
seen: DSVA's attribute collection and zero-shot baseline their own splits, LSE-Net's and SWAN's baselines
``image_text.baselines``. With ``model: embedded`` that is one model trained for those splits (rule
``image_text_train``; the same request is the same model); clip-rsicd is one checkpoint, whatever is asked.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rsrepro.data.sources.catalog import SOURCES
from rsrepro.paths import PRETRAINED, image_text_model, split_set, weights_input, zero_shot_split

CLIP_SPLIT = f"{PRETRAINED}/clip_rsicd_split"  # clip-rsicd's published training and validation lists
ENCODER_KEYS = ("model", "clip_model_dir", "image", "batch_size", "device")  # what a job using it reads
TRAINING_KEYS = (
    "image",
    "tower",
    "text",
    "embed_dim",
    "epochs",
    "batch_size",
    "lr",
    "weight_decay",
    "device",
)


def trained_here(config: dict[str, Any]) -> bool:
    """Whether the workflow trains the model (embedded) rather than using a fetched checkpoint."""
    return config["image_text"]["model"] == "embedded"


def encoder_params(config: dict[str, Any]) -> dict[str, Any]:
    """The settings of a job that embeds images or text with the model."""
    return {key: config["image_text"][key] for key in ENCODER_KEYS}


def training_params(config: dict[str, Any]) -> dict[str, Any]:
    """The settings of the embedded model's training (``seed`` is added to the split seed)."""
    return {key: config["image_text"][key] for key in (*TRAINING_KEYS, "seed")}


def baselines_model(config: dict[str, Any]) -> tuple[list[str], int]:
    """The zero-shot splits and split seed whose model LSE-Net's and SWAN's baselines use."""
    chosen = config["image_text"]["baselines"]
    return chosen["zero_shot_splits"], chosen["split_seed"]


def training_splits(dataset: str, splits: str, seed: int | str) -> list[str]:
    """The split files the model ``image_text_model(dataset, splits, seed)`` trains for."""
    return [zero_shot_split(dataset, tag, seed) for tag in splits.split("+")]


def model_inputs(config: dict[str, Any], dataset: str, splits: Sequence[str], seed: int | str) -> list[str]:
    """The trained model's folder, or the clip-rsicd checkpoint's (fetched by ``fetch_clip``)."""
    if trained_here(config):
        return [image_text_model(dataset, split_set(splits), seed)]
    return weights_input(config["image_text"]["clip_model_dir"])


def trained_on_inputs(
    config: dict[str, Any], dataset: str, splits: Sequence[str], seed: int | str
) -> list[str]:
    """The folder whose files list the model's training images (see :func:`trained_on_files`)."""
    return model_inputs(config, dataset, splits, seed) if trained_here(config) else [CLIP_SPLIT]


def trained_on_files(
    config: dict[str, Any], dataset: str, splits: Sequence[str], seed: int | str
) -> list[str]:
    """The files a baseline's ``--trained-on`` option reads: the trained model's ``training.json``, or
    clip-rsicd's published training and validation lists."""
    if trained_here(config):
        return [f"{model_inputs(config, dataset, splits, seed)[0]}/training.json"]
    return [f"{CLIP_SPLIT}/{remote.name}" for remote in SOURCES["clip_rsicd_split"].files.values()]


def model_option(config: dict[str, Any], dataset: str, splits: Sequence[str], seed: int | str) -> str:
    """The CLI option that names the trained model (clip-rsicd's folder comes through the params)."""
    if not trained_here(config):
        return ""
    return f"--image-text {model_inputs(config, dataset, splits, seed)[0]}"
