"""Five captions per image, written from what was actually drawn.

Counts are the true numbers of drawn objects (spelled out or as digits; above twelve a quantifier such as
"many" is used instead of a number) and colours are the palette names the objects were drawn in.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .canvas import DrawnObject

NUMBER_WORDS = (
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
)
MANY = ("many", "numerous", "lots of", "a large number of")
IRREGULAR_PLURALS = {"sea": "seas"}
GENERIC_WHERE = ("across the scene", "in the image", "around the area")
N_CAPTIONS = 5


@dataclass(frozen=True)
class Group:
    """All drawn objects of one kind."""

    kind: str
    count: int
    colours: tuple[str, ...]  # most frequent first
    positions: tuple[str, ...]
    key: bool


def plural(kind: str) -> str:
    return IRREGULAR_PLURALS.get(kind, kind + "s")


def group_objects(objects: Sequence[DrawnObject]) -> list[Group]:
    """Aggregate drawn objects by kind, in order of first appearance."""
    by_kind: dict[str, list[DrawnObject]] = {}
    for o in objects:
        by_kind.setdefault(o.kind, []).append(o)
    return [
        Group(
            kind,
            len(objs),
            tuple(c for c, _ in Counter(o.colour for o in objs).most_common()),
            tuple(sorted({o.position for o in objs})),
            any(o.key for o in objs),
        )
        for kind, objs in by_kind.items()
    ]


def _article(word: str) -> str:
    return "an" if word[0] in "aeiou" else "a"


def noun_phrase(g: Group, rng: np.random.Generator) -> str:
    """E.g. "three red and grey houses", "a white boat", "many dark green trees"."""
    colour = ""
    if rng.random() < 0.8:
        colour = " and ".join(g.colours[: int(rng.integers(1, 3))]) + " "
    noun = g.kind if g.count == 1 else plural(g.kind)
    head = f"{colour}{noun}"
    if g.count == 1:
        return f"{_article(head)} {head}" if rng.random() < 0.7 else f"one {head}"
    if g.count <= 12:
        return f"{NUMBER_WORDS[g.count] if rng.random() < 0.5 else g.count} {head}"
    return f"{MANY[int(rng.integers(len(MANY)))]} {head}"


def _where(g: Group, relations: dict[str, list[str]], rng: np.random.Generator) -> str:
    if len(g.positions) == 1 and g.positions[0] != "across" and rng.random() < 0.6:
        pos = g.positions[0]
        return {
            "top": "at the top",
            "bottom": "at the bottom",
            "left": "on the left",
            "right": "on the right",
        }.get(pos, f"in the {pos}")
    options = relations.get(g.kind) or GENERIC_WHERE
    return options[int(rng.integers(len(options)))]


def _caption(
    setting: list[str], groups: list[Group], relations: dict[str, list[str]], rng: np.random.Generator
) -> str:
    place = setting[int(rng.integers(len(setting)))]
    if not groups:
        templates = (
            "{p}.",
            "an aerial view of {p}.",
            "this image shows {p}.",
            "{p} seen from above.",
            "there are no buildings in {p}.",
            "a picture of {p} with nothing built on it.",
        )
        return templates[int(rng.integers(len(templates)))].format(p=place)
    weights = np.array([3.0 if g.key else 1.0 for g in groups])
    order = rng.choice(len(groups), size=min(2, len(groups)), replace=False, p=weights / weights.sum())
    parts = []
    for i in order:
        g = groups[i]
        parts.append((noun_phrase(g, rng), "is" if g.count == 1 else "are", _where(g, relations, rng)))
    (np1, be1, w1) = parts[0]
    templates = [
        f"{place} with {np1} {w1}.",
        f"there {be1} {np1} {w1}.",
        f"{np1} {be1} {w1} in {place}.",
        f"in this image of {place}, {np1} {be1} {w1}.",
        f"we can see {np1} {w1}.",
    ]
    if len(parts) > 1:
        (np2, be2, w2) = parts[1]
        templates += [
            f"{place} where {np1} {be1} {w1} and {np2} {be2} {w2}.",
            f"{place} with {np1} and {np2}.",
            f"there {be1} {np1} {w1}, and {np2} {be2} {w2}.",
        ]
    return templates[int(rng.integers(len(templates)))]


def make_captions(
    setting: list[str],
    objects: Sequence[DrawnObject],
    relations: dict[str, list[str]],
    rng: np.random.Generator,
) -> list[str]:
    """Five captions, distinct where the drawing allows it."""
    groups = group_objects(objects)
    captions: list[str] = []
    for _ in range(40):
        text = _caption(setting, groups, relations, rng)
        text = text[0].upper() + text[1:]
        if text not in captions:
            captions.append(text)
        if len(captions) == N_CAPTIONS:
            break
    while len(captions) < N_CAPTIONS:  # a scene too plain for five different sentences
        captions.append(captions[len(captions) % len(captions)])
    return captions
