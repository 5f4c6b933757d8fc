"""rsrepro's faithful SWAN against the released code (jaychempan/SWAN @1c3b217) on the same weights.

``tests/golden/swan_golden.npz`` holds the released code's outputs, written by
``tests/golden/make_swan_golden.py`` (see it for how to regenerate); the weights and the large inputs are
rebuilt here from seeds (``tests/golden/swan_seeds.py``), so these tests need neither the released code
nor any weights file. Unit-scale outputs must agree to 1e-5, the loss to 1e-5 relative. The corrected
variant must differ where its readings do (the table in :mod:`rsrepro.models.swan`).
"""

from __future__ import annotations

import copy
import json
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch

from rsrepro.data.sources.converters.karpathy import scene_of
from rsrepro.metrics.retrieval import image_to_text_ranks, metrics_from_similarity, text_to_image_ranks
from rsrepro.models.swan import SWAN, init_embeddings, swan_paper
from rsrepro.pretrained.glove import glove_subset
from rsrepro.swan.data import CaptionSet, pad_tokens
from rsrepro.swan.encode import encode_captions
from rsrepro.swan.train import train_step
from tests.golden.swan_seeds import (
    RELEASED_COMMIT,
    SEEDS,
    backbone_feature_shapes,
    released_state,
    rsrepro_name,
    rsrepro_state,
    seeded_images,
    seeded_inputs,
    shard_images,
)

GOLDEN = Path(__file__).parent / "golden" / "swan_golden.npz"
ATOL = 1e-5
# One thread, as the fixture was written: GEMMs split over threads can round identical rows differently,
# and exact ties of identical images are part of what is checked.
torch.set_num_threads(1)


@pytest.fixture(scope="module")
def golden() -> dict[str, np.ndarray]:
    with np.load(GOLDEN) as npz:
        data = dict(npz)
    assert str(data["released_commit"]) == RELEASED_COMMIT
    return data


@pytest.fixture(scope="module")
def weights(golden) -> dict[str, torch.Tensor]:
    shapes = {k: tuple(v) for k, v in json.loads(str(golden["shapes"])).items()}
    return released_state(shapes)


def build(weights: dict[str, torch.Tensor], vocab: int, faithful: bool) -> SWAN:
    with torch.device("meta"):  # no initialisation: every value comes from ``weights``
        model = swan_paper(vocab, faithful=faithful)
    model.load_state_dict(rsrepro_state(weights, model.state_dict()), assign=True)
    return model.eval()


@pytest.fixture(scope="module")
def faithful(golden, weights) -> SWAN:
    return build(weights, int(golden["vocab"]), True)


@pytest.fixture(scope="module")
def corrected(golden, weights) -> SWAN:
    return build(weights, int(golden["vocab"]), False)


def tensor(golden, key: str) -> torch.Tensor:
    return torch.from_numpy(golden[key])


def close(ours: torch.Tensor, released: np.ndarray, atol: float = ATOL) -> bool:
    return torch.allclose(ours.double(), torch.from_numpy(np.asarray(released)).double(), rtol=0, atol=atol)


def test_seeded_weights_and_inputs_are_the_fixtures(golden, weights):
    sums = np.array([float(v.double().abs().sum()) for v in weights.values()])
    np.testing.assert_allclose(sums, golden["weights_checksum"], rtol=1e-9)
    features = seeded_inputs(SEEDS["image"], *backbone_feature_shapes(2))
    sums = [float(t.double().sum()) for t in features]
    np.testing.assert_allclose(sums, golden["image_checksum"], rtol=1e-9)
    assert float(shard_images().double().sum()) == pytest.approx(float(golden["shard_checksum"]), rel=1e-9)


def test_text_encoder_with_tcge(golden, faithful, corrected):
    tokens, lengths = tensor(golden, "text_tokens"), tensor(golden, "text_lengths")
    with torch.no_grad():
        assert close(faithful.text(tokens, lengths), golden["text_emb"])
        # corrected: true division and a padding mask in the gated attention, masked batch norm, JRU used
        assert not close(corrected.text(tokens, lengths), golden["text_emb"], 1e-3)


def test_image_side_after_the_backbone(golden, faithful, corrected):
    stem, l2, l3, l4 = seeded_inputs(SEEDS["image"], *backbone_feature_shapes(2))
    image = faithful.image
    with torch.no_grad():
        assert close(image.sfgs(image.filter(stem)), golden["image_local"])
        assert close(image.vmsf(l2, l3, l4), golden["image_global"])
        assert close(image.embed_features(stem, l2, l3, l4), golden["image_emb"])
        # corrected weighs every element of SFGS's W, not each token by its mean weight
        assert not close(corrected.image.sfgs(corrected.image.filter(stem)), golden["image_local"], 1e-2)


def test_full_model_similarities(golden, faithful):
    images = seeded_images(SEEDS["full"], 3)
    with torch.no_grad():
        image, text = faithful(images, tensor(golden, "full_tokens"), tensor(golden, "full_lengths"))
    assert close(image @ text.T, golden["full_sims"])


def shard_test_set(golden) -> tuple[CaptionSet, np.ndarray]:
    # a blank caption is length 1, token 0 in the released loader (rsrepro's faithful Vocabulary.encode)
    tokens = [t or [0] for t in json.loads(str(golden["shard_captions"]))]
    files = golden["shard_files"]
    owner = np.repeat(np.arange(len(files)), 5)
    return CaptionSet(np.arange(len(files)), tokens, owner), np.array([scene_of(f) for f in files])


@pytest.fixture(scope="module")
def shard_sims(golden, faithful) -> torch.Tensor:
    """The encode-once test pass: every image once, every caption once, padded per released shard."""
    captions, _ = shard_test_set(golden)
    with torch.no_grad():
        images = faithful.image(shard_images())
    texts = encode_captions(faithful, captions, torch.device("cpu"), 5, int(golden["shard_size"]))
    return images @ texts.T


def test_encode_once_equals_shard_dis_swan(golden, shard_sims, corrected):
    assert close(shard_sims, golden["shard_sims"])
    # corrected pads as it likes: the shard size changes nothing there
    captions, _ = shard_test_set(golden)
    shard, cpu = int(golden["shard_size"]), torch.device("cpu")
    by_shard = [encode_captions(corrected, captions, cpu, 7, size) for size in (shard, 30)]
    assert torch.allclose(*by_shard, atol=1e-6)


def test_metrics_and_ties_as_released(golden, shard_sims):
    if not np.array_equal(np.argsort(golden["argsort_probe"])[::-1], golden["argsort_probe_order"]):
        pytest.skip("numpy on this machine orders ties unlike the machine that wrote the fixture")
    captions, scenes = shard_test_set(golden)
    owner = torch.from_numpy(captions.caption_image)
    i2t, i2t_tied = image_to_text_ranks(shard_sims, owner, "numpy")
    t2i, t2i_tied = text_to_image_ranks(shard_sims, owner, "numpy")
    assert i2t.tolist() == golden["shard_i2t_ranks"].tolist()
    assert t2i.tolist() == golden["shard_t2i_ranks"].tolist()
    # image 4 repeats image 1; image 1's captions repeat image 0's
    assert t2i_tied.sum() == 10 and i2t_tied[:2].all()
    m = metrics_from_similarity(shard_sims, owner, scenes, ties="numpy")
    names = ("R@1", "R@5", "R@10", "medr", "meanr")
    assert [m[f"i2t_{n}"] for n in names] == pytest.approx(golden["shard_i2t"].tolist())
    assert [m[f"t2i_{n}"] for n in names] == pytest.approx(golden["shard_t2i"].tolist())
    assert [m[f"i2t_srr@{r}"] for r in (1, 5, 10)] == pytest.approx(golden["shard_i2t_srr"].tolist())
    assert [m[f"t2i_srr@{r}"] for r in (1, 5, 10)] == pytest.approx(golden["shard_t2i_srr"].tolist())
    # corrected counts each tie against the query
    pessimistic, _ = text_to_image_ranks(shard_sims, owner, "pessimistic")
    assert (pessimistic >= t2i).all() and (pessimistic > t2i).any()


def test_one_training_step(golden, faithful):
    model = copy.deepcopy(faithful)
    for module in model.modules():  # the fixture's step ran without dropout: its masks are random draws
        if isinstance(module, torch.nn.Dropout):
            module.p = 0.0
    model.train()
    optimizer = torch.optim.Adam(model.trainable_parameters(), lr=2e-4)
    captions = json.loads(str(golden["train_captions"]))
    images = seeded_images(SEEDS["train"], len(captions))
    assert float(images.double().sum()) == pytest.approx(float(golden["train_checksum"]), rel=1e-9)
    tokens, lengths = pad_tokens([t or [0] for t in captions])
    cfg = {"margin": 0.2, "max_violation": False, "amp": False}
    loss = train_step(model, optimizer, images, tokens, lengths, cfg)
    assert loss == pytest.approx(float(golden["train_loss"]), rel=1e-5)
    params = dict(model.named_parameters())
    names, norms = golden["train_grad_names"].tolist(), golden["train_grad_norms"].tolist()
    released = dict(zip(names, norms, strict=True))
    # A gradient zero in exact arithmetic (a bias before a batch norm) is a sum of cancelling terms: noise
    # up to ~1e-8 here; so norms agree to 1e-4 relative above a floor of 1e-6 of the largest.
    floor = 1e-6 * max(released.values())
    for name, norm in released.items():
        ours = rsrepro_name(name)
        grad = params[ours].grad if ours is not None else None
        assert (0.0 if grad is None else float(grad.norm())) == pytest.approx(norm, rel=1e-4, abs=floor), name
    assert close(model.image.backbone.bn1.running_mean, golden["train_bn1_running_mean"])


def test_glove_init_as_released(golden, tmp_path):
    words, table = golden["glove_words"].tolist(), golden["glove_table"].tolist()
    vectors = golden["glove_vectors"]
    archive = tmp_path / "glove.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        lines = (" ".join([w, *map(repr, v.tolist())]) for w, v in zip(table, vectors, strict=True))
        zf.writestr("glove.840B.300d.txt", "\n".join(lines) + "\n")
    rows, found = glove_subset(archive, ["", *words])
    np.savez(tmp_path / "v.npz", words=np.array(["", *words]), vectors=rows, found=found)
    embedding = torch.nn.Embedding(len(words) + 1, vectors.shape[1])
    before = embedding.weight.detach().clone()
    assert init_embeddings(embedding, tuple(words), tmp_path / "v.npz") == sum(golden["glove_row"] >= 0)
    for index, source in enumerate(golden["glove_row"].tolist()):
        expected = before[index] if source < 0 else torch.from_numpy(vectors[source])
        assert torch.equal(embedding.weight[index].detach(), expected), words[index - 1] if index else "row 0"
