"""LSE-Net reproduction: training, evaluation, aggregation and report analysis."""

# The ablation's steps: backbone + GAP, + context extractor, + perception with CPR only, the full model
# (CACPR). The model, the CLI and the workflow's wildcard all read this one tuple.
VARIANTS = ("backbone_gap", "context", "perception_cpr", "full")
