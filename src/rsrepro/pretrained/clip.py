"""clip-rsicd / clip-rsicd-v2: a CLIP checkpoint in a local folder, loaded offline.

The workflow fetches the snapshot as plain files (:func:`rsrepro.data.sources.hub.fetch_clip`), so
``from_pretrained(local_files_only=True)`` loads it with no network at training time.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rsrepro.errors import RsreproError


def load_clip(path: str | Path) -> tuple[Any, Any]:
    """The ``transformers`` CLIPModel and its tokenizer saved at ``path``, loaded without network access,
    with errors that say what to do."""
    try:
        from transformers import CLIPModel, CLIPTokenizer
    except ImportError as error:
        raise RsreproError(
            "clip-rsicd needs the `transformers` package, which is not installed; install it "
            "(pip install transformers) or use the embedded preset"
        ) from error
    if not (Path(path) / "config.json").is_file():
        raise RsreproError(
            f"no CLIP checkpoint at {str(path)!r} (config.json missing): let the workflow fetch "
            "flax-community/clip-rsicd (or -v2) there, or point the params' clip_model_dir at such a folder"
        )
    return (
        CLIPModel.from_pretrained(path, local_files_only=True),
        CLIPTokenizer.from_pretrained(path, local_files_only=True),
    )
