"""Models: baselines, autoencoder, sequence, graph and fusion (one module each)."""
