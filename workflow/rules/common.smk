# Shared by every rule file. Helpers live in the rsrepro.workflow module, where they are unit-tested.
import sys

from rsrepro.config import ParamsError, load_schema, validate_params
from rsrepro.data.sources.catalog import CLIP_MODELS, DATASETS
from rsrepro.data.sources.catalog import PRETRAINED as PRETRAINED_SOURCES
from rsrepro.training.launch import gpu_request, visible_gpus
from rsrepro.workflow import (
    BENCHMARKS,
    CHECKSUM_LOCK,
    DOWNLOADS,
    FEATURES,
    PRETRAINED,
    RAW,
    SCRATCH,
    FIGURES,
    LOGS,
    PREPARED,
    RESULTS,
    SPLITS,
    as_json,
    classification_split_files,
    code,
    fetch_params,
    notebook,
    put_interpreter_on_path,
    retrieval_split_files,
    split_tag,
    zero_shot_split_files,
)

try:
    validate_params(config, load_schema(workflow.source_path("../schemas/params.schema.yaml")))
except ParamsError as error:
    # A plain message instead of a traceback: it already names the key, the value and the fix.
    sys.exit(f"rsrepro: {error}")

put_interpreter_on_path()

REAL_DATASETS = list(DATASETS)
PRETRAINED_FILES = list(PRETRAINED_SOURCES)

ENV = "../envs/rsrepro.yaml"

# GPU jobs: locally, Snakemake enforces `resources: gpu` only against a limit, so the limit defaults to
# the GPUs present (`--resources gpu=N` still wins) and rules ask for at most that many (0 on a CPU-only
# machine: the same rules run on the CPU). On a cluster the scheduler places them: no cap, no limit.
# Which GPU a job gets: `rsrepro launch` claims free ones (rsrepro.training.launch).
GPUS_PRESENT = len(visible_gpus()) if workflow.local_exec else None
if GPUS_PRESENT is not None and "gpu" not in workflow.global_resources:
    workflow.register_resource("gpu", GPUS_PRESENT)

# Each stage's rule file appends the files it must produce, and `rule all` asks for them.
ALL_TARGETS = []
