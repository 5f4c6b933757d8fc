# SWAN (ICMR 2023): vocabulary (features), k runs per variant (train, selecting the best-validation
# checkpoint and encoding the test split with it; evaluate those embeddings), aggregate over runs, report.
from rsrepro.swan import targets as swan_targets
from rsrepro.reports import targets as report_targets

RUN = swan_targets.run_dir("{dataset}", "{swan_variant}", "{seed}")


wildcard_constraints:
    swan_variant="|".join(swan_targets.VARIANTS),


rule swan_vocab:
    input:
        data=f"{PREPARED}/{{dataset}}",
    output:
        swan_targets.vocab_file("{dataset}"),
    params:
        cfg=as_json(config["swan"]["vocab"]),
    shell:
        job("rsrepro swan-vocab --prepared {input.data} --out {output} --params {params.cfg:q}")


# SWAN's word embeddings: the rows of its vocabulary from GloVe 840B (model.word_vectors: glove).
rule swan_word_vectors:
    input:
        glove=ancient(f"{PRETRAINED}/glove_840b_300d"),
        vocab=swan_targets.vocab_file("{dataset}"),
    output:
        swan_targets.word_vectors_file("{dataset}"),
    shell:
        job("rsrepro glove-subset --archive {input.glove}/glove.840B.300d.zip --vocab {input.vocab} --out {output}")


rule swan_train:
    input:
        data=f"{PREPARED}/{{dataset}}",
        split=retrieval_split("{dataset}", "{seed}"),
        vocab=swan_targets.vocab_file("{dataset}"),
        vectors=lambda w: swan_targets.word_vectors_inputs(config, w.dataset),
        weights=[ancient(path) for path in swan_targets.backbone_weights_inputs(config)],
    output:
        model=f"{RUN}/model.pt",
        history=f"{RUN}/history.json",
        test_outputs=f"{RUN}/test_outputs.npz",
    params:
        cfg=as_json({k: config["swan"][k] for k in ("model", "train")}),
        checkpoints=f"{RUN}/checkpoints",
        vectors=lambda w, input: f"--vectors {input.vectors}" if input.vectors else "",
    threads: config["swan"]["threads"]
    resources:
        **training_resources(config["swan"]["train"]["gpus"]),
    shell:
        job(
            "rsrepro launch --gpus {resources.gpu} -- swan-train --prepared {input.data} --split {input.split}"
            " --vocab {input.vocab} --model {output.model} --history {output.history}"
            " --test-outputs {output.test_outputs} --checkpoints {params.checkpoints}"
            " --variant {wildcards.swan_variant} --threads {threads} {params.vectors} --params {params.cfg:q}"
        )


rule swan_evaluate:
    input:
        test_outputs=f"{RUN}/test_outputs.npz",
        history=f"{RUN}/history.json",
    output:
        f"{RUN}/metrics.json",
    shell:
        job("rsrepro swan-evaluate --test-outputs {input.test_outputs} --history {input.history} --out {output}")


# Baseline: zero-shot retrieval with the image-text model on the official test split.
rule swan_baseline:
    input:
        unpack(lambda w: image_text_inputs(w.dataset, *BASELINES_MODEL)),  # model, trained_on
        data=f"{PREPARED}/{{dataset}}",
        split=lambda w: retrieval_split(w.dataset, config["swan"]["run_seeds"][0]),  # its test: the official
    output:
        metrics=swan_targets.baseline_metrics("{dataset}"),
        embeddings=swan_targets.baseline_outputs("{dataset}"),
    params:
        cfg=as_json(image_text_targets.encoder_params(config)),
        model=lambda w: image_text_targets.model_option(config, w.dataset, *BASELINES_MODEL),
        trained_on=lambda w: image_text_targets.trained_on_files(config, w.dataset, *BASELINES_MODEL),
    shell:
        job(
            "rsrepro baseline-retrieval --prepared {input.data} --split {input.split} {params.model}"
            " --trained-on {params.trained_on} --out {output.metrics} --embeddings {output.embeddings}"
            " --params {params.cfg:q}"
        )


rule swan_aggregate:
    input:
        lambda w: [*swan_targets.run_files(config, w.dataset, "metrics.json"), swan_targets.baseline_metrics(w.dataset)],
    output:
        swan_targets.summary_file("{dataset}"),
    shell:
        job("rsrepro swan-aggregate --out {output} {input}")


rule swan_report:
    input:
        notebook=notebook("swan"),
        aggregates=swan_targets.summary_files(config),
        runs=[run[name] for run in swan_targets.report_runs(config) for name in ("history", "metrics", "test_outputs")],
        prepared=[f"{PREPARED}/{d}" for d in config["swan"]["datasets"]],
        paired=report_targets.paired_files("swan")["csv"],
    output:
        html=report(
            report_file("swan", "html"),
            caption="../report/paper.rst",
            category="Reports",
            labels={"report": "SWAN"},
        ),
        executed=report_file("swan", "ipynb"),
        key_figures=[
            report(f"{FIGURES}/swan/{d}_curves.png", caption="../report/figure.rst", category="Key figures")
            for d in config["swan"]["datasets"]
        ],
    params:
        nb=as_json(
            {
                "aggregate_files": dict(zip(config["swan"]["datasets"], swan_targets.summary_files(config))),
                "runs": swan_targets.report_runs(config),
                "figures_dir": f"{FIGURES}/swan",
                "paired_table": report_targets.paired_files("swan")["csv"],
            }
        ),
    shell:
        job(
            "rsrepro render-report --notebook {input.notebook} --executed {output.executed} --html {output.html}"
            " --params {params.nb:q}",
            notebook=notebook("swan"),
        )
