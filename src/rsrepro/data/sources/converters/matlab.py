"""Reading MATLAB ``.mat`` files: only the variables asked for, strings as Python strings."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import scipy.io

from rsrepro.data.sources.errors import LayoutError


def load_mat(path: Path, variables: Sequence[str]) -> dict[str, Any]:
    """The named variables of a ``.mat`` file, and only those (RSSDIVCS's unused ``features`` is 0.9 GB)."""
    try:
        loaded = scipy.io.loadmat(path, variable_names=list(variables))
    except NotImplementedError as error:  # MATLAB v7.3 files are HDF5
        raise LayoutError(
            f"{path} is a MATLAB v7.3 (HDF5) file; re-save it as v7 (`save(name, '-v7')` in MATLAB or "
            "Octave) so scipy can read it."
        ) from error
    missing = [v for v in variables if v not in loaded]
    if missing:
        present = [name for name, _, _ in scipy.io.whosmat(path)]
        raise LayoutError(f"{path}: no variable(s) {missing}; it has {present}")
    return {v: loaded[v] for v in variables}


def mat_strings(value: Any) -> list[str]:
    """A MATLAB cell array of strings or a char matrix (one string per row) as Python strings."""
    array = np.asarray(value)
    if array.dtype.kind == "U":
        return [str(s).strip() for s in array.ravel()]
    return [s for cell in array.ravel() for s in mat_strings(cell)]


def one_based(value: Any) -> np.ndarray:
    """MATLAB indices or labels (1-based, any vector shape) as a flat 0-based int64 array."""
    return np.asarray(value).ravel().astype(np.int64) - 1
