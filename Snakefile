# rsrepro: reproduce LSE-Net, SWAN and DSVA end to end.
#   snakemake --cores all                                   embedded preset (synthetic data, CPU, minutes)
#   snakemake --cores all --configfile config/paper.yaml    paper preset (real data, GPU)
from snakemake.utils import min_version

min_version("9.0")


configfile: "params.yaml"


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/download.smk"
include: "workflow/rules/image_text.smk"
# One rule file per registered paper (rsrepro.papers).
for paper in PAPERS:

    include: f"workflow/rules/{paper}.smk"


include: "workflow/rules/report.smk"


add_job_files(workflow.rules, ENV)  # each rule's log, benchmark and environment, from its name and wildcards

save_fingerprints()  # every rule's code fingerprint is known now (rsrepro.workflow.tracked)

from rsrepro.reports.targets import final_targets


rule all:
    default_target: True
    input:
        final_targets(config),
