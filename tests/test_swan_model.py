"""SWAN's model: shapes, the faithful quirks are real, the corrected fixes work, weight loading."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torchvision.transforms import InterpolationMode
from torchvision.transforms import functional as TF

from rsrepro.errors import RsreproError
from rsrepro.models.swan import init_embeddings, load_backbone_weights, swan_embedded, swan_paper
from rsrepro.swan.data import pad_tokens
from rsrepro.swan.train import hinge_triplet_loss, image_pipeline, learning_rate
from rsrepro.training import augment

torch.set_num_threads(1)
VOCAB = 40


def tiny(faithful: bool, **overrides) -> torch.nn.Module:
    torch.manual_seed(0)
    return swan_embedded(VOCAB, faithful=faithful, embed_dim=32, word_dim=16, **overrides)


def captions(seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    lists = [torch.randint(1, VOCAB, (n,), generator=g).tolist() for n in (5, 3, 7, 4, 6, 2)]
    return pad_tokens(lists)


def test_embeddings_are_normalised():
    model = tiny(True)
    images, text = model(torch.rand(4, 3, 64, 64), *captions())
    assert images.shape == (4, 32) and text.shape == (6, 32)
    assert torch.allclose(images.norm(dim=1), torch.ones(4)) and torch.allclose(
        text.norm(dim=1), torch.ones(6)
    )


@pytest.mark.parametrize("faithful", [True, False])
def test_gated_attention_learns_only_when_corrected(faithful):
    model = tiny(faithful).train()
    tokens, lengths = captions()
    model.text(tokens, lengths).sum().backward()
    ga = model.text.ga
    gate_path = (ga.q_proj, ga.k_proj, ga.fc_q, ga.fc_k, ga.fc_g)
    grads = [p.grad for layer in gate_path for p in layer.parameters()]
    total = sum(0.0 if g is None else g.abs().sum().item() for g in grads)
    assert (total == 0.0) == faithful
    assert ga.v_proj.weight.grad.abs().sum() > 0  # the value path learns in both


@pytest.mark.parametrize("faithful", [True, False])
def test_phrase_branch_reaches_output_only_when_corrected(faithful):
    model = tiny(faithful).train()
    model.text(*captions()).sum().backward()
    grad = model.text.phrases[0].conv.weight.grad
    assert (grad is None or grad.abs().sum().item() == 0.0) == faithful


@pytest.mark.parametrize("faithful", [True, False])
@pytest.mark.parametrize("mode", ["train", "eval"])
def test_text_depends_on_batch_padding_only_when_faithful(faithful, mode):
    tokens, lengths = captions()
    padded = torch.nn.functional.pad(tokens, (0, 9))  # the same captions in a batch with a longer one
    model = getattr(tiny(faithful), mode)()
    for module in model.modules():  # train mode without dropout noise: batch norm uses batch statistics
        if isinstance(module, torch.nn.Dropout):
            module.p = 0.0
    same = torch.allclose(model.text(tokens, lengths), model.text(padded, lengths), atol=1e-5)
    assert same != faithful


@pytest.mark.parametrize("faithful", [True, False])
def test_sfgs_feed_forward_drops_out_only_when_corrected(faithful):
    ffn = tiny(faithful).image.sfgs.wsa.ffn.train()  # the released FeedForward has dropout 0
    x = torch.randn(2, 5, 32)
    assert torch.equal(ffn(x), ffn(x)) == faithful


def test_rotation_is_torchvisions():
    x = torch.rand(2, 3, 32, 32)
    modes = {"nearest": InterpolationMode.NEAREST, "bilinear": InterpolationMode.BILINEAR}
    for angle in (12.5, 45.0, 80.0):
        for mode, interpolation in modes.items():
            ours = augment.rotate(x, torch.tensor([angle, angle]), mode)
            assert torch.allclose(ours, TF.rotate(x, angle, interpolation), atol=1e-5), (angle, mode)


@pytest.mark.parametrize(("variant", "nearest"), [("faithful", True), ("corrected", False)])
def test_training_rotation_interpolates_nearest_only_when_faithful(variant, nearest):
    cfg = {"resize": 32, "crop": 32, "max_rotation": 90}  # no resize, a crop of the whole image
    images = np.random.default_rng(0).integers(0, 256, (2, 32, 32, 3), dtype=np.uint8)
    x = image_pipeline(cfg, torch.device("cpu"), variant).train(images, np.arange(2), torch.Generator())
    mean, std = (torch.tensor(v).view(3, 1, 1) for v in (augment.IMAGENET_MEAN, augment.IMAGENET_STD))
    levels = 255 * (x * std + mean)
    assert torch.allclose(levels, levels.round(), atol=1e-3) == nearest  # nearest keeps the uint8 levels


def test_faithful_eval_widths_stand_for_the_padding():
    model = tiny(True).eval()
    tokens, lengths = captions()
    padded = torch.nn.functional.pad(tokens, (0, 5))
    with torch.no_grad():
        as_padded = model.text(padded, lengths)
        given_width = model.text(tokens, lengths, torch.full_like(lengths, padded.shape[1]))
        assert torch.allclose(as_padded, given_width, atol=1e-6)
        assert not torch.allclose(as_padded, model.text(tokens, lengths), atol=1e-4)
    with pytest.raises(ValueError, match="eval mode only"):
        model.train().text(tokens, lengths, lengths)


def test_short_batches_work_when_corrected():
    tokens, lengths = pad_tokens([[1, 2], [3]])
    assert tiny(False).eval().text(tokens, lengths).shape == (2, 32)


@pytest.mark.parametrize("faithful", [True, False])
def test_frozen_backbone_batch_norm_drifts_only_when_faithful(faithful):
    model = tiny(faithful, train_backbone=False).train()
    before = model.image.backbone.bn1.running_mean.clone()
    model.image(torch.rand(4, 3, 64, 64) + 1)
    changed = not torch.equal(before, model.image.backbone.bn1.running_mean)
    assert changed == faithful
    assert all(not p.requires_grad for p in model.image.backbone.parameters())


def test_init_embeddings_from_text_and_npz(tmp_path):
    emb = torch.nn.Embedding(4, 3)
    random_rows = emb.weight.detach().clone()
    words = ("field", "road", "<unk>")
    (tmp_path / "v.txt").write_text("road 1 2 3\nother 9 9 9\nfield 4 5 6\n")
    assert init_embeddings(emb, words, tmp_path / "v.txt") == 2
    assert emb.weight[1].tolist() == [4, 5, 6] and emb.weight[2].tolist() == [1, 2, 3]
    # the swan_word_vectors rule's layout: rows aligned with the vocabulary (row 0 = padding ""); a word GloVe
    # lacks (found false, a zero row there) keeps its random initialisation, as in the released code
    rows = np.array(["", "field", "road", "<unk>"])
    vectors = np.arange(12, dtype=np.float32).reshape(4, 3)
    np.savez(tmp_path / "v.npz", words=rows, vectors=vectors, found=np.array([False, True, False, False]))
    assert init_embeddings(emb, words, tmp_path / "v.npz") == 1
    assert emb.weight[1].tolist() == [3, 4, 5] and emb.weight[2].tolist() == [1, 2, 3]
    assert torch.equal(emb.weight[3], random_rows[3]) and torch.equal(emb.weight[0], random_rows[0])
    with pytest.raises(RsreproError, match="not found"):
        init_embeddings(emb, words, tmp_path / "missing.txt")


def test_backbone_weights_load_strictly(tmp_path):
    source, target = tiny(True), tiny(True)
    torch.save({"model": source.image.backbone.state_dict()}, tmp_path / "ok.pth")
    load_backbone_weights(target.image.backbone, tmp_path / "ok.pth")
    assert torch.equal(target.image.backbone.conv1.weight, source.image.backbone.conv1.weight)
    torch.save({"model": {"conv1.weight": torch.zeros(1)}}, tmp_path / "bad.pth")
    with pytest.raises(RsreproError, match="key 'model'"):
        load_backbone_weights(target.image.backbone, tmp_path / "bad.pth")


def test_hinge_loss_against_brute_force():
    g = torch.Generator().manual_seed(0)
    image = torch.nn.functional.normalize(torch.randn(5, 8, generator=g), dim=1)
    text = torch.nn.functional.normalize(torch.randn(5, 8, generator=g), dim=1)
    s = (image @ text.T).tolist()
    total, hardest = 0.0, 0.0
    for i in range(5):
        costs_c = [max(0.0, 0.2 + s[i][j] - s[i][i]) for j in range(5) if j != i]
        costs_i = [max(0.0, 0.2 + s[j][i] - s[i][i]) for j in range(5) if j != i]
        total += sum(costs_c) + sum(costs_i)
        hardest += max(costs_c) + max(costs_i)
    assert hinge_triplet_loss(image, text, 0.2, False).item() == pytest.approx(total, rel=1e-5)
    assert hinge_triplet_loss(image, text, 0.2, True).item() == pytest.approx(hardest, rel=1e-5)


def test_learning_rate_decays_at_epoch_19_39():
    cfg = {"lr": 2e-4, "lr_decay": 0.7, "lr_decay_every": 20}
    assert [learning_rate(cfg, e) for e in (0, 18, 19, 38, 39)] == pytest.approx(
        [2e-4, 2e-4, 1.4e-4, 1.4e-4, 0.98e-4]
    )


def test_paper_variant_matches_the_released_shapes():
    model = swan_paper(1350, faithful=True).eval()
    assert model.text.embed.weight.shape == (1350, 300) and model.image.sfgs.weight.shape == (128, 512)
    assert not any(p.requires_grad for p in model.image.backbone.parameters())
    assert model.image.backbone.fc.out_features == 30  # the AID-fine-tuned RSP checkpoint's head
    with torch.no_grad():
        images, text = model(torch.rand(2, 3, 256, 256), *pad_tokens([[1, 2, 3], [4, 5]]))
    assert images.shape == (2, 512) and text.shape == (2, 512)
