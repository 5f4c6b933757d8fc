"""The embedded preset's data pinned across machines: the synthetic dataset's bytes and every split file
the papers ask of it, as sha256 digests held here. A change of numpy, Pillow, the platform or the code
that moves one image or one split index fails this test, not only a comparison within one process."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import yaml

from rsrepro.cli import main
from rsrepro.data.prepared import PreparedDataset
from rsrepro.data.synthetic import prepare_synthetic
from rsrepro.papers import PAPERS
from rsrepro.paths import SPLITS
from tests.conftest import REPO

# Refresh only for a deliberate change of the generator or a split protocol (say why in the commit):
# print the dict test_embedded_data_is_pinned computes.
PINNED: dict[str, str] = {
    "synthetic": "205850d40bc1fc8249dc7026f4b7511dff8bbe65896e540ca4feb1bef1cf81fc",
    "classification/ratio0.2_seed0.json": "0fe15dc14c1a5c97a1df59ae0494d285848b8bf0fc6d55b410231653a5273f8d",
    "classification/ratio0.2_seed1.json": "e5e6fbe458631dbd4f4d66adc33eebf026be4cd4b74f7f21066581bdd102d8f2",
    "retrieval/seed0.json": "2207c66abd11351934fa9ba78505294ee40e83563b268942d115769dd571dc4f",
    "retrieval/seed1.json": "287261fc120d8fab9da7e2fe65833a4f1f2dc6ebdda174f7ff04ab87207f79a2",
    "zero_shot/50-20_seed0.json": "949c1478f4797ddca33f67e1247568a3bb78886d1286e360ace20de391824ca9",
}


def split_arguments(path: str, config: dict) -> list[str]:
    """The ``rsrepro split`` arguments that write ``path`` (as data.smk's rules give them)."""
    if m := re.search(r"classification/ratio([\d.]+)_seed(\d+)\.json$", path):
        return ["classification", "--ratio", m[1], "--seed", m[2]]
    if m := re.search(r"retrieval/seed(\d+)\.json$", path):
        fraction = config["splits"]["retrieval"]["val_fraction"]
        return ["retrieval", "--val-fraction", str(fraction), "--seed", m[1]]
    m = re.search(r"zero_shot/(\d+)-(\d+)_seed(\d+)\.json$", path)
    assert m, path
    fraction = config["splits"]["zero_shot"]["seen_test_fraction"]
    return ["zero-shot", "--split", f"{m[1]}/{m[2]}", "--seen-test-fraction", str(fraction), "--seed", m[3]]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_embedded_data_is_pinned(tmp_path: Path) -> None:
    config = yaml.safe_load((REPO / "params.yaml").read_text())
    prepared = tmp_path / "synthetic"
    # One process, no contact sheet (not part of the digest): the suite's workers already fill the cores.
    prepare_synthetic(prepared, workers=1, **config["data"]["synthetic"])
    found = {"synthetic": PreparedDataset.load(prepared).content_digest}
    files = sorted({f for paper in PAPERS.values() for f in paper.split_files(config, "synthetic")})
    assert {"classification", "retrieval", "zero_shot"} <= {Path(f).parent.name for f in files}
    for name in files:
        out = tmp_path / name
        assert (
            main(["split", *split_arguments(name, config), "--prepared", str(prepared), "--out", str(out)])
            == 0
        )
        found[str(Path(name).relative_to(SPLITS, "synthetic"))] = sha256(out)
    print(found)
    assert found == PINNED
