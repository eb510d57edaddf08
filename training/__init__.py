"""Training and evaluation: uses models and storage, never Slack or the bot.

One sub-package per capability: `data` (corpora, the `text,label` file reader, splits, feedback
files), `classifier`, `generator`, `retrain` and `drift`; errors, settings and plots are shared.
"""
