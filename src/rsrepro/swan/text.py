"""SWAN's text side before the model: its tokeniser, its vocabulary (``vocab.py``) and caption encoding.

NLTK is not a dependency: :func:`tokenize` is a regex equivalent of ``nltk.word_tokenize`` (Punkt sentence
split, then the Treebank rules) for caption text, and :data:`NLTK_ENGLISH_STOPWORDS` is NLTK's English list.
Building the vocabulary from the official RSITMD/RSICD train+test captions reproduces the published
``*_splits_vocab.json`` files word for word and in order (see the tests).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from rsrepro.errors import RsreproError
from rsrepro.io import read_json, write_json

# nltk.corpus.stopwords.words("english") (179 words, NLTK 3.x as used by SWAN's environment).
NLTK_ENGLISH_STOPWORDS = frozenset(
    """i me my myself we our ours ourselves you you're you've you'll you'd your yours yourself yourselves
    he him his himself she she's her hers herself it it's its itself they them their theirs themselves
    what which who whom this that that'll these those am is are was were be been being have has had
    having do does did doing a an the and but if or because as until while of at by for with about
    against between into through during before after above below to from up down in out on off over
    under again further then once here there when where why how all any both each few more most other
    some such no nor not only own same so than too very s t can will just don don't should should've now
    d ll m o re ve y ain aren aren't couldn couldn't didn didn't doesn doesn't hadn hadn't hasn hasn't
    haven haven't isn isn't ma mightn mightn't mustn mustn't needn needn't shan shan't shouldn shouldn't
    wasn wasn't weren weren't won won't wouldn wouldn't""".split()  # noqa: SIM905
)
# The punctuation tokens SWAN's vocab.py and data.py drop (other symbols stay tokens, as in the original).
PUNCTUATION = frozenset(",.:;?()[]&!*@#$%")
UNK = "<unk>"

# Treebank word-tokeniser rules (nltk.tokenize.destructive.NLTKWordTokenizer), in NLTK's order.
_TREEBANK_RULES = [
    (re.compile(r"([«“‘„]|[`]+)"), r" \1 "),
    (re.compile(r'^"'), "``"),
    (re.compile(r"(``)"), r" \1 "),
    (re.compile(r"([ \(\[{<])(\"|\'{2})"), r"\1 `` "),
    (re.compile(r"(?i)(\')(?!re|ve|ll|m|t|s|d|n)(\w)\b"), r"\1 \2"),
    (re.compile(r"([^\.])(\.)([\]\)}>\"\']*)\s*$"), r"\1 \2 \3 "),
    (re.compile(r"([:,])([^\d])"), r" \1 \2"),
    (re.compile(r"([:,])$"), r" \1 "),
    (re.compile(r"\.{2,}"), r" \g<0> "),
    (re.compile(r"[;@#$%&]"), r" \g<0> "),
    (re.compile(r"[?!]"), r" \g<0> "),
    (re.compile(r"([^'])' "), r"\1 ' "),
    (re.compile(r"[*]"), r" \g<0> "),
    (re.compile(r"[\]\[\(\)\{\}\<\>]"), r" \g<0> "),
    (re.compile(r"--"), r" -- "),
]
# Applied after padding the text with a space on both sides, as NLTK does.
_TREEBANK_ENDING_RULES = [
    (re.compile(r'"'), " '' "),
    (re.compile(r"([^' ])('[sS]|'[mM]|'[dD]|') "), r"\1 \2 "),
    (re.compile(r"([^' ])('ll|'LL|'re|'RE|'ve|'VE|n't|N'T) "), r"\1 \2 "),
    (re.compile(r"(?i)\b(can)(not)\b"), r" \1 \2 "),
    (re.compile(r"(?i)\b(gon)(na)\b"), r" \1 \2 "),
    (re.compile(r"(?i)\b(got)(ta)\b"), r" \1 \2 "),
    (re.compile(r"(?i)\b(wan)(na)(?=\s)"), r" \1 \2 "),
]
# Punkt ends a sentence at a period (or ? !) followed by white space; captions carry no abbreviations.
_SENTENCE_END = re.compile(r"(?<=[.?!])\s+")


def tokenize(text: str) -> list[str]:
    """Lower-case ``nltk.word_tokenize`` equivalent for captions (sentence split, then Treebank rules)."""
    tokens: list[str] = []
    for sentence in _SENTENCE_END.split(text.lower().strip()):
        for pattern, replacement in _TREEBANK_RULES:
            sentence = pattern.sub(replacement, sentence)
        sentence = f" {sentence} "
        for pattern, replacement in _TREEBANK_ENDING_RULES:
            sentence = pattern.sub(replacement, sentence)
        tokens += sentence.split()
    return tokens


def content_tokens(text: str) -> list[str]:
    """Tokens as vocab.py counts them: punctuation and stopwords removed."""
    return [t for t in tokenize(text) if t not in PUNCTUATION and t not in NLTK_ENGLISH_STOPWORDS]


@dataclass(frozen=True)
class Vocabulary:
    """word -> index; index 0 is padding (no word), ``<unk>`` is the last index (SWAN's layout)."""

    words: tuple[str, ...]  # in index order 1..n, ``<unk>`` last

    @property
    def unk(self) -> int:
        return len(self.words)

    @property
    def size(self) -> int:
        """Rows of the embedding table: padding + words (``<unk>`` included)."""
        return len(self.words) + 1

    def index(self) -> dict[str, int]:
        return {w: i + 1 for i, w in enumerate(self.words)}

    def encode(self, caption: str, *, faithful: bool) -> list[int]:
        """Token indices of a caption as SWAN's loader makes them.

        faithful: every OOV token, stopwords included, becomes ``<unk>`` (the released data.py).
        corrected: stopwords are dropped (as vocab.py intended), other OOV tokens become ``<unk>``.
        Punctuation is dropped in both. A caption left without tokens (RSITMD train has 20 blank ones)
        gets one: the padding index 0, as the released loader's length-1 row of zeros (faithful), or
        ``<unk>`` (corrected).
        """
        lookup = self._lookup
        tokens = [t for t in tokenize(caption) if t not in PUNCTUATION]
        if not faithful:
            tokens = [t for t in tokens if t not in NLTK_ENGLISH_STOPWORDS]
        return [lookup.get(t, self.unk) for t in tokens] or [0 if faithful else self.unk]

    @property
    def _lookup(self) -> dict[str, int]:
        cached = self.__dict__.get("_cache")
        if cached is None:
            cached = self.index()
            object.__setattr__(self, "_cache", cached)
        return cached

    def to_json(self) -> dict:
        """The published ``*_splits_vocab.json`` layout."""
        word2idx = self.index()
        return {"word2idx": word2idx, "idx2word": {str(i): w for w, i in word2idx.items()}, "idx": self.size}

    def save(self, path: str | Path) -> None:
        write_json(path, self.to_json())

    @classmethod
    def load(cls, path: str | Path) -> Vocabulary:
        path = Path(path)
        if not path.is_file():
            raise RsreproError(f"vocabulary {path} not found; build it with the swan_vocab rule")
        word2idx = read_json(path)["word2idx"]
        words = tuple(sorted(word2idx, key=word2idx.get))
        if [word2idx[w] for w in words] != list(range(1, len(words) + 1)) or words[-1] != UNK:
            raise RsreproError(f"{path}: indices must run 1..n with {UNK} last (SWAN's vocabulary layout)")
        return cls(words)


def build_vocabulary(captions: Iterable[str], min_count: int = 5) -> Vocabulary:
    """SWAN's vocab.py: count content tokens, keep those seen ``min_count`` times (first-seen order)."""
    counter: Counter[str] = Counter()
    for caption in captions:
        counter.update(content_tokens(caption))
    return Vocabulary((*[w for w, n in counter.items() if n >= min_count], UNK))


def vocabulary_captions(
    captions: Sequence[Sequence[str]], official_split: Sequence[str], source: str
) -> list[str]:
    """Captions the vocabulary is built from: official ``train`` images, or ``train_test`` (the original
    built it from train_caps.txt + test_caps.txt, so the published files contain test-only words)."""
    keep = {"train": {"train"}, "train_test": {"train", "test"}}[source]
    return [c for caps, split in zip(captions, official_split, strict=True) if split in keep for c in caps]
