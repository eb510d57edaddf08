"""The Slack app, HTTP server, dashboard and CLI: composes models, storage and training; may import everything."""
