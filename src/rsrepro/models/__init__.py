"""Model definitions of the three papers."""
