# Data: every dataset is converted once into the prepared form, then split per protocol and seed.


wildcard_constraints:
    dataset="[a-z0-9_]+",
    seed=r"\d+",
    ratio=r"0\.\d+",
    split=r"\d+-\d+",


rule prepare_synthetic:
    input:
        code("data/synthetic", "data/prepared"),
    output:
        data=directory(f"{PREPARED}/synthetic"),
        contact_sheet=f"{FIGURES}/synthetic/contact_sheet.png",
    params:
        cfg=as_json(config["data"]["synthetic"]),
    log:
        f"{LOGS}/prepare/synthetic.log",
    benchmark:
        f"{BENCHMARKS}/prepare/synthetic.tsv"
    conda:
        ENV
    shell:
        "rsrepro prepare-synthetic --out {output.data} --contact-sheet {output.contact_sheet}"
        " --params {params.cfg:q} > {log} 2>&1"


rule split_classification:
    input:
        f"{PREPARED}/{{dataset}}",
    output:
        f"{SPLITS}/{{dataset}}/classification/ratio{{ratio}}_seed{{seed}}.json",
    log:
        f"{LOGS}/split/{{dataset}}/classification_ratio{{ratio}}_seed{{seed}}.log",
    conda:
        ENV
    shell:
        "rsrepro split classification --prepared {input} --ratio {wildcards.ratio}"
        " --seed {wildcards.seed} --out {output} > {log} 2>&1"


rule split_retrieval:
    input:
        f"{PREPARED}/{{dataset}}",
    output:
        f"{SPLITS}/{{dataset}}/retrieval/seed{{seed}}.json",
    params:
        val_fraction=config["swan"]["val_fraction"],
    log:
        f"{LOGS}/split/{{dataset}}/retrieval_seed{{seed}}.log",
    conda:
        ENV
    shell:
        "rsrepro split retrieval --prepared {input} --val-fraction {params.val_fraction}"
        " --seed {wildcards.seed} --out {output} > {log} 2>&1"


rule split_zero_shot:
    input:
        f"{PREPARED}/{{dataset}}",
    output:
        f"{SPLITS}/{{dataset}}/zero_shot/{{split}}_seed{{seed}}.json",
    params:
        seen_test_fraction=config["dsva"]["seen_test_fraction"],
        split=lambda w: w.split.replace("-", "/"),
    log:
        f"{LOGS}/split/{{dataset}}/zero_shot_{{split}}_seed{{seed}}.log",
    conda:
        ENV
    shell:
        "rsrepro split zero-shot --prepared {input} --split {params.split}"
        " --seen-test-fraction {params.seen_test_fraction} --seed {wildcards.seed} --out {output} > {log} 2>&1"


if any("synthetic" in config[paper]["datasets"] for paper in ("lsenet", "swan", "dsva")):
    ALL_TARGETS.append(f"{FIGURES}/synthetic/contact_sheet.png")
for _dataset in config["lsenet"]["datasets"]:
    ALL_TARGETS += classification_split_files(config, _dataset)
for _dataset in config["swan"]["datasets"]:
    ALL_TARGETS += retrieval_split_files(config, _dataset)
for _dataset in config["dsva"]["datasets"]:
    ALL_TARGETS += zero_shot_split_files(config, _dataset)
