"""SWAN (Pan, Ma, Bai, ACM ICMR 2023): scene-aware image-text retrieval, trained, evaluated, reported."""
