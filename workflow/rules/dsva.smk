# DSVA: attribute collection (features) -> training (full + select stages) -> per-run metrics -> report.
from rsrepro.dsva.targets import (
    DSVA,
    RUN,
    aggregate_files,
    dsva_split_files,
    image_text_inputs,
    run_metrics,
)
from rsrepro.workflow import weights_input


wildcard_constraints:
    variant="faithful|corrected",
    stage="full|select",


rule dsva_image_text:
    input:
        code("models/dsva", "dsva/attributes", "dsva/images"),
        data=f"{PREPARED}/{{dataset}}",
        splits=lambda w: dsva_split_files(config, w.dataset, int(w.seed)),
    output:
        directory(f"{DSVA}/{{dataset}}/image_text_seed{{seed}}"),
    params:
        cfg=lambda w: as_json(config["dsva"]["collection"]),  # a function: the prompt holds "{attribute}"
    log:
        f"{LOGS}/dsva/{{dataset}}/image_text_seed{{seed}}.log",
    benchmark:
        f"{BENCHMARKS}/dsva/{{dataset}}/image_text_seed{{seed}}.tsv"
    conda:
        ENV
    threads: 1
    shell:
        "rsrepro dsva-image-text --prepared {input.data} --splits {input.splits} --out {output}"
        " --threads {threads} --params {params.cfg:q} > {log} 2>&1"


rule dsva_collect_attributes:
    input:
        code("models/dsva", "dsva/attributes", "dsva/images"),
        data=f"{PREPARED}/{{dataset}}",
        split=f"{SPLITS}/{{dataset}}/zero_shot/{{split}}_seed{{seed}}.json",
        image_text=lambda w: image_text_inputs(config, w.dataset, int(w.seed)),
        clip=[ancient(p) for p in weights_input(config["dsva"]["collection"]["clip_model_dir"])],
    output:
        directory(f"{RUN}/attributes"),
    params:
        cfg=lambda w: as_json(config["dsva"]["collection"]),  # a function: the prompt holds "{attribute}"
        image_text=lambda w, input: f"--image-text {input.image_text[0]}" if input.image_text else "",
    log:
        f"{LOGS}/dsva/{{dataset}}/{{split}}_seed{{seed}}/collect_attributes.log",
    benchmark:
        f"{BENCHMARKS}/dsva/{{dataset}}/{{split}}_seed{{seed}}/collect_attributes.tsv"
    conda:
        ENV
    threads: 1
    shell:
        "rsrepro dsva-collect-attributes --prepared {input.data} --split {input.split} --out {output}"
        " {params.image_text} --threads {threads} --params {params.cfg:q} > {log} 2>&1"


rule dsva_train:
    input:
        code("models/dsva", "dsva"),
        data=f"{PREPARED}/{{dataset}}",
        split=f"{SPLITS}/{{dataset}}/zero_shot/{{split}}_seed{{seed}}.json",
        attributes=f"{RUN}/attributes",
        clip=[ancient(p) for p in weights_input(config["dsva"]["train"]["clip_model_dir"])],
    output:
        history=f"{RUN}/{{variant}}/{{stage}}/history.json",
        model=f"{RUN}/{{variant}}/{{stage}}/model.pt",
        run=f"{RUN}/{{variant}}/{{stage}}/run.json",
    params:
        cfg=as_json(config["dsva"]["train"]),
    log:
        f"{LOGS}/dsva/{{dataset}}/{{split}}_seed{{seed}}/{{variant}}_{{stage}}.log",
    benchmark:
        f"{BENCHMARKS}/dsva/{{dataset}}/{{split}}_seed{{seed}}/{{variant}}_{{stage}}.tsv"
    conda:
        ENV
    threads: 1
    resources:
        gpu=config["dsva"]["train"]["gpus"],
    shell:
        "rsrepro launch --gpus {resources.gpu} -- dsva-train --prepared {input.data} --split {input.split} --attributes {input.attributes}"
        " --stage {wildcards.stage} --variant {wildcards.variant} --out $(dirname {output.history})"
        " --threads {threads} --params {params.cfg:q} > {log} 2>&1"


rule dsva_summarize:
    input:
        code("dsva/summary"),
        full=f"{RUN}/{{variant}}/full/history.json",
        select=f"{RUN}/{{variant}}/select/history.json",
    output:
        f"{RUN}/{{variant}}/metrics.json",
    log:
        f"{LOGS}/dsva/{{dataset}}/{{split}}_seed{{seed}}/{{variant}}_summarize.log",
    conda:
        ENV
    threads: 1
    shell:
        "rsrepro dsva-summarize --full $(dirname {input.full}) --select $(dirname {input.select})"
        " --out {output} > {log} 2>&1"


rule dsva_aggregate:
    input:
        lambda w: run_metrics(config, w.dataset),
    output:
        f"{DSVA}/{{dataset}}/metrics.json",
    log:
        f"{LOGS}/dsva/{{dataset}}/aggregate.log",
    conda:
        ENV
    threads: 1
    shell:
        "rsrepro dsva-aggregate --metrics {input} --out {output} > {log} 2>&1"


rule dsva_report:
    input:
        reports_code=code("reports/paper_numbers", "reports/figures"),
        notebook=notebook("dsva"),
        metrics=aggregate_files(config),
    output:
        html=report(
            f"{RESULTS}/reports/dsva.html",
            caption="../report/paper.rst",
            category="Reports",
            labels={"report": "DSVA"},
        ),
        executed=f"{RESULTS}/reports/dsva.ipynb",
        key_figure=report(f"{FIGURES}/dsva/protocols.png", caption="../report/figure.rst", category="Key figures"),
    params:
        nb=lambda w, input: as_json({"aggregate_files": list(input.metrics), "figures_dir": f"{FIGURES}/dsva"}),
    log:
        f"{LOGS}/dsva/report.log",
    benchmark:
        f"{BENCHMARKS}/dsva/report.tsv"
    conda:
        ENV
    threads: 1
    shell:
        "rsrepro render-report --notebook {input.notebook} --executed {output.executed}"
        " --html {output.html} --params {params.nb:q} > {log} 2>&1"


ALL_TARGETS += [*aggregate_files(config), f"{RESULTS}/reports/dsva.html"]
