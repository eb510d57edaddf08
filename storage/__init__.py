"""SQLAlchemy models, sessions, repositories and migrations: never torch, never Slack."""
