"""Analyses built on the models: scaling laws (more to come: personas, prediction, anomaly, cold start)."""
