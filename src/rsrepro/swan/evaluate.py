"""A SWAN run's test metrics, from the embeddings its training job encoded (``test_outputs.npz``).

R@1/5/10 both ways, mR, median and mean rank, both readings of scene recall and the tied targets, with
ties broken as the released code's numpy argsort breaks them (faithful) or counted against the query
(corrected).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rsrepro.io import write_json
from rsrepro.metrics.retrieval import retrieval_metrics
from rsrepro.training.run import read_history, read_outputs


def evaluate_run(test_outputs: str | Path, history_file: str | Path, out: str | Path) -> dict[str, Any]:
    outputs, history = read_outputs(test_outputs), read_history(history_file)
    ties = "numpy" if history["variant"] == "faithful" else "pessimistic"
    metrics = retrieval_metrics(
        outputs["images"], outputs["captions"], outputs["caption_image"], outputs["scenes"], ties
    )
    run = history["run"]
    result = {
        "variant": history["variant"],
        "seed": run["seed"],
        "n_images": run["n_images"],
        "n_captions": run["n_captions"],
        "eval_seconds": run["encode_seconds"],
        "selected_epoch": history["selected_epoch"],
        **metrics,
    }
    write_json(out, result)
    return result
