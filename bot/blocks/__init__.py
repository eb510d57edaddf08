"""Pure Block Kit builders: data in, JSON-ready dicts out; no Slack calls, no storage."""
