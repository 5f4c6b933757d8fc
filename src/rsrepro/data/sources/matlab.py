"""Reading MATLAB ``.mat`` files: only the variables asked for, strings as Python strings, indices and
labels as checked integer vectors. A file that is no readable MAT file (a truncated download, a web page
saved in its place) stops with its name, its size and its first bytes."""

from __future__ import annotations

import contextlib
import struct
import zlib
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import scipy.io
from scipy.io.matlab import MatReadError

from rsrepro.data.sources.errors import WEB_PAGE, LayoutError, size_and_head

# What scipy's reader raises on a file that is cut short or is something else.
READ_ERRORS = (ValueError, TypeError, IndexError, KeyError, EOFError, OSError, struct.error, zlib.error)


def load_mat(path: Path, variables: Sequence[str]) -> dict[str, Any]:
    """The named variables of a ``.mat`` file, and only those (RSSDIVCS's unused ``features`` is 0.9 GB)."""
    with _reading(path):
        loaded = scipy.io.loadmat(path, variable_names=list(variables))
        missing = [v for v in variables if v not in loaded]
        if missing:
            present = [name for name, _, _ in scipy.io.whosmat(path)]
            raise LayoutError(f"{path}: no variable(s) {missing}; it has {present}")
    return {v: loaded[v] for v in variables}


def read_every_variable(path: Path) -> None:
    """Read each variable of a ``.mat`` file through, one at a time (the largest alone in memory): a
    truncated file lists its variables but cannot read the one that was cut."""
    with _reading(path):
        names = [name for name, _, _ in scipy.io.whosmat(path)]
    if not names:
        raise LayoutError(f"{path}: a MAT file without variables ({path.stat().st_size:,} bytes)")
    for name in names:
        load_mat(path, [name])


@contextlib.contextmanager
def _reading(path: Path) -> Iterator[None]:
    try:
        yield
    except NotImplementedError as error:  # MATLAB v7.3 files are HDF5
        raise LayoutError(
            f"{path} is a MATLAB v7.3 (HDF5) file; re-save it as v7 (`save(name, '-v7')` in MATLAB or "
            "Octave) so scipy can read it."
        ) from error
    except (*READ_ERRORS, MatReadError) as error:
        raise LayoutError(
            f"{path} is not a readable MATLAB file ({type(error).__name__}: {error}; {size_and_head(path)}): "
            f"a truncated download, or {WEB_PAGE}."
        ) from error


def mat_strings(value: Any) -> list[str]:
    """A MATLAB cell array of strings or a char matrix (one string per row) as Python strings."""
    array = np.asarray(value)
    if array.dtype.kind == "U":
        return [str(s).strip() for s in array.ravel()]
    return [s for cell in array.ravel() for s in mat_strings(cell)]


def one_based(value: Any, path: Path, name: str) -> np.ndarray:
    """MATLAB indices or labels (1-based, a row or column vector of whole numbers) as a flat 0-based
    int64 array. A matrix or a fractional value stops: flattening or truncating would invent entries."""
    array = np.asarray(value)
    if array.ndim > 2 or (array.ndim == 2 and min(array.shape) > 1):
        raise LayoutError(
            f"{path}: {name} is a {' x '.join(map(str, array.shape))} array; expected a vector (n x 1 or "
            "1 x n) of 1-based indices. The file is not the published one."
        )
    flat = array.ravel()
    if flat.dtype.kind not in "iuf":
        raise LayoutError(f"{path}: {name} holds {flat.dtype} values; expected 1-based indices (numbers).")
    whole = np.isfinite(flat) & (flat == np.round(flat))
    if not whole.all():
        raise LayoutError(
            f"{path}: {name} holds {float(flat[~whole][0])!r}, not a whole number; expected 1-based "
            "indices. The file is not the published one."
        )
    return flat.astype(np.int64) - 1
