"""What a source is: its files (URLs, mirrors, checksums) and how to convert them (torchgeo style)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RemoteFile:
    """One file of a source.

    ``urls`` are tried in order (official first, then mirrors with identical content), then ``drive_id``;
    ``drive_folder`` names a Google-Drive folder (both fetched by gdown, which handles Drive's confirm
    page). ``checksum`` is the published one ("md5:<hex>", "sha256:<hex>" or "gitblob:<hex>", git's blob
    id); without it the lock file decides. ``manual`` says where a person gets the file by hand.
    ``plain``: the file itself is not an archive (a JSON, say); an archive given for it (by hand or by a
    mirror) is searched for the one file of this name, which is what gets verified and kept.
    ``members``: file or folder names an archive or folder must hold (anywhere, any case) to count as
    this file at all; checked with the rest of :func:`rsrepro.data.sources.proof.prove` before a
    checksum is recorded.
    """

    name: str
    urls: tuple[str, ...] = ()
    drive_id: str | None = None
    drive_folder: str | None = None
    checksum: str | None = None
    manual: str = ""
    plain: bool = False
    members: tuple[str, ...] = ()


@dataclass(frozen=True)
class Source:
    """A dataset or a set of pretrained weights: its files (a dataset's converter is registered under its
    name in ``rsrepro.data.sources.converters.CONVERTERS``).

    ``classes`` are the published class (folder) names where they are known, ``n_classes`` the published
    class count where only the count is (RSSDIVCS's names live in its .mat files).
    """

    name: str
    title: str
    homepage: str
    files: dict[str, RemoteFile]
    classes: tuple[str, ...] = ()
    n_classes: int | None = None

    @property
    def class_count(self) -> int | None:
        return len(self.classes) or self.n_classes


@dataclass(frozen=True)
class HubModel:
    """A Hugging Face model repository, pinned to one commit (fetched with huggingface_hub)."""

    repo_id: str
    revision: str
