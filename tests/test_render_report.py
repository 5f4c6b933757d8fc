"""Report rendering: parameters injected, figures inline in the HTML, code hidden."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from rsrepro.reports.render import render_report


@pytest.mark.slow
def test_report_html_has_the_figure_and_no_code(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MPLBACKEND", "Agg")  # the trap: with Agg set, ipykernel would drop inline figures
    parameters = nbformat.v4.new_code_cell("points = 2")
    parameters.metadata["tags"] = ["parameters"]
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        parameters,
        nbformat.v4.new_code_cell(
            "import matplotlib.pyplot as plt\nplt.plot(range(points))\nplt.show()\nprint('drew', points)"
        ),
    ]
    nbformat.write(notebook, tmp_path / "report.ipynb")
    render_report(tmp_path / "report.ipynb", tmp_path / "out.ipynb", tmp_path / "out.html", {"points": 7})
    html = (tmp_path / "out.html").read_text()
    assert "data:image/png;base64" in html
    assert "drew 7" in html
    assert "plt.plot" not in html
