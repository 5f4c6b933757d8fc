"""Which parts of a job's code changed since its outputs were made (``rsrepro code-changes``).

``snakemake -n`` says a job reruns because "Code has changed since last execution"; this says what changed.
Snakemake's metadata (``.snakemake/metadata/``, its default file backend) keeps, for every output, the
shell command that made it, led by the fingerprint of its code (:func:`rsrepro.workflow.tracked`), and
every Snakemake start of this workflow keeps the parts of each fingerprint it computes
(``.snakemake/rsrepro/code_parts/``). The code the same command runs now is compared part by part
(``rsrepro/models/swan.py:SWAN``; a module's import-time statements as ``rsrepro/io.py``) with the parts
recorded for the fingerprint its outputs were made with.
"""

from __future__ import annotations

import base64
import json
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from rsrepro import codegraph
from rsrepro.errors import RsreproError
from rsrepro.workflow import PARTS_FOLDER, job_code

FINGERPRINT = re.compile(r"^: code (\w+); (.*)$", re.DOTALL)
NOTEBOOK = re.compile(r"--notebook (\S+)")


@dataclass(frozen=True)
class CodeChange:
    """The code of a rule's jobs that made ``outputs`` with fingerprint ``recorded`` is ``current`` now."""

    rule: str
    recorded: str
    current: str
    outputs: tuple[str, ...]
    changed: tuple[str, ...] | None  # parts (None: the recorded fingerprint's parts were not kept)
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()


def recorded_commands(workdir: Path) -> dict[tuple[str, str], list[str]]:
    """(rule, shell command) -> the outputs Snakemake's metadata in ``workdir`` records it made."""
    metadata = workdir / ".snakemake" / "metadata"
    if not metadata.is_dir():
        raise RsreproError(
            f"{metadata} not found: no Snakemake run recorded there; give the workflow's working directory"
            " (--directory)"
        )
    made: dict[tuple[str, str], list[str]] = defaultdict(list)
    for path in sorted(p for p in metadata.rglob("*") if p.is_file()):
        try:
            record = json.loads(path.read_text())
        except (OSError, ValueError):
            continue  # being written by a running Snakemake
        if isinstance(record.get("shellcmd"), str) and FINGERPRINT.match(record["shellcmd"]):
            made[record["rule"], record["shellcmd"]].append(_output_name(path.relative_to(metadata)))
    return made


def _output_name(relative: Path) -> str:
    """Snakemake names a record by the output's path in URL-safe base64, cut into folders ``@<part>``
    where a name would be too long."""
    encoded = "".join(part.removeprefix("@") for part in relative.parts)
    return base64.urlsafe_b64decode(encoded).decode()


def code_changes(workdir: Path) -> list[CodeChange]:
    """Every rule whose code is not what its recorded outputs in ``workdir`` were made with."""
    by_fingerprint: dict[tuple[str, str, str], list[str]] = defaultdict(list)
    current: dict[str, dict[str, str]] = {}
    for (rule, shell), outputs in recorded_commands(workdir).items():
        match = FINGERPRINT.match(shell)
        assert match is not None
        recorded, command = match.groups()
        notebook = NOTEBOOK.search(command)  # a report: the notebook's imports count too
        try:
            parts = job_code(command, str(workdir / notebook[1]) if notebook else None)
        except (ValueError, OSError):
            continue  # a command or notebook gone: its rule changed, and Snakemake says so
        fingerprint = codegraph.fingerprint(parts)
        current[fingerprint] = parts
        if fingerprint != recorded:
            by_fingerprint[rule, recorded, fingerprint] += outputs
    return [
        _compare(rule, recorded, fingerprint, current[fingerprint], sorted(outputs), workdir)
        for (rule, recorded, fingerprint), outputs in sorted(by_fingerprint.items())
    ]


def _compare(
    rule: str, recorded: str, fingerprint: str, parts: dict[str, str], outputs: list[str], workdir: Path
) -> CodeChange:
    kept = workdir / ".snakemake" / "rsrepro" / PARTS_FOLDER / f"{recorded}.json"
    if not kept.is_file():
        return CodeChange(rule, recorded, fingerprint, tuple(outputs), None)
    before: dict[str, str] = json.loads(kept.read_text())
    return CodeChange(
        rule,
        recorded,
        fingerprint,
        tuple(outputs),
        changed=tuple(sorted(k for k in parts.keys() & before.keys() if parts[k] != before[k])),
        added=tuple(sorted(parts.keys() - before.keys())),
        removed=tuple(sorted(before.keys() - parts.keys())),
    )


def describe(changes: list[CodeChange]) -> str:
    """The changes as a person reads them: one block per rule and recorded fingerprint."""
    if not changes:
        return "No job's code changed since its outputs were made."
    lines = []
    for change in changes:
        n = len(change.outputs)
        lines.append(
            f"{change.rule}: code {change.recorded} -> {change.current} "
            f"({n} output{'s' if n > 1 else ''}, e.g. {change.outputs[0]})"
        )
        if change.changed is None:
            lines.append(f"  (the parts of {change.recorded} were not kept: made before rsrepro kept them)")
            continue
        for label, keys in (
            ("changed", change.changed),
            ("added", change.added),
            ("removed", change.removed),
        ):
            lines += [f"  {label:8} {key}" for key in keys]
    return "\n".join(lines)
