# Shared by every rule file. Helpers live in rsrepro.workflow and rsrepro.paths, where they are tested.
import sys
from pathlib import Path

from rsrepro.config import ParamsError, load_schema, validate_params
from rsrepro.data.sources.catalog import CLIP_MODELS, DATASETS
from rsrepro.data.sources.catalog import PRETRAINED as PRETRAINED_SOURCES
from rsrepro.training.launch import visible_gpus
from rsrepro.papers import PAPERS
from rsrepro.image_text import targets as image_text_targets
from rsrepro.jobs import add_job_files, job
from rsrepro.paths import (
    BENCHMARKS,
    CHECKSUM_LOCK,
    DOWNLOADS,
    FIGURES,
    PREPARED,
    PRETRAINED,
    RAW,
    SCRATCH,
    classification_split,
    image_text_model,
    report_file,
    retrieval_split,
    weights_input,
    zero_shot_split,
)
from rsrepro.workflow import (
    as_json,
    cache_fingerprints,
    fetch_params,
    notebook,
    put_interpreter_on_path,
    save_fingerprints,
)

try:
    validate_params(config, load_schema(Path(workflow.basedir) / "workflow/schemas/params.schema.yaml"))
except ParamsError as error:
    # A plain message instead of a traceback: it already names the key, the value and the fix.
    sys.exit(f"rsrepro: {error}")

put_interpreter_on_path()
cache_fingerprints(".snakemake/rsrepro")  # saved by the Snakefile once all rules are read

REAL_DATASETS = list(DATASETS)
PRETRAINED_FILES = list(PRETRAINED_SOURCES)

ENV = "../envs/rsrepro.yaml"  # every rule's (rsrepro.jobs.add_job_files), relative to its rule file


def image_text_inputs(dataset, splits, seed):
    """The model a job uses and what it trained on, as named inputs (``model``, ``trained_on``); a fetched
    checkpoint is ancient() (see download.smk)."""
    model = image_text_targets.model_inputs(config, dataset, splits, seed)
    trained_on = image_text_targets.trained_on_inputs(config, dataset, splits, seed)
    if image_text_targets.trained_here(config):
        return {"model": model, "trained_on": trained_on}
    return {"model": [ancient(path) for path in model], "trained_on": [ancient(path) for path in trained_on]}


# GPU jobs: Snakemake enforces `resources: gpu` only against a limit, and lowers a job's request to it.
# Unless one is given (`--resources gpu=N`; profiles/slurm sets the cluster's), the limit is the GPUs
# present, so GPU jobs never outnumber them and a CPU-only machine runs the same rules with gpu=0, on the
# CPU. Which GPU a job gets: `rsrepro launch` claims free ones (rsrepro.training.launch).
if "gpu" not in workflow.global_resources:
    workflow.register_resource("gpu", len(visible_gpus()))

