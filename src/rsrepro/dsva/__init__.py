"""DSVA reproduction: attribute collection, episodic training, ZSL/GZSL evaluation, workflow commands."""

# The released code's behaviour and each of its quirks fixed; the two protocols of its scripts (one run
# each); a run's two trainings (all seen classes, and without the pseudo-unseen validation classes).
# The CLI, the workflow's wildcards and the summaries read these.
VARIANTS = ("faithful", "corrected")
SETTINGS = ("zsl", "gzsl")
STAGES = ("full", "select")
