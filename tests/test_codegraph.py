"""A job's code, followed from its handler through what it calls, and the fingerprint that reruns it
(rsrepro.codegraph)."""

from __future__ import annotations

import ast
import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from rsrepro import codegraph, workflow
from rsrepro.workflow import command_names, job_code, tracked

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
TRAINING = [f"rsrepro launch --gpus 0 -- {paper}-train" for paper in ("lsenet", "swan", "dsva")]


def files(command: str, notebook: str | None = None) -> set[str]:
    return {name.partition(":")[0] for name in job_code(command, notebook)}


def test_a_job_holds_what_its_handler_calls_and_not_its_neighbours() -> None:
    train = job_code("rsrepro launch --gpus 1 -- swan-train --prepared x")
    aggregate = job_code("rsrepro swan-aggregate --out x")
    assert {"rsrepro/models/swan.py:SWAN", "rsrepro/training/launch.py:launch"} <= train.keys()
    assert "rsrepro/swan/commands.py:_aggregate" not in train  # a neighbour in swan/commands.py
    assert "rsrepro/swan/aggregate.py:aggregate_runs" in aggregate
    assert not {key for key in aggregate if key.startswith("rsrepro/models/")}
    # of a shared module, only what is called: training reads no history
    assert (
        "rsrepro/training/run.py:write_history" in train
        and "rsrepro/training/run.py:read_history" not in train
    )


def test_every_training_command_runs_the_shared_augmentation() -> None:
    for command in TRAINING:
        assert "rsrepro/training/augment.py:normalize" in job_code(command), command


def test_how_a_job_starts_and_resumes_is_not_its_code() -> None:
    # the trainers hash code for their checkpoints' fingerprint (resuming); launch hands the command to the
    # CLI, whose parsing and dispatch start any command; what the handler calls there still counts
    for command in TRAINING:
        parts = job_code(command)
        assert "rsrepro/training/run.py:run_fingerprint" in parts, command
        assert not {key for key in parts if key.startswith(("rsrepro/codegraph.py", "rsrepro/cli.py:main"))}
        assert not {key for key in parts if key.endswith(":add_commands")}
    assert "rsrepro/cli.py:use_threads" in job_code(TRAINING[1])  # swan-train sets torch's threads


def test_relative_imports_and_parent_packages_are_followed() -> None:
    synthetic = files("rsrepro prepare-synthetic --out x")
    for module in ("scenes", "canvas", "captions", "attributes"):  # `from .x import` in render.py
        assert f"rsrepro/data/synthetic/{module}.py" in synthetic


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
    monkeypatch.setattr(workflow, "_fingerprints", workflow.FingerprintCache(tmp_path))
    assert tracked(command) == uncached
    workflow.save_fingerprints()
    fingerprint = uncached.split()[2].rstrip(";")
    kept = json.loads((tmp_path / workflow.PARTS_FOLDER / f"{fingerprint}.json").read_text())
    assert kept == job_code(command)  # what `rsrepro code-changes` compares with later
    # a new Snakemake process reads it back and computes nothing
    monkeypatch.setattr(workflow, "_fingerprints", workflow.FingerprintCache(tmp_path))
    monkeypatch.setattr(workflow, "job_code", lambda *a: pytest.fail("recomputed a cached fingerprint"))
    assert tracked(command) == uncached


def test_cached_fingerprints_of_other_sources_are_dropped(tmp_path) -> None:
    (tmp_path / "code_fingerprints.json").write_text(
        json.dumps({"sources": "before an edit", "entries": {"rsrepro x": "stale"}})
    )
    assert workflow.FingerprintCache(tmp_path).entries == {}
    current = workflow.FingerprintCache(tmp_path)
    current.get("rsrepro x", lambda: {"rsrepro/x.py:f": "digest"})
    current.save()
    stored = json.loads((tmp_path / "code_fingerprints.json").read_text())
    fingerprint = codegraph.fingerprint({"rsrepro/x.py:f": "digest"})
    assert stored == {"sources": workflow.sources_digest(), "entries": {"rsrepro x": fingerprint}}


def digest(source: str) -> str:
    return codegraph.normalised([codegraph.syntax_tree(source)])


BASE = '''"""Module docstring."""
def scale(x):
    """Double it."""
    if x is None:
        raise ValueError(f"scale: x is {x!r}, give a number")
    log.info("scaling %s", x)
    return x * 2  # why
'''


def test_comments_docstrings_formatting_and_message_text_leave_the_digest_alone() -> None:
    same = '''"""Another docstring."""


def scale( x ):
    # a comment
    if x is None:
        raise ValueError("scale needs a number, not " + f"{x}")
    log.info("x = %r", x)
    return (x *
            2)
'''
    assert digest(BASE) == digest(same)


def test_a_change_of_behaviour_changes_the_digest() -> None:
    assert digest(BASE) != digest(BASE.replace("x * 2", "x * 3"))
    assert digest(BASE) != digest(BASE + "LIMIT = 1\n")
    # what a message shows is evaluated: it still counts
    assert digest(BASE) != digest(BASE.replace("{x!r}", "{x()!r}"))
    # print into a file writes an output
    to_file = BASE + "def out(f):\n    print('a', file=f)\n"
    assert digest(to_file) != digest(to_file.replace("'a'", "'b'"))


# Edits of a private copy of the package ---------------------------------------------------------------


@pytest.fixture
def package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A copy of src/rsrepro that the code graph reads instead of this checkout's."""
    root = tmp_path / "rsrepro"
    shutil.copytree(codegraph.PACKAGE_ROOT, root, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(codegraph, "PACKAGE_ROOT", root)
    forget()
    yield root
    forget()


def forget() -> None:
    codegraph.module_file.cache_clear()  # sources are read again, and parsed again where they changed
    codegraph.read_module.cache_clear()


def fingerprints(commands: list[str]) -> dict[str, str]:
    forget()
    return {command: codegraph.fingerprint(job_code(command)) for command in commands}


def replace(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert text.count(old) == 1, f"{old!r} in {path}"
    path.write_text(text.replace(old, new))


def insert_first(path: Path, function: str, statement: str) -> None:
    """Make ``statement`` the first of a top-level function (the file is rewritten from its syntax tree:
    formatting and comments change, which no fingerprint sees)."""
    tree = ast.parse(path.read_text())
    (node,) = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == function]
    node.body.insert(0, *ast.parse(statement).body)
    path.write_text(ast.unparse(tree))


@pytest.mark.parametrize(
    ("module", "function"),
    [("cli.py", "use_threads"), ("io.py", "write_json"), ("training/run.py", "write_outputs")],
)
def test_an_error_message_retrains_nothing_and_its_condition_does(package, module, function) -> None:
    guard = "if {test}:\n    raise RuntimeError(f'{{{function}}}: the first wording')"
    insert_first(package / module, function, guard.format(test="False", function=function))
    guarded = fingerprints(TRAINING)
    replace(package / module, "the first wording", "a second wording, longer")
    assert fingerprints(TRAINING) == guarded
    replace(package / module, "if False", "if True")
    assert fingerprints(TRAINING) != guarded


def test_messages_help_and_progress_descriptions_retrain_nothing(package) -> None:
    commands = [*TRAINING, "rsrepro prepare-synthetic --out x", "rsrepro swan-evaluate --out x"]
    before = fingerprints(commands)
    replace(package / "cli.py", "--params must be a JSON object, got", "--params takes a JSON object, not")
    replace(package / "training/run.py", 'help="model.pt to write"', 'help="the model file to write"')
    replace(package / "training/run.py", "is not a run history of this version", "is no run history")
    replace(package / "lsenet/train.py", '"%s %s ratio %s seed %s: trained"', '"trained %s %s %s %s"')
    replace(package / "data/synthetic/prepare.py", 'desc="synthetic"', 'desc="drawing scenes"')
    assert fingerprints(commands) == before


def test_functions_a_job_never_calls_change_nothing_and_those_it_calls_do(package) -> None:
    commands = [*TRAINING, "rsrepro swan-evaluate --out x", "rsrepro split classification --out x"]
    before = fingerprints(commands)
    with (package / "io.py").open("a") as io:
        io.write("\n\ndef read_text(path):\n    return open(path).read()\n")
    insert_first(package / "training/run.py", "read_history", "path = str(path)")  # the evaluations read it
    after = fingerprints(commands)
    assert {c for c in commands if after[c] != before[c]} == {"rsrepro swan-evaluate --out x"}
    replace(package / "io.py", "json.dumps(obj, indent=1)", "json.dumps(obj, indent=2)")
    assert all(v != after[c] for c, v in fingerprints(commands).items())  # all of them write JSON


PROBE = """
import rsrepro.io
from rsrepro import paths
from rsrepro.data import splits

def by_value():
    return splits

def dynamic():
    import importlib
    return importlib.import_module(NAME)

def chained():
    return rsrepro.io.write_json, paths.RESULTS

NAME = "rsrepro.metrics.retrieval"
"""


def test_references_that_cannot_be_followed_take_the_whole_module_or_package(package) -> None:
    (package / "probe.py").write_text(PROBE)
    forget()
    chained = codegraph.code_parts([("rsrepro.probe", "chained")])
    assert {"rsrepro/io.py:write_json", "rsrepro/paths.py:RESULTS"} <= chained.keys()
    assert "rsrepro/io.py:read_json" not in chained
    by_value = codegraph.code_parts([("rsrepro.probe", "by_value")])
    assert {
        f"rsrepro/data/splits.py:{f}" for f in ("classification_split", "held_out_classes")
    } <= by_value.keys()
    dynamic = codegraph.code_parts([("rsrepro.probe", "dynamic")])
    assert "rsrepro/swan/aggregate.py:aggregate_runs" in dynamic  # anything of the package may be imported
