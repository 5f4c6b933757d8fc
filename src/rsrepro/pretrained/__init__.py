"""Pretrained weights: fetched and verified like the datasets (rsrepro.data.sources), then loaded safely."""
