"""Words of class names, for datasets that come with nothing but class folders: a caption per image for
the image-text model to learn from, and an attribute vocabulary for DSVA's collection to score images
against (the paper collects its attributes with an image-text model, no human labels).

``DenseResidential``, ``dense_residential`` and ``dense-residential`` give the same words.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

CAPTION = "an aerial image of {words}"
# Words that name no property of a scene: left out of the attribute vocabulary.
STOP_WORDS = frozenset({"a", "an", "and", "area", "of", "or", "the", "with"})


def words(class_name: str) -> list[str]:
    """Lower-case words of a class name: split at ``_``, ``-``, spaces, digits and lower-to-upper case."""
    spaced = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", class_name)
    return [w.lower() for w in re.split(r"[\W_\d]+", spaced) if w]


def class_caption(class_name: str) -> str:
    return CAPTION.format(words=" ".join(words(class_name)) or class_name)


def attribute_words(classes: Sequence[str]) -> list[str]:
    """Every word of the class names once, in order of first use, stop words left out."""
    return list(dict.fromkeys(w for c in classes for w in words(c) if w not in STOP_WORDS))
