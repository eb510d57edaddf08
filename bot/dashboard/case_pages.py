"""Dashboard pages of cases and customers: `/cases`, `/customers`, `/customers/<id>`.

Each reads through the viewer's scope. A malformed filter gets the page back with status 400
and says which filter is wrong; a customer the viewer's scope holds nothing of is a 404.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from flask import Blueprint, Response, render_template, request
from werkzeug.wrappers import Response as BaseResponse

from bot import metrics
from bot.dashboard.auth import viewer_scope
from bot.dashboard.cases import (
    STATES,
    CaseFilters,
    CasesView,
    FilterError,
    cases_view,
    required_slack_id,
    scope_label,
    slack_id,
)
from bot.dashboard.charts import bars_svg
from bot.dashboard.customers import CUSTOMER_DAYS, HISTORY_DAYS, customer_view, list_customers

if TYPE_CHECKING:
    from bot.services import Services

logger = logging.getLogger(__name__)

Gate = Callable[[], BaseResponse | None]
ACK_COLOUR, RESOLVE_COLOUR, CASES_COLOUR = "#b7791f", "#2f9e61", "#d64545"


def register_case_pages(pages: Blueprint, services: Services, gate: Gate) -> None:
    """Add the cases and customers pages to the dashboard blueprint; `gate` refuses or sends
    to sign-in whoever may not see them."""
    db = services.db

    @pages.get("/cases")
    def handle_cases() -> BaseResponse:
        metrics.count_request("dashboard")
        refused = gate()
        if refused is not None:
            return refused
        try:
            filters = CaseFilters.from_args(request.args)
        except FilterError as error:
            view = CasesView(scope=scope_label(viewer_scope()), filters=CaseFilters())
            return render_cases(view, status=400, filter_error=str(error))
        return render_cases(cases_view(db, scope=viewer_scope(), filters=filters))

    @pages.get("/customers")
    def handle_customers() -> BaseResponse:
        metrics.count_request("dashboard")
        refused = gate()
        if refused is not None:
            return refused
        scope = viewer_scope()
        page = render_template(
            "dashboard/customers.html",
            scope=scope_label(scope),
            customers=list_customers(db, scope=scope),
            days=CUSTOMER_DAYS,
        )
        return Response(page)

    @pages.get("/customers/<customer_id>")
    def handle_customer(customer_id: str) -> BaseResponse:
        metrics.count_request("dashboard")
        refused = gate()
        if refused is not None:
            return refused
        try:
            customer = required_slack_id("customer", customer_id)
            org = slack_id("org", request.args.get("org"))
        except FilterError as error:
            return problem(str(error), status=400)
        view = customer_view(db, scope=viewer_scope(), customer_id=customer, customer_team=org)
        if view is None:
            return problem(
                f"Nothing of customer {customer} here: no case, and no negative message in "
                f"the last {max(HISTORY_DAYS)} days.",
                status=404,
            )
        page = render_template(
            "dashboard/customer.html",
            scope=scope_label(viewer_scope()),
            customer=view,
            chart=bars_svg(
                view.weekly_cases,
                title=f"Cases of {customer} per week",
                empty="no cases in this period",
                colour=CASES_COLOUR,
                label_every=2,
            ),
        )
        return Response(page)


def render_cases(view: CasesView, *, status: int = 200, filter_error: str = "") -> Response:
    charts = {}
    for name, title, colour, dist in (
        ("acknowledge", "Time to acknowledge", ACK_COLOUR, view.to_acknowledge),
        ("resolve", "Time to resolve", RESOLVE_COLOUR, view.to_resolve),
    ):
        buckets = dist.buckets if dist is not None else []
        empty = f"no {name}d cases to measure"
        charts[name] = bars_svg(buckets, title=title, empty=empty, colour=colour)
    page = render_template(
        "dashboard/cases.html", view=view, charts=charts, states=STATES, filter_error=filter_error
    )
    return Response(page, status=status)


def problem(message: str, *, status: int) -> Response:
    """A short page saying why there is nothing to show (400: a bad address, 404: no data)."""
    heading = "Not found" if status == 404 else "Bad request"
    page = render_template("dashboard/problem.html", heading=heading, message=message)
    return Response(page, status=status)
