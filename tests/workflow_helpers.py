"""Run the real Snakemake of this checkout in a temporary working directory with its own params.yaml."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[1]
SNAKEMAKE = [sys.executable, "-m", "snakemake"]


def make_workdir(target: Path, **overrides: Any) -> Path:
    """A working directory holding params.yaml (the repository's, deep-updated with ``overrides``)."""
    params = yaml.safe_load((REPO / "params.yaml").read_text())
    write_params(target, deep_update(params, overrides))
    return target


def with_own_code(workdir: Path) -> Path:
    """Give ``workdir`` a private copy of src/ and notebooks/ that its Snakemake runs use instead of this
    checkout's (see :func:`snakemake`), so a test can edit code or notebooks without touching the
    checkout. Returns the copy's root."""
    root = workdir / "checkout"
    for name in ("src", "notebooks"):
        shutil.copytree(REPO / name, root / name, ignore=shutil.ignore_patterns("__pycache__"))
    return root


def deep_update(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            deep_update(base[key], value)
        else:
            base[key] = value
    return base


def write_params(workdir: Path, params: dict[str, Any]) -> None:
    (workdir / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))


def edit_params(workdir: Path, **changes: Any) -> None:
    params = yaml.safe_load((workdir / "params.yaml").read_text())
    write_params(workdir, deep_update(params, changes))


def code_environment(workdir: Path) -> dict[str, str]:
    """The environment that runs ``workdir``'s own copy of the code, where it has one, with this
    interpreter's ``rsrepro`` on the PATH (as Snakemake's jobs have it)."""
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    own_code = workdir / "checkout" / "src"
    if own_code.is_dir():  # the rules' code() and notebook() inputs then point into that copy
        env["PYTHONPATH"] = str(own_code)
    return env


def rsrepro(workdir: Path, *args: str) -> str:
    """The standard output of an ``rsrepro`` command run in ``workdir`` (with its own code)."""
    command = [sys.executable, "-m", "rsrepro", *args]
    result = subprocess.run(
        command, cwd=workdir, env=code_environment(workdir), capture_output=True, text=True
    )
    if result.returncode != 0:
        raise AssertionError(f"rsrepro {' '.join(args)} failed:\n{result.stderr}")
    return result.stdout


def snakemake(workdir: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [*SNAKEMAKE, "--snakefile", str(REPO / "Snakefile"), "--cores", "2", *args],
        cwd=workdir,
        env=code_environment(workdir),
        capture_output=True,
        text=True,
        timeout=900,
    )
    if check and result.returncode != 0:
        raise AssertionError(f"snakemake {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result


def planned_jobs(workdir: Path, *targets: str) -> dict[str, int]:
    """Rule name -> job count that a dry run would execute (empty when nothing is to be done)."""
    result = snakemake(workdir, "--dry-run", *targets)
    output = result.stdout + result.stderr
    if "Nothing to be done" in output:
        return {}
    table = output.split("Job stats:", 1)[1]
    jobs = dict(re.findall(r"^(\w+)\s+(\d+)\s*$", table, flags=re.MULTILINE))
    jobs.pop("total", None)
    return {rule: int(n) for rule, n in jobs.items()}


def planned_shell_jobs(workdir: Path, *args: str) -> dict[str, list[dict[str, str]]]:
    """Rule -> the resources and shell command of each job a dry run plans."""
    result = snakemake(workdir, "--dry-run", "--printshellcmds", *args)
    jobs: dict[str, list[dict[str, str]]] = {}
    for block in re.split(r"\n(?=\[|rule )", result.stdout + result.stderr):
        rule = re.search(r"^rule (\w+):", block, re.M)
        if rule:
            resources = re.search(r"resources: (.*)", block)
            shell = re.search(r"Shell command: (.*)", block)
            jobs.setdefault(rule.group(1), []).append(
                {
                    "resources": resources.group(1) if resources else "",
                    "shell": shell.group(1) if shell else "",
                }
            )
    return jobs
