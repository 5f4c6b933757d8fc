"""The real datasets and pretrained weights of the paper preset: URLs, mirrors and checksums.

Facts from ../shared/research/*.md (torchgeo's Hugging Face mirrors and md5s, the RSICD git-LFS sha256,
the Google-Drive ids of the papers' READMEs). Where no checksum is published the first fetch records one
in config/checksums.lock.json.
"""

from __future__ import annotations

from rsrepro.data.sources.converters import (
    convert_folder_per_class,
    convert_rsicd,
    convert_rsitmd,
    convert_rssdivcs,
)
from rsrepro.data.sources.errors import SourceError
from rsrepro.data.sources.spec import RemoteFile, Source

TORCHGEO_HF = "https://huggingface.co/datasets/torchgeo"

DATASETS: dict[str, Source] = {
    source.name: source
    for source in (
        Source(
            name="ucm",
            title="UC Merced Land Use (21 classes x 100 .tif, 256 px)",
            homepage="http://weegee.vision.ucmerced.edu/datasets/landuse.html",
            files={
                "archive": RemoteFile(
                    "UCMerced_LandUse.zip",
                    urls=(
                        f"{TORCHGEO_HF}/ucmerced/resolve/main/UCMerced_LandUse.zip",
                        "http://weegee.vision.ucmerced.edu/datasets/UCMerced_LandUse.zip",
                    ),
                    checksum="md5:5b7ec56793786b6dc8a908e8854ac0e4",
                )
            },
            convert=convert_folder_per_class,
            notes={"classes": 21},
        ),
        Source(
            name="aid",
            title="AID (30 classes, 10,000 .jpg, 600 px)",
            homepage="https://captain-whu.github.io/AID/",
            files={
                "archive": RemoteFile(
                    "AID.zip",
                    manual="AID is distributed only through OneDrive/BaiduPan: follow the links on "
                    "https://captain-whu.github.io/AID/ (folder AID/<Class>/<class>_<n>.jpg; a .rar must "
                    "be repacked as .zip: `unar AID.rar && zip -r AID.zip AID`)",
                )
            },
            convert=convert_folder_per_class,
            notes={"classes": 30},
        ),
        Source(
            name="nwpu_resisc45",
            title="NWPU-RESISC45 (45 classes x 700 .jpg, 256 px)",
            homepage="https://www.escience.cn/people/JunweiHan/NWPU-RESISC45.html",
            files={
                "archive": RemoteFile(
                    "NWPU-RESISC45.zip",
                    # The official OneDrive .rar (md5 d824acb7...) is repacked as zip by torchgeo.
                    urls=(f"{TORCHGEO_HF}/resisc45/resolve/main/NWPU-RESISC45.zip",),
                    checksum="md5:75206b2e16446591afa88e2628744886",
                )
            },
            convert=convert_folder_per_class,
            notes={"classes": 45},
        ),
        Source(
            name="rsitmd",
            title="RSITMD (4,743 images, 5 captions each; dataset_RSITMD.json)",
            homepage="https://github.com/xiaoyuan1996/AMFMN/tree/master/RSITMD",
            files={
                "archive": RemoteFile(
                    "RSITMD.zip",
                    drive_id="1NJY86TAAUd8BVs7hyteImv8I2_Lh95W6",
                    manual="Google Drive id 1NJY86TAAUd8BVs7hyteImv8I2_Lh95W6 or Baidu (password NIST), "
                    "links in xiaoyuan1996/AMFMN RSITMD/README.md; it must hold images/ and "
                    "dataset_RSITMD.json",
                )
            },
            convert=convert_rsitmd,
        ),
        Source(
            name="rsicd",
            title="RSICD (10,921 images, 5 captions each; dataset_rsicd.json)",
            homepage="https://github.com/201528014227051/RSICD_optimal",
            files={
                "images": RemoteFile(
                    "RSICD_images.zip",
                    urls=("https://github.com/201528014227051/RSICD_optimal/raw/master/RSICD_images.zip",),
                    checksum="sha256:0d3ebda15b8b1e5c2754270d38462251e8c61489b54e463e499c978da4b91d10",
                ),
                "captions": RemoteFile(
                    "dataset_rsicd.json",
                    manual="dataset_rsicd.json (Karpathy-style captions) ships with the RSICD bundle on "
                    "Baidu (http://pan.baidu.com/s/1bp71tE3) or Google Drive "
                    "(id 0B1jt7lJDEXy3aE90cG9YSl9ScUk, reported dead), and with the SWAN bundle "
                    "(jaychempan/SWAN README)",
                ),
            },
            convert=convert_rsicd,
        ),
        Source(
            name="rssdivcs",
            title="RSSDIVCS (70 classes x 800 images; DSVA split and attribute files)",
            homepage="https://github.com/wenjiaXu/RS_Scene_ZSL",
            files={
                "folder": RemoteFile(
                    "RSSDIVCS",
                    drive_folder="1k0zpo0tixPsp9pxbcFHTdszJNvqq4-lA",
                    manual="the Google Drive folder 1k0zpo0tixPsp9pxbcFHTdszJNvqq4-lA of "
                    "wenjiaXu/RS_Scene_ZSL (images plus files/{43,52,61}_images.mat, "
                    "ann_attr_finetune_*_splits.mat, attri_group_3.json); give the folder or a zip of it",
                )
            },
            convert=convert_rssdivcs,
            notes={"classes": 70},
        ),
    )
}

PRETRAINED: dict[str, Source] = {
    source.name: source
    for source in (
        Source(
            name="resnet50_imagenet",
            title="ImageNet ResNet-50 (torchvision ResNet50_Weights.IMAGENET1K_V1)",
            homepage="https://pytorch.org/vision/stable/models/resnet.html",
            # The hash prefix in the file name is torchvision's own check (torch.hub convention).
            files={
                "weights": RemoteFile(
                    "resnet50-0676ba61.pth",
                    urls=("https://download.pytorch.org/models/resnet50-0676ba61.pth",),
                    checksum="sha256:0676ba61",
                )
            },
        ),
        Source(
            name="vgg16_imagenet",
            title="ImageNet VGG-16 (torchvision VGG16_Weights.IMAGENET1K_V1, LSE-Net's backbone)",
            homepage="https://pytorch.org/vision/stable/models/vgg.html",
            files={
                "weights": RemoteFile(
                    "vgg16-397923af.pth",
                    urls=("https://download.pytorch.org/models/vgg16-397923af.pth",),
                    checksum="sha256:397923af",
                )
            },
        ),
        Source(
            name="rsp_resnet50_aid28",
            title="RSP ResNet-50 fine-tuned on AID 2:8 (SWAN's frozen backbone)",
            homepage="https://github.com/ViTAE-Transformer/RSP",
            files={
                "weights": RemoteFile(
                    "rsp-aid-resnet-50-e300-ckpt.pth",
                    manual="'AID (2:8) RSP-ResNet-50-E300' in ViTAE-Transformer/RSP 'Scene Recognition' "
                    "README (OneDrive/Baidu), or the SWAN README's Baidu link "
                    "(aid_28-rsp-resnet-50-ckpt.pth)",
                )
            },
        ),
        Source(
            name="glove_840b_300d",
            title="GloVe 840B.300d (2 GB zip; only the vocabulary's vectors are extracted)",
            homepage="https://nlp.stanford.edu/projects/glove/",
            files={
                "archive": RemoteFile(
                    "glove.840B.300d.zip",
                    urls=(
                        "https://nlp.stanford.edu/data/glove.840B.300d.zip",
                        "https://huggingface.co/stanfordnlp/glove/resolve/main/glove.840B.300d.zip",
                    ),
                )
            },
        ),
    )
}

# Hugging Face repositories fetched through huggingface_hub's snapshot cache (DSVA's backbone).
CLIP_MODELS = {
    "clip_rsicd": "flax-community/clip-rsicd",
    "clip_rsicd_v2": "flax-community/clip-rsicd-v2",
}

SOURCES: dict[str, Source] = {**DATASETS, **PRETRAINED}


def get_source(name: str) -> Source:
    if name not in SOURCES:
        raise SourceError(f"unknown source {name!r}; known: {', '.join(SOURCES)}")
    return SOURCES[name]
