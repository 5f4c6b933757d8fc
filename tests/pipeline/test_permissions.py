"""A whole run's outputs are readable as the umask says (tests/test_permissions.py: the atomic writes)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.test_permissions import mode


@pytest.mark.slow
def test_a_whole_run_under_umask_022_is_readable_by_everyone(tiny_pipeline: Path) -> None:
    # build_tiny_pipeline runs Snakemake under umask 022 (tests/tiny_pipeline.py)
    private = [
        str(path.relative_to(tiny_pipeline))
        for path in [tiny_pipeline / "results", *(tiny_pipeline / "results").rglob("*")]
        if not path.is_symlink() and mode(path) & 0o044 != 0o044
    ]
    assert private == []
