# DSVA: attribute collection (features) -> training (per setting, full + select stages) -> per-run metrics
# -> report.
from rsrepro.baselines import targets as baseline_targets
from rsrepro.dsva import SETTINGS, STAGES
from rsrepro.dsva import targets as dsva_targets
from rsrepro.dsva.settings import job_train_settings
from rsrepro.dsva.targets import DSVA, RUN, dsva_split_files, image_text_inputs, run_metrics


TRAINING = f"{RUN}/{{setting}}/{{dsva_variant}}/{{stage}}"  # one training: a setting's stage of a variant
TRAINING_FILES = ("history.json", "test_outputs.npz")  # what its evaluation reads


wildcard_constraints:
    dsva_variant="|".join(dsva_targets.VARIANTS),
    stage="|".join(STAGES),
    setting="|".join(SETTINGS),


rule dsva_image_text:
    input:
        data=f"{PREPARED}/{{dataset}}",
        splits=lambda w: dsva_split_files(config, w.dataset, int(w.seed)),
    output:
        directory(f"{DSVA}/{{dataset}}/image_text_seed{{seed}}"),
    params:
        cfg=lambda w: as_json(config["dsva"]["collection"]),  # a function: the prompt holds "{attribute}"
    log:
        f"{LOGS}/dsva/{{dataset}}/image_text_seed{{seed}}.log",
    benchmark:
        f"{BENCHMARKS}/dsva_image_text/{{dataset}}/image_text_seed{{seed}}.tsv"
    conda:
        ENV
    threads: 1
    shell:
        tracked(
            "rsrepro dsva-image-text --prepared {input.data} --splits {input.splits} --out {output}"
            " --threads {threads} --params {params.cfg:q} > {log} 2>&1"
        )


rule dsva_collect_attributes:
    input:
        data=f"{PREPARED}/{{dataset}}",
        split=zero_shot_split("{dataset}", "{split}", "{seed}"),
        image_text=lambda w: image_text_inputs(config, w.dataset, int(w.seed)),
        clip=[ancient(p) for p in weights_input(config["dsva"]["collection"]["clip_model_dir"])],
    output:
        directory(f"{RUN}/attributes"),
    params:
        cfg=lambda w: as_json(config["dsva"]["collection"]),  # a function: the prompt holds "{attribute}"
        image_text=lambda w, input: f"--image-text {input.image_text[0]}" if input.image_text else "",
    log:
        f"{LOGS}/dsva/{{dataset}}/{{split}}_seed{{seed}}/collect_attributes.log",
    benchmark:
        f"{BENCHMARKS}/dsva_collect_attributes/{{dataset}}/{{split}}_seed{{seed}}/collect_attributes.tsv"
    conda:
        ENV
    threads: 1
    shell:
        tracked(
            "rsrepro dsva-collect-attributes --prepared {input.data} --split {input.split} --out {output}"
            " {params.image_text} --threads {threads} --params {params.cfg:q} > {log} 2>&1"
        )


rule dsva_train:
    input:
        data=f"{PREPARED}/{{dataset}}",
        split=zero_shot_split("{dataset}", "{split}", "{seed}"),
        attributes=f"{RUN}/attributes",
        clip=lambda w: [
            ancient(p)
            for p in weights_input(job_train_settings(config, w.split, w.setting)["clip_model_dir"])
        ],
    output:
        model=f"{TRAINING}/model.pt",
        history=f"{TRAINING}/history.json",
        test_outputs=f"{TRAINING}/test_outputs.npz",
    params:
        # per job: an override in dsva.settings reruns its split and setting only
        cfg=lambda w: as_json(job_train_settings(config, w.split, w.setting)),
        checkpoints=f"{TRAINING}/checkpoints",
    log:
        f"{LOGS}/dsva/{{dataset}}/{{split}}_seed{{seed}}/{{setting}}_{{dsva_variant}}_{{stage}}.log",
    benchmark:
        f"{BENCHMARKS}/dsva_train/{{dataset}}/{{split}}_seed{{seed}}/{{setting}}_{{dsva_variant}}_{{stage}}.tsv"
    conda:
        ENV
    threads: 1
    priority: 1  # before SWAN's trainings, whose report is the quickest to draw (lsenet_train's comment)
    resources:
        gpu=lambda w: training_resources(job_train_settings(config, w.split, w.setting)["gpus"])["gpu"],
        gpu_slots=lambda w: training_resources(job_train_settings(config, w.split, w.setting)["gpus"])[
            "gpu_slots"
        ],
    shell:
        tracked(
            "rsrepro launch --gpus {resources.gpu} -- dsva-train --prepared {input.data} --split {input.split}"
            " --attributes {input.attributes} --setting {wildcards.setting} --stage {wildcards.stage}"
            " --variant {wildcards.dsva_variant} --model {output.model} --history {output.history}"
            " --test-outputs {output.test_outputs} --checkpoints {params.checkpoints} --threads {threads}"
            " --params {params.cfg:q} > {log} 2>&1"
        )


rule dsva_summarize:
    input:
        **{
            f"{setting}_{stage}": [f"{RUN}/{setting}/{{dsva_variant}}/{stage}/{name}" for name in TRAINING_FILES]
            for setting in SETTINGS
            for stage in STAGES
        },
    output:
        f"{RUN}/{{dsva_variant}}/metrics.json",
    log:
        f"{LOGS}/dsva/{{dataset}}/{{split}}_seed{{seed}}/{{dsva_variant}}_summarize.log",
    benchmark:
        f"{BENCHMARKS}/dsva_summarize/{{dataset}}/{{split}}_seed{{seed}}/{{dsva_variant}}_summarize.tsv"
    conda:
        ENV
    threads: 1
    shell:
        tracked(
            "rsrepro dsva-summarize --zsl-full {input.zsl_full} --zsl-select {input.zsl_select}"
            " --gzsl-full {input.gzsl_full} --gzsl-select {input.gzsl_select} --out {output} > {log} 2>&1"
        )


# Baseline: zero-shot classification with the image-text model and class-name prompts, on DSVA's test sets.
rule dsva_baseline:
    input:
        data=f"{PREPARED}/{{dataset}}",
        split=zero_shot_split("{dataset}", "{split}", "{seed}"),
        model=lambda w: baseline_targets.image_text_inputs(config, w.dataset)["model"],
        trained_on=lambda w: baseline_targets.image_text_inputs(config, w.dataset)["trained_on"],
    output:
        metrics=f"{RUN}/zero_shot_baseline/metrics.json",
        scores=f"{RUN}/zero_shot_baseline/test_outputs.npz",
    params:
        # a function: the prompt holds "{attribute}"
        cfg=lambda w: as_json({**config["dsva"]["collection"], **config["dsva"]["baseline"]}),
        held_out=config["dsva"]["train"]["val_classes"],
        model=lambda w: baseline_targets.model_option(config, w.dataset),
        trained_on=lambda w: baseline_targets.trained_on_files(config, w.dataset),
    log:
        f"{LOGS}/dsva/{{dataset}}/{{split}}_seed{{seed}}/baseline.log",
    benchmark:
        f"{BENCHMARKS}/dsva_baseline/{{dataset}}/{{split}}_seed{{seed}}/baseline.tsv"
    conda:
        ENV
    threads: 1
    shell:
        tracked(
            "rsrepro baseline-zero-shot --prepared {input.data} --split {input.split} {params.model}"
            " --held-out {params.held_out} --trained-on {params.trained_on} --out {output.metrics}"
            " --scores {output.scores} --params {params.cfg:q} > {log} 2>&1"
        )


rule dsva_aggregate:
    input:
        lambda w: run_metrics(config, w.dataset),
    output:
        f"{DSVA}/{{dataset}}/metrics.json",
    log:
        f"{LOGS}/dsva/{{dataset}}/aggregate.log",
    benchmark:
        f"{BENCHMARKS}/dsva_aggregate/{{dataset}}/aggregate.tsv"
    conda:
        ENV
    threads: 1
    shell:
        tracked("rsrepro dsva-aggregate --metrics {input} --out {output} > {log} 2>&1")


rule dsva_report:
    input:
        notebook=notebook("dsva"),
        metrics=dsva_targets.summary_files(config),
        runs=dsva_targets.report_inputs(config),
    output:
        html=report(
            f"{RESULTS}/reports/dsva.html",
            caption="../report/paper.rst",
            category="Reports",
            labels={"report": "DSVA"},
        ),
        executed=f"{RESULTS}/reports/dsva.ipynb",
        key_figure=report(f"{FIGURES}/dsva/protocols.png", caption="../report/figure.rst", category="Key figures"),
    params:
        nb=as_json(
            {
                "aggregate_files": dsva_targets.summary_files(config),
                "runs": dsva_targets.report_runs(config),
                "figures_dir": f"{FIGURES}/dsva",
            }
        ),
    log:
        f"{LOGS}/dsva/report.log",
    benchmark:
        f"{BENCHMARKS}/dsva_report/report.tsv"
    conda:
        ENV
    threads: 1
    shell:
        tracked(
            "rsrepro render-report --notebook {input.notebook} --executed {output.executed}"
            " --html {output.html} --params {params.nb:q} > {log} 2>&1",
            notebook=notebook("dsva"),
        )
