"""The real datasets and pretrained weights of the paper preset, and extra datasets (PatternNet): URLs,
mirrors, checksums, class names.

Facts from ../shared/research/*.md and the sources themselves: torchgeo's Hugging Face mirrors, their
pinned commits and md5s (torchgeo 7ea0616, datasets/ucmerced.py, resisc45.py and patternnet.py), the
RSICD git-LFS sha256 and the git blob id of dataset_rsicd.json (201528014227051/RSICD_optimal at
fc33b45), torchrs's Google-Drive mirrors (isaaccorley/torchrs scripts/download_{aid,rsicd}.sh), the Drive
ids of the papers' READMEs. Every Hugging Face source is pinned to a commit. Where no checksum is
published the first fetch records one in config/checksums.lock.json. Pure data: fetching never imports
the converters (``rsrepro.data.sources.converters.LAYOUTS``).

A dataset is one :class:`~rsrepro.data.sources.spec.Dataset` entry in :data:`DATASETS`: its files, its
published layout (the converter and the stand-in writer follow from it), classes, image count, resolution
and download size as published. The params schema's dataset names, the rehearsal's stand-ins and its
projection are read from here; a dataset in a layout that exists is one entry.
"""

from __future__ import annotations

from rsrepro.data.sources.errors import SourceError
from rsrepro.data.sources.spec import (
    ClassFolders,
    Dataset,
    HubModel,
    KarpathyCaptions,
    RemoteFile,
    Source,
    ZeroShotMat,
)

HF_DATASETS = "https://huggingface.co/datasets"
RSICD_OPTIMAL = (
    "https://raw.githubusercontent.com/201528014227051/RSICD_optimal/fc33b4555e4baa4d2f05ff0449479c89da2eeac2"
)

UCM_CLASSES = (
    "agricultural", "airplane", "baseballdiamond", "beach", "buildings", "chaparral", "denseresidential",
    "forest", "freeway", "golfcourse", "harbor", "intersection", "mediumresidential", "mobilehomepark",
    "overpass", "parkinglot", "river", "runway", "sparseresidential", "storagetanks", "tenniscourt",
)  # fmt: skip
AID_CLASSES = (
    "Airport", "BareLand", "BaseballField", "Beach", "Bridge", "Center", "Church", "Commercial",
    "DenseResidential", "Desert", "Farmland", "Forest", "Industrial", "Meadow", "MediumResidential",
    "Mountain", "Park", "Parking", "Playground", "Pond", "Port", "RailwayStation", "Resort", "River",
    "School", "SparseResidential", "Square", "Stadium", "StorageTanks", "Viaduct",
)  # fmt: skip
NWPU_CLASSES = (
    "airplane", "airport", "baseball_diamond", "basketball_court", "beach", "bridge", "chaparral",
    "church", "circular_farmland", "cloud", "commercial_area", "dense_residential", "desert", "forest",
    "freeway", "golf_course", "ground_track_field", "harbor", "industrial_area", "intersection", "island",
    "lake", "meadow", "medium_residential", "mobile_home_park", "mountain", "overpass", "palace",
    "parking_lot", "railway", "railway_station", "rectangular_farmland", "river", "roundabout", "runway",
    "sea_ice", "ship", "snowberg", "sparse_residential", "stadium", "storage_tank", "tennis_court",
    "terrace", "thermal_power_station", "wetland",
)  # fmt: skip
# The 38 folder names as torchgeo 7ea0616 datasets/patternnet.py lists them (its docstring; the fixture
# tests/data/patternnet holds airplane/ and bridge/ of them, as PatternNet/images/<class>/<class>NNN.jpg).
PATTERNNET_CLASSES = (
    "airplane", "baseball_field", "basketball_court", "beach", "bridge", "cemetery", "chaparral",
    "christmas_tree_farm", "closed_road", "coastal_mansion", "crosswalk", "dense_residential",
    "ferry_terminal", "football_field", "forest", "freeway", "golf_course", "harbor", "intersection",
    "mobile_home_park", "nursing_home", "oil_gas_field", "oil_well", "overpass", "parking_lot",
    "parking_space", "railway", "river", "runway", "runway_marking", "shipping_yard", "solar_panel",
    "sparse_residential", "storage_tank", "swimming_pool", "tennis_court", "transformer_station",
    "wastewater_treatment_plant",
)  # fmt: skip

CLIP_RSICD_DATA = (
    "https://raw.githubusercontent.com/arampacha/CLIP-rsicd/0f3abaf052e6689d2ad46abc85bc1df497ff6734/data"
)

DATASETS: dict[str, Dataset] = {
    source.name: source
    for source in (
        Dataset(
            name="ucm",
            title="UC Merced Land Use (21 classes x 100 .tif, 256 px)",
            homepage="http://weegee.vision.ucmerced.edu/datasets/landuse.html",
            files={
                "archive": RemoteFile(
                    "UCMerced_LandUse.zip",
                    urls=(
                        f"{HF_DATASETS}/torchgeo/ucmerced/resolve/7c5ef3454d9b1cccfa7ccde0c01fc8f00a45909a/"
                        "UCMerced_LandUse.zip",
                        "http://weegee.vision.ucmerced.edu/datasets/UCMerced_LandUse.zip",
                    ),
                    checksum="md5:5b7ec56793786b6dc8a908e8854ac0e4",
                    members=UCM_CLASSES,
                )
            },
            classes=UCM_CLASSES,
            layout=ClassFolders("UCMerced_LandUse/Images", "{cls}{i:02d}", ".tif", first=0),  # agricultural00
            images=2100,
            published_size=256,
            download_bytes=332e6,
        ),
        Dataset(
            name="aid",
            title="AID (30 classes, 10,000 .jpg, 600 px)",
            homepage="https://captain-whu.github.io/AID/",
            files={
                "archive": RemoteFile(
                    "AID.zip",
                    # torchrs's Google-Drive copy (AID/<Class>/<class>_<n>.jpg); the official release is
                    # OneDrive/BaiduPan only. No checksum is published: the lock records the first copy.
                    drive_id="1cvjfe_MZJI9HXwkRgoQbSCH55qQd6Esm",
                    manual="the OneDrive/BaiduPan links on https://captain-whu.github.io/AID/ (folder "
                    "AID/<Class>/<class>_<n>.jpg; a .rar must be repacked as .zip: "
                    "`unar AID.rar && zip -r AID.zip AID`)",
                    members=AID_CLASSES,
                )
            },
            classes=AID_CLASSES,
            layout=ClassFolders("AID", "{cls}_{i}", ".jpg", first=1),  # AID/BareLand/bareland_1.jpg
            images=10000,
            published_size=600,
        ),
        Dataset(
            name="nwpu_resisc45",
            title="NWPU-RESISC45 (45 classes x 700 .jpg, 256 px)",
            homepage="https://www.escience.cn/people/JunweiHan/NWPU-RESISC45.html",
            files={
                "archive": RemoteFile(
                    "NWPU-RESISC45.zip",
                    # The official OneDrive .rar (md5 d824acb7...) repacked as zip; torchgeo moved it from
                    # torchgeo/resisc45 to isaaccorley/resisc45 (PR #2940) and pins this commit.
                    urls=(
                        f"{HF_DATASETS}/isaaccorley/resisc45/resolve/883edc0eee77b2c84225472f10f126e3ed83fa6e/"
                        "NWPU-RESISC45.zip",
                    ),
                    checksum="md5:75206b2e16446591afa88e2628744886",
                    members=NWPU_CLASSES,
                )
            },
            classes=NWPU_CLASSES,
            layout=ClassFolders("NWPU-RESISC45", "{cls}_{i:03d}", ".jpg", first=1),  # airplane_001.jpg
            images=31500,
            published_size=256,
            download_bytes=427_389_445,
            standin_per_class=6,  # its 10 % ratio needs ten images for one training image per class
        ),
        Dataset(
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
                    members=("dataset_RSITMD.json",),
                )
            },
            layout=KarpathyCaptions(
                "dataset_RSITMD.json", "raw", ".tif", images="RSITMD/images", json_folder="RSITMD"
            ),
            images=4743,
            published_size=256,
            official_train=4291,
        ),
        Dataset(
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
                    # A plain git blob in RSICD_optimal (only *.rar / *.zip go to LFS there), so its git blob
                    # id is a published checksum; torchrs's Drive copy is accepted only if identical.
                    urls=(f"{RSICD_OPTIMAL}/dataset_rsicd.json",),
                    drive_id="1q8EcBWuCbvtTnMILE60WOhd9S0C4rsfT",
                    checksum="gitblob:26191a073741a67dfe3c1a03ffc90d8002c496ad",
                    manual="the RSICD bundle on Baidu (http://pan.baidu.com/s/1bp71tE3) or MEGA (links in "
                    "201528014227051/RSICD_optimal README), or the SWAN bundle (jaychempan/SWAN README); "
                    "the JSON itself or an archive holding it (annotations_rsicd.rar repacked as zip)",
                    plain=True,
                ),
            },
            layout=KarpathyCaptions(
                "dataset_rsicd.json",
                "tokens",
                ".jpg",
                images="RSICD_images",
                images_key="images",
                json_key="captions",
                scene_less=True,
            ),
            images=10921,
            published_size=224,
            download_bytes=484_955_574,
            official_train=9828,
        ),
        Dataset(
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
                    members=(
                        *(f"{k}_images.mat" for k in (61, 52, 43)),
                        *(f"ann_attr_finetune_{k}_splits.mat" for k in (61, 52, 43)),
                        "attri_group_3.json",
                    ),
                )
            },
            n_classes=70,
            layout=ZeroShotMat(attributes=98),  # attri_dim of the released code
            images=56000,
            published_size=256,
        ),
        # Beyond the papers: no paper preset runs it; list it under a paper's datasets in an overlay.
        Dataset(
            name="patternnet",
            title="PatternNet (38 classes x 800 .jpg, 256 px)",
            homepage="https://sites.google.com/view/zhouwx/dataset",
            files={
                "archive": RemoteFile(
                    "PatternNet.zip",
                    # torchgeo's pinned Hugging Face copy and its md5 (7ea0616, datasets/patternnet.py).
                    urls=(
                        f"{HF_DATASETS}/torchgeo/PatternNet/resolve/2dbd901b00e301967a5c5146b25454f5d3455ad0/"
                        "PatternNet.zip",
                    ),
                    checksum="md5:96d54b3224c5350a98d55d5a7e6984ad",
                    manual="the Google Drive link on https://sites.google.com/view/zhouwx/dataset (a zip "
                    "holding PatternNet/images/<class>/<class>NNN.jpg)",
                    members=PATTERNNET_CLASSES,
                )
            },
            classes=PATTERNNET_CLASSES,
            layout=ClassFolders("PatternNet/images", "{cls}{i:03d}", ".jpg", first=1),  # airplane001.jpg
            images=30400,
            published_size=256,
            download_bytes=1.43e9,  # the file listing of the pinned commit on Hugging Face
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
                        "https://huggingface.co/stanfordnlp/glove/resolve/1db2080b2d94def6e5b0386a523102f9d8849e9d/"
                        "glove.840B.300d.zip",
                    ),
                    members=("glove.840B.300d.txt",),
                )
            },
            download_bytes=2.0e9,
        ),
        Source(
            name="clip_rsicd_split",
            title="clip-rsicd's training and validation image lists (arampacha/CLIP-rsicd data/)",
            homepage="https://github.com/arampacha/CLIP-rsicd",
            # What clip-rsicd saw: the baselines check the test sets against it (contamination).
            files={
                key: RemoteFile(
                    f"textaug_{key}_rsicd.jsonl",
                    urls=(f"{CLIP_RSICD_DATA}/textaug_{key}_rsicd.jsonl",),
                    checksum=f"gitblob:{blob}",
                )
                for key, blob in (
                    ("train", "f08d69b64c9d7fe16975b9e9ef08619deb4a9051"),
                    ("valid", "ea8c3bac5eb3c293cd31d87326f54097001e118b"),
                )
            },
        ),
    )
}

# DSVA's backbones, fetched with huggingface_hub, pinned to the head commits of their main branches.
CLIP_MODELS = {
    "clip_rsicd": HubModel(
        "flax-community/clip-rsicd", "8357af47297adf43a37a88e424a7cfffc04ec95c", download_bytes=605e6
    ),
    "clip_rsicd_v2": HubModel("flax-community/clip-rsicd-v2", "fbe163da0609a2f185c22bb3af7b54ebad5a1800"),
}

SOURCES: dict[str, Source] = {**DATASETS, **PRETRAINED}


def get_source(name: str) -> Source:
    if name not in SOURCES:
        raise SourceError(f"unknown source {name!r}; known: {', '.join(SOURCES)}")
    return SOURCES[name]
