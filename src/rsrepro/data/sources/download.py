"""Fetch a source's files: download (resumable, via gdown) or copy a manual file, then verify.

Transfers go through gdown for every URL, not only Google Drive: it resumes with HTTP Range from a kept
``.part`` file (across runs and after a cut connection), retries, shows a tqdm bar, and only renames the
file into place when complete; for Drive it also handles the virus-scan confirm page. Staging happens in
``data/downloads/<source>/`` (not tracked by DVC), so an interrupted run resumes where it stopped, and the
output folder appears only after every file is verified.
"""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path
from typing import Any

import gdown
import requests

from rsrepro.data.sources.archives import extract_member, is_archive
from rsrepro.data.sources.checksums import ChecksumLock, file_digests, verify
from rsrepro.data.sources.errors import ChecksumError, SourceError
from rsrepro.data.sources.spec import RemoteFile, Source
from rsrepro.io import atomic_dir, atomic_path

log = logging.getLogger(__name__)

TRANSFER_ERRORS = (requests.RequestException, gdown.exceptions.DownloadError, OSError)


def fetch_source(
    source: Source, out: Path, staging: Path, lock: ChecksumLock, cfg: dict[str, Any], params_key: str
) -> None:
    """Write ``out/<file name>`` for every file of ``source``, each verified, atomically as one folder.

    ``cfg`` holds, per file key, ``files`` (manual local paths: :func:`manual_path`), ``urls`` (URL
    overrides) and ``checksums`` (a checksum that replaces the published one: a mirror that repacks the
    file, stand-in data); ``params_key`` is where they live in params.yaml (for messages), e.g. ``data.aid``.
    """
    manual_paths = cfg.get("files") or {}
    url_overrides = cfg.get("urls") or {}
    checksums = cfg.get("checksums") or {}
    staging.mkdir(parents=True, exist_ok=True)
    for key, remote in source.files.items():
        where = f"{params_key}.files.{key}"
        if manual_paths.get(key):
            staged = _copy_manual(manual_path(manual_paths[key], where), staging / remote.name)
        else:
            staged = _download(remote, staging / remote.name, url_overrides.get(key), where)
        if remote.plain and is_archive(staged):
            extract_member(staged, remote.name, where)
        expected = checksums.get(key) or remote.checksum
        verify_and_lock(staged, expected, lock, f"{source.name}/{remote.name}", where)
    with atomic_dir(out) as tmp:
        for remote in source.files.values():
            os.replace(staging / remote.name, tmp / remote.name)


def _download(remote: RemoteFile, target: Path, override: str | None, where: str) -> Path:
    if target.exists():
        return target  # fetched by an earlier run that failed later (e.g. on another file's checksum)
    if override:
        attempts: list[dict[str, str]] = [{"url": override}]
    elif remote.drive_folder:
        attempts = [{"folder": remote.drive_folder}]
    else:
        attempts = [{"url": url} for url in remote.urls] + (
            [{"id": remote.drive_id}] if remote.drive_id else []
        )
    if not attempts:
        raise SourceError(
            f"{remote.name} cannot be downloaded automatically. Get it from {remote.manual}, "
            f"then set `{where}: /path/to/{remote.name}` in params.yaml (or your config overlay)."
        )
    failures = []
    for attempt in attempts:
        try:
            if "folder" in attempt:
                with atomic_dir(target) as tmp:
                    gdown.download_folder(id=attempt["folder"], output=str(tmp), resume=True, retries=3)
            else:
                gdown.download(output=str(target), resume=True, retries=3, timeout=(30, 300), **attempt)
            return target
        except TRANSFER_ERRORS as error:
            failures.append(f"{attempt}: {error}")
            log.warning("download of %s failed from %s: %s", remote.name, attempt, error)
    tried = "\n  ".join(failures)
    manual = f" or from {remote.manual}" if remote.manual else ""
    raise SourceError(
        f"could not download {remote.name}; tried:\n  {tried}\n"
        f"Rerun to resume, or download it yourself (same URLs{manual}) and set `{where}: /path/to/it`."
    )


def manual_path(value: str, where: str) -> Path:
    """A local file or folder named in params (at ``where``): ``~`` expands, and a relative path is read
    from the working directory, the folder holding params.yaml that Snakemake runs in (the checkout, or
    ``--directory``'s folder), so the params hold it as written and moving that folder reruns nothing."""
    path = Path(value).expanduser()
    if not path.exists():
        against = "" if path.is_absolute() else f" (read from the working directory {Path.cwd()})"
        raise SourceError(f"{where} = {value!r}: no such file or folder{against}; fix it in params.yaml.")
    return path


def _copy_manual(path: Path, target: Path) -> Path:
    if path.is_dir():
        with atomic_dir(target) as tmp:
            shutil.copytree(path, tmp, dirs_exist_ok=True)
    else:
        with atomic_path(target) as tmp:
            shutil.copyfile(path, tmp)
    return target


def verify_and_lock(path: Path, published: str | None, lock: ChecksumLock, key: str, where: str) -> None:
    """Verify each file (a fetched folder: each file in it) against the published or locked checksum;
    record the sha256 of files seen for the first time. A mismatching file is deleted so a rerun fetches
    it afresh."""
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    for file in files:
        file_key = key if file == path else f"{key}/{file.relative_to(path).as_posix()}"
        digests = file_digests(file)
        locked = lock.get(file_key)
        expected = (published if file == path else None) or locked
        if expected is not None:
            try:
                verify(
                    file, expected, digests, _mismatch_advice(expected == published, lock, file_key, where)
                )
            except ChecksumError:
                shutil.rmtree(path) if path.is_dir() else path.unlink()
                raise
        if locked is None:
            lock.record(file_key, digests, file.stat().st_size)
            log.info("%s: sha256 %s recorded in %s", file_key, digests["sha256"], lock.path)


def _mismatch_advice(is_published: bool, lock: ChecksumLock, key: str, where: str) -> str:
    if is_published:
        return f"The file was deleted; rerun to download it again, or check the file given in {where}."
    return (
        f"The expected value is the first copy's, recorded in {lock.path} under {key!r}. The file was "
        f"deleted; rerun to fetch it again, or, if the upstream file really changed, delete that entry."
    )
