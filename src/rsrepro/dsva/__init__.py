"""DSVA reproduction: attribute collection, episodic training, ZSL/GZSL evaluation, workflow commands."""
