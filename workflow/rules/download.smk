# Real data and pretrained weights (paper preset): fetch -> verify -> prepare.
# Nothing here touches the network while the DAG is built: downloads happen only inside jobs, so
# `snakemake -n` works offline. DVC-tracked inputs are ancient(): `dvc pull` restores files with fresh
# modification times, which must not make Snakemake redo the work (params and code still trigger reruns).


wildcard_constraints:
    real="|".join(REAL_DATASETS),
    weights="|".join(PRETRAINED_FILES),
    clip="|".join(CLIP_MODELS),


rule fetch_dataset:
    output:
        directory(f"{RAW}/{{real}}"),
    params:
        cfg=lambda w: as_json(fetch_params(config["data"][w.real])),
        staging=lambda w: f"{DOWNLOADS}/{w.real}",
        lock=CHECKSUM_LOCK,
    shell:
        job(
            "rsrepro fetch {wildcards.real} --out {output} --staging {params.staging}"
            " --lock {params.lock} --params-key data.{wildcards.real} --params {params.cfg:q}"
        )


rule prepare_real:
    input:
        raw=ancient(f"{RAW}/{{real}}"),
    output:
        directory(f"{PREPARED}/{{real}}"),
    params:
        cfg=lambda w: as_json(config["data"][w.real]),
        scratch=SCRATCH,
    shell:
        job(
            "rsrepro prepare {wildcards.real} --raw {input.raw} --out {output} --scratch {params.scratch}"
            " --params {params.cfg:q}"
        )


rule fetch_pretrained:
    output:
        directory(f"{PRETRAINED}/{{weights}}"),
    params:
        cfg=lambda w: as_json(fetch_params(config["data"]["pretrained"].get(w.weights, {}))),
        staging=lambda w: f"{DOWNLOADS}/{w.weights}",
        lock=CHECKSUM_LOCK,
    shell:
        job(
            "rsrepro fetch {wildcards.weights} --out {output} --staging {params.staging}"
            " --lock {params.lock} --params-key data.pretrained.{wildcards.weights}"
            " --params {params.cfg:q}"
        )


rule fetch_clip:
    output:
        directory(f"{PRETRAINED}/{{clip}}"),
    params:
        cfg=lambda w: as_json(config["data"]["pretrained"][w.clip]),
        lock=CHECKSUM_LOCK,
    shell:
        job("rsrepro fetch-clip {wildcards.clip} --out {output} --lock {params.lock} --params {params.cfg:q}")
