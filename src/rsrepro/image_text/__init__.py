"""The image-text model that several papers share, as a stage of its own (params ``image_text``, rules
``workflow/rules/image_text.smk``): DSVA's attribute collection scores with it, and every paper's baseline
uses it. ``model``: training, loading and the encoders; ``targets``: its files as rule inputs."""
