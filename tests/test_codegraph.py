"""A job's code, read from the import graph, and the fingerprint that reruns it (rsrepro.codegraph)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rsrepro import codegraph, workflow
from rsrepro.workflow import command_names, job_code, tracked

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


def files(command: str, notebook: str | None = None) -> set[str]:
    return {name.partition(":")[0] for name in job_code(command, notebook)}


def test_a_job_holds_the_closure_of_its_handler_and_not_its_neighbours() -> None:
    train = files("rsrepro launch --gpus 1 -- swan-train --prepared x")
    aggregate = files("rsrepro swan-aggregate --out x")
    assert {"rsrepro/models/swan.py", "rsrepro/training/augment.py", "rsrepro/training/launch.py"} <= train
    assert "rsrepro/swan/aggregate.py" not in train  # a neighbour in swan/commands.py, not called
    assert "rsrepro/swan/aggregate.py" in aggregate and "rsrepro/models/swan.py" not in aggregate


def test_every_training_command_runs_the_shared_augmentation() -> None:
    for paper in ("lsenet", "swan", "dsva"):
        assert "rsrepro/training/augment.py" in files(f"rsrepro launch --gpus 0 -- {paper}-train")


def test_the_code_hasher_itself_reruns_no_training() -> None:
    # the trainers run codegraph for their checkpoints' fingerprint, which decides resuming, not results
    for command in ("lsenet-train", "swan-train", "dsva-train"):
        parts = job_code(f"rsrepro {command}")
        assert "rsrepro/training/run.py" in parts and "rsrepro/codegraph.py" not in parts, command


def test_the_fork_server_reruns_no_training() -> None:
    # launch runs the command in-process through the CLI, which asks the fork server first
    for paper in ("lsenet", "swan", "dsva"):
        parts = job_code(f"rsrepro launch --gpus 0 -- {paper}-train")
        assert "rsrepro/cli.py" in parts and "rsrepro/forkserver.py" not in parts, paper


def test_relative_imports_and_parent_packages_are_followed() -> None:
    synthetic = files("rsrepro prepare-synthetic --out x")
    for module in ("__init__", "scenes", "canvas", "captions", "attributes"):  # `from .x import` in render
        assert f"rsrepro/data/synthetic/{module}.py" in synthetic
    assert "rsrepro/data/__init__.py" in synthetic and "rsrepro/__init__.py" in synthetic


def test_a_report_holds_what_its_notebook_imports() -> None:
    report = files("rsrepro render-report --notebook x", str(NOTEBOOKS / "lsenet.ipynb"))
    assert {"rsrepro/reports/render.py", "rsrepro/lsenet/analysis.py", "rsrepro/models/lsenet.py"} <= report


def test_launch_and_the_launched_command_are_both_read() -> None:
    assert command_names("OMP_NUM_THREADS=1 rsrepro launch --gpus 2 -- lsenet-train --x 1") == [
        "launch",
        "lsenet-train",
    ]
    with pytest.raises(ValueError, match="unknown rsrepro command 'no-such'"):
        job_code("rsrepro no-such --x")


def test_the_fingerprint_leads_the_shell_command_as_a_no_op() -> None:
    command = "rsrepro swan-aggregate --out {output} {input} > {log} 2>&1"
    shell = tracked(command)
    assert shell.startswith(": code ") and shell.endswith("; " + command)
    assert shell != tracked("rsrepro lsenet-aggregate --out {output} {input} > {log} 2>&1")


def test_cached_fingerprints_equal_computed_ones_and_are_read_back_from_disk(tmp_path, monkeypatch) -> None:
    command = "rsrepro swan-aggregate --out {output} {input} > {log} 2>&1"
    uncached = tracked(command)
    cache = tmp_path / ".snakemake" / "code.json"
    monkeypatch.setattr(workflow, "_fingerprints", workflow.FingerprintCache(cache))
    assert tracked(command) == uncached
    workflow.save_fingerprints()
    # a new Snakemake process reads it back and computes nothing
    monkeypatch.setattr(workflow, "_fingerprints", workflow.FingerprintCache(cache))
    monkeypatch.setattr(workflow, "job_code", lambda *a: pytest.fail("recomputed a cached fingerprint"))
    assert tracked(command) == uncached


def test_cached_fingerprints_of_other_sources_are_dropped(tmp_path) -> None:
    cache = tmp_path / "code.json"
    cache.write_text(json.dumps({"sources": "before an edit", "entries": {"rsrepro x": "stale"}}))
    assert workflow.FingerprintCache(cache).entries == {}
    current = workflow.FingerprintCache(cache)
    current.get("rsrepro x", lambda: "fresh")
    current.save()
    stored = json.loads(cache.read_text())
    assert stored == {"sources": workflow.sources_digest(), "entries": {"rsrepro x": "fresh"}}


def digest(tmp_path: Path, name: str, source: str) -> str:
    path = tmp_path / f"{name}.py"
    path.write_text(source)
    return codegraph.normalised([codegraph._tree(path)])


BASE = '''"""Module docstring."""
def scale(x):
    """Double it."""
    return x * 2  # why
'''


def test_comments_docstrings_and_formatting_leave_the_digest_alone(tmp_path: Path) -> None:
    same = '''"""Another docstring."""


def scale( x ):
    # a comment
    return (x *
            2)
'''
    assert digest(tmp_path, "a", BASE) == digest(tmp_path, "b", same)


def test_a_change_of_behaviour_changes_the_digest(tmp_path: Path) -> None:
    assert digest(tmp_path, "a", BASE) != digest(tmp_path, "c", BASE.replace("x * 2", "x * 3"))
    assert digest(tmp_path, "a", BASE) != digest(tmp_path, "d", BASE + "LIMIT = 1\n")


def test_a_function_takes_the_module_code_and_the_helpers_it_calls(tmp_path: Path) -> None:
    path = tmp_path / "cmds.py"
    path.write_text(
        "import os\nX = 1\ndef helper():\n    import json\n"
        "def used():\n    helper()\ndef unused():\n    import rsrepro.swan.aggregate\n"
    )
    nodes = codegraph.function_nodes(path, "used")
    names = {getattr(node, "name", None) for node in nodes}
    assert {"used", "helper"} <= names and "unused" not in names
    unused = codegraph.imported_modules(codegraph.function_nodes(path, "unused"), "cmds", False)
    assert unused == {"rsrepro.swan.aggregate"}
