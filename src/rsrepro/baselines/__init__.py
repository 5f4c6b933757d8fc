"""Strong simple baselines beside each paper, on the paper's own splits and metrics.

What a pretrained image-text model does with no training on the task: zero-shot classification with
class-name prompts on DSVA's unseen and GZSL test sets (``zero_shot``), zero-shot retrieval on SWAN's
test sets (``retrieval``), and a linear probe on its frozen image features for LSE-Net's splits
(``linear_probe``). The image-text model is the shared one (:mod:`rsrepro.image_text`, params
``image_text``): clip-rsicd (the model DSVA's backbone comes from) in the paper preset, the embedded model
trained on seen-class captions in the embedded one. Each run's metrics come from the same metric
functions as the paper's rows, and records how many of the test images the image-text model saw in
training (``contamination``).
"""
