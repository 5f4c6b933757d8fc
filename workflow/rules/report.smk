# Reports over all papers: headline metrics and plot data for DVC, and the index report a researcher opens
# first. These read only the papers' summaries and run histories, so they never schedule training; the
# index does not depend on the paper reports (it links to them), so touching one paper's notebook reruns
# that report alone.
from rsrepro.reports import targets as report_targets


wildcard_constraints:
    paper="|".join(PAPERS),


rule headline_metrics:
    input:
        summaries=lambda w: report_targets.summary_files(config)[w.paper],
    output:
        report_targets.metrics_file("{paper}"),
    shell:
        job("rsrepro headline-metrics --paper {wildcards.paper} --out {output} {input.summaries}")


rule paper_table:
    input:
        summaries=lambda w: report_targets.summary_files(config)[w.paper],
    output:
        **report_targets.table_files("{paper}"),
    shell:
        job("rsrepro paper-table --paper {wildcards.paper} --csv {output.csv} --tex {output.tex} {input.summaries}")


rule paired_table:
    input:
        outputs=lambda w: report_targets.paired_inputs(config, w.paper),
    output:
        **report_targets.paired_files("{paper}"),
    params:
        comparisons=lambda w: as_json(PAPERS[w.paper].paired_comparisons(config)),
    shell:
        job(
            "rsrepro paired-table --paper {wildcards.paper} --comparisons {params.comparisons:q}"
            " --csv {output.csv} --tex {output.tex}"
        )


rule headline_summary:
    input:
        summaries=[f for files in report_targets.summary_files(config).values() for f in files],
    output:
        report_targets.headline_summary_file(),
    params:
        summaries=as_json(report_targets.summary_files(config)),
        preset=config["preset"],
        configfiles=report_targets.configfile_args(workflow.overwrite_configfiles),  # each row's command
    shell:
        job(
            "rsrepro headline-summary --summaries {params.summaries:q} --preset {params.preset}"
            " {params.configfiles} --out {output}"
        )


rule plot_curves:
    input:
        histories=lambda w: PAPERS[w.paper].history_files(config, w.dataset),
    output:
        report_targets.curves_file("{paper}", "{dataset}"),
    shell:
        job("rsrepro plot-curves --paper {wildcards.paper} --out {output} {input.histories}")


rule index_report:
    input:
        notebook=notebook("index"),
        tables=[f for paper in PAPERS for f in report_targets.table_files(paper).values()],  # it links them
        summaries=[f for files in report_targets.summary_files(config).values() for f in files],
        paired=[report_targets.paired_files(paper)["csv"] for paper in PAPERS],
    output:
        html=report(
            report_file("index", "html"),
            caption="../report/index.rst",
            category="Reports",
            labels={"report": "index"},
        ),
        executed=report_file("index", "ipynb"),
        headline_figure=report(
            f"{FIGURES}/index/headline.png", caption="../report/headline.rst", category="Key figures"
        ),
        wall_time_figure=report(
            f"{FIGURES}/index/wall_time.png", caption="../report/wall_time.rst", category="Key figures"
        ),
    params:
        nb=as_json(
            {
                "summary_files": report_targets.summary_files(config),
                "preset": config["preset"],
                "benchmarks_dir": BENCHMARKS,
                "figures_dir": f"{FIGURES}/index",
                "paired_tables": {p: report_targets.paired_files(p)["csv"] for p in PAPERS},
            }
        ),
    shell:
        job(
            "rsrepro render-report --notebook {input.notebook} --executed {output.executed}"
            " --html {output.html} --params {params.nb:q}",
            notebook=notebook("index"),
        )


# What `dvc pull` restores (the outputs of dvc.yaml's stage) is upstream of these. DVC does not keep
# modification times, so `make results-pull` runs `snakemake --touch restored` after the pull: the restored
# files are marked up to date in DAG order, and the next run schedules only what is missing (the reports).
rule restored:
    input:
        report_targets.restored_targets(config),
