"""What every rule's jobs have in common, so that a rule states only its inputs, outputs, params and command.

- :func:`job`: the shell command as every job runs it: its output into the job's log, led by the
  fingerprint of the code it runs (:func:`rsrepro.workflow.tracked`).
- :func:`add_job_files`: run by the Snakefile once every rule file is read, it gives each rule with a
  shell command its log and benchmark files, named by the rule and its wildcards
  (``results/logs/<rule>/<wildcard>=<value>/....log``, the benchmark alike under ``results/benchmarks/``,
  which the index report and the rehearsal read per rule), and the workflow's software environment. A
  rule may still state its own; ``threads:`` is Snakemake's 1 unless a rule says otherwise.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from rsrepro.paths import BENCHMARKS, LOGS
from rsrepro.workflow import tracked


def job(command: str, notebook: str | None = None) -> str:
    """A rule's ``shell:``: ``command`` (an ``rsrepro`` call) with its output into the job's log."""
    return tracked(f"{command} > {{log}} 2>&1", notebook=notebook)


def job_files(rule: str, wildcards: Iterable[str]) -> tuple[str, str]:
    """The log and benchmark patterns of ``rule``'s jobs: one file per job, a folder per wildcard in the
    given order (a rule without wildcards: ``results/logs/<rule>.log``)."""
    stem = "/".join([rule, *(f"{wildcard}={{{wildcard}}}" for wildcard in wildcards)])
    return f"{LOGS}/{stem}.log", f"{BENCHMARKS}/{stem}.tsv"


def ordered_wildcards(pattern: str, names: Iterable[str]) -> list[str]:
    """``names`` in the order they first appear in the file pattern ``pattern``."""
    return sorted(names, key=lambda name: re.search(r"\{\s*" + re.escape(name) + r"\s*[,}]", pattern).start())


def add_job_files(rules: Iterable[Any], env: str) -> None:
    """Give each Snakemake rule that runs a shell command the log, benchmark and ``conda:`` environment
    it does not state itself."""
    for rule in rules:
        if not rule.shellcmd:
            continue  # rule all, restored: targets only
        pattern = str(rule.output[0])
        log, benchmark = job_files(rule.name, ordered_wildcards(pattern, rule.wildcard_names))
        # Snakemake sets a path's modifier (its module prefix) with the directive: the outputs' serves
        if not rule.log:
            rule.log_modifier = rule.output_modifier
            rule.set_log(log)
        if not rule.benchmark:
            rule.benchmark_modifier = rule.output_modifier
            rule.benchmark = benchmark
        if not rule.conda_env:
            rule.conda_env = env
