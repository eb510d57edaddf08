"""Data loading, training loops, evaluation, retraining, drift and scheduled jobs: uses models and storage, never Slack."""
