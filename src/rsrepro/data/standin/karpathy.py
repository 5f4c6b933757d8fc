"""Caption datasets (RSITMD, RSICD) as published: images and a Karpathy-style JSON with ``raw`` and
``tokens`` per sentence (dataset_rsicd.json's layout: filename, imgid, sentences, split, sentids)."""

from __future__ import annotations

import json
import string
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rsrepro.data.sources.catalog import DATASETS
from rsrepro.data.sources.spec import KarpathyCaptions
from rsrepro.data.standin.files import encode_image, write_zip


@dataclass(frozen=True)
class Sentence:
    """One caption: its ``raw`` text and its ``tokens`` (default: ``raw`` in lower case, punctuation
    removed, split into words, as Karpathy's preprocessing made them)."""

    raw: str
    tokens: tuple[str, ...] | None = None

    def token_list(self) -> list[str]:
        if self.tokens is not None:
            return list(self.tokens)
        return self.raw.lower().translate(str.maketrans("", "", string.punctuation)).split()


@dataclass(frozen=True)
class CaptionedImage:
    filename: str  # <scene>_<n>.<ext>, or a number for RSICD's scene-less images
    split: str  # train, val or test
    sentences: tuple[Sentence, ...]


def karpathy_json(records: Sequence[CaptionedImage], dataset: str) -> bytes:
    images, sentid = [], 0
    for imgid, record in enumerate(records):
        sentids = list(range(sentid, sentid + len(record.sentences)))
        sentid += len(sentids)
        images.append(
            {
                "filename": record.filename,
                "imgid": imgid,
                "sentences": [
                    {"tokens": s.token_list(), "raw": s.raw, "imgid": imgid, "sentid": i}
                    for s, i in zip(record.sentences, sentids, strict=True)
                ],
                "split": record.split,
                "sentids": sentids,
            }
        )
    return json.dumps({"images": images, "dataset": dataset}).encode()


def write_captioned_dataset(
    name: str, out_dir: Path, images: Sequence[np.ndarray], records: Sequence[CaptionedImage]
) -> dict[str, Path]:
    """The caption dataset ``name``'s files as its :class:`~rsrepro.data.sources.spec.KarpathyCaptions`
    layout publishes them: ``{file key: path}`` (RSITMD: ``archive`` = RSITMD.zip holding
    ``RSITMD/images/<file>`` and ``RSITMD/dataset_RSITMD.json``; RSICD: ``images`` = RSICD_images.zip,
    ``captions`` = dataset_rsicd.json)."""
    source = DATASETS[name]
    layout = source.layout
    assert isinstance(layout, KarpathyCaptions), f"{name} is not a caption dataset"
    members = [
        (f"{layout.images}/{r.filename}", encode_image(image, Path(r.filename).suffix))
        for image, r in zip(images, records, strict=True)
    ]
    caption_file = karpathy_json(records, name)
    out_dir.mkdir(parents=True, exist_ok=True)
    files = {}
    if layout.json_folder is None:
        files[layout.json_key] = out_dir / source.files[layout.json_key].name
        files[layout.json_key].write_bytes(caption_file)
    else:
        members.append((f"{layout.json_folder}/{layout.json_name}", caption_file))
    files[layout.images_key] = write_zip(out_dir / source.files[layout.images_key].name, members)
    return files
