"""Helpers for the Snakemake rule files (kept here, importable and unit-tested, not in .smk files).

Where things live is :mod:`rsrepro.paths`; what each paper adds to the DAG is its ``targets`` module
(:mod:`rsrepro.papers`).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

from rsrepro import codegraph
from rsrepro.io import write_json

SOURCE_ROOT = Path(__file__).resolve().parent


def put_interpreter_on_path() -> None:
    """Let rules call the `rsrepro` command of the interpreter running Snakemake, activated or not."""
    bin_dir = str(Path(sys.executable).parent)
    os.environ["PATH"] = os.pathsep.join([bin_dir, os.environ.get("PATH", "")])


def as_json(section: Any) -> str:
    """A config section as one JSON string: passed to the CLI and compared by Snakemake's params trigger."""
    return json.dumps(section, sort_keys=True)


@cache
def _handlers() -> dict[str, Any]:
    from rsrepro.cli import command_handlers

    return command_handlers()


def command_names(command: str) -> list[str]:
    """The ``rsrepro`` sub-commands a shell command runs (``launch`` and the command it launches)."""
    match = re.search(r"\brsrepro ([a-z][\w-]*)(.*)", command)
    if match is None:
        raise ValueError(f"not an rsrepro command: {command!r}")
    names = [match[1]]
    if match[1] == "launch":
        launched = re.search(r" -- ([a-z][\w-]*)", match[2])
        if launched is None:
            raise ValueError(f"rsrepro launch without ' -- COMMAND': {command!r}")
        names.append(launched[1])
    return names


def job_code(command: str, notebook: str | None = None) -> dict[str, str]:
    """Source file (or ``file:function``) -> digest of everything ``command`` runs within rsrepro, and
    the rsrepro modules ``notebook`` imports (see :mod:`rsrepro.codegraph`)."""
    handlers = _handlers()
    unknown = [name for name in command_names(command) if name not in handlers]
    if unknown:
        raise ValueError(f"unknown rsrepro command {unknown[0]!r} in {command!r}")
    parts = codegraph.code_parts(codegraph.handler_entry(handlers[name]) for name in command_names(command))
    if notebook is not None:
        parts |= codegraph.notebook_parts(Path(notebook))
    return parts


def tracked(command: str, notebook: str | None = None) -> str:
    """A rule's shell command led by the fingerprint of the code it runs (``: code <hash>;``, a no-op).

    Snakemake's code trigger compares a rule's shell command with the one recorded for its outputs, so
    a change of behaviour anywhere in that code reruns exactly these jobs, and ``snakemake -n`` /
    ``--list-changes code`` say so (``rsrepro code-changes``: what changed). Comments, docstrings,
    formatting, the text of messages and code the job never calls leave the hash as it is.
    """
    return f": code {code_fingerprint(command, notebook)}; {command}"


def code_fingerprint(command: str, notebook: str | None = None) -> str:
    """The fingerprint of :func:`job_code`, from the cache when :func:`cache_fingerprints` set one."""
    if _fingerprints is None:
        return codegraph.fingerprint(job_code(command, notebook))
    key = command if notebook is None else f"{command}\0{notebook}\0{_digest(Path(notebook).read_bytes())}"
    return _fingerprints.get(key, lambda: job_code(command, notebook))


PARTS_FOLDER = "code_parts"


class FingerprintCache:
    """Code fingerprints by command, kept on disk while rsrepro's sources stay byte for byte the same,
    and the parts of every fingerprint computed (``code_parts/<fingerprint>.json``: what
    ``rsrepro code-changes`` compares the code of now with).

    Reading the code graph of every rule takes about a second, which every Snakemake start (a no-op
    rerun, each SLURM job step) would pay again; hashing the sources' bytes takes milliseconds.
    """

    def __init__(self, folder: Path) -> None:
        self.file = folder / "code_fingerprints.json"
        self.parts_dir = folder / PARTS_FOLDER
        self.sources = sources_digest()
        try:
            stored = json.loads(self.file.read_text())
        except (OSError, ValueError):
            stored = {}
        current = stored.get("sources") == self.sources
        self.entries: dict[str, str] = stored.get("entries", {}) if current else {}
        self.new_parts: dict[str, dict[str, str]] = {}  # fingerprint -> parts, computed by this process

    def get(self, key: str, compute_parts: Callable[[], dict[str, str]]) -> str:
        if key not in self.entries:
            parts = compute_parts()
            self.entries[key] = codegraph.fingerprint(parts)
            self.new_parts[self.entries[key]] = parts
        return self.entries[key]

    def save(self) -> None:
        """Write the fingerprints and their parts (once all rules are read), unless none is new or a source
        was edited while they were read (they may then be of either version)."""
        if not self.new_parts or sources_digest() != self.sources:
            return
        for fingerprint, parts in self.new_parts.items():
            if not (self.parts_dir / f"{fingerprint}.json").exists():
                write_json(self.parts_dir / f"{fingerprint}.json", parts)
        # atomic: Snakemake processes sharing a working directory may race
        write_json(self.file, {"sources": self.sources, "entries": self.entries})


_fingerprints: FingerprintCache | None = None


def cache_fingerprints(folder: str | Path) -> None:
    """Keep :func:`tracked`'s fingerprints in ``folder`` (the Snakefile passes ``.snakemake/rsrepro``)."""
    global _fingerprints
    _fingerprints = FingerprintCache(Path(folder))


def save_fingerprints() -> None:
    """Write the fingerprints :func:`tracked` computed into the cache, if one was set."""
    if _fingerprints is not None:
        _fingerprints.save()


def sources_digest() -> str:
    """A hash of the bytes of every rsrepro source file (what job fingerprints are read from)."""
    files = sorted(codegraph.PACKAGE_ROOT.rglob("*.py"))
    named = (f"{p.relative_to(codegraph.PACKAGE_ROOT)}\0".encode() + p.read_bytes() for p in files)
    return _digest(sys.version.encode() + b"".join(named))  # syntax trees are read as this Python reads them


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def fetch_params(section: dict[str, Any]) -> dict[str, Any]:
    """The part of a ``data.<source>`` section that decides which files are fetched and how they are
    verified (not image_size, so changing the resolution re-converts without re-downloading)."""
    params = {"files": section.get("files") or {}, "urls": section.get("urls") or {}}
    if section.get("checksums"):  # only when given, so data fetched before the key existed stays current
        params["checksums"] = section["checksums"]
    return params


def notebook(name: str) -> str:
    """A report notebook of this checkout, relative to the working directory."""
    return os.path.relpath(SOURCE_ROOT.parents[1] / "notebooks" / f"{name}.ipynb")
