"""What every rule's jobs share (rsrepro.jobs): the shell wrapper, and log, benchmark and environment
derived from the rule's name and wildcards. (The whole workflow with them: tests/pipeline/test_job_files.py
finds every job's log beside its benchmark, and `snakemake --lint` passes: tests/test_lint.py.)"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from rsrepro.jobs import add_job_files, job, job_files, ordered_wildcards


def test_a_job_logs_its_output_behind_its_code_fingerprint() -> None:
    command = job("rsrepro lsenet-evaluate --test-outputs {input.a} --history {input.b} --out {output}")
    assert command.startswith(": code ")
    assert command.endswith(
        "; rsrepro lsenet-evaluate --test-outputs {input.a} --history {input.b} --out {output} > {log} 2>&1"
    )


def test_log_and_benchmark_are_named_by_the_rule_and_each_wildcard() -> None:
    assert job_files("lsenet_train", ["dataset", "ratio"]) == (
        "results/logs/lsenet_train/dataset={dataset}/ratio={ratio}.log",
        "results/benchmarks/lsenet_train/dataset={dataset}/ratio={ratio}.tsv",
    )
    assert job_files("index_report", []) == (
        "results/logs/index_report.log",
        "results/benchmarks/index_report.tsv",
    )


def test_wildcards_keep_the_order_of_the_output_pattern_constraints_included() -> None:
    pattern = (
        "results/runs/lsenet/{dataset,[a-z0-9_]+}/{lsenet_variant}/ratio{ratio,0\\.\\d+}_seed{seed}/m.pt"
    )
    names = {"seed", "ratio", "dataset", "lsenet_variant"}
    assert ordered_wildcards(pattern, names) == ["dataset", "lsenet_variant", "ratio", "seed"]
    assert ordered_wildcards("results/{split_set}/{split}.json", {"split", "split_set"}) == [
        "split_set",
        "split",
    ]


class FakeRule(SimpleNamespace):
    """The attributes of a Snakemake rule that add_job_files reads and sets."""

    def set_log(self, path: str) -> None:
        self.log = [path]


def rule(**attributes: Any) -> FakeRule:
    defaults = {"log": [], "benchmark": None, "conda_env": None, "output_modifier": object()}
    return FakeRule(**(defaults | attributes))


def test_shell_rules_get_what_they_do_not_state_and_target_rules_nothing() -> None:
    train = rule(
        name="swan_train",
        shellcmd="x",
        output=["runs/{dataset}/{seed}/m.pt"],
        wildcard_names={"seed", "dataset"},
    )
    own = rule(
        name="own",
        shellcmd="x",
        output=["a/{d}.txt"],
        wildcard_names={"d"},
        log=["mine.log"],
        conda_env="e.yaml",
    )
    target = rule(name="all", shellcmd=None, output=[], wildcard_names=set())
    add_job_files([train, own, target], "../envs/rsrepro.yaml")
    assert train.log == ["results/logs/swan_train/dataset={dataset}/seed={seed}.log"]
    assert train.benchmark == "results/benchmarks/swan_train/dataset={dataset}/seed={seed}.tsv"
    assert train.conda_env == "../envs/rsrepro.yaml"
    assert train.log_modifier is train.output_modifier  # Snakemake's module prefix applies as to outputs
    assert (own.log, own.conda_env, own.benchmark) == (
        ["mine.log"],
        "e.yaml",
        "results/benchmarks/own/d={d}.tsv",
    )
    assert (target.log, target.benchmark, target.conda_env) == ([], None, None)
