"""The baselines' pieces that need no pipeline: the contamination check on clip-rsicd's published lists
and the LaTeX tables (tests/pipeline/test_baselines.py checks the baselines in a run)."""

from __future__ import annotations

import re
from pathlib import Path

from rsrepro.baselines.contamination import overlap, training_files
from rsrepro.reports.tables import latex


def test_the_contamination_check_reads_clip_rsicds_published_lists(tmp_path: Path) -> None:
    # two lines in the layout of arampacha/CLIP-rsicd's data/textaug_{train,valid}_rsicd.jsonl
    train, valid = tmp_path / "textaug_train_rsicd.jsonl", tmp_path / "textaug_valid_rsicd.jsonl"
    train.write_text(
        '{"filename": "rsicd_images/airport_61.jpg", "captions": ["the tarmac and airport runways ."]}\n'
        '{"filename": "rsicd_images/00017.jpg", "captions": ["many buildings ."]}\n\n'
    )
    valid.write_text('{"filename": "rsicd_images/center_56.jpg", "captions": ["a center building ."]}\n')
    names = training_files([train, valid])
    assert names == ["rsicd_images/airport_61.jpg", "rsicd_images/00017.jpg", "rsicd_images/center_56.jpg"]
    clean = overlap(["RSICD_images/airport_1.jpg", "beach_3.jpg"], names)
    assert clean == {"test_images_seen_in_training": 0, "contaminated": False, "examples": []}
    seen = overlap(["images/center_56.jpg", "airport_61.jpg", "beach_3.jpg"], names)
    assert seen == {
        "test_images_seen_in_training": 2,
        "contaminated": True,
        "examples": ["airport_61.jpg", "center_56.jpg"],
    }


def tabular_rows(tex: str) -> tuple[str, list[list[str]]]:
    """The column spec and the rows (cells split on unescaped ``&``) of a ``tabular``."""
    body = tex.split(r"\begin{tabular}", 1)[1].split(r"\end{tabular}", 1)[0]
    spec = re.match(r"\{([lcr]+)\}", body)
    assert spec, body[:80]
    rows = [
        [cell.strip() for cell in re.split(r"(?<!\\)&", line.removesuffix(r"\\").strip())]
        for line in body[spec.end() :].splitlines()
        if line.strip().endswith(r"\\")
    ]
    return spec.group(1), rows


def test_latex_escapes_what_would_break_a_tabular() -> None:
    tex = latex(
        ["ucm 50%", "R_sum"], [{"group": "paper", "method": "A & B", "ucm 50%": "1.00 ± 0.10"}], "x_y"
    )
    _, rows = tabular_rows(tex)
    assert rows == [["Method", r"ucm 50\%", r"R\_sum"], [r"A \& B", r"1.00 $\pm$ 0.10", "--"]]  # no value
    assert r"\caption{x\_y}" in tex
