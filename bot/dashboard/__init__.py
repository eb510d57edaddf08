"""The web dashboard: models, label mix, drift, feedback, training runs, plots and a "try it" form.

`register(flask_app, services)` adds the pages (`/`, `/login`, `/logout`, `/try`, `/cases`,
`/customers`, `/customers/<id>`, `/dashboard/plots/<name>.png`, `/dashboard/static/...`) and the
JSON API (`/api/classify`, `/api/draft`, `/api/csrf`, `/api/cases`, `/api/customers`,
`/api/customers/<id>`, `/api/learning`) to the Flask app that also serves `/slack/events`.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from flask import Flask

from bot.dashboard import auth
from bot.dashboard.api import build_api
from bot.dashboard.case_api import register_case_api
from bot.dashboard.learning_api import register_learning_api
from bot.dashboard.pages import build_pages

if TYPE_CHECKING:
    from bot.services import Services

logger = logging.getLogger(__name__)


def register(flask_app: Flask, services: Services) -> None:
    """Add the dashboard and its API to `flask_app`, with sessions configured for sign-in."""
    auth.configure_sessions(flask_app, services.settings)
    flask_app.register_blueprint(build_pages(services))
    api = build_api(services)
    register_case_api(api, services)
    register_learning_api(api, services)
    flask_app.register_blueprint(api)
    if auth.login_configured(services.settings):
        return
    if services.settings.server.dashboard_open_on_loopback:
        logger.warning("DASHBOARD_PASSWORD is not set: the dashboard answers loopback clients only")
    else:
        logger.warning("%s", auth.CLOSED_MESSAGE)
