# DSVA: attribute collection (features) -> training (per setting, full + select stages) -> per-run metrics
# -> report. The image-text model of its collection and its baseline is the shared one (image_text.smk),
# trained for DSVA's own splits of each split seed.
from rsrepro.dsva import SETTINGS, STAGES
from rsrepro.dsva import targets as dsva_targets
from rsrepro.dsva.settings import job_train_settings
from rsrepro.dsva.targets import DSVA, RUN, run_metrics
from rsrepro.reports import targets as report_targets

TRAINING = f"{RUN}/{{setting}}/{{dsva_variant}}/{{stage}}"  # one training: a setting's stage of a variant
TRAINING_FILES = ("history.json", "test_outputs.npz")  # what its evaluation reads


wildcard_constraints:
    dsva_variant="|".join(dsva_targets.VARIANTS),
    stage="|".join(STAGES),
    setting="|".join(SETTINGS),


rule dsva_collect_attributes:
    input:
        data=f"{PREPARED}/{{dataset}}",
        split=zero_shot_split("{dataset}", "{split}", "{seed}"),
        model=lambda w: image_text_inputs(w.dataset, config["dsva"]["splits"], w.seed)["model"],
    output:
        directory(f"{RUN}/attributes"),
    params:
        # a function: the prompt holds "{attribute}"
        cfg=lambda w: as_json({**image_text_targets.encoder_params(config), **config["dsva"]["collection"]}),
        model=lambda w: image_text_targets.model_option(config, w.dataset, config["dsva"]["splits"], w.seed),
    shell:
        job(
            "rsrepro dsva-collect-attributes --prepared {input.data} --split {input.split} --out {output}"
            " {params.model} --threads {threads} --params {params.cfg:q}"
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
    priority: 1  # before SWAN's trainings, whose report is the quickest to draw (lsenet_train's comment)
    resources:
        gpu=lambda w: training_resources(job_train_settings(config, w.split, w.setting)["gpus"])["gpu"],
        gpu_slots=lambda w: training_resources(job_train_settings(config, w.split, w.setting)["gpus"])[
            "gpu_slots"
        ],
    shell:
        job(
            "rsrepro launch --gpus {resources.gpu} -- dsva-train --prepared {input.data} --split {input.split}"
            " --attributes {input.attributes} --setting {wildcards.setting} --stage {wildcards.stage}"
            " --variant {wildcards.dsva_variant} --model {output.model} --history {output.history}"
            " --test-outputs {output.test_outputs} --checkpoints {params.checkpoints} --threads {threads}"
            " --params {params.cfg:q}"
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
    shell:
        job(
            "rsrepro dsva-summarize --zsl-full {input.zsl_full} --zsl-select {input.zsl_select}"
            " --gzsl-full {input.gzsl_full} --gzsl-select {input.gzsl_select} --out {output}"
        )


# Baseline: zero-shot classification with the image-text model and class-name prompts, on DSVA's test sets.
rule dsva_baseline:
    input:
        unpack(lambda w: image_text_inputs(w.dataset, config["dsva"]["splits"], w.seed)),  # model, trained_on
        data=f"{PREPARED}/{{dataset}}",
        split=zero_shot_split("{dataset}", "{split}", "{seed}"),
    output:
        metrics=f"{RUN}/zero_shot_baseline/metrics.json",
        scores=f"{RUN}/zero_shot_baseline/test_outputs.npz",
    params:
        # a function: the prompt holds "{attribute}"
        cfg=lambda w: as_json(
            {
                **image_text_targets.encoder_params(config),
                "prompt": config["dsva"]["collection"]["prompt"],
                **config["dsva"]["baseline"],
            }
        ),
        held_out=config["dsva"]["train"]["val_classes"],
        model=lambda w: image_text_targets.model_option(config, w.dataset, config["dsva"]["splits"], w.seed),
        trained_on=lambda w: image_text_targets.trained_on_files(config, w.dataset, config["dsva"]["splits"], w.seed),
    shell:
        job(
            "rsrepro baseline-zero-shot --prepared {input.data} --split {input.split} {params.model}"
            " --held-out {params.held_out} --trained-on {params.trained_on} --out {output.metrics}"
            " --scores {output.scores} --params {params.cfg:q}"
        )


rule dsva_aggregate:
    input:
        lambda w: run_metrics(config, w.dataset),
    output:
        f"{DSVA}/{{dataset}}/metrics.json",
    shell:
        job("rsrepro dsva-aggregate --metrics {input} --out {output}")


rule dsva_report:
    input:
        notebook=notebook("dsva"),
        metrics=dsva_targets.summary_files(config),
        runs=dsva_targets.report_inputs(config),
        paired=report_targets.paired_files("dsva")["csv"],
    output:
        html=report(
            report_file("dsva", "html"),
            caption="../report/paper.rst",
            category="Reports",
            labels={"report": "DSVA"},
        ),
        executed=report_file("dsva", "ipynb"),
        key_figure=report(f"{FIGURES}/dsva/protocols.png", caption="../report/figure.rst", category="Key figures"),
    params:
        nb=as_json(
            {
                "aggregate_files": dsva_targets.summary_files(config),
                "runs": dsva_targets.report_runs(config),
                "figures_dir": f"{FIGURES}/dsva",
                "paired_table": report_targets.paired_files("dsva")["csv"],
            }
        ),
    shell:
        job(
            "rsrepro render-report --notebook {input.notebook} --executed {output.executed}"
            " --html {output.html} --params {params.nb:q}",
            notebook=notebook("dsva"),
        )
