"""Real datasets and pretrained weights: where they come from, how they are fetched, verified, converted.

- ``catalog``: one :class:`~rsrepro.data.sources.spec.Source` per dataset / weight file (URLs, mirrors,
  checksums, converter).
- ``download``: fetch (gdown: resumable, Drive-aware) or copy a manual file, verify against the published
  checksum or the committed lock (``checksums``).
- ``archives``: safe zip/tar extraction. ``converters`` + ``images``: the published layouts into the
  prepared form. ``prepare``: extract, convert, clean up.
"""
