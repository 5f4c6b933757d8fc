"""Fixtures of the real-data tests: a loopback HTTP server and archives in each dataset's real layout."""

from __future__ import annotations

import io
import json
import threading
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest
import scipy.io
from PIL import Image

SHARED = Path(__file__).resolve().parents[2] / "shared"
SWAN_LISTS = SHARED / "fixtures" / "swan-precomp"


@dataclass
class Served:
    """What the loopback server serves; ``cut_once`` paths drop the connection halfway on first request."""

    files: dict[str, bytes] = field(default_factory=dict)
    cut_once: set[str] = field(default_factory=set)
    ranges: list[tuple[str, str | None]] = field(default_factory=list)


class _Handler(BaseHTTPRequestHandler):
    served: Served

    def do_GET(self) -> None:
        body = self.served.files.get(self.path)
        range_header = self.headers.get("Range")
        self.served.ranges.append((self.path, range_header))
        if body is None:
            self.send_error(404)
            return
        start = int(range_header.split("=")[1].split("-")[0]) if range_header else 0
        self.send_response(206 if range_header else 200)
        if range_header:
            self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
        self.send_header("Content-Length", str(len(body) - start))
        self.send_header("Accept-Ranges", "bytes")
        self.end_headers()
        if self.path in self.served.cut_once:
            self.served.cut_once.discard(self.path)
            self.wfile.write(body[start : len(body) // 2])
            self.wfile.flush()
            self.connection.shutdown(1)  # the connection ends mid-transfer (FIN after half)
            self.close_connection = True
            return
        self.wfile.write(body[start:])

    def log_message(self, *args: object) -> None:
        pass


@dataclass
class LoopbackServer:
    base: str
    served: Served

    def url(self, path: str) -> str:
        return f"{self.base}{path}"


@pytest.fixture
def http_server() -> Iterator[LoopbackServer]:
    served = Served()
    handler = type("Handler", (_Handler,), {"served": served})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield LoopbackServer(f"http://127.0.0.1:{server.server_address[1]}", served)
    server.shutdown()
    server.server_close()


def image_bytes(fmt: str, size: int = 12, seed: int = 0) -> bytes:
    rng = np.random.default_rng(seed)
    buffer = io.BytesIO()
    Image.fromarray(rng.integers(0, 256, (size, size, 3), dtype=np.uint8)).save(buffer, format=fmt)
    return buffer.getvalue()


def zip_bytes(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buffer.getvalue()


FORMATS = {".tif": "TIFF", ".jpg": "JPEG", ".png": "PNG"}


def folder_per_class_zip(root: str, classes: list[str], per_class: int, name_pattern: str, ext: str) -> bytes:
    """E.g. UCM: ``UCMerced_LandUse/Images/<class>/<class>00.tif``."""
    return zip_bytes(
        {
            f"{root}/{cls}/{name_pattern.format(cls=cls.lower(), i=i)}{ext}": image_bytes(
                FORMATS[ext], seed=i
            )
            for cls in classes
            for i in range(per_class)
        }
    )


def karpathy_json(records: list[tuple[str, str, list[str]]], dataset: str) -> bytes:
    """A Karpathy-style caption file (as dataset_RSITMD.json / dataset_rsicd.json)."""
    images = [
        {
            "filename": name,
            "imgid": i,
            "split": split,
            "sentences": [
                {"raw": raw, "tokens": raw.lower().split(), "imgid": i, "sentid": 5 * i + j}
                for j, raw in enumerate(captions)
            ],
            "sentids": [5 * i + j for j in range(len(captions))],
        }
        for i, (name, split, captions) in enumerate(records)
    ]
    return json.dumps({"images": images, "dataset": dataset}).encode()


def rsitmd_zip(records: list[tuple[str, str, list[str]]], size: int = 8) -> bytes:
    members = {
        f"RSITMD/images/{name}": image_bytes("TIFF", size, i) for i, (name, _, _) in enumerate(records)
    }
    members["RSITMD/dataset_RSITMD.json"] = karpathy_json(records, "rsitmd")
    return zip_bytes(members)


def rssdivcs_folder(target: Path, classes: list[str], per_class: int, n_attr: int = 6) -> dict[str, object]:
    """The Drive folder: an images zip and files/{61,52,43}_images.mat, ann_attr_finetune_*_splits.mat,
    attri_group_3.json. Returns the ground truth the converter must reproduce."""
    names = [f"{cls}/{cls}_{i:03d}.jpg" for cls in classes for i in range(per_class)]
    labels = np.repeat(np.arange(1, len(classes) + 1), per_class)
    target.mkdir(parents=True)
    (target / "RSSDIVCS.zip").write_bytes(
        zip_bytes({f"RSSDIVCS/{n}": image_bytes("JPEG", seed=i) for i, n in enumerate(names)})
    )
    files = target / "files"
    files.mkdir()
    rng = np.random.default_rng(0)
    att = rng.random((n_attr, len(classes)))
    unseen_class = len(classes)  # 1-based: the last class is unseen in every split of this fixture
    seen_images = np.flatnonzero(labels != unseen_class) + 1
    unseen_images = np.flatnonzero(labels == unseen_class) + 1
    truth = {}
    for prefix in ("61", "52", "43"):
        image_files = np.array([f"/home/author/data/RSSDIVCS/{n}" for n in names], dtype=object)
        scipy.io.savemat(
            files / f"{prefix}_images.mat",
            {"image_files": image_files, "labels": labels[:, None], "features": rng.random((4, len(names)))},
        )
        train, test_seen = seen_images[::2], seen_images[1::2]
        scipy.io.savemat(
            files / f"ann_attr_finetune_{prefix}_splits.mat",
            {
                "att": att,
                "allclasses_names": np.array(classes, dtype=object)[:, None],
                "train_zsl_loc_0": train[:, None],
                "train_gzsl_loc_0": train[:, None],
                "test_seen_loc_0": test_seen[:, None],
                "test_unseen_loc_0": unseen_images[:, None],
            },
        )
        truth[prefix] = {
            "train": (train - 1).tolist(),
            "test_seen": (test_seen - 1).tolist(),
            "test_unseen": (unseen_images - 1).tolist(),
        }
    (files / "attri_group_3.json").write_text(
        json.dumps({"functions": [0, 1], "materials": [2, 3], "surface_properties": [4, 5]})
    )
    return {"names": names, "att": att, "splits": truth}
