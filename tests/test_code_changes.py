"""`rsrepro code-changes`: which parts of a job's code changed since Snakemake recorded its outputs."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest
from snakemake.persistence.file import FilePersistence

from rsrepro import codegraph
from rsrepro.code_changes import code_changes, describe
from rsrepro.errors import RsreproError
from rsrepro.workflow import PARTS_FOLDER, job_code

COMMAND = "rsrepro swan-aggregate --out results/x.json results/a.json > results/logs/x.log 2>&1"


def record(workdir: Path, output: str, fingerprint: str, rule: str = "swan_aggregate") -> None:
    """A metadata record as Snakemake's file backend writes it (its own naming of the record's path)."""
    stub = SimpleNamespace(_fetch_max_len=lambda subject: 255)
    path = Path(FilePersistence._record_path(stub, str(workdir / ".snakemake" / "metadata"), output))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"rule": rule, "shellcmd": f": code {fingerprint}; {COMMAND}"}))


def test_the_parts_that_changed_since_the_outputs_were_made(tmp_path: Path) -> None:
    now = job_code(COMMAND)
    before = dict(now)
    before["rsrepro/swan/aggregate.py:aggregate_runs"] = "an older digest"
    before["rsrepro/io.py:gone"] = "a function removed since"
    del before["rsrepro/metrics/runs.py:mean_and_std"]
    kept = tmp_path / ".snakemake" / "rsrepro" / PARTS_FOLDER
    kept.mkdir(parents=True)
    (kept / "0123456789abcdef.json").write_text(json.dumps(before))
    long_name = "results/" + "deep/" * 60 + "metrics.json"  # Snakemake cuts its record's name into folders
    record(tmp_path, long_name, "0123456789abcdef")
    record(tmp_path, "results/x.json", "0123456789abcdef")
    record(tmp_path, "results/current.json", codegraph.fingerprint(now))  # made by the code of now
    record(tmp_path, "results/older.json", "fedcba9876543210")  # its parts were not kept
    changes = code_changes(tmp_path)
    assert [(c.recorded, c.outputs) for c in changes] == [
        ("0123456789abcdef", (long_name, "results/x.json")),
        ("fedcba9876543210", ("results/older.json",)),
    ]
    assert changes[0].changed == ("rsrepro/swan/aggregate.py:aggregate_runs",)
    assert changes[0].added == ("rsrepro/metrics/runs.py:mean_and_std",)
    assert changes[0].removed == ("rsrepro/io.py:gone",)
    assert changes[1].changed is None
    text = describe(changes)
    assert "  changed  rsrepro/swan/aggregate.py:aggregate_runs" in text
    assert "the parts of fedcba9876543210 were not kept" in text


def test_nothing_changed_and_no_run_at_all_say_so(tmp_path: Path) -> None:
    record(tmp_path, "results/x.json", codegraph.fingerprint(job_code(COMMAND)))
    assert describe(code_changes(tmp_path)) == "No job's code changed since its outputs were made."
    with pytest.raises(RsreproError, match="no Snakemake run recorded there"):
        code_changes(tmp_path / "elsewhere")
