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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gdown
import requests

from rsrepro.data.sources.archives import extract_member, is_archive
from rsrepro.data.sources.checksums import ChecksumLock, file_digests, verify
from rsrepro.data.sources.errors import ChecksumError, SourceError
from rsrepro.data.sources.proof import prove
from rsrepro.data.sources.spec import RemoteFile, Source
from rsrepro.io import DISK_FULL, atomic_dir, atomic_path, disk_space

log = logging.getLogger(__name__)

TRANSFER_ERRORS = (requests.RequestException, gdown.exceptions.DownloadError, OSError)


@dataclass(frozen=True)
class Origin:
    """Where a staged copy came from: downloaded (the staged copy is the only one: deleting it makes a
    rerun download it again) or given by hand (``manual``, which rsrepro never deletes or changes).
    ``persists``: the staged copy outlives a failed run (``data/downloads/``; not a snapshot downloaded
    into a temporary folder)."""

    where: str  # the params key, e.g. data.aid.files.archive
    manual: Path | None = None
    persists: bool = True

    def shown(self, staged: Path) -> tuple[Path, Path] | None:
        """Messages name a file given by hand where the user keeps it, not its staged copy."""
        return (staged, self.manual) if self.manual is not None else None

    def kept(self, staged: Path) -> str:
        """What became of a copy that reads whole but was refused."""
        if self.manual is not None:
            return f"Your copy {self.manual} is unchanged."
        return f"This copy was kept ({staged})." if self.persists else "This copy was not kept."

    def discard(self, staged: Path) -> str:
        """Delete the staged copy, which failed its check; say what that means for the user."""
        shutil.rmtree(staged) if staged.is_dir() else staged.unlink(missing_ok=True)
        if self.manual is None:
            return (
                "The downloaded copy was deleted: rerun to download it again, or get the file yourself "
                f"and set `{self.where}: /path/to/it`."
            )
        return f"Your copy {self.manual} was left as it is: give a good copy in `{self.where}`."


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
        lock_key = f"{source.name}/{remote.name}"
        where = f"{params_key}.files.{key}"
        manual = manual_paths.get(key)
        origin = Origin(where, manual_path(manual, where) if manual else None)
        if origin.manual is not None:
            staged = _copy_manual(origin.manual, staging / remote.name)
        else:
            staged = _download(
                remote, staging / remote.name, url_overrides.get(key), where, lock.size(lock_key)
            )
        if remote.plain and is_archive(staged):
            try:
                extract_member(staged, remote.name, where)
            except SourceError as error:
                raise error.advised(origin.discard(staged), origin.shown(staged)) from error
        expected = checksums.get(key) or remote.checksum
        verify_and_lock(staged, remote, expected, lock, lock_key, origin)
    with atomic_dir(out) as tmp:
        for remote in source.files.values():
            os.replace(staging / remote.name, tmp / remote.name)


def _download(
    remote: RemoteFile, target: Path, override: str | None, where: str, expected_size: int | None
) -> Path:
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
    # The size is known once a copy was locked; a first download is checked only as it is written.
    with disk_space(target.parent, expected_size or 0, f"downloading {remote.name}"):
        for attempt in attempts:
            try:
                if "folder" in attempt:
                    with atomic_dir(target) as tmp:
                        gdown.download_folder(id=attempt["folder"], output=str(tmp), resume=True, retries=3)
                else:
                    gdown.download(output=str(target), resume=True, retries=3, timeout=(30, 300), **attempt)
                return target
            except TRANSFER_ERRORS as error:
                if isinstance(error, OSError) and error.errno in DISK_FULL:
                    raise
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
    files = [p for p in path.rglob("*") if p.is_file()] if path.is_dir() else [path]
    with disk_space(target.parent, sum(p.stat().st_size for p in files), f"copying {path}"):
        if path.is_dir():
            with atomic_dir(target) as tmp:
                shutil.copytree(path, tmp, dirs_exist_ok=True)
        else:
            with atomic_path(target) as tmp:
                shutil.copyfile(path, tmp)
    return target


def verify_and_lock(
    path: Path, remote: RemoteFile, published: str | None, lock: ChecksumLock, key: str, origin: Origin
) -> None:
    """Accept the staged copy ``path`` (a fetched folder: each file in it) or stop, saying which copy is
    suspect. A published checksum is the authority: a copy that misses it is discarded. Every copy must
    prove itself whole (:func:`~rsrepro.data.sources.proof.prove`); without a published checksum it must
    then match the sha256 the lock holds for it. A file seen for the first time is recorded only after
    that proof."""
    if published is not None and path.is_file():
        try:
            verify(path, published, file_digests(path))
        except ChecksumError as error:
            raise error.advised(origin.discard(path), origin.shown(path)) from error
    try:
        prove(path, remote.name, remote.members)
    except SourceError as error:
        advice = f"This copy is the suspect one. {origin.discard(path)}"
        raise error.advised(advice, origin.shown(path)) from error
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    new = {}
    for file in files:
        file_key = key if file == path else f"{key}/{file.relative_to(path).as_posix()}"
        digests = file_digests(file)
        locked = lock.get(file_key)
        if locked is None:
            new[file_key] = (digests, file.stat().st_size)
        elif published is None and digests["sha256"] != locked.partition(":")[2]:  # published: it decided
            mismatch = ChecksumError(_lock_mismatch(file, digests["sha256"], lock, file_key, path, origin))
            raise mismatch.advised(origin.kept(path), origin.shown(path))
    for file_key, (digests, size) in new.items():
        lock.record(file_key, digests, size)
        log.info("%s: sha256 %s recorded in %s", file_key, digests["sha256"], lock.path)


def _lock_mismatch(file: Path, found: str, lock: ChecksumLock, key: str, staged: Path, origin: Origin) -> str:
    """Which of the two copies is suspect, when a copy that reads whole differs from the recorded one."""
    size, recorded = file.stat().st_size, lock.size(key) or 0
    head = (
        f"{file}: sha256 {found} ({size:,} bytes), but {lock.path} holds {lock.get(key)} ({recorded:,} "
        f"bytes) under {key!r}, recorded from the first copy fetched."
    )
    if recorded < size:
        return (
            f"{head} The recorded entry is the suspect one: it was made from a smaller copy, as a truncated "
            f"download is, while this copy reads whole. If this copy is right, delete that entry from "
            f"{lock.path} and rerun."
        )
    return (
        f"{head} This copy is the suspect one: it reads whole, but it is another version of the file than "
        f"the one the lock (and any result made from it) was recorded from; upstream may have changed it. "
        f"Get the recorded version (a download: delete the copy and rerun), or, to adopt this one, delete "
        f"that entry from {lock.path} and rerun."
    )
