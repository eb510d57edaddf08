"""The classifier, the reply generator, predictors and save/load: torch/transformers only, never Slack or SQL."""
