"""Paired differences (rsrepro.reports.paired): the bootstrap's draws, and DSVA's runs scored from their
per-image outputs as their headlines are (every protocol, both variants, the zero-shot baseline), on toy
runs written here in the workflow's layout."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rsrepro.dsva import targets as dsva
from rsrepro.dsva.metrics import gzsl_metrics, zsl_accuracy
from rsrepro.dsva.summary import epoch_metrics
from rsrepro.io import write_json
from rsrepro.paths import zero_shot_split
from rsrepro.reports.paired import (
    classification_scores,
    paired_difference,
    paired_rows,
    resampled_rows,
)
from rsrepro.reports.tables import MISSING, latex
from rsrepro.training.run import write_outputs

SEEN, UNSEEN = np.array([0, 1, 2, 3]), np.array([4, 5])
EXCLUDED = np.array([100, 101])  # unseen images DSVA collected attributes from: only the baseline scores them
ROOT = "results/runs/dsva/toy/60-10_seed0"
# The epochs each protocol chose (metrics.json); no epoch is the released code's zeros.
EPOCHS = {"paper": {"zsl_epoch": 1, "gzsl_epoch": None}, "validation": {"zsl_epoch": 0, "gzsl_epoch": 1}}


def test_draws_within_class_keep_each_class_count() -> None:
    strata = np.array([3, 1, 3, 3, 2, 1, 2, 3])
    rng = np.random.default_rng(0)
    chunks = list(resampled_rows(len(strata), strata, 250, rng))
    assert [len(c) for c in chunks] == [100, 100, 50]
    draws = np.vstack(chunks)
    assert all((np.bincount(strata[d], minlength=4) == np.bincount(strata, minlength=4)).all() for d in draws)
    assert len({tuple(d) for d in draws}) > 1  # they do vary
    free = np.vstack(list(resampled_rows(len(strata), None, 200, np.random.default_rng(0))))
    assert any((np.bincount(strata[d], minlength=4) != np.bincount(strata, minlength=4)).any() for d in free)


def test_a_better_model_excludes_zero_and_an_identical_one_does_not() -> None:
    labels = np.repeat(np.arange(4), 25)
    items = np.arange(100)
    perfect = classification_scores(labels, labels, items)
    half = classification_scores(labels, np.where(items % 2 == 0, labels, -1), items)
    better = paired_difference([(perfect, half), (perfect, half)], draws=500)
    assert better.difference == pytest.approx(50.0) and better.low > 0 and better.excludes_zero
    assert (better.seeds, better.items) == (2, 100)
    same = paired_difference([(half, half)], draws=500)
    assert (same.difference, same.low, same.high, same.excludes_zero) == (0.0, 0.0, 0.0, False)
    with pytest.raises(ValueError, match="different test items"):
        paired_difference([(perfect, classification_scores(labels[1:], labels[1:], items[1:]))])


def write_toy_runs() -> dict[str, dict[str, np.ndarray]]:
    """A split seed's faithful and corrected runs and its zero-shot baseline in the workflow's layout
    (relative to the working directory); seen class 3 has no test image, so faithful's S is NaN."""
    rng = np.random.default_rng(1)
    unseen_test = np.arange(12)
    unseen_labels = UNSEEN[np.arange(12) % 2]
    seen_test = np.arange(20, 35)
    seen_labels = SEEN[:3][np.arange(15) % 3]
    write_json(
        zero_shot_split("toy", "60-10", 0), {"seen_classes": SEEN.tolist(), "unseen_classes": UNSEEN.tolist()}
    )
    outputs = {}
    for variant in ("faithful", "corrected"):
        for setting, index, labels in (
            ("zsl", unseen_test, unseen_labels),
            ("gzsl", np.r_[unseen_test, seen_test], np.r_[unseen_labels, seen_labels]),
        ):
            candidates = UNSEEN if setting == "zsl" else np.arange(6)
            predictions = rng.choice(candidates, size=(2, 2, len(index)))  # epochs x branches x images
            # the global branch (1) is never the reported one: make it perfect, so using it would show
            predictions[:, 1] = labels
            arrays = {"index": index, "labels": labels, "predictions": predictions, "candidates": candidates,
                      "seen": SEEN, "unseen": UNSEEN, "n_classes": np.array(6)}  # fmt: skip
            write_outputs(dsva.training_file(ROOT, setting, variant, "full", "test_outputs.npz"), **arrays)
            outputs[f"{variant} {setting}"] = arrays
        runs = {"gzsl": {"faithful": variant == "faithful"}, "zsl": {"faithful": variant == "faithful"}}
        write_json(f"{ROOT}/{variant}/metrics.json", {"protocols": EPOCHS, "runs": runs})
    index = np.r_[unseen_test, EXCLUDED, seen_test]
    labels = np.r_[unseen_labels, UNSEEN[:2], seen_labels]
    scores = rng.normal(size=(len(index), 6)).astype(np.float32)
    write_outputs(f"{ROOT}/zero_shot_baseline/test_outputs.npz", index=index, labels=labels, scores=scores)
    write_json(f"{ROOT}/zero_shot_baseline/metrics.json", {"gamma": 0.3, "protocols": {"zero-shot": {}}})
    outputs["baseline"] = {"index": index, "labels": labels, "scores": scores}
    return outputs


def test_dsva_runs_score_as_their_headlines(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    outputs = write_toy_runs()
    for variant in ("faithful", "corrected"):
        for metric, setting in (("zsl", "zsl"), ("H", "gzsl")):
            # what dsva-summarize computes every epoch (the headline is one of them)
            per_epoch = epoch_metrics(outputs[f"{variant} {setting}"], setting, "full", variant == "faithful")
            for protocol, epochs in EPOCHS.items():
                epoch = epochs[f"{setting}_epoch"]
                expected = 0.0 if epoch is None else 100 * per_epoch[epoch][metric]
                scored = dsva.item_scores(f"{ROOT}/{variant}/metrics.json", protocol, metric)
                assert scored.metric() == pytest.approx(expected, nan_ok=True), (variant, metric, protocol)
    faithful_h = dsva.item_scores(f"{ROOT}/faithful/metrics.json", "validation", "H").metric()
    assert np.isnan(faithful_h)  # S over the seen classes, one without test images: as the released code
    base = outputs["baseline"]
    unseen_rows = np.isin(base["labels"], UNSEEN)
    baseline = f"{ROOT}/zero_shot_baseline/metrics.json"
    zsl = zsl_accuracy(base["scores"][unseen_rows], base["labels"][unseen_rows], UNSEEN)
    assert dsva.item_scores(baseline, "paper", "zsl").metric() == pytest.approx(100 * zsl)
    h = gzsl_metrics(base["scores"], base["labels"], SEEN, UNSEEN, 0.3, faithful=False)["H"]
    assert dsva.item_scores(baseline, "validation", "H").metric() == pytest.approx(100 * h)


def test_dsva_paired_rows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    write_toy_runs()
    variants = ["faithful", "corrected"]
    config = {"dsva": {"datasets": ["toy"], "splits": ["60/10"], "split_seeds": [0], "variants": variants}}
    comparisons = dsva.paired_comparisons(config)
    names = ["corrected − faithful", "faithful − zero-shot baseline", "corrected − zero-shot baseline"]
    assert [(c["setting"], c["metric"], c["comparison"]) for c in comparisons] == [
        (f"60/10, {protocol} epochs", metric, name)
        for protocol in ("paper", "validation")
        for metric in ("ZSL", "GZSL H")
        for name in names
    ]
    h = next(c for c in comparisons if c["comparison"] == names[2] and c["metric"] == "GZSL H")
    assert set(h["reads"]) == {
        f"{ROOT}/corrected/metrics.json", f"{ROOT}/gzsl/corrected/full/test_outputs.npz",
        f"{ROOT}/zero_shot_baseline/metrics.json", f"{ROOT}/zero_shot_baseline/test_outputs.npz",
        zero_shot_split("toy", "60-10", 0),
    }  # fmt: skip
    assert all(Path(f).exists() for c in comparisons for f in c["reads"])
    rows = {(r["setting"], r["metric"], r["method"]): r for r in paired_rows(comparisons, dsva.item_scores)}
    assert len(rows) == 12
    # the baseline on DSVA's test images: the unseen ones it collected attributes from are left out
    zsl = rows["60/10, paper epochs", "ZSL", names[2]]
    assert (zsl["items"], zsl["seeds"]) == (12, 1)
    run = dsva.item_scores(f"{ROOT}/corrected/metrics.json", "paper", "zsl")
    base = dsva.item_scores(f"{ROOT}/zero_shot_baseline/metrics.json", "paper", "zsl")
    assert zsl["difference"] == f"{run.metric() - base.restricted(run.items).metric():+.2f}"
    assert rows["60/10, paper epochs", "GZSL H", names[2]]["items"] == 27
    # faithful's H is NaN under the validation protocol: no difference, every cell reads –
    nan = rows["60/10, validation epochs", "GZSL H", names[0]]
    assert (nan["difference"], nan["95% interval"], nan["excludes 0"]) == (MISSING, MISSING, MISSING)
    assert r"corrected $-$ faithful" in latex(["difference"], [{"group": "paired", **nan}], "caption")
