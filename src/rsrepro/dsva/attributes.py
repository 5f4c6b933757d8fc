"""Attribute collection: an image-text model scores images against one prompt per attribute, and the
class-attribute matrix is the per-class aggregate ("RSMM-Attributes" of the paper, no human labels).

Recipe (the released code ships only the result; this is the reading of the paper we implement):

1. prompt per attribute: ``template.format(attribute=name)`` (default "an aerial image with {attribute}");
2. score s[i, a] = cosine(image embedding i, prompt embedding a);
3. class row = mean of s over the images that feed that class (see below);
4. per attribute, min-max scaling with the minimum and maximum over the *seen* rows, applied to all
   rows. Raw CLIP cosines sit in a narrow band (~0.2-0.3) whose offset depends on the prompt more than
   on the image; scaling per attribute removes that prompt bias and puts every attribute on the 0..1
   scale the regression loss and the compatibility product assume. Fitting it on seen rows only keeps
   unseen rows from shaping the scale.

Which images feed which rows (written to ``collection.json``):

- seen class rows: the seen classes' *training* images of the split (never the GZSL seen-test images);
- unseen class rows: ``annotation_images_per_unseen_class`` images per unseen class, drawn with the
  split seed and then *removed from the unseen test set* at evaluation, so no test image describes its
  own class (0 = all unseen images, the transductive reading of the paper: CLIP scored all 70 classes);
- the embedded image-text model is trained on the seen training images and their captions only: no
  unseen-class image or caption touches any training (checked by :func:`require_seen_only`).
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from rsrepro.data.prepared import PreparedDataset
from rsrepro.dsva.images import image_batch
from rsrepro.errors import RsreproError
from rsrepro.io import atomic_dir, write_json
from rsrepro.models.dsva import ImageTextModel, image_text_model, patch_vit
from rsrepro.pretrained.clip import load_clip
from rsrepro.training.batches import index_batches
from rsrepro.training.checkpoint import load_torch, save_torch
from rsrepro.training.device import seed_everything

log = logging.getLogger(__name__)

PAD, UNK = "<pad>", "<unk>"


class LeakError(RsreproError):
    """An unseen-class image or caption was about to be used for training."""


def require_seen_only(indices: np.ndarray, class_idx: np.ndarray, unseen: Sequence[int], what: str) -> None:
    leaked = np.intersect1d(np.unique(class_idx[np.asarray(indices, dtype=np.int64)]), unseen)
    if len(leaked):
        raise LeakError(f"{what} would use images of unseen classes {leaked.tolist()}; only seen classes may")


class WordTokenizer:
    """Lower-case word tokenizer with a vocabulary fitted on training captions (0 = pad, 1 = unknown)."""

    def __init__(self, vocab: list[str], max_len: int) -> None:
        self.vocab = vocab
        self.max_len = max_len
        self.ids = {w: i for i, w in enumerate(vocab)}

    @staticmethod
    def words(text: str) -> list[str]:
        return re.findall(r"[a-z0-9]+", text.lower())

    @classmethod
    def fit(cls, texts: Sequence[str], max_len: int) -> WordTokenizer:
        vocab = sorted({w for t in texts for w in cls.words(t)})
        return cls([PAD, UNK, *vocab], max_len)

    def encode(self, texts: Sequence[str], drop_unknown: bool = False) -> torch.Tensor:
        """Token ids, padded; unknown words become <unk>, or are skipped with ``drop_unknown`` (prompts:
        a word the model never read, such as an attribute's group prefix, carries no meaning for it)."""
        out = torch.zeros(len(texts), self.max_len, dtype=torch.long)
        for i, text in enumerate(texts):
            ids = [self.ids.get(w, 1) for w in self.words(text) if not drop_unknown or w in self.ids]
            ids = ids[: self.max_len]
            out[i, : len(ids)] = torch.tensor(ids, dtype=torch.long)
        return out

    def unknown_words(self, texts: Sequence[str]) -> list[str]:
        return sorted({w for t in texts for w in self.words(t) if w not in self.ids})


def collection_rows(split: dict[str, Any], class_idx: np.ndarray, per_unseen_class: int, seed: int) -> dict:
    """Which images feed which class row, and which unseen images evaluation must then leave out."""
    rows: dict[int, list[int]] = {}
    train = np.asarray(split["train"], dtype=np.int64)
    for c in split["seen_classes"]:
        rows[int(c)] = train[class_idx[train] == c].tolist()
    rng = np.random.default_rng([seed, 7])
    test_unseen = np.asarray(split["test_unseen"], dtype=np.int64)
    excluded: list[int] = []
    for c in split["unseen_classes"]:
        members = test_unseen[class_idx[test_unseen] == c]
        if per_unseen_class > 0:
            members = np.sort(
                rng.choice(members, size=min(per_unseen_class, len(members) - 1), replace=False)
            )
            excluded += members.tolist()
        rows[int(c)] = members.tolist()
    return {"rows": rows, "eval_excluded": sorted(excluded)}


def aggregate(
    scores: np.ndarray,
    rows: dict[int, list[int]],
    index_of: dict[int, int],
    n_classes: int,
    seen: Sequence[int],
    scaling: str,
) -> np.ndarray:
    """Class-attribute matrix C x A: mean image score per class row, then per-attribute scaling fitted
    on the seen rows (``minmax``: to 0..1; ``zscore``: zero mean, unit deviation; ``none``)."""
    matrix = np.zeros((n_classes, scores.shape[1]), dtype=np.float64)
    for c, members in rows.items():
        matrix[c] = scores[[index_of[i] for i in members]].mean(0)
    seen_rows = matrix[np.asarray(seen)]
    if scaling == "minmax":
        lo, hi = seen_rows.min(0), seen_rows.max(0)
        matrix = (matrix - lo) / np.where(hi > lo, hi - lo, 1.0)
    elif scaling == "zscore":
        mu, sd = seen_rows.mean(0), seen_rows.std(0)
        matrix = (matrix - mu) / np.where(sd > 0, sd, 1.0)
    return matrix.astype(np.float32)


def agreement(collected: np.ndarray, truth: np.ndarray, seen: Sequence[int], unseen: Sequence[int]) -> dict:
    """Pearson correlation across classes per attribute (NaN where an attribute is constant)."""

    def per_attribute(rows: Sequence[int]) -> list[float]:
        a, b = collected[np.asarray(rows)], truth[np.asarray(rows)]
        a, b = a - a.mean(0), b - b.mean(0)
        den = np.sqrt((a**2).sum(0) * (b**2).sum(0))
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(den > 0, (a * b).sum(0) / den, np.nan).tolist()

    all_rows = sorted([*seen, *unseen])
    r_all = per_attribute(all_rows)
    return {
        "per_attribute_r": r_all,
        "mean_r": float(np.nanmean(r_all)),
        "mean_r_seen": float(np.nanmean(per_attribute(seen))),
        "mean_r_unseen": float(np.nanmean(per_attribute(unseen))) if len(unseen) > 2 else float("nan"),
        "overall_r": float(np.corrcoef(collected[all_rows].ravel(), truth[all_rows].ravel())[0, 1]),
        "scored_attributes": int(np.isfinite(r_all).sum()),
    }


def train_image_text(
    data: PreparedDataset,
    indices: np.ndarray,
    cfg: dict[str, Any],
    device: torch.device,
    generator: torch.Generator,
) -> tuple[ImageTextModel, WordTokenizer, list[dict[str, float]]]:
    """The embedded preset's CLIP stand-in: symmetric InfoNCE on (image, one of its captions) pairs."""
    captions = data.captions
    tokenizer = WordTokenizer.fit([c for i in indices for c in captions[i]], cfg["text"]["max_len"])
    tower = patch_vit(**tower_config(cfg))
    model = image_text_model(
        tower,
        len(tokenizer.vocab),
        cfg["text"]["max_len"],
        cfg["text"]["dim"],
        cfg["text"]["depth"],
        cfg["embed_dim"],
    ).to(device)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg["lr"], weight_decay=cfg["weight_decay"])
    history = []
    for epoch in range(cfg["epochs"]):
        model.train()
        total, n = 0.0, 0
        for batch in index_batches(
            indices, cfg["batch_size"], shuffle=True, generator=generator, drop_last=True
        ):
            pick = torch.randint(5, (len(batch),), generator=generator).tolist()
            texts = [captions[i][k % len(captions[i])] for i, k in zip(batch, pick, strict=True)]
            x = image_batch(data.images, batch, device, cfg["image"], train=True, generator=generator)
            img, txt = model.encode_image(x), model.encode_text(tokenizer.encode(texts).to(device))
            logits = model.logit_scale.exp().clamp(max=100) * img @ txt.t()
            target = torch.arange(len(batch), device=device)
            loss = (F.cross_entropy(logits, target) + F.cross_entropy(logits.t(), target)) / 2
            opt.zero_grad()
            loss.backward()
            opt.step()
            total, n = total + loss.item() * len(batch), n + len(batch)
        history.append({"epoch": epoch, "loss": total / max(n, 1)})
        log.info("image-text epoch %d: InfoNCE %.4f", epoch, history[-1]["loss"])
    return model.eval(), tokenizer, history


@torch.no_grad()
def embed_images(
    encode: Callable[[torch.Tensor], torch.Tensor],
    data: PreparedDataset,
    indices: np.ndarray,
    sizes: dict[str, Any],
    device: torch.device,
    batch_size: int,
    clip_normalisation: bool,
) -> np.ndarray:
    out = [
        encode(image_batch(data.images, b, device, sizes, train=False, clip_normalisation=clip_normalisation))
        .float()
        .cpu()
        for b in index_batches(indices, batch_size, shuffle=False)
    ]
    return F.normalize(torch.cat(out), dim=-1).numpy()


def clip_rsicd_encoders(model_dir: str, device: torch.device) -> tuple[Callable, Callable]:
    """Image and prompt encoders of a local clip-rsicd checkpoint (paper preset)."""
    model, tokenizer = load_clip(model_dir)
    model = model.to(device).eval()

    context = model.config.text_config.max_position_embeddings  # 77: longer captions are cut, as CLIP's

    # transformers 5 returns the model outputs, the projected embedding as ``pooler_output``.
    def encode_text(prompts: list[str]) -> torch.Tensor:
        tokens = tokenizer(prompts, padding=True, truncation=True, max_length=context, return_tensors="pt")
        tokens = tokens.to(device)
        return model.get_text_features(**tokens).pooler_output

    return (lambda x: model.get_image_features(pixel_values=x).pooler_output), encode_text


def shared_training_images(splits: Sequence[dict[str, Any]]) -> np.ndarray:
    """Images in the train list of *every* split: one image-text model then serves all splits, and it
    never sees an unseen-class image or a seen-test image of any of them."""
    common = set(splits[0]["train"])
    for split in splits[1:]:
        common &= set(split["train"])
    return np.array(sorted(common), dtype=np.int64)


def fit_image_text(
    data: PreparedDataset,
    splits: Sequence[dict[str, Any]],
    cfg: dict[str, Any],
    out_dir: Path,
    device: torch.device,
    seed: int,
) -> dict[str, Any]:
    """Train the embedded image-text model on the shared seen training images; write ``model.pt`` and
    ``training.json`` to ``out_dir``."""
    images = shared_training_images(splits)
    for split in splits:
        require_seen_only(images, data.class_idx, split["unseen_classes"], "image-text model training")
    start = time.perf_counter()
    # seed_everything also seeds the weight initialisation (global RNG), not only the batch order
    model, tokenizer, history = train_image_text(data, images, cfg, device, seed_everything(seed))
    report = {
        "train_images": len(images),
        "train_files": data.meta["file"].to_numpy()[images].tolist(),  # what a baseline must not test on
        "train_classes": [data.classes[c] for c in np.unique(data.class_idx[images])],
        "history": history,
        "seconds": time.perf_counter() - start,
        "train_images_per_s": len(images) * cfg["epochs"] / (time.perf_counter() - start),
        "vocabulary": len(tokenizer.vocab),
    }
    with atomic_dir(out_dir) as tmp:
        save_torch(
            {
                "model": model.state_dict(),
                "vocab": tokenizer.vocab,
                "tower": tower_config(cfg),
                "text": cfg["text"],
                "embed_dim": cfg["embed_dim"],
            },
            tmp / "model.pt",
        )
        write_json(tmp / "training.json", report)
    return report


def tower_config(cfg: dict[str, Any]) -> dict[str, Any]:
    return {"image_size": cfg["image"]["crop"], **cfg["tower"]}


def load_image_text(model_dir: Path, device: torch.device) -> tuple[ImageTextModel, WordTokenizer, dict]:
    saved = load_torch(model_dir / "model.pt")
    text = saved["text"]
    model = image_text_model(
        patch_vit(**saved["tower"]),
        len(saved["vocab"]),
        text["max_len"],
        text["dim"],
        text["depth"],
        saved["embed_dim"],
    )
    model.load_state_dict(saved["model"])
    return model.to(device).eval(), WordTokenizer(saved["vocab"], text["max_len"]), saved["tower"]


@dataclass(frozen=True)
class Encoders:
    """An image-text model's two encoders (image batches, prompt lists -> embeddings), whether its images
    take CLIP's normalisation, and the embedded model itself (None for clip-rsicd)."""

    image: Callable[[torch.Tensor], torch.Tensor]
    text: Callable[[list[str]], torch.Tensor]
    clip_normalisation: bool
    model: ImageTextModel | None = None
    tokenizer: WordTokenizer | None = None
    tower: dict[str, Any] | None = None


def image_text_encoders(cfg: dict[str, Any], image_text_dir: Path | None, device: torch.device) -> Encoders:
    """The collection's image-text model (``cfg["model"]``): the embedded one trained on seen-class
    captions (its directory), or clip-rsicd (``cfg["clip_model_dir"]``)."""
    if cfg["model"] != "embedded":
        encode_image, encode_text = clip_rsicd_encoders(cfg["clip_model_dir"], device)
        return Encoders(encode_image, encode_text, clip_normalisation=True)
    if image_text_dir is None:
        raise RsreproError("the embedded image-text model needs --image-text (the trained model directory)")
    model, tokenizer, tower = load_image_text(image_text_dir, device)

    def encode_text(prompts: list[str]) -> torch.Tensor:
        # A prompt of only unknown words has no tokens: it gets a zero embedding (a constant column,
        # 0 after scaling) instead of an all-padding pass, which would be NaN.
        ids = tokenizer.encode(prompts, drop_unknown=True).to(device)
        known = (ids != 0).any(1)
        out = torch.zeros(len(prompts), model.text_proj.out_features, device=device)
        out[known] = model.encode_text(ids[known])
        return out

    return Encoders(model.encode_image, encode_text, False, model, tokenizer, tower)


def attribute_prompts(names: Sequence[str], template: str) -> list[str]:
    return [template.format(attribute=n.replace("_", " ")) for n in names]


def collect(
    data: PreparedDataset,
    split: dict[str, Any],
    cfg: dict[str, Any],
    image_text_dir: Path | None,
    out_dir: Path,
    device: torch.device,
    seed: int,
) -> dict[str, Any]:
    """Write ``class_attributes.npy``, ``collection.json`` and (embedded) ``tower.pt`` to ``out_dir``."""
    names = data.attribute_names
    if not names:
        raise RsreproError(
            f"dataset {data.name!r} has no attribute names (info.json attributes.names); "
            "attribute prompts cannot be built"
        )
    seen, unseen = split["seen_classes"], split["unseen_classes"]
    prompts = attribute_prompts(names, cfg["prompt"])
    plan = collection_rows(split, data.class_idx, cfg["annotation_images_per_unseen_class"], seed)
    report: dict[str, Any] = {"model": cfg["model"], "prompts": prompts, "scaling": cfg["scaling"]}
    encoders = image_text_encoders(cfg, image_text_dir, device)
    encode_image, encode_text, clip_norm = encoders.image, encoders.text, encoders.clip_normalisation
    if encoders.tokenizer is not None:
        report["unknown_prompt_words"] = encoders.tokenizer.unknown_words(prompts)
    scored = np.unique(np.concatenate([np.asarray(m, dtype=np.int64) for m in plan["rows"].values()]))
    start = time.perf_counter()
    image_emb = embed_images(encode_image, data, scored, cfg["image"], device, cfg["batch_size"], clip_norm)
    elapsed = time.perf_counter() - start
    with torch.no_grad():
        text_emb = F.normalize(encode_text(prompts).float().cpu(), dim=-1).numpy()
    scores = image_emb @ text_emb.T
    index_of = {int(i): k for k, i in enumerate(scored)}
    matrix = aggregate(scores, plan["rows"], index_of, data.num_classes, seen, cfg["scaling"])
    report.update(
        scored_images=len(scored),
        scoring_images_per_s=len(scored) / max(elapsed, 1e-9),
        rows={
            data.classes[c]: {
                "class_idx": c,
                "role": "seen-train" if c in seen else "unseen-annotation",
                "images": m,
            }
            for c, m in plan["rows"].items()
        },
        eval_excluded=plan["eval_excluded"],
    )
    if data.has("class_attributes"):
        report["agreement"] = agreement(matrix, data.class_attributes, seen, unseen)
    with atomic_dir(out_dir) as tmp:
        np.save(tmp / "class_attributes.npy", matrix)
        if encoders.model is not None:
            tower = {"config": encoders.tower, "state": encoders.model.image_tower.state_dict()}
            save_torch(tower, tmp / "tower.pt")
        write_json(tmp / "collection.json", report)
    return report
