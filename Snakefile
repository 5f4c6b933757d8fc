# rsrepro: reproduce LSE-Net, SWAN and DSVA end to end.
#   snakemake --cores all                                   embedded preset (synthetic data, CPU, minutes)
#   snakemake --cores all --configfile config/paper.yaml    paper preset (real data, GPU)
from snakemake.utils import min_version

min_version("9.0")


configfile: "params.yaml"


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/download.smk"
include: "workflow/rules/lsenet.smk"
include: "workflow/rules/swan.smk"
include: "workflow/rules/dsva.smk"
include: "workflow/rules/report.smk"


rule all:
    default_target: True
    input:
        ALL_TARGETS,
