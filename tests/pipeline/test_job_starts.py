"""Jobs are plain processes: a job gives the same outputs however it is started, and jobs that neither
train nor embed never import torch. Both read the commands Snakemake recorded in the tiny pipeline."""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from rsrepro.code_changes import FINGERPRINT, recorded_commands
from tests.workflow_helpers import code_environment

pytestmark = pytest.mark.slow
# Sub-commands that train or embed images or text: torch is theirs to import.
TORCH_COMMANDS = {
    "lsenet-train",
    "swan-train",
    "dsva-train",
    "image-text-train",
    "dsva-collect-attributes",
    "baseline-features",
    "baseline-linear-probe",
    "baseline-retrieval",
    "baseline-zero-shot",
}
OUTPUTS = ("model", "history", "test-outputs", "checkpoints")
TIMINGS = re.compile(r"seconds|_per_s$")  # wall-clock measurements in a history


def commands(workdir: Path) -> dict[str, str]:
    """Rule -> one shell command Snakemake recorded for it (without the code fingerprint)."""
    found: dict[str, str] = {}
    for rule, shell in recorded_commands(workdir):
        match = FINGERPRINT.match(shell)
        assert match is not None
        found.setdefault(rule, match[2])
    return found


def untimed(history: dict) -> dict:
    def strip(node: object) -> object:
        if isinstance(node, dict):
            return {k: strip(v) for k, v in node.items() if not TIMINGS.search(k)}
        if isinstance(node, list):
            return [strip(v) for v in node]
        return node

    return strip(history)  # type: ignore[return-value]


def test_a_training_job_gives_the_same_outputs_however_it_is_started(tiny_pipeline: Path, tmp_path) -> None:
    shell = commands(tiny_pipeline)["lsenet_train"]  # as Snakemake ran it: OMP_NUM_THREADS=.. rsrepro launch
    made = {name: re.search(rf"--{name} (\S+)", shell)[1] for name in OUTPUTS}
    assert "rsrepro launch --gpus 0 -- lsenet-train" in shell
    starts = {"launch": shell, "direct": shell.replace("rsrepro launch --gpus 0 -- ", "rsrepro ")}
    env = code_environment(tiny_pipeline) | {"CUDA_VISIBLE_DEVICES": ""}  # the same device as Snakemake's
    for start, command in starts.items():
        for name, path in made.items():
            command = command.replace(f"--{name} {path}", f"--{name} {tmp_path / start / Path(path).name}")
        command = re.sub(r"> \S+ 2>&1$", f"> {tmp_path / start}.log 2>&1", command)
        done = subprocess.run(["bash", "-c", command], cwd=tiny_pipeline, env=env)
        assert done.returncode == 0, (tmp_path / f"{start}.log").read_text()
        again = tmp_path / start
        for name in ("model", "test-outputs"):
            ours, theirs = (
                (again / Path(made[name]).name).read_bytes(),
                (tiny_pipeline / made[name]).read_bytes(),
            )
            assert ours == theirs, f"{start}: {name} differs from the Snakemake job's"
        history = json.loads((again / Path(made["history"]).name).read_text())
        assert untimed(history) == untimed(json.loads((tiny_pipeline / made["history"]).read_text())), start


CHECK = """
import json, sys
from rsrepro.cli import main
for argv in json.load(sys.stdin):
    try:
        main(argv)
    except SystemExit:  # launch exits with its command's status
        pass
    print("IMPORTED", json.dumps([argv[0], sorted(m for m in ("torch", "torchvision") if m in sys.modules)]))
"""


def test_jobs_that_neither_train_nor_embed_import_no_torch(tiny_pipeline: Path, tmp_path) -> None:
    # each command once, in one process (a copy of the working directory: its outputs are rewritten)
    workdir = tmp_path / "copy"
    shutil.copytree(tiny_pipeline, workdir, ignore=shutil.ignore_patterns(".snakemake"), symlinks=True)
    runs: dict[str, list[str]] = {}
    by_rule = commands(tiny_pipeline)
    for rule in sorted(by_rule, key=lambda rule: rule != "index_report"):  # the quickest report
        shell = by_rule[rule]
        argv = shlex.split(re.sub(r" > \S+ 2>&1$", "", shell).partition("rsrepro ")[2])
        launched = argv[argv.index("--") + 1 :] if argv[0] == "launch" else argv
        if launched[0] not in TORCH_COMMANDS:
            runs.setdefault(launched[0], argv)
    assert {"split", "swan-evaluate", "lsenet-per-class", "render-report"} <= runs.keys()
    per_class = runs["lsenet-per-class"]
    runs["launch"] = ["launch", "--gpus", "0", "--", *per_class]  # launch itself imports no torch
    done = subprocess.run(
        [sys.executable, "-c", CHECK],
        input=json.dumps(list(runs.values())),
        cwd=workdir,
        env=code_environment(workdir),
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    imported = dict(json.loads(line[9:]) for line in done.stdout.splitlines() if line.startswith("IMPORTED "))
    assert imported.keys() == {argv[0] for argv in runs.values()}, done.stderr[-3000:]
    assert {command: modules for command, modules in imported.items() if modules} == {}
