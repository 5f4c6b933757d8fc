"""The paper preset: overlay validation, deep merge over params.yaml, offline dry run of the real-data DAG."""

from __future__ import annotations

import copy
import re
from pathlib import Path

import pytest
import yaml

from rsrepro.config import load_schema, validate_params
from rsrepro.data.sources.catalog import CLIP_MODELS, SOURCES
from rsrepro.data.standin import standin_params, write_captioned_dataset
from rsrepro.papers import PAPERS
from rsrepro.paths import PRETRAINED, weights_input
from rsrepro.workflow import fetch_params
from tests.realdata_fixtures import captioned, folder_standin, random_images
from tests.workflow_helpers import make_workdir, planned_shell_jobs

REPO = Path(__file__).resolve().parents[1]


def merged_paper_config() -> dict:
    from snakemake.utils import update_config  # what --configfile uses

    config = yaml.safe_load((REPO / "params.yaml").read_text())
    update_config(config, yaml.safe_load((REPO / "config/paper.yaml").read_text()))
    return config


def test_overlay_deep_merges_and_validates() -> None:
    config = merged_paper_config()
    assert "synthetic" in config["data"] and "ucm" in config["data"], "data must merge key by key"
    omitted = config["splits"]["retrieval"]["val_fraction"]
    assert omitted == 0.2, "keys the overlay omits keep params.yaml's value"
    assert config["lsenet"]["train_ratios"]["aid"] == [0.2, 0.5]
    validate_params(config, load_schema(REPO / "workflow/schemas/params.schema.yaml"))


def test_unknown_data_key_is_rejected() -> None:
    config = copy.deepcopy(merged_paper_config())
    config["data"]["ucm"]["url"] = "http://x"
    with pytest.raises(Exception, match=r"data\.ucm: unknown key\(s\) 'url'"):
        validate_params(config, load_schema(REPO / "workflow/schemas/params.schema.yaml"))


def test_image_size_does_not_refetch_and_checksums_do() -> None:
    assert fetch_params({"image_size": 256, "files": {"archive": "/a.zip"}}) == {
        "files": {"archive": "/a.zip"},
        "urls": {},
    }
    assert fetch_params({"image_size": 256, "checksums": {"archive": "md5:ab"}})["checksums"] == {
        "archive": "md5:ab"
    }


def test_every_dataset_has_an_automatic_source_and_only_rsp_weights_need_a_manual_file() -> None:
    config = merged_paper_config()
    needed = {
        f"{name}.{key}"
        for name, source in SOURCES.items()
        for key, remote in source.files.items()
        if not (remote.urls or remote.drive_id or remote.drive_folder)  # no automatic source
    }
    assert needed == {"rsp_resnet50_aid28.weights"}
    sections = {**config["data"], **config["data"]["pretrained"]}
    declared = [name for name in SOURCES if name in sections]  # an extra dataset (PatternNet) is not
    required = {f"{name}.{key}" for name in declared for key in (sections[name].get("files") or {})}
    assert required == needed, "config/paper.yaml asks for a manual file that has an automatic source"


def test_every_hugging_face_source_is_pinned_to_a_commit() -> None:
    urls = [url for source in SOURCES.values() for remote in source.files.values() for url in remote.urls]
    hub = [url for url in urls if "huggingface.co" in url]
    assert len(hub) == 4  # UCM, NWPU-RESISC45, PatternNet, GloVe's mirror
    assert all(re.search(r"/resolve/[0-9a-f]{40}/", url) for url in hub), hub
    assert all(re.fullmatch(r"[0-9a-f]{40}", model.revision) for model in CLIP_MODELS.values())
    paper_clip = merged_paper_config()["data"]["pretrained"]
    assert not any(paper_clip[name].get("revision") for name in CLIP_MODELS), "the overlay must not unpin"


@pytest.mark.slow
def test_paper_dry_run_is_offline_and_fetches_what_the_config_uses(tmp_path, monkeypatch) -> None:
    # in a working directory of its own, so data fetched into the checkout changes nothing here
    for proxy in ("http_proxy", "https_proxy"):
        monkeypatch.setenv(proxy, "http://127.0.0.1:9")  # a request would fail
    jobs = planned_shell_jobs(make_workdir(tmp_path), "--configfile", str(REPO / "config/paper.yaml"))

    def fetched(*rules: str) -> set[str]:
        names = [re.search(r"rsrepro fetch(?:-clip)? (\w+)", job["shell"]) for r in rules for job in jobs[r]]
        return {name[1] for name in names if name}

    config = merged_paper_config()
    datasets = {d for paper in PAPERS for d in config[paper]["datasets"]} - {"synthetic"}
    assert fetched("fetch_dataset") == datasets and len(jobs["prepare_real"]) == len(datasets)
    weights = {Path(p).name for value in config_values(config) for p in weights_input(value)}
    assert weights and weights <= fetched("fetch_pretrained", "fetch_clip")


def config_values(node: object) -> list[str]:
    """The strings of a config naming something under the pretrained folder (weights, model folders)."""
    if isinstance(node, dict):
        return [v for value in node.values() for v in config_values(value)]
    if isinstance(node, list):
        return [v for value in node for v in config_values(value)]
    return [node] if isinstance(node, str) and node.startswith(f"{PRETRAINED}/") else []


def test_standin_params_point_the_preset_at_stand_ins(tmp_path: Path) -> None:

    files = {
        "ucm": folder_standin("ucm", tmp_path / "ucm", per_class=1),
        "rsicd": write_captioned_dataset(
            "rsicd", tmp_path / "rsicd", random_images(1), [captioned("a_1.jpg", "train")]
        ),
        "rssdivcs": {"folder": tmp_path / "RSSDIVCS"},
    }
    files["rssdivcs"]["folder"].mkdir()
    sections = standin_params(files, lambda name, path: f"http://127.0.0.1:1/{name}/{path.name}")
    assert sections["ucm"]["urls"] == {"archive": "http://127.0.0.1:1/ucm/UCMerced_LandUse.zip"}
    assert sections["ucm"]["checksums"]["archive"].startswith(
        "md5:"
    )  # the published kind, the stand-in's value
    assert sections["rsicd"]["checksums"]["captions"].startswith("gitblob:")
    assert sections["rssdivcs"] == {"files": {"folder": str(tmp_path / "RSSDIVCS")}}  # no published checksum
    assert "urls" not in standin_params(files)["ucm"]  # without a server: manual files
    config = merged_paper_config()
    for name, section in sections.items():
        config["data"][name].update(section)
    validate_params(config, load_schema(REPO / "workflow/schemas/params.schema.yaml"))
