"""Stand-ins of registry datasets (:data:`rsrepro.data.sources.catalog.DATASETS`) in their published
layouts and formats, drawn by the synthetic generator: what a researcher downloads, a few images per class,
so that fetch, verify, extract, convert and split run as on the real files.

Each real class is drawn as a synthetic scene class (class ``c`` as ``CLASSES[c % 28]``, a different
image seed per image); images are drawn at ``size`` and written at each dataset's published resolution
and format (the entry's ``published_size`` and layout: UCM and RSITMD ``.tif`` at 256, AID ``.jpg`` at
600, RSICD ``.jpg`` at 224, ...), so the conversion resizes where the real one does. Captions are the
generator's (true to what was drawn); RSSDIVCS's attributes are random in [0, 1], in its 98 x 70 shape.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np
from PIL import Image

from rsrepro.data.sources.catalog import DATASETS, SOURCES
from rsrepro.data.sources.spec import ClassFolders, Dataset, KarpathyCaptions, ZeroShotMat
from rsrepro.data.standin import WRITERS, CaptionedImage, Sentence, ZeroShotLists
from rsrepro.data.synthetic import CLASSES, render_scene

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


def class_images(entry: Dataset, per_class: int, size: int, seed: int):
    """Images (at the dataset's published size), their labels and captions, ``per_class`` per class."""
    images, labels, captions = [], [], []
    for c in range(entry.class_count):
        for i in range(per_class):
            image, text = drawn(c, i, size, entry.published_size, seed)
            images.append(image)
            labels.append(c)
            captions.append(text)
    return images, labels, captions


def caption_records(
    entry: Dataset, per_class: int, size: int, seed: int
) -> tuple[list[np.ndarray], list[CaptionedImage]]:
    """A captioned dataset whose scenes are the synthetic classes (file names ``<scene>_<n>``), each
    scene's images in train, then val, then test (the last two one image each where there are three or
    more), and where the layout says so (RSICD) one scene-less numeric name per split, as the real file
    holds."""
    layout, out_size = entry.layout, entry.published_size
    assert isinstance(layout, KarpathyCaptions)
    suffix = layout.image_suffix
    images, records = [], []
    for c, scene in enumerate(CLASSES):
        for i in range(per_class):
            image, text = drawn(c, i, size, out_size, seed)
            split = CAPTION_SPLITS[max(0, i - per_class + 3)] if per_class >= 3 else "train"
            images.append(image)
            records.append(CaptionedImage(f"{scene}_{i}{suffix}", split, tuple(Sentence(t) for t in text)))
    if layout.scene_less:
        for k, split in enumerate(CAPTION_SPLITS):
            image, text = drawn(k, per_class + k, size, out_size, seed)
            images.append(image)
            records.append(CaptionedImage(f"{k + 1:05d}{suffix}", split, tuple(Sentence(t) for t in text)))
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
    """The files of the registry datasets in ``per_class`` (images per class of each) under
    ``out/<name>/``: ``{name: {catalog key: path}}``."""
    return {name: write_standin(DATASETS[name], out / name, n, size, seed) for name, n in per_class.items()}


def write_standin(entry: Dataset, out: Path, per_class: int, size: int, seed: int) -> dict[str, Path]:
    """One dataset's stand-in, written by its layout's writer."""
    write = WRITERS[entry.layout.name]
    if isinstance(entry.layout, ClassFolders):
        images, labels, _ = class_images(entry, per_class, size, seed)
        return write(entry.name, out, images, labels)
    if isinstance(entry.layout, KarpathyCaptions):
        return write(entry.name, out, *caption_records(entry, per_class, size, seed))
    assert isinstance(entry.layout, ZeroShotMat)
    n_classes, n_attributes = entry.class_count, entry.layout.attributes
    images, labels, _ = class_images(entry, per_class, size, seed)
    rng = np.random.default_rng(seed)
    groups = np.array_split(rng.permutation(n_attributes), 3)
    return write(
        out,
        images,
        labels,
        [f"{CLASSES[c % len(CLASSES)]}_{c // len(CLASSES)}" for c in range(n_classes)],
        rssdivcs_lists(np.asarray(labels), n_classes, seed),
        rng.random((n_classes, n_attributes)),
        dict(
            zip(
                ("functions", "materials", "surface_properties"),
                (sorted(g.tolist()) for g in groups),
                strict=True,
            )
        ),
    )


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
    """Every token of the caption stand-ins' captions (what a vocabulary built from them can hold)."""
    texts = []
    for name, by_key in files.items():
        layout = DATASETS[name].layout
        if not isinstance(layout, KarpathyCaptions):
            continue
        if layout.json_folder is None:
            texts.append(by_key[layout.json_key].read_bytes())
        else:
            with zipfile.ZipFile(by_key[layout.json_key]) as archive:
                texts.append(archive.read(f"{layout.json_folder}/{layout.json_name}"))
    return sorted(
        {
            token
            for text in texts
            for image in json.loads(text)["images"]
            for s in image["sentences"]
            for token in s["tokens"]
        }
    )
