# SWAN (ICMR 2023): vocabulary (features), k runs per variant (train, then one test evaluation of the
# best-validation checkpoint in the same job), aggregate over runs, report.
import os

from rsrepro.swan import targets as swan_targets

SWAN_DIR = f"{RESULTS}/swan"


wildcard_constraints:
    swan_variant="|".join(swan_targets.VARIANTS),


rule swan_vocab:
    input:
        data=f"{PREPARED}/{{dataset}}",
    output:
        f"{FEATURES}/{{dataset}}/vocab.json",
    params:
        cfg=as_json(config["swan"]["vocab"]),
    log:
        f"{LOGS}/swan/{{dataset}}/vocab.log",
    benchmark:
        f"{BENCHMARKS}/swan/{{dataset}}/vocab.tsv"
    conda:
        ENV
    threads: 1
    shell:
        tracked("rsrepro swan-vocab --prepared {input.data} --out {output} --params {params.cfg:q} > {log} 2>&1")


rule swan_train:
    input:
        data=f"{PREPARED}/{{dataset}}",
        split=retrieval_split("{dataset}", "{seed}"),
        vocab=f"{FEATURES}/{{dataset}}/vocab.json",
        vectors=lambda w: swan_targets.word_vectors_inputs(config, w.dataset),
        weights=[ancient(path) for path in swan_targets.backbone_weights_inputs(config)],
    output:
        model=f"{SWAN_DIR}/{{dataset}}/{{swan_variant}}/seed{{seed}}/model.pt",
        history=f"{SWAN_DIR}/{{dataset}}/{{swan_variant}}/seed{{seed}}/history.json",
        metrics=f"{SWAN_DIR}/{{dataset}}/{{swan_variant}}/seed{{seed}}/metrics.json",
        embeddings=f"{SWAN_DIR}/{{dataset}}/{{swan_variant}}/seed{{seed}}/embeddings.npz",
    params:
        cfg=as_json({k: config["swan"][k] for k in ("model", "train")}),
        out_dir=lambda w, output: os.path.dirname(output.model),
        vectors=lambda w, input: f"--vectors {input.vectors}" if input.vectors else "",
    log:
        f"{LOGS}/swan/{{dataset}}/{{swan_variant}}_seed{{seed}}_train.log",
    benchmark:
        f"{BENCHMARKS}/swan/{{dataset}}/{{swan_variant}}_seed{{seed}}_train.tsv"
    conda:
        ENV
    threads: config["swan"]["threads"]
    resources:
        gpu=config["swan"]["train"]["gpus"],
    shell:
        tracked(
            "rsrepro launch --gpus {resources.gpu} -- swan-train --prepared {input.data} --split {input.split}"
            " --vocab {input.vocab} --out-dir {params.out_dir} --variant {wildcards.swan_variant} --threads {threads}"
            " {params.vectors} --params {params.cfg:q} > {log} 2>&1"
        )


rule swan_aggregate:
    input:
        lambda w: swan_targets.run_files(config, w.dataset, "metrics.json"),
    output:
        f"{SWAN_DIR}/{{dataset}}/metrics.json",
    log:
        f"{LOGS}/swan/{{dataset}}/aggregate.log",
    benchmark:
        f"{BENCHMARKS}/swan/{{dataset}}/aggregate.tsv"
    conda:
        ENV
    threads: 1
    shell:
        tracked("rsrepro swan-aggregate --out {output} {input} > {log} 2>&1")


rule swan_report:
    input:
        notebook=notebook("swan"),
        prepared=[f"{PREPARED}/{d}" for d in config["swan"]["datasets"]],
        aggregates=swan_targets.summary_files(config),
        histories=[f for d in config["swan"]["datasets"] for f in swan_targets.run_files(config, d, "history.json")],
        embeddings=[
            f for d in config["swan"]["datasets"] for f in swan_targets.run_files(config, d, "embeddings.npz")
        ],
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
        nb=lambda w: as_json(
            {
                "datasets": config["swan"]["datasets"],
                "variants": config["swan"]["variants"],
                "run_seeds": config["swan"]["run_seeds"],
                "results_dir": SWAN_DIR,
                "prepared_dir": PREPARED,
                "figures_dir": f"{FIGURES}/swan",
            }
        ),
    log:
        f"{LOGS}/swan/report.log",
    benchmark:
        f"{BENCHMARKS}/swan/report.tsv"
    conda:
        ENV
    threads: 1
    shell:
        tracked(
            "rsrepro render-report --notebook {input.notebook} --executed {output.executed} --html {output.html}"
            " --params {params.nb:q} > {log} 2>&1",
            notebook=notebook("swan"),
        )
