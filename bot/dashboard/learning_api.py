"""JSON API of the learning curve: `GET /api/learning?by=week|day`.

Authentication is the rest of the API's (`bot.dashboard.api.authorise`); reads need no CSRF
header. The answer is the overview's "Learning from corrections" section as the caller's scope
may see it (a token made with `--team T`, or a workspace admin's session, reads workspace T
only); `by` other than `week` or `day` is 400 `invalid_filter`.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from flask import Blueprint, Response, jsonify, request

from bot import metrics
from bot.dashboard.api import ApiError, authorise
from bot.dashboard.auth import viewer_scope
from bot.dashboard.cases import FilterError
from bot.dashboard.learning import learning_json, learning_view, period_of

if TYPE_CHECKING:
    from bot.services import Services

logger = logging.getLogger(__name__)


def register_learning_api(api: Blueprint, services: Services) -> None:
    """Add `GET /learning` to the `/api` blueprint."""

    @api.get("/learning")
    def handle_learning() -> Response:
        metrics.count_request("api_learning")
        authorise(services)
        try:
            by = period_of(request.args.get("by"))
        except FilterError as error:
            raise ApiError(400, "invalid_filter", str(error)) from error
        view = learning_view(
            services.db, scope=viewer_scope(), by=by, memory=services.settings.models
        )
        return jsonify(learning_json(view))
