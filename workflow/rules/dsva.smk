# DSVA: attribute collection (features) -> training (per setting, full + select stages) -> per-run metrics
# -> report.
from pathlib import Path

from rsrepro.dsva.settings import job_train_settings
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
    setting="zsl|gzsl",


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
        clip=lambda w: [
            ancient(p)
            for p in weights_input(job_train_settings(config, w.split, w.setting)["clip_model_dir"])
        ],
    output:
        history=f"{RUN}/{{setting}}/{{variant}}/{{stage}}/history.json",
        model=f"{RUN}/{{setting}}/{{variant}}/{{stage}}/model.pt",
        run=f"{RUN}/{{setting}}/{{variant}}/{{stage}}/run.json",
    params:
        # per job: an override in dsva.settings reruns its split and setting only
        cfg=lambda w: as_json(job_train_settings(config, w.split, w.setting)),
    log:
        f"{LOGS}/dsva/{{dataset}}/{{split}}_seed{{seed}}/{{setting}}_{{variant}}_{{stage}}.log",
    benchmark:
        f"{BENCHMARKS}/dsva/{{dataset}}/{{split}}_seed{{seed}}/{{setting}}_{{variant}}_{{stage}}.tsv"
    conda:
        ENV
    threads: 1
    resources:
        gpu=lambda w: job_train_settings(config, w.split, w.setting)["gpus"],
    shell:
        "rsrepro launch --gpus {resources.gpu} -- dsva-train --prepared {input.data} --split {input.split} --attributes {input.attributes}"
        " --setting {wildcards.setting} --stage {wildcards.stage} --variant {wildcards.variant}"
        " --out $(dirname {output.history}) --threads {threads} --params {params.cfg:q} > {log} 2>&1"


rule dsva_summarize:
    input:
        code("dsva/summary"),
        zsl=[f"{RUN}/zsl/{{variant}}/{stage}/history.json" for stage in ("full", "select")],
        gzsl=[f"{RUN}/gzsl/{{variant}}/{stage}/history.json" for stage in ("full", "select")],
    output:
        f"{RUN}/{{variant}}/metrics.json",
    params:
        zsl=lambda w, input: Path(input.zsl[0]).parents[1],
        gzsl=lambda w, input: Path(input.gzsl[0]).parents[1],
    log:
        f"{LOGS}/dsva/{{dataset}}/{{split}}_seed{{seed}}/{{variant}}_summarize.log",
    conda:
        ENV
    threads: 1
    shell:
        "rsrepro dsva-summarize --zsl {params.zsl} --gzsl {params.gzsl} --out {output} > {log} 2>&1"


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
