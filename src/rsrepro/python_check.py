"""Set-up's first step: is this Python one that rsrepro supports (pyproject.toml's requires-python)?

The Makefile runs it by path before anything is installed (``python src/rsrepro/python_check.py``), so
it uses only what any Python 3 has (no tomllib before 3.11). A Python outside the range stops there, with
what to install, instead of after minutes of installing or, worse, in a report job: Debian 12's own
3.11.2 once installed a soupsieve that needs 3.11.5 and failed in every report.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"


def requires_python() -> str:
    found = re.search(r'^requires-python\s*=\s*"([^"]+)"', PYPROJECT.read_text(), flags=re.MULTILINE)
    if found is None:
        raise ValueError(f"{PYPROJECT} has no requires-python")
    return found.group(1)


def supported_range() -> tuple[tuple[int, ...], tuple[int, ...]]:
    """(lowest supported version, first unsupported version) from a ``>=a.b.c,<x.y`` specifier."""
    clauses = [re.fullmatch(r"\s*(>=|<)\s*(\d+(?:\.\d+)*)\s*", c) for c in requires_python().split(",")]
    bounds = {c.group(1): tuple(int(part) for part in c.group(2).split(".")) for c in clauses if c}
    if None in clauses or set(bounds) != {">=", "<"}:
        raise ValueError(f"{PYPROJECT}: requires-python {requires_python()!r} is not '>=a.b.c,<x.y'")
    return bounds[">="], bounds["<"]


def problem(version: tuple[int, ...], executable: str) -> str | None:
    """Why ``version`` cannot run rsrepro, or None if it can."""
    lowest, beyond = supported_range()
    if lowest <= version[:3] < beyond:
        return None
    shown = ".".join(map(str, version[:3]))
    return (
        f"Python {shown} ({executable}) is not one rsrepro supports ({requires_python()}, pyproject.toml). "
        f"Install a Python {'.'.join(map(str, lowest[:2]))} of at least {'.'.join(map(str, lowest))} (your "
        "distribution's updates, `pyenv install 3.11` or `uv python install 3.11`), remove .venv if it "
        "was made with this one, and run `make setup PYTHON=/path/to/python3.11`."
    )


if __name__ == "__main__":
    message = problem(sys.version_info[:3], sys.executable)
    if message:
        sys.exit(f"rsrepro set-up: error: {message}")
