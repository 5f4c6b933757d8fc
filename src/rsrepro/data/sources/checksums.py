"""File digests and the checksum lock (``config/checksums.lock.json``).

A file whose checksum is published is verified against it. A file without one (Baidu/OneDrive-only
datasets, manual weights) gets its sha256 recorded in the lock at the first fetch that proves it whole
(:mod:`rsrepro.data.sources.proof`); the lock is committed, so every later fetch, on any machine, is
verified against that first copy.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

from rsrepro.data.sources.errors import ChecksumError
from rsrepro.io import atomic_path

CHUNK = 1 << 20
# gitblob: git's blob id, sha1 of "blob <size>\0" + content (what a file in a git repository publishes).
ALGORITHMS = ("sha256", "md5", "gitblob")


def file_digests(path: Path) -> dict[str, str]:
    """sha256, md5 and git blob id of a file in one pass (sources publish one of them)."""
    hashers = {"sha256": hashlib.sha256(), "md5": hashlib.md5(), "gitblob": hashlib.sha1()}
    hashers["gitblob"].update(b"blob %d\0" % path.stat().st_size)
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(CHUNK), b""):
            for hasher in hashers.values():
                hasher.update(block)
    return {name: hasher.hexdigest() for name, hasher in hashers.items()}


def verify(path: Path, expected: str, digests: dict[str, str]) -> None:
    """Check ``expected`` ("<algorithm>:<hex>", an algorithm of :data:`ALGORITHMS`; a hex prefix of 8+
    digits, as in torchvision's weight file names, is accepted) against the file's ``digests``."""
    algorithm, _, hexdigest = expected.partition(":")
    found = digests[algorithm]
    if not found.startswith(hexdigest.lower()):
        raise ChecksumError(
            f"{path}: {algorithm} mismatch: expected {hexdigest}, found {found} "
            f"({path.stat().st_size:,} bytes). The file is corrupt, truncated or a different version."
        )


class ChecksumLock:
    """The committed JSON map ``"<source>/<file>" -> {"sha256": ..., "size": ...}``."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def get(self, key: str) -> str | None:
        entry = self._read().get(key)
        return f"sha256:{entry['sha256']}" if entry else None

    def size(self, key: str) -> int | None:
        """The size of the copy that was recorded (None if none was)."""
        entry = self._read().get(key)
        return int(entry["size"]) if entry else None  # type: ignore[call-overload]

    def record(self, key: str, digests: dict[str, str], size: int) -> None:
        # Parallel fetch jobs update the same file: serialise read-modify-write with an advisory lock.
        with self._locked():
            entries = self._read()
            entries[key] = {"sha256": digests["sha256"], "size": size}
            with atomic_path(self.path, ".json") as tmp:
                tmp.write_text(json.dumps(dict(sorted(entries.items())), indent=1) + "\n")

    def _read(self) -> dict[str, dict[str, object]]:
        return json.loads(self.path.read_text()) if self.path.is_file() else {}

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path.with_name(f".{self.path.name}.lock"), "w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            yield
