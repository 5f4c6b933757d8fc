# The image-text model that several papers share (params `image_text`; rsrepro.image_text): DSVA's attribute
# collection scores with it, every paper's baseline uses it. A job asks for the model of the zero-shot
# splits whose unseen classes it must never have seen (rsrepro.image_text.targets); with `model: embedded`
# this rule trains it on their seen classes' training images, once per split set and split seed.


wildcard_constraints:
    split_set=r"\d+-\d+(\+\d+-\d+)*",


rule image_text_train:
    input:
        data=f"{PREPARED}/{{dataset}}",
        splits=lambda w: image_text_targets.training_splits(w.dataset, w.split_set, w.seed),
    output:
        directory(image_text_model("{dataset}", "{split_set}", "{seed}")),
    params:
        cfg=as_json(image_text_targets.training_params(config)),
    shell:
        job(
            "rsrepro image-text-train --prepared {input.data} --splits {input.splits} --out {output}"
            " --threads {threads} --params {params.cfg:q}"
        )


BASELINES_MODEL = image_text_targets.baselines_model(config)  # (splits, seed): LSE-Net's and SWAN's baselines'
