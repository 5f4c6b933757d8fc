"""Write a dataset in its published layout and file formats, from images and labels (plus captions or
zero-shot splits): the files a user downloads, for stand-in data (tests, the paper-preset rehearsal).

Each writer returns ``{file key: path}`` with the keys of the dataset's catalog entry
(:data:`rsrepro.data.sources.catalog.DATASETS`), so the files can be served as its URLs or given as its
manual files (``data.<name>.files.<key>``).

One writer per layout (:data:`WRITERS`), following the dataset's registry entry:

- ``folders``: UCM (``UCMerced_LandUse/Images/<class>/<class>NN.tif``), AID (``AID/<Class>/<class>_<n>.jpg``),
  NWPU-RESISC45 (``NWPU-RESISC45/<class>/<class>_NNN.jpg``), one zip each.
- ``karpathy``: RSITMD (``RSITMD.zip``: ``images/`` and ``dataset_RSITMD.json``), RSICD
  (``RSICD_images.zip`` and ``dataset_rsicd.json``), Karpathy-style JSON with ``raw`` and ``tokens``.
- ``rssdivcs``: the DSVA Drive folder: ``RSSDIVCS/<class>/<image>.jpg`` and ``RSSDIVCS/files/`` with
  ``{61,52,43}_images.mat``, ``ann_attr_finetune_{61,52,43}_splits.mat`` in the real variable shapes, and
  ``attri_group_3.json``.
- ``params``: the ``data.<name>`` params that point the paper preset at the stand-ins (URLs or local
  files, and the stand-ins' checksums in place of the published ones).
"""

from rsrepro.data.sources.spec import ClassFolders, KarpathyCaptions, ZeroShotMat
from rsrepro.data.standin.folders import write_folder_dataset
from rsrepro.data.standin.karpathy import (
    CaptionedImage,
    Sentence,
    karpathy_json,
    write_captioned_dataset,
)
from rsrepro.data.standin.params import standin_params
from rsrepro.data.standin.rssdivcs import (
    ZeroShotLists,
    write_images_mat,
    write_rssdivcs,
    write_splits_mat,
)

# Layout name -> the writer of a dataset in that layout (its arguments: see each writer).
WRITERS = {
    ClassFolders.name: write_folder_dataset,
    KarpathyCaptions.name: write_captioned_dataset,
    ZeroShotMat.name: write_rssdivcs,
}

__all__ = [
    "WRITERS",
    "CaptionedImage",
    "Sentence",
    "ZeroShotLists",
    "karpathy_json",
    "standin_params",
    "write_captioned_dataset",
    "write_folder_dataset",
    "write_images_mat",
    "write_rssdivcs",
    "write_splits_mat",
]
