"""Retraining: the run (lease, record), the candidate pipeline, the data snapshot and the gate."""
