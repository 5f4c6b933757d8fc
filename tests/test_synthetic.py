"""The synthetic dataset generator: determinism, truthful captions/attributes/key masks, prepared output."""

from __future__ import annotations

import re
from collections import Counter

import numpy as np
import pytest
from PIL import Image

from rsrepro.data.prepared import META_COLUMNS, PreparedDataset
from rsrepro.data.synthetic import (
    ATTRIBUTE_GROUPS,
    ATTRIBUTE_NAMES,
    CLASSES,
    CONFUSION_PAIRS,
    contact_sheet,
    prepare_synthetic,
    render_scene,
)
from rsrepro.data.synthetic.canvas import PALETTE
from rsrepro.data.synthetic.captions import MANY, NUMBER_WORDS, plural

PER_CLASS = 3


def scene(name: str, j: int = 0, size: int = 64, seed: int = 0):
    c = CLASSES.index(name)
    return render_scene(c, size, np.random.default_rng([seed, c, j]))


@pytest.fixture(scope="module")
def scenes():
    """Four 64 px scenes of every class."""
    return {name: [scene(name, j) for j in range(4)] for name in CLASSES}


@pytest.fixture(scope="module")
def prepared(tmp_path_factory):
    root = tmp_path_factory.mktemp("synthetic")
    out = root / "data"
    prepare_synthetic(
        out,
        seed=3,
        image_size=32,
        images_per_class=PER_CLASS,
        test_fraction=1 / 3,
        contact_sheet_path=root / "sheet.png",
    )
    return out


def test_classes_and_pairs_are_well_formed():
    assert len(CLASSES) == 28 and len(set(CLASSES)) == 28
    assert all(re.fullmatch(r"[a-z]+(_[a-z]+)*", c) for c in CLASSES)
    for a, b, why in CONFUSION_PAIRS:
        assert a in CLASSES and b in CLASSES and a != b and why


def test_same_seed_same_scene_other_seed_other_scene():
    for name in ("dense_residential", "harbor", "desert"):
        a, b, other = scene(name), scene(name), scene(name, seed=1)
        assert a.image.tobytes() == b.image.tobytes()
        assert np.array_equal(a.key_mask, b.key_mask)
        assert a.captions == b.captions and np.array_equal(a.attributes, b.attributes)
        assert a.image.tobytes() != other.image.tobytes()


@pytest.mark.parametrize("size", [32, 64, 256])
def test_every_class_renders_at_size(size):
    for c in range(len(CLASSES)):
        s = render_scene(c, size, np.random.default_rng([0, c, 7]))
        assert s.image.shape == (size, size, 3) and s.image.dtype == np.uint8
        assert s.key_mask.shape == (size, size) and s.key_mask.dtype == bool
        assert s.image.std() > 3, f"{CLASSES[c]} at {size} px is nearly flat"
        assert s.key_mask.any(), f"{CLASSES[c]} at {size} px has an empty key mask"
        assert s.attributes.shape == (len(ATTRIBUTE_NAMES),)


def _counting_mentions(caption: str, noun: str, counts=(r"\w+",)):
    """(count word, colour phrase) for each "<count> [<colours>] <noun>" in a caption.

    Compounds in scene phrases ("a mobile home park", "a road bridge", "a road intersection") name no
    count of the noun.
    """
    colours = "|".join(sorted(map(re.escape, PALETTE), key=len, reverse=True))
    count = "|".join(counts)
    colour_phrase = rf"(?:((?:{colours})(?: and (?:{colours}))?) )?"
    pattern = rf"\b({count}) {colour_phrase}{re.escape(noun)}\b(?! park| bridge| intersection)"
    return re.findall(pattern, caption.lower())


def test_captions_state_true_counts_and_drawn_colours(scenes):
    all_kinds = {o.kind for ss in scenes.values() for s in ss for o in s.objects}
    checked = 0
    for ss in scenes.values():
        for s in ss:
            counts = Counter(o.kind for o in s.objects)
            colours = {k: {o.colour for o in s.objects if o.kind == k} for k in counts}
            for caption in s.captions:
                for kind in all_kinds:
                    for noun in (kind, plural(kind)):
                        for word, colour in _counting_mentions(caption, noun):
                            n = counts.get(kind, 0)
                            if word in ("a", "an", "one"):
                                assert n == 1 and noun == kind, (caption, kind, n)
                            elif word.isdigit() or word in NUMBER_WORDS:
                                stated = int(word) if word.isdigit() else NUMBER_WORDS.index(word)
                                assert stated == n, (caption, kind, n)
                            else:
                                continue
                            checked += 1
                            for c in filter(None, colour.split(" and ")):
                                assert c in colours[kind], (caption, kind, colours[kind])
                        for _ in _counting_mentions(caption, noun, counts=MANY):
                            assert counts.get(kind, 0) > 12, (caption, kind)
                            checked += 1
    assert checked > 200  # the check really ran over many counted mentions


def test_five_varied_captions(scenes):
    for name, ss in scenes.items():
        for s in ss:
            assert len(s.captions) == 5 and all(isinstance(c, str) and c for c in s.captions)
            assert len(set(s.captions)) >= 3, (name, s.captions)


def test_attributes_follow_the_drawing(scenes):
    assert len(ATTRIBUTE_NAMES) >= 30
    assert set(ATTRIBUTE_GROUPS) == {"functions", "materials", "surface_properties"}
    assert sorted(i for g in ATTRIBUTE_GROUPS.values() for i in g) == list(range(len(ATTRIBUTE_NAMES)))
    water = ATTRIBUTE_NAMES.index("material_water")
    residential = ATTRIBUTE_NAMES.index("function_residential")
    storage = ATTRIBUTE_NAMES.index("function_storage")
    green = ATTRIBUTE_NAMES.index("surface_green")
    for name, ss in scenes.items():
        for s in ss:
            assert s.attributes.dtype == np.float32
            assert (s.attributes >= 0).all() and (s.attributes <= 1).all(), name
            kinds = {o.kind for o in s.objects}
            assert (s.attributes[residential] > 0) == bool(kinds & {"house", "mobile home", "swimming pool"})
            assert (s.attributes[storage] > 0) == ("storage tank" in kinds)
    assert min(s.attributes[water] for s in scenes["lake"]) > 0.4
    assert max(s.attributes[water] for s in scenes["desert"]) == 0
    assert np.mean([s.attributes[green] for s in scenes["forest"]]) > np.mean(
        [s.attributes[green] for s in scenes["desert"]]
    )


def test_key_mask_covers_the_key_objects():
    for j in range(3):
        s = scene("storage_tanks", j, size=128)
        boxes = [o.box for o in s.objects if o.kind == "storage tank"]
        assert boxes and all(o.key == (o.kind == "storage tank") for o in s.objects)
        allowed = np.zeros_like(s.key_mask)
        for x0, y0, x1, y1 in boxes:
            allowed[
                int(y0 * 128) - 1 : int(np.ceil(y1 * 128)) + 1, int(x0 * 128) - 1 : int(np.ceil(x1 * 128)) + 1
            ] = True
        assert s.key_mask.any() and not (s.key_mask & ~allowed).any()


def test_confusion_pairs_differ_in_what_they_should(scenes):
    def mean_count(name, kind):
        return np.mean([sum(o.kind == kind for o in s.objects) for s in scenes[name]])

    assert mean_count("dense_residential", "house") > mean_count("medium_residential", "house")
    assert mean_count("medium_residential", "house") > mean_count("sparse_residential", "house")
    for cls, partner, kind in (
        ("storage_tanks", "industrial", "storage tank"),
        ("bridge", "river", "bridge"),
        ("harbor", "beach", "boat"),
        ("golf_course", "meadow", "sand bunker"),
        ("airport", "runway", "airplane"),
        ("commercial", "parking_lot", "commercial building"),
        ("intersection", "freeway", "crosswalk"),
    ):
        assert all(any(o.kind == kind for o in s.objects) for s in scenes[cls]), cls
        assert not any(o.kind == kind for s in scenes[partner] for o in s.objects), partner
    # The shared part looks alike: both members of a pair keep their common elements.
    assert all(any(o.kind == "warehouse" for o in s.objects) for s in scenes["storage_tanks"])
    assert all(any(o.kind == "river" for o in s.objects) for s in scenes["bridge"])


def test_prepare_writes_a_valid_prepared_dataset(prepared):
    data = PreparedDataset.load(prepared)
    n = 28 * PER_CLASS
    assert data.name == "synthetic" and data.classes == list(CLASSES) and data.image_size == 32
    assert data.images.shape == (n, 32, 32, 3) and data.images.dtype == np.uint8
    assert list(data.meta.columns) == list(META_COLUMNS)
    assert np.bincount(data.class_idx).tolist() == [PER_CLASS] * 28
    assert (data.meta.groupby("class_idx")["official_split"].apply(lambda s: (s == "test").sum()) == 1).all()
    assert data.meta["file"].iloc[PER_CLASS] == f"{CLASSES[1]}/{CLASSES[1]}_0000.png"
    assert (data.meta["scene"] == data.meta["class_name"]).all()
    assert len(data.captions) == n and all(len(c) == 5 for c in data.captions)
    assert data.attributes.shape == (n, len(ATTRIBUTE_NAMES))
    assert data.attribute_names == list(ATTRIBUTE_NAMES) and data.attribute_groups == ATTRIBUTE_GROUPS
    expected = data.attributes.reshape(28, PER_CLASS, -1).mean(1)
    np.testing.assert_allclose(data.class_attributes, expected, rtol=1e-6)
    assert data.key_masks.shape == (n, 32, 32) and data.key_masks.reshape(n, -1).max(1).min() == 1
    assert data.info["generator"]["seed"] == 3
    assert [tuple(p) for p in data.info["confusion_pairs"]] == list(CONFUSION_PAIRS)
    # An image in the file is the one render_scene gives for its (seed, class, index) alone.
    c, j = 5, 2
    again = render_scene(c, 32, np.random.default_rng([3, c, j]))
    assert np.array_equal(data.images[c * PER_CLASS + j], again.image)


def test_prepare_is_deterministic_in_the_seed_whatever_the_number_of_workers(prepared, tmp_path):
    prepare_synthetic(
        tmp_path / "same", seed=3, image_size=32, images_per_class=PER_CLASS, test_fraction=1 / 3, workers=2
    )
    prepare_synthetic(
        tmp_path / "other", seed=4, image_size=32, images_per_class=PER_CLASS, test_fraction=1 / 3
    )
    for part in ("images.npy", "meta.csv", "captions.json", "attributes.npy", "key_masks.npy"):
        assert (prepared / part).read_bytes() == (tmp_path / "same" / part).read_bytes(), part
    assert (prepared / "images.npy").read_bytes() != (tmp_path / "other" / "images.npy").read_bytes()


def test_contact_sheet_is_a_non_blank_png(prepared, tmp_path):
    sheet = np.asarray(Image.open(prepared.parent / "sheet.png").convert("RGB"))
    assert sheet.shape[0] > 200 and sheet.std() > 20
    contact_sheet(PreparedDataset.load(prepared), tmp_path / "again.png", sample=1)
    assert (tmp_path / "again.png").stat().st_size > 10_000
