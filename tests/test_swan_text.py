"""SWAN's tokeniser and vocabulary, against the vocabulary files published with its code."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rsrepro.swan.text import (
    NLTK_ENGLISH_STOPWORDS,
    UNK,
    Vocabulary,
    build_vocabulary,
    tokenize,
    vocabulary_captions,
)

FIXTURES = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "swan-precomp"


def test_tokenize_follows_nltk_word_tokenize():
    text = "It's a stadium which hasn't been built. The 'b' color`s cannot (see) 3.5 side-by-side,ok."
    assert tokenize(text) == [
        "it", "'s", "a", "stadium", "which", "has", "n't", "been", "built", ".",
        "the", "'", "b", "'", "color", "`", "s", "can", "not", "(", "see", ")", "3.5",
        "side-by-side", ",", "ok", ".",
    ]  # fmt: skip


def test_stopword_list_is_nltks_179():
    assert len(NLTK_ENGLISH_STOPWORDS) == 179
    assert {"the", "a", "of", "don't", "wouldn't", "y"} <= NLTK_ENGLISH_STOPWORDS


def test_encode_faithful_maps_stopwords_to_unk_corrected_drops_them():
    vocab = Vocabulary(("green", "field", UNK))
    assert vocab.encode("The green field.", faithful=True) == [3, 1, 2]
    assert vocab.encode("The green field.", faithful=False) == [1, 2]
    assert vocab.encode("a zebra", faithful=False) == [3]
    # a blank caption (RSITMD has 20): the released loader's length-1 row of padding; corrected: <unk>
    assert vocab.encode("", faithful=True) == [0]
    assert vocab.encode(" . ", faithful=False) == [3]


def test_build_vocabulary_counts_threshold_and_order(tmp_path):
    vocab = build_vocabulary(["A red roof, a red car."] * 2 + ["red car"], min_count=3)
    assert vocab.words == ("red", "car", UNK)
    vocab.save(tmp_path / "v.json")
    loaded = Vocabulary.load(tmp_path / "v.json")
    assert loaded == vocab and loaded.unk == 3 and loaded.size == 4


def test_vocabulary_captions_sources():
    caps = [["a"], ["b"]]
    assert vocabulary_captions(caps, ["train", "test"], "train") == ["a"]
    assert vocabulary_captions(caps, ["train", "test"], "train_test") == ["a", "b"]


@pytest.mark.parametrize("dataset", ["rsitmd", "rsicd"])
def test_vocabulary_matches_published_file(dataset):
    folder = FIXTURES / f"{dataset}_precomp"
    if not folder.is_dir():
        pytest.skip(f"published SWAN caption lists not found at {FIXTURES}")
    # vocab.py counted train_caps.txt and test_caps.txt
    captions = [line for name in ("train_caps.txt", "test_caps.txt") for line in (folder / name).open()]
    published = json.loads((FIXTURES / f"{dataset}_splits_vocab.json").read_text())
    built = build_vocabulary(captions, min_count=5).to_json()
    assert built == published  # same words, same indices, <unk> last, same idx
    train_only = build_vocabulary(list((folder / "train_caps.txt").open()))
    assert len(train_only.words) < len(built["word2idx"])  # the published files include test-only words
