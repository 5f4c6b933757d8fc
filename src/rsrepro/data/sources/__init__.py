"""Real datasets and pretrained weights: where they come from, how they are fetched, verified, converted.

- ``catalog``: one :class:`~rsrepro.data.sources.spec.Source` per dataset / weight file (URLs, mirrors,
  checksums, class names), and the pinned Hugging Face models; pure data.
- ``download``: fetch (gdown: resumable, Drive-aware) or copy a manual file, verify against the published
  checksum (or the params' replacement), prove it whole (``proof``), then check it against the committed
  lock or record it there (``checksums``).
- ``archives``: safe zip/tar extraction within size bounds. ``matlab``: ``.mat`` reading. ``converters``
  + ``images``: the published layouts into the prepared form (one converter per dataset,
  ``converters.CONVERTERS``). ``prepare``: extract, convert, clean up.

The published layouts themselves are written by :mod:`rsrepro.data.standin` (stand-in data).
"""
