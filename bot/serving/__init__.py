"""Serving-time work: scheduled jobs, background retraining, hot swap of the served model."""
