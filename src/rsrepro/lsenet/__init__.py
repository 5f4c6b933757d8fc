"""LSE-Net reproduction: training, evaluation, aggregation and report analysis."""
