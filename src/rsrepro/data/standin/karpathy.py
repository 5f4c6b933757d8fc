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


def write_rsitmd(
    out_dir: Path, images: Sequence[np.ndarray], records: Sequence[CaptionedImage]
) -> dict[str, Path]:
    """``{"archive": RSITMD.zip}`` holding ``RSITMD/images/<file>`` and ``RSITMD/dataset_RSITMD.json``."""
    members = [
        (f"RSITMD/images/{r.filename}", _encoded(image, r)) for image, r in zip(images, records, strict=True)
    ]
    members.append(("RSITMD/dataset_RSITMD.json", karpathy_json(records, "rsitmd")))
    return {"archive": write_zip(out_dir / DATASETS["rsitmd"].files["archive"].name, members)}


def write_rsicd(
    out_dir: Path, images: Sequence[np.ndarray], records: Sequence[CaptionedImage]
) -> dict[str, Path]:
    """``{"images": RSICD_images.zip (RSICD_images/<file>), "captions": dataset_rsicd.json}``."""
    files = DATASETS["rsicd"].files
    members = [
        (f"RSICD_images/{r.filename}", _encoded(image, r)) for image, r in zip(images, records, strict=True)
    ]
    captions = out_dir / files["captions"].name
    out_dir.mkdir(parents=True, exist_ok=True)
    captions.write_bytes(karpathy_json(records, "rsicd"))
    return {"images": write_zip(out_dir / files["images"].name, members), "captions": captions}


def _encoded(image: np.ndarray, record: CaptionedImage) -> bytes:
    return encode_image(image, Path(record.filename).suffix)
