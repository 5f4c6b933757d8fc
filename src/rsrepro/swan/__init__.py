"""SWAN (Pan, Ma, Bai, ACM ICMR 2023): scene-aware image-text retrieval, trained, evaluated, reported."""

# The released code's behaviour, and each of its quirks fixed (rsrepro.models.swan lists them): what the
# model, the CLI and the workflow's wildcard accept.
VARIANTS = ("faithful", "corrected")
