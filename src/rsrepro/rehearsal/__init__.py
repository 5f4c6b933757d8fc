"""The paper-preset dress rehearsal: the whole paper DAG on stand-in data and random-init weights in
the real formats (``config/rehearsal.yaml``), and what it projects for the full paper run."""
