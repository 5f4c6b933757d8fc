"""Evaluation metrics (pure NumPy, checked against brute force in the tests)."""
