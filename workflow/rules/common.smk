# Shared by every rule file. Helpers live in the rsrepro.workflow module, where they are unit-tested.
import sys

from rsrepro.config import ParamsError, load_schema, validate_params
from rsrepro.data.sources.catalog import CLIP_MODELS, DATASETS
from rsrepro.data.sources.catalog import PRETRAINED as PRETRAINED_SOURCES
from rsrepro.training.launch import visible_gpus
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

# GPU jobs: Snakemake enforces `resources: gpu` only against a limit, and lowers a job's request to it.
# Unless one is given (`--resources gpu=N`; profiles/slurm sets the cluster's), the limit is the GPUs
# present, so GPU jobs never outnumber them and a CPU-only machine runs the same rules with gpu=0, on the
# CPU. Which GPU a job gets: `rsrepro launch` claims free ones (rsrepro.training.launch).
if "gpu" not in workflow.global_resources:
    workflow.register_resource("gpu", len(visible_gpus()))

# Each stage's rule file appends the files it must produce, and `rule all` asks for them.
ALL_TARGETS = []
