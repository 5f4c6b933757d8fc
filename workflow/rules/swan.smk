# SWAN (ICMR 2023): vocabulary (features), k runs per variant (train, selecting the best-validation
# checkpoint and encoding the test split with it; evaluate those embeddings), aggregate over runs, report.
from rsrepro.baselines import targets as baseline_targets
from rsrepro.swan import targets as swan_targets

SWAN_DIR = swan_targets.SWAN
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
    log:
        f"{LOGS}/swan/{{dataset}}/vocab.log",
    benchmark:
        f"{BENCHMARKS}/swan_vocab/{{dataset}}/vocab.tsv"
    conda:
        ENV
    threads: 1
    shell:
        tracked("rsrepro swan-vocab --prepared {input.data} --out {output} --params {params.cfg:q} > {log} 2>&1")


# SWAN's word embeddings: the rows of its vocabulary from GloVe 840B (model.word_vectors: glove).
rule swan_word_vectors:
    input:
        glove=ancient(f"{PRETRAINED}/glove_840b_300d"),
        vocab=swan_targets.vocab_file("{dataset}"),
    output:
        swan_targets.word_vectors_file("{dataset}"),
    log:
        f"{LOGS}/swan/{{dataset}}/word_vectors.log",
    benchmark:
        f"{BENCHMARKS}/swan_word_vectors/{{dataset}}/word_vectors.tsv"
    conda:
        ENV
    shell:
        tracked(
            "rsrepro glove-subset --archive {input.glove}/glove.840B.300d.zip --vocab {input.vocab}"
            " --out {output} > {log} 2>&1"
        )


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
    log:
        f"{LOGS}/swan/{{dataset}}/{{swan_variant}}_seed{{seed}}_train.log",
    benchmark:
        f"{BENCHMARKS}/swan_train/{{dataset}}/{{swan_variant}}_seed{{seed}}_train.tsv"
    conda:
        ENV
    threads: config["swan"]["threads"]
    resources:
        **training_resources(config["swan"]["train"]["gpus"]),
    shell:
        tracked(
            "rsrepro launch --gpus {resources.gpu} -- swan-train --prepared {input.data} --split {input.split}"
            " --vocab {input.vocab} --model {output.model} --history {output.history}"
            " --test-outputs {output.test_outputs} --checkpoints {params.checkpoints}"
            " --variant {wildcards.swan_variant} --threads {threads} {params.vectors} --params {params.cfg:q}"
            " > {log} 2>&1"
        )


rule swan_evaluate:
    input:
        test_outputs=f"{RUN}/test_outputs.npz",
        history=f"{RUN}/history.json",
    output:
        f"{RUN}/metrics.json",
    log:
        f"{LOGS}/swan/{{dataset}}/{{swan_variant}}_seed{{seed}}_evaluate.log",
    benchmark:
        f"{BENCHMARKS}/swan_evaluate/{{dataset}}/{{swan_variant}}_seed{{seed}}_evaluate.tsv"
    conda:
        ENV
    threads: 1
    shell:
        tracked(
            "rsrepro swan-evaluate --test-outputs {input.test_outputs} --history {input.history}"
            " --out {output} > {log} 2>&1"
        )


# Baseline: zero-shot retrieval with the image-text model on the official test split.
rule swan_baseline:
    input:
        data=f"{PREPARED}/{{dataset}}",
        split=lambda w: retrieval_split(w.dataset, config["swan"]["run_seeds"][0]),  # its test: the official
        model=lambda w: baseline_targets.image_text_inputs(config, w.dataset)["model"],
        trained_on=lambda w: baseline_targets.image_text_inputs(config, w.dataset)["trained_on"],
    output:
        metrics=swan_targets.baseline_metrics("{dataset}"),
        embeddings=swan_targets.baseline_outputs("{dataset}"),
    params:
        cfg=lambda w: as_json(config["dsva"]["collection"]),  # a function: the prompt holds "{attribute}"
        model=lambda w: baseline_targets.model_option(config, w.dataset),
        trained_on=lambda w: baseline_targets.trained_on_files(config, w.dataset),
    log:
        f"{LOGS}/swan/{{dataset}}/baseline.log",
    benchmark:
        f"{BENCHMARKS}/swan_baseline/{{dataset}}/baseline.tsv"
    conda:
        ENV
    threads: 1
    shell:
        tracked(
            "rsrepro baseline-retrieval --prepared {input.data} --split {input.split} {params.model}"
            " --trained-on {params.trained_on} --out {output.metrics} --embeddings {output.embeddings}"
            " --params {params.cfg:q} > {log} 2>&1"
        )


rule swan_aggregate:
    input:
        lambda w: [*swan_targets.run_files(config, w.dataset, "metrics.json"), swan_targets.baseline_metrics(w.dataset)],
    output:
        f"{SWAN_DIR}/{{dataset}}/metrics.json",
    log:
        f"{LOGS}/swan/{{dataset}}/aggregate.log",
    benchmark:
        f"{BENCHMARKS}/swan_aggregate/{{dataset}}/aggregate.tsv"
    conda:
        ENV
    threads: 1
    shell:
        tracked("rsrepro swan-aggregate --out {output} {input} > {log} 2>&1")


rule swan_report:
    input:
        notebook=notebook("swan"),
        aggregates=swan_targets.summary_files(config),
        runs=[run[name] for run in swan_targets.report_runs(config) for name in ("history", "metrics", "test_outputs")],
        prepared=[f"{PREPARED}/{d}" for d in config["swan"]["datasets"]],
    output:
        html=report(
            f"{RESULTS}/reports/swan.html",
            caption="../report/paper.rst",
            category="Reports",
            labels={"report": "SWAN"},
        ),
        executed=f"{RESULTS}/reports/swan.ipynb",
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
            }
        ),
    log:
        f"{LOGS}/swan/report.log",
    benchmark:
        f"{BENCHMARKS}/swan_report/report.tsv"
    conda:
        ENV
    threads: 1
    shell:
        tracked(
            "rsrepro render-report --notebook {input.notebook} --executed {output.executed} --html {output.html}"
            " --params {params.nb:q} > {log} 2>&1",
            notebook=notebook("swan"),
        )
