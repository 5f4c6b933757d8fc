"""Datasets: the prepared-data contract, split protocols, the synthetic generator and real sources."""
