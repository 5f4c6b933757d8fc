"""Where the workflow keeps things: every path pattern is spelled here once.

Paths are relative to the working directory, as Snakemake expects. Everything the DAG writes lives under
``results/``; fetched data and weights under ``data/`` (which DVC tracks). The split-file functions take
wildcard patterns as well as values (``classification_split("{dataset}", "{ratio}", "{seed}")``), so a
rule's output pattern and the file lists of its consumers are the same expression.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

RESULTS = "results"
PREPARED = f"{RESULTS}/prepared"
SPLITS = f"{RESULTS}/splits"
LOGS = f"{RESULTS}/logs"
BENCHMARKS = f"{RESULTS}/benchmarks"
FIGURES = f"{RESULTS}/figures"
FEATURES = f"{RESULTS}/features"
RUNS = f"{RESULTS}/runs"
METRICS = f"{RESULTS}/metrics"
PLOTS = f"{RESULTS}/plots"
REPORTS = f"{RESULTS}/reports"
TABLES = f"{RESULTS}/tables"
# Real data lives outside results/: DVC tracks data/raw and data/pretrained (results/prepared too).
DATA = "data"
RAW = f"{DATA}/raw"
PRETRAINED = f"{DATA}/pretrained"
DOWNLOADS = f"{DATA}/downloads"  # resumable partial downloads (not tracked)
SCRATCH = f"{DATA}/scratch"  # extraction during prepare (deleted afterwards)
CHECKSUM_LOCK = "config/checksums.lock.json"


def paper_dir(paper: str) -> str:
    """A paper's trained runs and per-dataset aggregates (DVC versions ``runs/`` as one output)."""
    return f"{RUNS}/{paper}"


def split_tag(split: str) -> str:
    """A paper split such as '60/10' as a file-name part, '60-10'."""
    return split.replace("/", "-")


def split_of(tag: str) -> str:
    """The params key of a split from its file-name part ("50-20" -> "50/20")."""
    return tag.replace("-", "/")


def split_set(splits: Iterable[str]) -> str:
    """Several paper splits ('60/10', '50/20') as one file-name part, in one order ('50-20+60-10')."""
    return "+".join(sorted(split_tag(split) for split in splits))


def classification_split(dataset: str, ratio: float | str, seed: int | str) -> str:
    return f"{SPLITS}/{dataset}/classification/ratio{ratio}_seed{seed}.json"


def retrieval_split(dataset: str, seed: int | str) -> str:
    return f"{SPLITS}/{dataset}/retrieval/seed{seed}.json"


def zero_shot_split(dataset: str, split_tag: str, seed: int | str) -> str:
    """``split_tag`` as :func:`split_tag` writes it ('60-10')."""
    return f"{SPLITS}/{dataset}/zero_shot/{split_tag}_seed{seed}.json"


def image_text_model(dataset: str, split_set: str, seed: int | str) -> str:
    """The embedded image-text model trained for the zero-shot splits ``split_set`` (as :func:`split_set`
    writes it) of one split seed: a folder holding ``model.pt`` and ``training.json``."""
    return f"{FEATURES}/{dataset}/image_text/{split_set}_seed{seed}"


def report_file(name: str, suffix: str) -> str:
    """A rendered report (``html``) or its executed notebook (``ipynb``): a paper's or the index."""
    return f"{REPORTS}/{name}.{suffix}"


def weights_input(weights_file: str | None) -> list[str]:
    """Pretrained weights as a rule input (none when ``weights_file`` is empty).

    A file the workflow fetches lies in the folder that ``fetch_pretrained`` outputs as a whole
    (``data/pretrained/<name>/``): the input is that folder, so Snakemake schedules the fetch.
    """
    if not weights_file:
        return []
    path, root = Path(weights_file), Path(PRETRAINED).parts
    if path.parts[: len(root)] == root and len(path.parts) > len(root) + 1:
        return [str(Path(*path.parts[: len(root) + 1]))]
    return [weights_file]
