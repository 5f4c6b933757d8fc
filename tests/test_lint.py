"""Code and workflow hygiene, enforced by the test suite: ruff and Snakemake's linter."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.workflow_helpers import REPO

PYTHON_TREES = ["src", "tests", "benchmarks"]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *args], cwd=REPO, capture_output=True, text=True, timeout=300
    )


def test_ruff_finds_no_problems() -> None:
    result = _run("ruff", "check", *PYTHON_TREES)
    assert result.returncode == 0, result.stdout


def test_code_is_ruff_formatted() -> None:
    result = _run("ruff", "format", "--check", *PYTHON_TREES)
    assert result.returncode == 0, result.stdout


@pytest.mark.slow
def test_snakemake_lint_is_clean() -> None:
    result = _run("snakemake", "--lint")
    assert result.returncode == 0, result.stdout + result.stderr
