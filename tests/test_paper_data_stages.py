"""The paper preset's data stages end to end, run by Snakemake: stand-ins of all six datasets in their
published layouts, served from a loopback HTTP server (RSSDIVCS's Drive folder given as a local folder,
as a user would), fetched, verified, converted and split; afterwards the paper preset's dry run
schedules no data job.

The overlay changes only what a stand-in must: the URLs (to 127.0.0.1; any other host goes to a dead
proxy), the checksums of the files that publish one, and, for speed, a small image size and one train
ratio and split seed per dataset.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import yaml

from rsrepro.data.prepared import PreparedDataset
from rsrepro.data.sources.catalog import DATASETS
from rsrepro.data.standin import standin_params, write_captioned_dataset
from tests.realdata_fixtures import (
    captioned,
    folder_standin,
    loopback_server,
    random_images,
    rssdivcs_standin,
)
from tests.workflow_helpers import REPO, make_workdir, planned_jobs, snakemake

pytestmark = pytest.mark.slow

DATA_RULES = {"fetch_dataset", "prepare_real", "split_classification", "split_retrieval", "split_zero_shot"}
IMAGE_SIZE = 32
TRAIN_RATIOS = {"ucm": [0.5], "aid": [0.5], "nwpu_resisc45": [0.2]}  # AID 0.5: the ablation's ratio
PER_CLASS = {"ucm": 2, "aid": 2, "nwpu_resisc45": 5}  # one train image per class at those ratios


def caption_records(prefix: str, suffix: str) -> list:
    train = [captioned(f"{scene}_{i}{suffix}", "train") for scene in ("airport", "beach") for i in range(4)]
    extra = [
        captioned(f"00{i}{suffix}" if prefix == "rsicd" else f"river_{i}{suffix}", "val") for i in (7, 9)
    ]
    return train + extra + [captioned(f"beach_9{suffix}", "test"), captioned(f"airport_9{suffix}", "test")]


@pytest.fixture(scope="module")
def paper_workdir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, tuple[str, ...]]]:
    root = tmp_path_factory.mktemp("paper_data")
    standins = root / "standins"
    files = {name: folder_standin(name, standins / name, per_class) for name, per_class in PER_CLASS.items()}
    records = {
        name: caption_records(name, ".tif" if name == "rsitmd" else ".jpg") for name in ("rsitmd", "rsicd")
    }
    files["rsitmd"] = write_captioned_dataset(
        "rsitmd", standins / "rsitmd", random_images(len(records["rsitmd"])), records["rsitmd"]
    )
    files["rsicd"] = write_captioned_dataset(
        "rsicd", standins / "rsicd", random_images(len(records["rsicd"])), records["rsicd"]
    )
    files["rssdivcs"] = rssdivcs_standin(standins / "rssdivcs")["files"]
    with loopback_server() as server:

        def serve(name: str, path: Path) -> str:
            server.served.files[f"/{name}/{path.name}"] = path.read_bytes()
            return server.url(f"/{name}/{path.name}")

        data = standin_params(files, serve)
        for section in data.values():
            section["image_size"] = IMAGE_SIZE
        overlay = {
            "data": data,
            "lsenet": {"split_seeds": [0], "train_ratios": TRAIN_RATIOS},
            "swan": {"run_seeds": [0]},
        }
        (root / "work").mkdir()
        workdir = make_workdir(root / "work")
        (workdir / "standin.yaml").write_text(yaml.safe_dump(overlay))
        configs = ("--configfile", str(REPO / "config/paper.yaml"), "standin.yaml")
        with pytest.MonkeyPatch.context() as env:  # any host but 127.0.0.1 goes to a dead proxy
            for variable in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY"):
                env.setenv(variable, "http://127.0.0.1:9")
            env.setenv("no_proxy", "127.0.0.1")
            snakemake(workdir, *configs, "--until", *sorted(DATA_RULES - {"fetch_dataset", "prepare_real"}))
        requested = sorted(path for path, _ in server.served.ranges)
    assert requested == sorted(server.served.files), "every stand-in file is fetched from the server, once"
    yield workdir, configs


def test_the_data_stages_fetch_verify_convert_and_split_all_six_datasets(
    paper_workdir: tuple[Path, tuple[str, ...]],
) -> None:
    workdir, _ = paper_workdir
    for name, per_class in PER_CLASS.items():
        data = PreparedDataset.load(workdir / "results/prepared" / name)
        assert len(data) == per_class * DATASETS[name].class_count and data.image_size == IMAGE_SIZE
        assert sorted(data.classes) == sorted(DATASETS[name].classes)
    rsicd = PreparedDataset.load(workdir / "results/prepared/rsicd")
    assert rsicd.meta["official_split"].tolist() == ["train"] * 10 + ["test"] * 2
    assert rsicd.captions[0][0] == "a airport0jpg caption 0 ."  # tokens, as SWAN's official lists
    rsitmd = PreparedDataset.load(workdir / "results/prepared/rsitmd")
    assert rsitmd.captions[0][0] == "A airport_0.tif caption 0."  # raw
    zero_shot = json.loads((workdir / "results/splits/rssdivcs/zero_shot/40-30_seed0.json").read_text())
    assert zero_shot["source"] == "dataset" and len(zero_shot["unseen_classes"]) == 30
    nwpu = json.loads(
        (workdir / "results/splits/nwpu_resisc45/classification/ratio0.2_seed0.json").read_text()
    )
    assert len(nwpu["train"]) == 45 and np.isin(nwpu["train"], nwpu["test"]).sum() == 0
    retrieval = json.loads((workdir / "results/splits/rsicd/retrieval/seed0.json").read_text())
    assert (len(retrieval["train"]), len(retrieval["val"]), len(retrieval["test"])) == (8, 2, 2)
    lock = json.loads((workdir / "config/checksums.lock.json").read_text())
    assert {"aid/AID.zip", "rsitmd/RSITMD.zip"} <= set(lock)  # no published checksum: the first copy's
    assert sum(key.startswith("rssdivcs/RSSDIVCS/") for key in lock) == 140 + 7  # images, 6 .mat, groups
    assert not (workdir / "data/scratch").exists() or not any((workdir / "data/scratch").iterdir())


def test_afterwards_the_paper_preset_schedules_no_data_job(
    paper_workdir: tuple[Path, tuple[str, ...]],
) -> None:
    workdir, configs = paper_workdir
    planned = planned_jobs(workdir, *configs)
    assert not DATA_RULES & set(planned), planned
    assert {"lsenet_train", "swan_train", "dsva_train", "fetch_clip"} <= set(planned)  # the rest is there
