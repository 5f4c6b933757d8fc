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


def fallback_spelling(word: str) -> str:
    """The spelling SWAN's embedding init tries for a word GloVe lacks: ``-``, ``.`` and ``'`` removed,
    then the part before the first ``/``."""
    word = word.replace("-", "").replace(".", "").replace("'", "")
    return word.split("/")[0]


def glove_subset(archive: Path, words: list[str], dim: int = 300) -> tuple[np.ndarray, np.ndarray]:
    """``(vectors float32 len(words) x dim, found bool)``: each word's GloVe vector, else its
    :func:`fallback_spelling`'s (as SWAN's init does); words with neither keep a zero row and ``found``
    false (the model leaves their random initialisation). A token listed twice keeps its last vector, as
    torchtext's ``stoi`` does."""
    wanted = {w for w in words if w} | {fallback_spelling(w) for w in words if w}
    table: dict[str, np.ndarray] = {}
    with zipfile.ZipFile(archive) as zf:
        members = [m for m in zf.namelist() if m.endswith(".txt")]
        if len(members) != 1:
            raise LayoutError(f"{archive}: expected one .txt member, found {members}")
        with zf.open(members[0]) as raw:
            for line in io.TextIOWrapper(raw, encoding="utf-8", errors="replace"):
                # A handful of 840B tokens contain spaces: the vector is always the last `dim` fields.
                parts = line.rstrip("\n").split(" ")
                word = " ".join(parts[:-dim])
                if word in wanted:
                    table[word] = np.asarray(parts[-dim:], dtype=np.float32)
    vectors = np.zeros((len(words), dim), dtype=np.float32)
    found = np.zeros(len(words), dtype=bool)
    for i, word in enumerate(words):
        vector = table.get(word, table.get(fallback_spelling(word))) if word else None
        if vector is not None:
            vectors[i], found[i] = vector, True
    return vectors, found
