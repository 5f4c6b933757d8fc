# LSE-Net: one training+evaluation job per dataset x variant x train ratio x split seed, an aggregate per
# dataset, and the report. File lists come from rsrepro.lsenet.targets (plain, tested functions).
from rsrepro.lsenet import targets as lsenet_targets
from rsrepro.reports import targets as report_targets

LSENET = lsenet_targets.LSENET
RUN = lsenet_targets.run_dir("{dataset}", "{lsenet_variant}", "{ratio}", "{seed}")


wildcard_constraints:
    lsenet_variant="|".join(lsenet_targets.VARIANTS),


rule lsenet_train:
    input:
        prepared=f"{PREPARED}/{{dataset}}",
        split=classification_split("{dataset}", "{ratio}", "{seed}"),
        weights=[ancient(path) for path in lsenet_targets.weights_inputs(config)],
    output:
        model=f"{RUN}/model.pt",
        history=f"{RUN}/history.json",
        test_outputs=f"{RUN}/test_outputs.npz",
    params:
        cfg=as_json({"model": config["lsenet"]["model"], "train": config["lsenet"]["train"]}),
        checkpoints=lambda w: lsenet_targets.checkpoint_dir(w.dataset, w.lsenet_variant, w.ratio, w.seed),
    # its report is the longest to draw: train it first, so that the report runs beside the other trainings
    priority: 2
    resources:
        **training_resources(config["lsenet"]["train"]["gpus"]),
    shell:
        job(
            "OMP_NUM_THREADS={threads} rsrepro launch --gpus {resources.gpu} -- lsenet-train"
            " --prepared {input.prepared} --split {input.split} --model {output.model}"
            " --history {output.history} --test-outputs {output.test_outputs} --checkpoints {params.checkpoints}"
            " --variant {wildcards.lsenet_variant} --params {params.cfg:q}"
        )


rule lsenet_evaluate:
    input:
        test_outputs=f"{RUN}/test_outputs.npz",
        history=f"{RUN}/history.json",
    output:
        f"{RUN}/metrics.json",
    shell:
        job("rsrepro lsenet-evaluate --test-outputs {input.test_outputs} --history {input.history} --out {output}")


# Baseline: a linear probe on the image-text model's frozen image features, on the main table's splits.
rule lsenet_baseline_features:
    input:
        prepared=f"{PREPARED}/{{dataset}}",
        model=lambda w: image_text_inputs(w.dataset, *BASELINES_MODEL)["model"],
    output:
        lsenet_targets.probe_features("{dataset}"),
    params:
        cfg=as_json(image_text_targets.encoder_params(config)),
        model=lambda w: image_text_targets.model_option(config, w.dataset, *BASELINES_MODEL),
    shell:
        job("rsrepro baseline-features --prepared {input.prepared} --out {output} {params.model} --params {params.cfg:q}")


rule lsenet_linear_probe:
    input:
        prepared=f"{PREPARED}/{{dataset}}",
        features=lsenet_targets.probe_features("{dataset}"),
        split=classification_split("{dataset}", "{ratio}", "{seed}"),
        trained_on=lambda w: image_text_inputs(w.dataset, *BASELINES_MODEL)["trained_on"],
    output:
        metrics=lsenet_targets.probe_file("{dataset}", "{ratio}", "{seed}", "metrics.json"),
        logits=lsenet_targets.probe_file("{dataset}", "{ratio}", "{seed}", "test_outputs.npz"),
    params:
        cfg=as_json({**config["lsenet"]["baseline"], "model": config["image_text"]["model"]}),
        trained_on=lambda w: image_text_targets.trained_on_files(config, w.dataset, *BASELINES_MODEL),
    shell:
        job(
            "rsrepro baseline-linear-probe --prepared {input.prepared} --features {input.features}"
            " --split {input.split} --trained-on {params.trained_on} --out {output.metrics}"
            " --logits {output.logits} --params {params.cfg:q}"
        )


rule lsenet_aggregate:
    input:
        lambda w: lsenet_targets.run_metrics(config, w.dataset),
    output:
        lsenet_targets.summary_file("{dataset}"),
    shell:
        job("rsrepro lsenet-aggregate --metrics {input} --out {output}")


rule lsenet_report:
    input:
        notebook=notebook("lsenet"),
        summaries=lsenet_targets.summary_files(config),
        runs=[run[name] for run in lsenet_targets.report_runs(config) for name in ("model", "history", "metrics")],
        prepared=[f"{PREPARED}/{dataset}" for dataset in config["lsenet"]["datasets"]],
        paired=report_targets.paired_files("lsenet")["csv"],
    output:
        executed=report_file("lsenet", "ipynb"),
        key_figure=report(f"{FIGURES}/lsenet/curves.png", caption="../report/figure.rst", category="Key figures"),
        html=report(
            report_file("lsenet", "html"),
            caption="../report/paper.rst",
            category="Reports",
            labels={"report": "LSE-Net"},
        ),
    params:
        nb=as_json(
            {
                "summary_files": dict(zip(config["lsenet"]["datasets"], lsenet_targets.summary_files(config))),
                "runs": lsenet_targets.report_runs(config),
                "maps_run": lsenet_targets.maps_run(config),
                "report": config["lsenet"]["report"],
                "figures_dir": f"{FIGURES}/lsenet",
                "paired_table": report_targets.paired_files("lsenet")["csv"],
            }
        ),
    shell:
        job(
            "rsrepro render-report --notebook {input.notebook} --executed {output.executed}"
            " --html {output.html} --params {params.nb:q}",
            notebook=notebook("lsenet"),
        )


rule lsenet_per_class:
    input:
        summary=lsenet_targets.summary_file("{dataset}"),
    output:
        lsenet_targets.per_class_plot("{dataset}"),
    shell:
        job("rsrepro lsenet-per-class --summary {input.summary} --out {output}")
