"""Drift: detection and the daily check, the replay simulation and its report."""
