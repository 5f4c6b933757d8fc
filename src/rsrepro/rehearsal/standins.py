"""Stand-ins of the six paper datasets in their published layouts and formats, drawn by the synthetic
generator: what a researcher downloads, a few images per class, so that fetch, verify, extract, convert
and split run as on the real files.

Each real class is drawn as a synthetic scene class (class ``c`` as ``CLASSES[c % 28]``, a different
image seed per image); images are drawn at ``size`` and written at each dataset's own resolution and
format (UCM and RSITMD ``.tif`` at 256, AID ``.jpg`` at 600, NWPU ``.jpg`` at 256, RSICD ``.jpg`` at 224,
RSSDIVCS ``.jpg`` at 256), so the conversion resizes where the real one does. Captions are the generator's
(true to what was drawn); RSSDIVCS's attributes are random in [0, 1], in its 98 x 70 shape.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np
from PIL import Image

from rsrepro.data.sources.catalog import DATASETS, SOURCES
from rsrepro.data.standin import (
    CaptionedImage,
    Sentence,
    ZeroShotLists,
    write_folder_dataset,
    write_rsicd,
    write_rsitmd,
    write_rssdivcs,
)
from rsrepro.data.synthetic import CLASSES, render_scene

# The resolution each dataset is published at (the prepared form resizes to data.<name>.image_size).
PUBLISHED_SIZE = {"ucm": 256, "aid": 600, "nwpu_resisc45": 256, "rsitmd": 256, "rsicd": 224, "rssdivcs": 256}
RSSDIVCS_ATTRIBUTES = 98  # attri_dim of the released code
RSSDIVCS_UNSEEN = {"60/10": 10, "50/20": 20, "40/30": 30}
CAPTION_SPLITS = ("train", "val", "test")


def drawn(class_index: int, image_index: int, size: int, out_size: int, seed: int):
    """One synthetic scene for real class ``class_index``, resized to ``out_size``."""
    scene = render_scene(
        class_index % len(CLASSES), size, np.random.default_rng([seed, class_index, image_index])
    )
    image = scene.image
    if out_size != size:
        image = np.asarray(Image.fromarray(image).resize((out_size, out_size), Image.BICUBIC))
    return image, scene.captions


def class_images(name: str, n_classes: int, per_class: int, size: int, seed: int):
    """Images (at the dataset's published size), their labels and captions, ``per_class`` per class."""
    images, labels, captions = [], [], []
    for c in range(n_classes):
        for i in range(per_class):
            image, text = drawn(c, i, size, PUBLISHED_SIZE[name], seed)
            images.append(image)
            labels.append(c)
            captions.append(text)
    return images, labels, captions


def caption_records(
    name: str, per_class: int, size: int, seed: int
) -> tuple[list[np.ndarray], list[CaptionedImage]]:
    """A captioned dataset whose scenes are the synthetic classes (file names ``<scene>_<n>``), each
    scene's images in train, then val, then test (the last two one image each where there are three or
    more), and for RSICD one scene-less numeric name per split, as the real file holds."""
    suffix = ".tif" if name == "rsitmd" else ".jpg"
    images, records = [], []
    for c, scene in enumerate(CLASSES):
        for i in range(per_class):
            image, text = drawn(c, i, size, PUBLISHED_SIZE[name], seed)
            split = CAPTION_SPLITS[max(0, i - per_class + 3)] if per_class >= 3 else "train"
            images.append(image)
            records.append(CaptionedImage(f"{scene}_{i}{suffix}", split, tuple(Sentence(t) for t in text)))
    if name == "rsicd":
        for k, split in enumerate(CAPTION_SPLITS):
            image, text = drawn(k, per_class + k, size, PUBLISHED_SIZE[name], seed)
            images.append(image)
            records.append(CaptionedImage(f"{k + 1:05d}.jpg", split, tuple(Sentence(t) for t in text)))
    return images, records


def rssdivcs_lists(labels: np.ndarray, n_classes: int, seed: int) -> dict[str, ZeroShotLists]:
    """Per paper split: random unseen classes; of each seen class the first images train, the last one
    (where there are two or more) in test_seen."""
    splits = {}
    for split, n_unseen in RSSDIVCS_UNSEEN.items():
        rng = np.random.default_rng([seed, n_unseen])
        unseen = set(rng.choice(n_classes, size=n_unseen, replace=False).tolist())
        last = np.r_[labels[1:] != labels[:-1], True]  # the last image of each class
        seen = ~np.isin(labels, sorted(unseen))
        test_seen = seen & last & (np.bincount(labels)[labels] > 1)
        train = np.flatnonzero(seen & ~test_seen)
        splits[split] = ZeroShotLists(
            train=train,
            train_gzsl=train,
            test_seen=np.flatnonzero(test_seen),
            test_unseen=np.flatnonzero(~seen),
        )
    return splits


def write_standins(out: Path, per_class: dict[str, int], size: int = 256, seed: int = 0) -> dict[str, dict]:
    """The six datasets' files under ``out/<name>/``: ``{name: {catalog key: path}}``."""
    files: dict[str, dict] = {}
    for name in ("ucm", "aid", "nwpu_resisc45"):
        images, labels, _ = class_images(name, DATASETS[name].class_count, per_class[name], size, seed)
        files[name] = write_folder_dataset(name, out / name, images, labels)
    for name, writer in (("rsitmd", write_rsitmd), ("rsicd", write_rsicd)):
        files[name] = writer(out / name, *caption_records(name, per_class[name], size, seed))
    n_classes = DATASETS["rssdivcs"].class_count
    images, labels, _ = class_images("rssdivcs", n_classes, per_class["rssdivcs"], size, seed)
    rng = np.random.default_rng(seed)
    groups = np.array_split(rng.permutation(RSSDIVCS_ATTRIBUTES), 3)
    files["rssdivcs"] = write_rssdivcs(
        out / "rssdivcs",
        images,
        labels,
        [f"{CLASSES[c % len(CLASSES)]}_{c // len(CLASSES)}" for c in range(n_classes)],
        rssdivcs_lists(np.asarray(labels), n_classes, seed),
        rng.random((n_classes, RSSDIVCS_ATTRIBUTES)),
        dict(
            zip(
                ("functions", "materials", "surface_properties"),
                (sorted(g.tolist()) for g in groups),
                strict=True,
            )
        ),
    )
    return files


def write_clip_rsicd_split(out: Path, rsicd_captions: Path) -> dict[str, Path]:
    """clip-rsicd's ``textaug_{train,valid}_rsicd.jsonl`` for the RSICD stand-in: its train and val images,
    one ``{"filename": "rsicd_images/<name>", "captions": [...]}`` per line, as arampacha/CLIP-rsicd
    publishes them (clip-rsicd trained on the same split the paper's RSICD test holds out)."""
    images = json.loads(rsicd_captions.read_text())["images"]
    out.mkdir(parents=True, exist_ok=True)
    files = {}
    for key, split in (("train", "train"), ("valid", "val")):
        lines = [
            json.dumps({"filename": f"rsicd_images/{image['filename']}",
                        "captions": [s["raw"] for s in image["sentences"]]})
            for image in images if image["split"] == split
        ]  # fmt: skip
        files[key] = out / SOURCES["clip_rsicd_split"].files[key].name
        files[key].write_text("\n".join(lines) + "\n")
    return files


def caption_words(files: dict[str, dict]) -> list[str]:
    """Every token of the stand-ins' captions (what a vocabulary built from them can hold)."""
    with zipfile.ZipFile(files["rsitmd"]["archive"]) as archive:
        texts = [files["rsicd"]["captions"].read_bytes(), archive.read("RSITMD/dataset_RSITMD.json")]
    return sorted(
        {
            token
            for text in texts
            for image in json.loads(text)["images"]
            for s in image["sentences"]
            for token in s["tokens"]
        }
    )
