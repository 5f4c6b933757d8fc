"""Write ``tests/golden/swan_golden.npz``: the released SWAN code's outputs on seeded weights and inputs.

    git clone https://github.com/jaychempan/SWAN /tmp/SWAN && git -C /tmp/SWAN checkout 1c3b217  # no licence
    pip install --target /tmp/swan-extra nltk seaborn openpyxl     # what the released modules import
    PYTHONPATH=src:/tmp/swan-extra python tests/golden/make_swan_golden.py /tmp/SWAN

The released code is imported from the given checkout (which must be commit 1c3b217, unmodified) and run
as it is, on the CPU: it calls ``.cuda(gpuid)`` on tensors unconditionally and ``torch.cuda.synchronize``
in its training loop, so those two become no-ops here (device placement only; no numerics change).
Modules it imports that cannot be installed are stubbed: ``torchtext`` (its ``GloVe()`` replaced by a
small table of vectors that exercises the released init's spelling fallbacks) and ``tensorboard_logger``.
Every released parameter and buffer is given a value by :func:`tests.golden.swan_seeds.seeded_tensor`;
the fixture stores the names and shapes, the small inputs and the released outputs of:

- ``text_*``: the text encoder with TCGE (eval mode) on captions of mixed lengths;
- ``image_*``: the image side after the backbone (SFGS, VMSF, aggregation) on seeded feature maps;
- ``full_*``: the whole model's similarities for a few images and captions;
- ``shard_*``: ``shard_dis_SWAN`` on a tiny test set, fed as ``engine.test`` feeds it (the loader's
  ``collate_fn``, 47-token caption rows), then ``acc_i2t`` / ``acc_t2i`` and ``srr_i2t`` / ``srr_t2i``;
- ``train_*``: one ``engine.train`` step (dropout off on both sides: its masks are random draws): the
  loss, every parameter's gradient norm, the frozen backbone's drifted batch-norm statistics;
- ``glove_*``: which embedding rows the released init takes from which vector.

It then runs rsrepro's faithful model on the same weights and prints the largest differences, which the
golden tests (tests/test_swan_golden.py) assert from the fixture alone.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import types
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader

REPO = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(REPO), str(REPO / "src")]

from tests.golden.swan_seeds import (  # noqa: E402
    IMAGE_SIZE,
    RELEASED_COMMIT,
    SEEDS,
    SHARD_IMAGES,
    backbone_feature_shapes,
    released_state,
    rsrepro_state,
    seeded_images,
    seeded_inputs,
    shard_images,
)

OUT = Path(__file__).with_name("swan_golden.npz")
VOCAB = 60  # token ids of the golden captions (the released embedding has 8590 rows regardless)
SHARD = 10  # --shard_size of the golden test pass: three caption shards of 30 captions

# captions as token ids; 0-length ones are blank captions (the loader makes them length 1, token 0)
TEXT_LENGTHS = [1, 2, 5, 9, 13, 3]
FULL_LENGTHS = [4, 1, 11, 7, 2]
TRAIN_LENGTHS = [6, 0, 9, 3, 12, 4]
# the tiny test set (swan_seeds.shard_images: image 4 repeats image 1, so every caption ties in t2i), 5
# captions each, in shards of 10 captions whose longest captions differ (7, 8, 12). Ties in i2t: image 1's
# captions repeat image 0's, in one shard (one batch: exact ties; the same caption in two shards ties only
# up to float noise, in the released code too); captions 11 and 16 (images 2, 3) are blank. One numeric
# file name (the released scene "noneclass").
SHARD_FILES = ["airport_1.jpg", "beach_2.jpg", "00031.jpg", "airport_4.jpg", "beach_9.jpg", "00007.jpg"]
assert len(SHARD_FILES) == SHARD_IMAGES
SHARD_LENGTHS = [3, 7, 4, 2, 5, 3, 7, 4, 2, 5, 8, 0, 3, 4, 4, 6, 0, 3, 5, 3, 2, 12, 4, 6, 5, 3, 7, 8, 2, 5]
SHARD_REPEATS = {5: 0, 6: 1, 7: 2, 8: 3, 9: 4}

# GloVe init: vocabulary words and the stub GloVe's table (exact hits win over the fallback spelling)
GLOVE_WORDS = ["field", "side-by-side", "air-port", "u.s.", "o'clock", "road/street", "lane/path",
               "tarmac", "<unk>"]  # fmt: skip
GLOVE_TABLE = ["field", "sidebyside", "airport", "air-port", "us", "oclock", "road", "lane/path", "lane"]


def check_checkout(path: Path) -> None:
    head = subprocess.run(["git", "-C", path, "rev-parse", "HEAD"], capture_output=True, text=True)
    if head.stdout.strip() != RELEASED_COMMIT:
        sys.exit(f"{path}: HEAD is {head.stdout.strip() or head.stderr.strip()}, expected {RELEASED_COMMIT}")
    status = subprocess.run(["git", "-C", path, "status", "--porcelain", "--untracked-files=no"],
                            capture_output=True, text=True, check=True).stdout  # fmt: skip
    if status:
        sys.exit(f"{path}: the released code has local changes:\n{status}")


def import_released(path: Path, glove_vectors: torch.Tensor) -> types.SimpleNamespace:
    class StubGloVe:
        def __init__(self) -> None:
            self.stoi = {w: i for i, w in enumerate(GLOVE_TABLE)}
            self.vectors = glove_vectors

    sys.modules["torchtext"] = types.ModuleType("torchtext")
    sys.modules["torchtext.vocab"] = types.SimpleNamespace(GloVe=StubGloVe)
    sys.modules["torchtext"].vocab = sys.modules["torchtext.vocab"]
    sys.modules["tensorboard_logger"] = types.SimpleNamespace(log_value=lambda *a, **k: None)
    torch.Tensor.cuda = lambda self, *args, **kwargs: self
    torch.cuda.synchronize = lambda *args, **kwargs: None
    sys.path.insert(0, str(path))
    import data as released_data
    import engine
    import utils
    from layers import SWAN as released_model
    from layers.resnet import Bottleneck, ResNet

    return types.SimpleNamespace(
        model=released_model, data=released_data, engine=engine, utils=utils, resnet=(ResNet, Bottleneck)
    )


def released_args(work: Path) -> argparse.Namespace:
    """What train.py / test_single.py parse, for the options the model, engine and utils read."""
    return argparse.Namespace(
        embed_dim=512, word_dim=300, num_layers=1, use_bidirectional_rnn=True, is_finetune=False, gpuid=0,
        resnet_ckpt=str(work / "resnet50-seeded.pth"), shard_size=SHARD, il_measure=False, margin=0.2,
        max_violation=False, grad_clip=0.0, print_freq=10, distributed=False, rank=0,
        ckpt_save_path=f"{work}/", model_name="SWAN", data_name="golden",
    )  # fmt: skip


def token_lists(lengths: list[int], seed: int) -> list[list[int]]:
    generator = torch.Generator().manual_seed(seed)
    return [torch.randint(1, VOCAB, (n,), generator=generator).tolist() for n in lengths]


def padded(lists: list[list[int]]) -> tuple[torch.Tensor, list[int]]:
    """Token rows padded to the longest, and lengths, as the released collate_fn makes them."""
    lengths = [max(len(t), 1) for t in lists]
    tokens = torch.zeros(len(lists), max(lengths), dtype=torch.long)
    for row, t in enumerate(lists):
        tokens[row, : len(t)] = torch.tensor(t, dtype=torch.long)
    return tokens, lengths


def no_dropout(model: torch.nn.Module) -> None:
    for module in model.modules():
        if isinstance(module, torch.nn.Dropout):
            module.p = 0.0


class PairSet(torch.utils.data.Dataset):
    """(image, caption) items in the layout the released ``collate_fn`` takes."""

    def __init__(self, images: torch.Tensor, captions: list[list[int]], per_image: int) -> None:
        self.images, self.captions, self.per_image = images, captions, per_image

    def __len__(self) -> int:
        return len(self.captions)

    def __getitem__(self, index: int):
        caption = self.captions[index]
        image = self.images[index // self.per_image]
        return image, torch.tensor(caption, dtype=torch.long), caption, index, index // self.per_image


def shard_captions() -> list[list[int]]:
    captions = token_lists(SHARD_LENGTHS, SEEDS["shard"])
    for copy, original in SHARD_REPEATS.items():
        captions[copy] = list(captions[original])
        assert SHARD_LENGTHS[copy] == SHARD_LENGTHS[original]
    return captions


def released_test_inputs(released, captions: list[list[int]]) -> tuple[np.ndarray, np.ndarray, list[int]]:
    """What ``engine.test`` hands ``shard_dis_SWAN``, at 64 px (its own buffers are 256 px): the test
    loader's batches (the released ``collate_fn``) copied into 47-token caption rows, their lengths, and
    one image per 5 captions."""
    loader = DataLoader(PairSet(shard_images(), captions, 5), batch_size=7,
                        collate_fn=released.data.collate_fn)  # fmt: skip
    images = np.zeros((len(captions), 3, IMAGE_SIZE, IMAGE_SIZE))
    text, lengths = np.zeros((len(captions), 47), dtype=np.int64), [0] * len(captions)
    for batch_images, batch_text, batch_lengths, ids in loader:
        for i, image, row, length in zip(
            ids, batch_images.numpy(), batch_text.numpy(), batch_lengths, strict=True
        ):
            images[i], text[i, : len(row)], lengths[i] = image, row, length
    return images[::5], text, lengths


def generate(path: Path) -> dict[str, np.ndarray]:
    glove_vectors = torch.randn(len(GLOVE_TABLE), 300, generator=torch.Generator().manual_seed(6))
    released = import_released(path, glove_vectors)
    work = Path(tempfile.mkdtemp(prefix="swan-golden-"))
    args = released_args(work)
    ResNet, Bottleneck = released.resnet
    resnet = ResNet(Bottleneck, [3, 4, 6, 3], num_classes=30)
    torch.save(released_state({k: v.shape for k, v in resnet.state_dict().items()}), args.resnet_ckpt)
    word2idx = {w: i for i, w in enumerate(GLOVE_WORDS, start=1)}

    torch.manual_seed(0)
    model = released.model.SWAN(args, word2idx)
    init_rows = model.text_encoder.embed.weight.detach()[: len(GLOVE_WORDS) + 1].clone()
    glove_row = [next((g for g in range(len(GLOVE_TABLE)) if torch.equal(row, glove_vectors[g])), -1)
                 for row in init_rows]  # fmt: skip
    shapes = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    weights = released_state(shapes)
    model.load_state_dict(weights)
    out: dict[str, np.ndarray] = {
        "released_commit": np.array(RELEASED_COMMIT),
        "shapes": np.array(json.dumps(shapes)),
        "weights_checksum": np.array([float(v.double().abs().sum()) for v in weights.values()]),
        "vocab": np.array(VOCAB),
        "shard_size": np.array(SHARD),
        "glove_words": np.array(GLOVE_WORDS),
        "glove_table": np.array(GLOVE_TABLE),
        "glove_vectors": glove_vectors.numpy(),
        "glove_row": np.array(glove_row),
    }

    model.eval()
    with torch.no_grad():
        tokens, lengths = padded(token_lists(TEXT_LENGTHS, SEEDS["text"]))
        text = model.tcge(model.text_encoder(tokens, lengths), lengths)
        out |= {"text_tokens": tokens.numpy(), "text_lengths": np.array(lengths), "text_emb": text.numpy()}

        stem, l2, l3, l4 = seeded_inputs(SEEDS["image"], *backbone_feature_shapes(2))
        v_local = model.sfgs(model.image_encoder.conv_filter(stem))
        v_global = model.image_encoder.vmsf((l2, l3, l4))
        out |= {"image_checksum": np.array([float(t.double().sum()) for t in (stem, l2, l3, l4)]),
                "image_local": v_local.numpy(), "image_global": v_global.numpy(),
                "image_emb": model.agg(v_local, v_global).numpy()}  # fmt: skip

        images = seeded_images(SEEDS["full"], 3)
        tokens, lengths = padded(token_lists(FULL_LENGTHS, SEEDS["full"]))
        out |= {"full_tokens": tokens.numpy(), "full_lengths": np.array(lengths),
                "full_sims": model(images, tokens, lengths).numpy()}  # fmt: skip

    captions = shard_captions()
    images, text, lengths = released_test_inputs(released, captions)
    d = released.utils.shard_dis_SWAN(args, images, text, model, lengths)
    (i2t, (i2t_ranks, _)), (t2i, (t2i_ranks, _)) = released.utils.acc_i2t(d), released.utils.acc_t2i(d)
    classes = released.utils.cal_class_idxs(
        released.utils.gen_class_from_list([f for f in SHARD_FILES for _ in range(5)])
    )
    rs = (1, 5, 10)
    probe = np.array([3.0, 1.0, 3.0, 2.0, 3.0, 1.0, 3.0, 3.0, 2.0, 1.0, 3.0])
    out |= {
        "shard_captions": np.array(json.dumps(captions)), "shard_files": np.array(SHARD_FILES),
        "shard_checksum": np.array(float(shard_images().double().sum())), "shard_sims": d,
        "shard_i2t": np.array(i2t), "shard_t2i": np.array(t2i),
        "shard_i2t_ranks": i2t_ranks, "shard_t2i_ranks": t2i_ranks,
        "shard_i2t_srr": np.array([released.utils.srr_i2t(d, classes, r) for r in rs]),
        "shard_t2i_srr": np.array([released.utils.srr_t2i(d, classes, r) for r in rs]),
        # this machine's numpy order of ties: the tie-dependent figures hold where numpy agrees
        "argsort_probe": probe, "argsort_probe_order": np.argsort(probe)[::-1].copy(),
    }  # fmt: skip

    model.load_state_dict(weights)
    no_dropout(model)
    optimizer = torch.optim.Adam(filter(lambda p: p.requires_grad, model.parameters()), lr=2e-4)
    images = seeded_images(SEEDS["train"], len(TRAIN_LENGTHS))
    captions = token_lists(TRAIN_LENGTHS, SEEDS["train"])
    loader = DataLoader(PairSet(images, captions, 1), batch_size=len(captions),
                        collate_fn=released.data.collate_fn)  # fmt: skip
    released.engine.train(args, loader, model, optimizer, 0)
    grads = {n: float(p.grad.norm()) if p.grad is not None else 0.0 for n, p in model.named_parameters()}
    out |= {
        "train_checksum": np.array(float(images.double().sum())),
        "train_captions": np.array(json.dumps(captions)),
        "train_loss": np.array(float(model.logger.meters["Loss"].val)),
        "train_grad_names": np.array(list(grads)), "train_grad_norms": np.array(list(grads.values())),
        "train_bn1_running_mean": model.image_encoder.resnet.bn1.running_mean.numpy().copy(),
    }  # fmt: skip
    return out


def compare_with_rsrepro(golden: dict[str, np.ndarray]) -> None:
    """Print rsrepro faithful's largest differences from the released outputs (the tests assert them)."""
    from rsrepro.models.swan import swan_paper

    model = swan_paper(VOCAB, faithful=True)
    shapes = {k: tuple(v) for k, v in json.loads(str(golden["shapes"])).items()}
    model.load_state_dict(rsrepro_state(released_state(shapes), model.state_dict()))
    model.eval()
    with torch.no_grad():
        text = model.text(torch.from_numpy(golden["text_tokens"]), torch.from_numpy(golden["text_lengths"]))
        features = seeded_inputs(SEEDS["image"], *backbone_feature_shapes(2))
        image = model.image.embed_features(*features)
    print("text  max |diff|", float((text - torch.from_numpy(golden["text_emb"])).abs().max()))
    print("image max |diff|", float((image - torch.from_numpy(golden["image_emb"])).abs().max()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("released", type=Path, help="a checkout of jaychempan/SWAN at commit 1c3b217")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    check_checkout(args.released)
    torch.set_num_threads(1)  # GEMMs split over threads can give identical rows different roundings
    golden = generate(args.released.resolve())
    np.savez_compressed(args.out, **golden)
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e3:.0f} kB)")
    compare_with_rsrepro(golden)


if __name__ == "__main__":
    main()
