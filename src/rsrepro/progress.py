"""Progress bars that suit both a terminal and a Snakemake log file."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import Any

from tqdm import tqdm


def progress(iterable: Iterable[Any] | None = None, *, enabled: bool = True, **kwargs: Any) -> tqdm:
    """tqdm that redraws smoothly on a terminal but only every 10 s into a log file."""
    kwargs.setdefault("mininterval", 0.1 if sys.stderr.isatty() else 10.0)
    return tqdm(iterable, disable=not enabled, **kwargs)
