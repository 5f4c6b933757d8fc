"""GloVe vectors of one vocabulary, read by streaming over the 2 GB zip (nothing is extracted to disk)."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import numpy as np

from rsrepro.data.sources.errors import LayoutError


def read_vocabulary(path: Path) -> list[str]:
    """Words by row: a JSON list, or SWAN's ``{"word2idx": {...}}`` (unused rows, e.g. padding 0, are "")."""
    vocab = json.loads(path.read_text())
    if isinstance(vocab, list):
        return [str(w) for w in vocab]
    if isinstance(vocab, dict) and "word2idx" in vocab:
        word2idx = {w: int(i) for w, i in vocab["word2idx"].items()}
        words = [""] * (max(word2idx.values()) + 1)
        for word, idx in word2idx.items():
            words[idx] = word
        return words
    raise LayoutError(f"{path}: expected a JSON list of words or an object with word2idx")


def glove_subset(archive: Path, words: list[str], dim: int = 300) -> tuple[np.ndarray, np.ndarray]:
    """``(vectors float32 len(words) x dim, found bool)``; words GloVe lacks keep a zero row (torchtext's
    default for unknown words, which SWAN's embedding init relied on)."""
    rows: dict[str, list[int]] = {}
    for i, word in enumerate(words):
        if word:
            rows.setdefault(word, []).append(i)
    vectors = np.zeros((len(words), dim), dtype=np.float32)
    found = np.zeros(len(words), dtype=bool)
    with zipfile.ZipFile(archive) as zf:
        members = [m for m in zf.namelist() if m.endswith(".txt")]
        if len(members) != 1:
            raise LayoutError(f"{archive}: expected one .txt member, found {members}")
        with zf.open(members[0]) as raw:
            for line in io.TextIOWrapper(raw, encoding="utf-8", errors="replace"):
                # A handful of 840B tokens contain spaces: the vector is always the last `dim` fields.
                parts = line.rstrip("\n").split(" ")
                word = " ".join(parts[:-dim])
                if word in rows and not found[rows[word][0]]:
                    vectors[rows[word]] = np.asarray(parts[-dim:], dtype=np.float32)
                    found[rows[word]] = True
    return vectors, found
