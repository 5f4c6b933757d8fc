"""Temporary files and folders: removed however a run ends, and the ones a killed run left removed by
the next run, but never while the process that made them lives."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import papermill
import pytest

from rsrepro.data.prepared import PreparedDataset
from rsrepro.data.sources.catalog import DATASETS
from rsrepro.data.sources.prepare import prepare_source
from rsrepro.io import HOST, OTHER_HOST_STALE_AFTER_S, STALE_AFTER_S, remove_stale_temps
from rsrepro.reports.render import render_report
from tests.realdata_fixtures import folder_standin

# A run of the data and report stages stopped mid-way: the extraction folder, the prepared folder being
# written (its images.npy memory-mapped) and the executed notebook, all at once.
MID_RUN = """
import sys, time
from pathlib import Path
from rsrepro.data.prepared import PreparedWriter
from rsrepro.io import atomic_path, exit_on_sigterm, temp_dir
root = Path(sys.argv[1])
with (
    exit_on_sigterm(),
    temp_dir(root / "data/scratch/ucm"),
    PreparedWriter(root / "results/prepared/ucm", "ucm", 4, 8, "test"),
    atomic_path(root / "results/reports/lsenet.ipynb", ".ipynb"),
):
    print("ready", flush=True)
    time.sleep(120)
"""
LEFTOVERS = (
    "data/scratch/.ucm.*.tmp",
    "results/prepared/.ucm.*.tmp",
    "results/reports/.lsenet.ipynb.*.tmp.ipynb",
)


def leftovers(root: Path) -> list[Path]:
    return sorted(path for pattern in LEFTOVERS for path in root.glob(pattern))


def start_mid_run(root: Path) -> subprocess.Popen[str]:
    child = subprocess.Popen(
        [sys.executable, "-c", MID_RUN, str(root)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert child.stdout is not None and child.stdout.readline() == "ready\n", child.stderr
    return child


def backdate(paths: list[Path], seconds: float) -> None:
    for path in paths:
        then = time.time() - seconds
        os.utime(path, (then, then))


def copy_notebook(source: str, target: str, **kwargs: object) -> None:
    nbformat.write(nbformat.read(source, as_version=4), target)


def test_a_killed_runs_temporaries_go_at_the_next_run_but_never_while_it_lives(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    child = start_mid_run(tmp_path)
    try:
        found = leftovers(tmp_path)
        assert len(found) == 3, found
        backdate(found, 2 * STALE_AFTER_S)
        for path in found:
            remove_stale_temps(path.parent)
        assert leftovers(tmp_path) == found, "a temporary of a live process must never be touched"
    finally:
        child.kill()
        child.wait()
    assert leftovers(tmp_path) == found, "SIGKILL: nothing could clean up"

    # The next run: prepare (scratch and prepared folders), then the report (reports folder).
    raw = tmp_path / "data/raw/ucm"
    folder_standin("ucm", raw, per_class=1)
    prepare_source(DATASETS["ucm"], raw, tmp_path / "results/prepared/ucm", 8, tmp_path / "data/scratch")
    monkeypatch.setattr(papermill, "execute_notebook", copy_notebook)
    notebook = tmp_path / "lsenet_source.ipynb"
    nbformat.write(nbformat.v4.new_notebook(), notebook)
    reports = tmp_path / "results/reports"
    render_report(notebook, reports / "lsenet.ipynb", reports / "lsenet.html", {})
    assert leftovers(tmp_path) == []
    assert len(PreparedDataset.load(tmp_path / "results/prepared/ucm")) == 21


def test_sigterm_removes_the_temporaries_on_the_way_out(tmp_path: Path) -> None:
    child = start_mid_run(tmp_path)
    assert len(leftovers(tmp_path)) == 3
    child.send_signal(signal.SIGTERM)
    assert child.wait(timeout=30) == 128 + signal.SIGTERM
    assert leftovers(tmp_path) == []


def test_young_or_foreign_temporaries_are_left_until_they_are_surely_abandoned(tmp_path: Path) -> None:
    """A temporary just made may not be locked yet; one made on another host may be held by a process
    there that a lock on this host cannot see (NFS without lock forwarding)."""
    young = tmp_path / f".a.json.{HOST}.abcdefgh.tmp.json"  # not locked: made a moment ago
    foreign = tmp_path / ".b.json.node-17.abcdefgh.tmp.json"
    abandoned = tmp_path / ".c.json.node-17.abcdefgh.tmp.json"
    user_file = tmp_path / ".notes.tmp"  # not one of rsrepro's names
    for path in (young, foreign, abandoned, user_file):
        path.write_text("x")
    backdate([foreign, user_file], 2 * STALE_AFTER_S)
    backdate([abandoned], OTHER_HOST_STALE_AFTER_S + 60)
    remove_stale_temps(tmp_path)
    assert young.exists() and foreign.exists() and user_file.exists()
    assert not abandoned.exists()
