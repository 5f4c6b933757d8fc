"""rsrepro: reproductions of LSE-Net, SWAN and DSVA as one Snakemake workflow."""

__version__ = "0.1.0"
