"""Execute a report notebook with papermill, then render it to HTML without code cells.

The notebook runs standalone too: its ``parameters`` cell has working defaults; the workflow injects the
job's inputs. ``MPLBACKEND`` is removed from the kernel's environment, because ipykernel keeps a
non-interactive backend such as Agg when it is set and the figures would then be missing from the HTML.

Kernels started at the same moment (report jobs running in parallel) can race for the same TCP ports:
jupyter_client picks free ports and releases them before the kernel binds them (jupyter_client#487,
papermill#511), and the losing kernel never answers. Such a start is retried; no cell has run yet.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from rsrepro.io import atomic_path

log = logging.getLogger(__name__)
# jupyter_client's messages when a kernel never became ready (nothing was executed)
KERNEL_START_FAILURES = ("Kernel didn't respond", "Kernel died before replying to kernel_info")
KERNEL_START_ATTEMPTS = 3


def render_report(
    notebook: str | Path, executed: str | Path, html: str | Path, parameters: dict[str, Any]
) -> None:
    import nbformat
    import papermill
    from nbconvert import HTMLExporter

    os.environ.pop("MPLBACKEND", None)
    for attempt in range(1, KERNEL_START_ATTEMPTS + 1):
        try:
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
            break
        except RuntimeError as error:
            if attempt == KERNEL_START_ATTEMPTS or not str(error).startswith(KERNEL_START_FAILURES):
                raise
            log.warning("%s: the kernel did not start (%s); starting another", notebook, error)
    exporter = HTMLExporter(exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True)
    body, _ = exporter.from_notebook_node(nbformat.read(executed, as_version=4))
    with atomic_path(html, ".html") as tmp:
        tmp.write_text(body)
