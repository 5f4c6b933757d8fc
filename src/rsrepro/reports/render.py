"""Execute a report notebook with papermill, then render it to HTML without code cells.

The notebook runs standalone too: its ``parameters`` cell has working defaults; the workflow injects the
job's inputs. ``MPLBACKEND`` is removed from the kernel's environment, because ipykernel keeps a
non-interactive backend such as Agg when it is set and the figures would then be missing from the HTML.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from rsrepro.io import atomic_path


def render_report(
    notebook: str | Path, executed: str | Path, html: str | Path, parameters: dict[str, Any]
) -> None:
    import nbformat
    import papermill
    from nbconvert import HTMLExporter

    os.environ.pop("MPLBACKEND", None)
    with atomic_path(executed, ".ipynb") as tmp:
        papermill.execute_notebook(
            str(notebook),
            str(tmp),
            parameters=parameters,
            kernel_name="python3",
            language="python",
            cwd=str(Path.cwd()),
            progress_bar=False,
        )
    exporter = HTMLExporter(exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True)
    body, _ = exporter.from_notebook_node(nbformat.read(executed, as_version=4))
    with atomic_path(html, ".html") as tmp:
        tmp.write_text(body)
