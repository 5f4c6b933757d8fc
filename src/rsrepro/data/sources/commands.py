"""Commands of the real-data path: fetch a source, prepare a dataset, pretrained-weight helpers."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from rsrepro.cli import json_object


def add_commands(subparsers: Any) -> None:
    fetch = subparsers.add_parser("fetch", help="download (or copy a manual file) and verify one source")
    fetch.add_argument("source", help="dataset or pretrained-weights name (see rsrepro.data.sources.catalog)")
    fetch.add_argument("--out", type=Path, required=True, help="folder to write the verified files into")
    fetch.add_argument("--staging", type=Path, required=True, help="folder for resumable partial downloads")
    fetch.add_argument("--lock", type=Path, required=True, help="checksum lock file (JSON)")
    fetch.add_argument("--params-key", required=True, help="where the params live, for messages")
    fetch.add_argument("--params", type=json_object, required=True, help="{files: {...}, urls: {...}}")
    fetch.set_defaults(handler=_fetch)

    prepare = subparsers.add_parser("prepare", help="convert a fetched real dataset into the prepared form")
    prepare.add_argument("source", help="dataset name")
    prepare.add_argument("--raw", type=Path, required=True, help="the fetched files (data/raw/<name>)")
    prepare.add_argument("--out", type=Path, required=True, help="prepared dataset directory to write")
    prepare.add_argument("--scratch", type=Path, required=True, help="where to extract (deleted after)")
    prepare.add_argument("--params", type=json_object, required=True, help="data.<name> as JSON")
    prepare.set_defaults(handler=_prepare)

    clip = subparsers.add_parser("fetch-clip", help="download and verify a clip-rsicd snapshot")
    clip.add_argument("name", help="clip_rsicd or clip_rsicd_v2")
    clip.add_argument("--out", type=Path, required=True)
    clip.add_argument("--lock", type=Path, required=True)
    clip.add_argument(
        "--params",
        type=json_object,
        required=True,
        help="{revision: ..., files: {snapshot: <local folder>}} (default: the catalog's pinned commit)",
    )
    clip.set_defaults(handler=_fetch_clip)


def _fetch(args: argparse.Namespace) -> None:
    from rsrepro.data.sources.catalog import get_source
    from rsrepro.data.sources.checksums import ChecksumLock
    from rsrepro.data.sources.download import fetch_source

    source = get_source(args.source)
    # Verify-then-use: every file is read whole (a weight file loads with weights_only) before it counts.
    fetch_source(source, args.out, args.staging, ChecksumLock(args.lock), args.params, args.params_key)


def _prepare(args: argparse.Namespace) -> None:
    from rsrepro.data.sources.catalog import get_source
    from rsrepro.data.sources.prepare import prepare_source

    source = get_source(args.source)
    prepare_source(source, args.raw, args.out, int(args.params["image_size"]), args.scratch)


def _fetch_clip(args: argparse.Namespace) -> None:
    from rsrepro.data.sources.catalog import CLIP_MODELS
    from rsrepro.data.sources.checksums import ChecksumLock
    from rsrepro.data.sources.download import manual_path
    from rsrepro.data.sources.hub import fetch_clip

    model = CLIP_MODELS[args.name]
    where = f"data.pretrained.{args.name}"
    local = (args.params.get("files") or {}).get("snapshot")
    fetch_clip(
        model.repo_id,
        args.params.get("revision") or model.revision,
        args.out,
        ChecksumLock(args.lock),
        key=args.name,
        where=where,
        local=manual_path(local, f"{where}.files.snapshot") if local else None,
    )
