"""A paper's main table (the paper's rows, the reproduced rows, the baselines and the anchors) as CSV and as
a LaTeX booktabs tabular a researcher can paste into a paper.

A table is a list of rows, each a dict with ``group`` (paper / reproduced / baseline / anchor),
``method`` and one cell per column (a number, "mean ± std", or :data:`MISSING` where there is no value).
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rsrepro.io import atomic_path

GROUPS = ("paper", "reproduced", "baseline", "anchor", "paired")
MISSING = "–"  # a cell with no value (never NaN or empty)


def cell(mean: float | None, std: float | None = None, runs: int = 1) -> str:
    """``97.12 ± 0.31`` over several runs, ``97.12`` for one, :data:`MISSING` for none (None or NaN)."""
    if mean is None or mean != mean:
        return MISSING
    return f"{mean:.2f} ± {std:.2f}" if std is not None and runs > 1 else f"{mean:.2f}"


def write_csv(path: str | Path, columns: Sequence[str], rows: Sequence[dict[str, Any]]) -> None:
    with atomic_path(path, ".csv") as tmp, open(tmp, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["group", "method", *columns])
        writer.writeheader()
        writer.writerows([{k: row.get(k, MISSING) for k in ("group", "method", *columns)} for row in rows])


def latex_escape(text: str) -> str:
    for char, escaped in (
        ("\\", r"\textbackslash{}"),
        ("&", r"\&"),
        ("%", r"\%"),
        ("_", r"\_"),
        ("#", r"\#"),
        (MISSING, "--"),
        ("−", "$-$"),  # the minus of "A − B" (pdfLaTeX's utf8 input has no U+2212)
    ):
        text = text.replace(char, escaped)
    return text.replace("±", r"$\pm$")


def latex(columns: Sequence[str], rows: Sequence[dict[str, Any]], caption: str) -> str:
    r"""A booktabs ``table`` with one ``\midrule`` between the groups (needs ``\usepackage{booktabs}``)."""
    lines = [
        r"\begin{table}[t]", r"\centering", rf"\caption{{{latex_escape(caption)}}}",
        r"\begin{tabular}{l" + "r" * len(columns) + "}", r"\toprule",
        " & ".join(["Method", *map(latex_escape, columns)]) + r" \\", r"\midrule",
    ]  # fmt: skip
    previous = None
    for row in rows:
        if previous is not None and row["group"] != previous:
            lines.append(r"\midrule")
        previous = row["group"]
        cells = [latex_escape(str(row["method"])), *(latex_escape(str(row.get(c, MISSING))) for c in columns)]
        lines.append(" & ".join(cells) + r" \\")
    lines += [r"\bottomrule", r"\end{tabular}", r"\end{table}"]
    return "\n".join(lines) + "\n"


def write_tables(
    csv_path: str | Path,
    tex_path: str | Path,
    columns: Sequence[str],
    rows: Sequence[dict[str, Any]],
    caption: str,
) -> None:
    ordered = sorted(rows, key=lambda row: GROUPS.index(row["group"]))  # stable: each group in its order
    write_csv(csv_path, columns, ordered)
    with atomic_path(tex_path, ".tex") as tmp:
        tmp.write_text(latex(columns, ordered, caption))
