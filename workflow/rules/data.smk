# Data: every dataset is converted once into the prepared form, then split per protocol and seed (params
# `splits`: the protocols' settings; which splits exist is what the papers' rules ask for).

from rsrepro.data.own import conversion_params, zero_shot_listing


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
    threads: 4  # the first job: nothing else can run beside it
    shell:
        job(
            "rsrepro prepare-synthetic --out {output.data} --contact-sheet {output.contact_sheet}"
            " --threads {threads} --params {params.cfg:q}"
        )


rule prepare_own:
    # A researcher's own dataset, read in place from data.<name>.path; editing the params reruns it (delete
    # results/prepared/<name> after changing the files themselves).
    output:
        directory(f"{PREPARED}/{{own}}"),
    wildcard_constraints:
        own="|".join(OWN_DATASETS) or "(?!)",  # (?!) matches nothing: no dataset declared
    params:
        cfg=lambda w: as_json(conversion_params(config["data"][w.own])),
    shell:
        job("rsrepro prepare-own {wildcards.own} --out {output} --params {params.cfg:q}")


rule split_classification:
    input:
        f"{PREPARED}/{{dataset}}",
    output:
        classification_split("{dataset}", "{ratio}", "{seed}"),
    shell:
        job(
            "rsrepro split classification --prepared {input} --ratio {wildcards.ratio}"
            " --seed {wildcards.seed} --out {output}"
        )


rule split_retrieval:
    input:
        f"{PREPARED}/{{dataset}}",
    output:
        retrieval_split("{dataset}", "{seed}"),
    params:
        val_fraction=config["splits"]["retrieval"]["val_fraction"],
    shell:
        job(
            "rsrepro split retrieval --prepared {input} --val-fraction {params.val_fraction}"
            " --seed {wildcards.seed} --out {output}"
        )


rule split_zero_shot:
    input:
        f"{PREPARED}/{{dataset}}",
    output:
        zero_shot_split("{dataset}", "{split}", "{seed}"),
    params:
        seen_test_fraction=config["splits"]["zero_shot"]["seen_test_fraction"],
        split=lambda w: w.split.replace("-", "/"),
        classes=lambda w: as_json(zero_shot_listing(config, w.dataset, w.split.replace("-", "/"))),
    shell:
        job(
            "rsrepro split zero-shot --prepared {input} --split {params.split} --classes {params.classes:q}"
            " --seen-test-fraction {params.seen_test_fraction} --seed {wildcards.seed} --out {output}"
        )
