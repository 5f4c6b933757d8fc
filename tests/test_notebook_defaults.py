"""A report notebook run by hand (``papermill notebooks/swan.ipynb out.ipynb``, or in Jupyter) reads the
embedded run: its default parameters are exactly what the workflow passes it for params.yaml."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import nbformat
import pytest

from tests.workflow_helpers import REPO, make_workdir, planned_shell_jobs

REPORTS = {"lsenet_report": "lsenet", "swan_report": "swan", "dsva_report": "dsva", "index_report": "index"}


def default_parameters(notebook: Path) -> dict:
    """The values the notebook's ``parameters`` cell assigns."""
    cells = nbformat.read(notebook, as_version=4).cells
    (cell,) = [c for c in cells if "parameters" in c.metadata.get("tags", [])]
    namespace: dict = {}
    exec(cell.source, namespace)  # the repository's own notebook: plain assignments
    return {k: v for k, v in namespace.items() if not k.startswith("__")}


def passed_parameters(shell: str) -> dict:
    args = shlex.split(shell.split(">", 1)[0])
    return json.loads(args[args.index("--params") + 1])


@pytest.mark.slow
def test_report_notebooks_default_to_what_the_workflow_passes(tmp_path: Path) -> None:
    jobs = planned_shell_jobs(make_workdir(tmp_path))
    assert jobs.keys() >= REPORTS.keys()
    for rule, name in REPORTS.items():
        (job,) = jobs[rule]
        defaults = default_parameters(REPO / "notebooks" / f"{name}.ipynb")
        assert defaults == passed_parameters(job["shell"]), name
