"""Report figures, saved beside the HTML as PNG (for the web) and PDF (for papers)."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def save_figure(fig: Any, figures_dir: str | Path, name: str, dpi: int = 110) -> list[Path]:
    folder = Path(figures_dir)
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / f"{name}.png", folder / f"{name}.pdf"]
    for path in paths:
        fig.savefig(path, dpi=dpi, bbox_inches="tight")
    return paths
