# Data: every dataset is converted once into the prepared form, then split per protocol and seed.


wildcard_constraints:
    dataset="[a-z0-9_]+",
    seed=r"\d+",
    ratio=r"0\.\d+",
    split=r"\d+-\d+",


rule prepare_synthetic:
    input:
    output:
        data=directory(f"{PREPARED}/synthetic"),
        contact_sheet=f"{FIGURES}/synthetic/contact_sheet.png",
    params:
        cfg=as_json(config["data"]["synthetic"]),
    log:
        f"{LOGS}/prepare/synthetic.log",
    benchmark:
        f"{BENCHMARKS}/prepare_synthetic/synthetic.tsv"
    conda:
        ENV
    threads: 4  # the first job: nothing else can run beside it
    shell:
        tracked(
            "rsrepro prepare-synthetic --out {output.data} --contact-sheet {output.contact_sheet}"
            " --threads {threads} --params {params.cfg:q} > {log} 2>&1"
        )


rule split_classification:
    input:
        f"{PREPARED}/{{dataset}}",
    output:
        classification_split("{dataset}", "{ratio}", "{seed}"),
    log:
        f"{LOGS}/split/{{dataset}}/classification_ratio{{ratio}}_seed{{seed}}.log",
    benchmark:
        f"{BENCHMARKS}/split_classification/{{dataset}}/classification_ratio{{ratio}}_seed{{seed}}.tsv"
    conda:
        ENV
    shell:
        tracked(
            "rsrepro split classification --prepared {input} --ratio {wildcards.ratio}"
            " --seed {wildcards.seed} --out {output} > {log} 2>&1"
        )


rule split_retrieval:
    input:
        f"{PREPARED}/{{dataset}}",
    output:
        retrieval_split("{dataset}", "{seed}"),
    params:
        val_fraction=config["swan"]["val_fraction"],
    log:
        f"{LOGS}/split/{{dataset}}/retrieval_seed{{seed}}.log",
    benchmark:
        f"{BENCHMARKS}/split_retrieval/{{dataset}}/retrieval_seed{{seed}}.tsv"
    conda:
        ENV
    shell:
        tracked(
            "rsrepro split retrieval --prepared {input} --val-fraction {params.val_fraction}"
            " --seed {wildcards.seed} --out {output} > {log} 2>&1"
        )


rule split_zero_shot:
    input:
        f"{PREPARED}/{{dataset}}",
    output:
        zero_shot_split("{dataset}", "{split}", "{seed}"),
    params:
        seen_test_fraction=config["dsva"]["seen_test_fraction"],
        split=lambda w: w.split.replace("-", "/"),
    log:
        f"{LOGS}/split/{{dataset}}/zero_shot_{{split}}_seed{{seed}}.log",
    benchmark:
        f"{BENCHMARKS}/split_zero_shot/{{dataset}}/zero_shot_{{split}}_seed{{seed}}.tsv"
    conda:
        ENV
    shell:
        tracked(
            "rsrepro split zero-shot --prepared {input} --split {params.split}"
            " --seen-test-fraction {params.seen_test_fraction} --seed {wildcards.seed} --out {output} > {log} 2>&1"
        )
