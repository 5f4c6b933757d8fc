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
    class count where only the count is (RSSDIVCS's names live in its .mat files); ``download_bytes``
    the download's size where it is published.
    """

    name: str
    title: str
    homepage: str
    files: dict[str, RemoteFile]
    classes: tuple[str, ...] = ()
    n_classes: int | None = None
    download_bytes: float | None = None  # where published

    @property
    def class_count(self) -> int | None:
        return len(self.classes) or self.n_classes


@dataclass(frozen=True)
class ClassFolders:
    """One folder per class (the class = the folder name). As published: ``root/<class>/<stem><suffix>``,
    ``stem`` formatted with the class folder name in lower case (``cls``) and the image number (``i``,
    counted from ``first``); what the stand-in writer follows (the converter takes any depth and name)."""

    root: str
    stem: str
    suffix: str
    first: int

    name = "class_folders"


@dataclass(frozen=True)
class KarpathyCaptions:
    """A Karpathy-style caption file with an image folder. ``caption_field``: ``raw`` or ``tokens`` (see
    :mod:`rsrepro.data.sources.converters.karpathy`). As published: the images under ``images`` in the
    archive of file key ``images_key``, the JSON at ``json_folder/json_name`` in the archive of
    ``json_key`` (or a plain file of that key when ``json_folder`` is None); ``scene_less``: the dataset
    also holds numeric file names without a scene (RSICD). A user's own dataset names only the first two."""

    json_name: str
    caption_field: str
    image_suffix: str = ".jpg"
    images: str = "images"
    images_key: str = "archive"
    json_key: str = "archive"
    json_folder: str | None = None
    scene_less: bool = False

    name = "karpathy_captions"


@dataclass(frozen=True)
class ZeroShotMat:
    """DSVA's ``.mat`` split and attribute files beside the class folders (RSSDIVCS)."""

    attributes: int  # attributes per class (``att``'s rows)

    name = "rssdivcs_mat"


Layout = ClassFolders | KarpathyCaptions | ZeroShotMat


@dataclass(frozen=True, kw_only=True)
class Dataset(Source):
    """A dataset's registry entry: its source (files), published layout (the converter and stand-in
    writer are registered per layout name: ``converters.LAYOUTS``, ``standin.WRITERS``), image count
    and resolution as published, and for caption datasets the
    official training images (train + val). ``standin_per_class``: the fewest images per class at which
    every paper setting leaves a train and a test image (the rehearsal's stand-ins)."""

    layout: Layout
    images: int
    published_size: int
    official_train: int | None = None
    standin_per_class: int = 3


@dataclass(frozen=True)
class HubModel:
    """A Hugging Face model repository, pinned to one commit (fetched with huggingface_hub)."""

    repo_id: str
    revision: str
    download_bytes: float | None = None  # where published
