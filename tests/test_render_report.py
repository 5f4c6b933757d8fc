"""Report rendering: parameters injected, figures inline in the HTML, code hidden."""

from __future__ import annotations

import os
import shutil
import subprocess
import sysconfig
from pathlib import Path

import nbformat
import pytest

from rsrepro.python_check import supported_range
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


def _flaky_papermill(failures: list[Exception]):
    """A papermill.execute_notebook that raises ``failures`` in turn, then copies the notebook through."""
    calls = []

    def execute_notebook(source: str, target: str, **kwargs) -> None:
        calls.append(source)
        if len(calls) <= len(failures):
            raise failures[len(calls) - 1]
        nbformat.write(nbformat.read(source, as_version=4), target)

    return execute_notebook, calls


def _one_cell_notebook(path: Path) -> Path:
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_markdown_cell("# a report")]
    nbformat.write(notebook, path)
    return path


def test_a_kernel_that_never_answers_is_started_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import papermill

    flaky, calls = _flaky_papermill([RuntimeError("Kernel didn't respond in 60 seconds")])
    monkeypatch.setattr(papermill, "execute_notebook", flaky)
    render_report(
        _one_cell_notebook(tmp_path / "in.ipynb"), tmp_path / "out.ipynb", tmp_path / "out.html", {}
    )
    assert len(calls) == 2
    assert "a report" in (tmp_path / "out.html").read_text()


@pytest.mark.parametrize(
    "failures",
    [
        [RuntimeError("Kernel died while waiting for execute reply.")],  # a cell was running: not retried
        [RuntimeError("Kernel died before replying to kernel_info")] * 3,  # gives up after three starts
    ],
)
def test_other_kernel_failures_and_a_third_failed_start_stop_the_job(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failures: list[Exception]
) -> None:
    import papermill

    flaky, calls = _flaky_papermill(failures)
    monkeypatch.setattr(papermill, "execute_notebook", flaky)
    with pytest.raises(RuntimeError, match=str(failures[-1])):
        render_report(
            _one_cell_notebook(tmp_path / "in.ipynb"), tmp_path / "out.ipynb", tmp_path / "out.html", {}
        )
    assert len(calls) == len(failures)
    assert not (tmp_path / "out.ipynb").exists() and not (tmp_path / "out.html").exists()


def interpreters() -> dict[tuple[int, ...], Path]:
    """The Python 3.11 interpreters at hand (on PATH, the system's, pyenv's), by version."""
    candidates = {shutil.which("python3.11"), "/usr/bin/python3.11", "/usr/local/bin/python3.11"}
    candidates |= {str(p) for p in Path.home().glob(".pyenv/versions/3.11*/bin/python3.11")}
    found = {}
    for candidate in sorted(c for c in candidates if c and Path(c).is_file()):
        done = subprocess.run(
            [candidate, "-c", "import sys; print(*sys.version_info[:3])"], capture_output=True, text=True
        )
        if done.returncode == 0:
            found[tuple(int(v) for v in done.stdout.split())] = Path(candidate)
    return found


@pytest.mark.slow
def test_a_report_renders_under_the_lowest_supported_python(tmp_path: Path) -> None:
    """Debian 12's python3.11 is 3.11.2; nbconvert's HTML export failed there on a soupsieve that needs
    3.11.5. The interpreter runs this checkout's installed packages (same ABI across 3.11.x)."""
    lowest = supported_range()[0]
    at_hand = interpreters()
    if lowest not in at_hand:
        shown = ", ".join(".".join(map(str, v)) for v in sorted(at_hand)) or "none"
        pytest.skip(f"no Python {'.'.join(map(str, lowest))} at hand (Python 3.11 found: {shown})")
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_code_cell("import sys\nprint('kernel', sys.version.split()[0])"),
        nbformat.v4.new_markdown_cell("![figure](figure.png)"),  # an <img> without alt: nbconvert adds it
    ]
    nbformat.write(notebook, tmp_path / "report.ipynb")
    packages = [sysconfig.get_paths()["purelib"], str(Path(render_report.__code__.co_filename).parents[2])]
    script = (
        "from rsrepro.reports.render import render_report\n"
        "render_report('report.ipynb', 'out.ipynb', 'out.html', {})\n"
    )
    # nbconvert's templates are data files of this environment, not of that interpreter's prefix
    jupyter = str(Path(sysconfig.get_paths()["data"]) / "share" / "jupyter")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(packages), "JUPYTER_PATH": jupyter}
    done = subprocess.run(
        [at_hand[lowest], "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert f"kernel {'.'.join(map(str, lowest))}" in (tmp_path / "out.html").read_text()
