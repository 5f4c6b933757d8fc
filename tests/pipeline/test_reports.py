"""The reports of the tiny pipeline: tables, links and figures in the HTML (rendered by headless Chromium),
figure files, the DVC metrics and plot files, the index notebook run standalone, snakemake --report."""

from __future__ import annotations

import base64
import io
import json
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from rsrepro.reports.render import render_report
from tests.workflow_helpers import snakemake

pytestmark = pytest.mark.slow
PAPERS = ("lsenet", "swan", "dsva")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="chromium is not installed (`make test` installs it when run as root)"
)


def chromium(html: Path, tmp_path: Path, *args: str) -> str:
    done = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run",
         f"--user-data-dir={tmp_path / 'chromium-profile'}", *args, html.resolve().as_uri()],
        capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    return done.stdout


def embedded_images(html: str) -> list[np.ndarray]:
    found = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=\s]+)"', html)
    return [np.asarray(Image.open(io.BytesIO(base64.b64decode(data))).convert("L"), float) for data in found]


@needs_chromium
def test_index_html_has_the_table_links_and_non_blank_figures(tiny_pipeline: Path, tmp_path: Path) -> None:
    index = tiny_pipeline / "results/reports/index.html"
    dom = chromium(index, tmp_path, "--dump-dom")
    assert "Headline metrics" in dom and "Wall time per stage" in dom
    for paper, title in (("lsenet", "LSE-Net"), ("swan", "SWAN"), ("dsva", "DSVA")):
        assert f'<a href="{paper}.html">{title}</a>' in dom
        assert (index.parent / f"{paper}.html").is_file()  # the link resolves
    for metric in (">OA<", ">mR<", ">ZSL<", ">GZSL H<"):
        assert metric in dom
    images = embedded_images(dom)
    assert len(images) == 2  # headline metrics and wall time
    assert all(image.std() > 10 for image in images)
    chromium(index, tmp_path, f"--screenshot={tmp_path / 'index.png'}", "--window-size=1200,1600")
    screenshot = np.asarray(Image.open(tmp_path / "index.png").convert("L"), float)
    assert screenshot.std() > 10


@needs_chromium
@pytest.mark.parametrize("paper", PAPERS)
def test_paper_reports_show_their_figures(tiny_pipeline: Path, tmp_path: Path, paper: str) -> None:
    dom = chromium(tiny_pipeline / f"results/reports/{paper}.html", tmp_path, "--dump-dom")
    images = embedded_images(dom)
    assert len(images) >= 3
    assert all(image.std() > 5 for image in images)
    assert "<table" in dom and "def " not in dom  # tables shown, code cells hidden


def test_figures_are_saved_as_png_and_pdf(tiny_pipeline: Path) -> None:
    for folder in ("index", *PAPERS):
        pngs = sorted((tiny_pipeline / "results/figures" / folder).glob("*.png"))
        assert pngs, folder
        for png in pngs:
            assert png.with_suffix(".pdf").read_bytes().startswith(b"%PDF")


def test_dvc_metrics_and_plot_files(tiny_pipeline: Path) -> None:
    results = tiny_pipeline / "results"
    lsenet = json.loads((results / "metrics/lsenet.json").read_text())
    assert lsenet["synthetic"]["train 50%"]["runs"] == 1
    assert 0 <= lsenet["synthetic"]["train 50%"]["OA"] <= 100
    dsva = json.loads((results / "metrics/dsva.json").read_text())
    assert set(dsva["synthetic"]) == {"60/10 corrected, paper epochs", "60/10 corrected, validation epochs"}
    curves = (results / "plots/curves/swan_synthetic.csv").read_text().splitlines()
    assert curves[0] == "epoch,corrected" and len(curves) == 2  # one epoch in the tiny preset
    per_class = (results / "plots/per_class/lsenet_synthetic.csv").read_text().splitlines()
    assert per_class[0] == "class,accuracy" and len(per_class) == 1 + 28


def test_index_notebook_runs_standalone_with_its_defaults(tiny_pipeline: Path, monkeypatch, tmp_path) -> None:
    monkeypatch.chdir(tiny_pipeline)
    out = tmp_path / "index.html"
    render_report(Path(__file__).parents[2] / "notebooks/index.ipynb", tmp_path / "index.ipynb", out, {})
    assert out.read_text().count("<tr>") >= 6


def test_snakemake_report_includes_reports_and_key_figures(tiny_pipeline: Path) -> None:
    snakemake(tiny_pipeline, "--report", "results/report.zip")
    names = zipfile.ZipFile(tiny_pipeline / "results/report.zip").namelist()
    for expected in ("index.html", "lsenet.html", "swan.html", "dsva.html", "headline.png", "curves.png"):
        assert any(name.endswith(expected) for name in names), expected
