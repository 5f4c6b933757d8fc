# Shared by every rule file. Helpers live in rsrepro.workflow and rsrepro.paths, where they are tested.
import os
import sys
from pathlib import Path

from rsrepro.config import ParamsError, load_schema, validate_params
from rsrepro.data.own import own_datasets
from rsrepro.data.sources.catalog import CLIP_MODELS, DATASETS
from rsrepro.data.sources.catalog import PRETRAINED as PRETRAINED_SOURCES
from rsrepro.training.launch import SLOTS_PER_GPU_ENV, job_resources, local_limits, visible_gpus
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
OWN_DATASETS = own_datasets(config)  # declared in params.yaml by layout and path (rsrepro.data.own)
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


# GPU jobs share GPUs: a GPU offers `gpu.slots` slots. A training job's `gpu` is the GPUs it runs on
# (SLURM allocates them whole) and its `gpu_slots` what a local run counts: a slot, or every slot of a DDP
# job's GPUs. Unless given (`--resources`; profiles/slurm sets the cluster's `gpu`), the limits are the
# GPUs present times the slots, so a CPU-only machine (limit 0) runs the same rules on the CPU. Which GPU:
# `rsrepro launch` claims a slot on one with room (rsrepro.training.launch), reading k from the
# environment, so that changing it reruns nothing.
os.environ[SLOTS_PER_GPU_ENV] = str(config["gpu"]["slots"])
for name, limit in local_limits(len(visible_gpus()), config["gpu"]["slots"]).items():
    if name not in workflow.global_resources:
        workflow.register_resource(name, limit)


def training_resources(gpus):
    return job_resources(gpus, config["gpu"]["slots"])

