"""JSON API of cases and customers: `GET /api/cases`, `/api/customers`, `/api/customers/<id>`.

Authentication is the rest of the API's (`bot.dashboard.api.authorise`); reads need no CSRF
header. Each answer is what the caller's scope may see: a token made with `--team T`, or a
workspace admin's session, reads workspace T only. Filters are the cases page's
(`channel`, `assignee`, `state`); a malformed one is 400 `invalid_filter`, an empty one is
ignored. Times are ISO 8601 in UTC.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from flask import Blueprint, Response, jsonify, request

from bot import metrics
from bot.dashboard.api import ApiError, authorise
from bot.dashboard.auth import viewer_scope
from bot.dashboard.cases import (
    CaseFilters,
    FilterError,
    as_json,
    load_cases,
    required_slack_id,
    slack_id,
)
from bot.dashboard.customers import customer_view, list_customers

if TYPE_CHECKING:
    from bot.services import Services

logger = logging.getLogger(__name__)


def register_case_api(api: Blueprint, services: Services) -> None:
    """Add the cases and customers endpoints to the `/api` blueprint."""
    db = services.db

    @api.get("/cases")
    def handle_list_cases() -> Response:
        metrics.count_request("api_cases")
        authorise(services)
        try:
            filters = CaseFilters.from_args(request.args)
        except FilterError as error:
            raise ApiError(400, "invalid_filter", str(error)) from error
        cases = load_cases(db, scope=viewer_scope(), filters=filters)
        return jsonify(cases=[as_json(case) for case in cases], filters=filters.as_args())

    @api.get("/customers")
    def handle_list_customers() -> Response:
        metrics.count_request("api_customers")
        authorise(services)
        customers = list_customers(db, scope=viewer_scope())
        return jsonify(customers=[as_json(customer) for customer in customers])

    @api.get("/customers/<customer_id>")
    def handle_customer(customer_id: str) -> Response:
        metrics.count_request("api_customers")
        authorise(services)
        try:
            customer = required_slack_id("customer", customer_id)
            org = slack_id("org", request.args.get("org"))
        except FilterError as error:
            raise ApiError(400, "invalid_filter", str(error)) from error
        view = customer_view(db, scope=viewer_scope(), customer_id=customer, customer_team=org)
        if view is None:
            raise ApiError(404, "not_found", f"no messages or cases of {customer} in scope")
        return jsonify(
            customer_id=customer,
            customer_team=org,
            negative_messages={f"{days}d": count for days, count in view.negative_messages},
            cases=[as_json(case) for case in view.cases],
        )
