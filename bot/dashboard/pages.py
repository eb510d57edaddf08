"""Dashboard pages: the overview, sign-in/out, the "try it" form and the evaluation plots.

The cases and customers pages are `bot.dashboard.case_pages`.
"""

from __future__ import annotations

import logging
import math
from typing import TYPE_CHECKING, Any

from flask import (
    Blueprint,
    Response,
    abort,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from werkzeug.wrappers import Response as BaseResponse

from bot import metrics
from bot.dashboard.api import ApiError, classify_text, draft_text, validate_text, validate_tone
from bot.dashboard.auth import (
    CLOSED_MESSAGE,
    access,
    bind_database,
    csrf_ok,
    csrf_token,
    login_configured,
    note_failure,
    password_configured,
    password_matches,
    retry_after,
    sign_in,
    sign_out,
    viewer_scope,
)
from bot.dashboard.case_pages import register_case_pages
from bot.dashboard.cases import FilterError
from bot.dashboard.charts import label_mix_svg, learning_svg, legend
from bot.dashboard.learning import DEFAULT_PERIOD, PERIODS, period_of
from bot.dashboard.overview import collect, plot_path
from bot.dashboard.slack_login import register_slack_login, slack_login_enabled
from storage.workspaces import ALL_WORKSPACES

if TYPE_CHECKING:
    from bot.services import Services

logger = logging.getLogger(__name__)


def build_pages(services: Services) -> Blueprint:
    """The dashboard blueprint (pages, static files, plots) bound to `services`."""
    pages = Blueprint(
        "dashboard",
        __name__,
        template_folder="templates",
        static_folder="static",
        static_url_path="/dashboard/static",
    )
    settings, db = services.settings, services.db
    pages.record_once(lambda state: bind_database(state.app, db))

    @pages.context_processor
    def inject() -> dict[str, Any]:
        return {
            "csrf_token": csrf_token,
            "password_mode": password_configured(settings),
            "slack_login": slack_login_enabled(settings),
            "login_mode": login_configured(settings),
            "signed_in": access(settings, db) == "ok",
        }

    def gate() -> BaseResponse | None:
        """None when the request may proceed; otherwise the refusal or the way to sign in."""
        state = access(settings, db)
        if state == "closed":
            return Response(CLOSED_MESSAGE + "\n", status=503, mimetype="text/plain")
        if state == "loopback_only":
            return Response(render_template("dashboard/refused.html"), status=403)
        if state == "login":
            return redirect(url_for("dashboard.handle_login"))
        return None

    @pages.get("/")
    def handle_index() -> BaseResponse | str:
        metrics.count_request("dashboard")
        return gate() or render_overview()

    def render_overview(status: int = 200, **extra: Any) -> Response:
        data = collect(services, scope=viewer_scope(), learning_by=learning_period())
        learning = data.learning
        page = render_template(
            "dashboard/index.html",
            data=data,
            chart=label_mix_svg(data.label_days),
            learning_chart=learning_svg(learning.periods, by=learning.by) if learning else "",
            periods=PERIODS,
            legend=legend(),
            limits={"text": 4000},
            **extra,
        )
        return Response(page, status=status)

    def learning_period() -> str:
        """The learning curve's `?by=` (week or day); anything else shows the default."""
        try:
            return period_of(request.args.get("by"))
        except FilterError:
            return DEFAULT_PERIOD

    @pages.post("/try")
    def handle_try() -> BaseResponse:
        refused = gate()
        if refused is not None:
            return refused
        if not csrf_ok():
            abort(403, description="The form expired or lacks its CSRF token. Reload the page.")
        text = request.form.get("text", "")
        try:
            text = validate_text(text)
            prediction = classify_text(services, text, scope=viewer_scope())
        except ApiError as error:
            return render_overview(error.status, try_error=error.message, try_text=text)
        draft, draft_error = None, None
        try:
            tone = validate_tone(request.form.get("tone") or None)
            draft = draft_text(services, text, tone, scope=viewer_scope())
        except ApiError as error:
            draft_error = error.message
        return render_overview(
            try_text=text, prediction=prediction, draft=draft, draft_error=draft_error
        )

    @pages.route("/login", methods=["GET", "POST"])
    def handle_login() -> BaseResponse | tuple[str, int] | str:
        if not login_configured(settings):
            return redirect(url_for("dashboard.handle_index"))
        if request.method == "GET":
            return render_template("dashboard/login.html")
        return attempt_login()

    def attempt_login() -> BaseResponse | tuple[str, int]:
        if not csrf_ok():
            return render_template("dashboard/login.html", error="Form expired, try again."), 400
        wait = retry_after(settings, db)
        if wait is not None:  # per address: the right password waits too, other addresses do not
            return locked_out(wait)
        if not password_matches(request.form.get("password", ""), settings):
            note_failure(settings, db, "login")
            return render_template("dashboard/login.html", error="Wrong password."), 401
        sign_in(db, subject="password", team_id=ALL_WORKSPACES)  # the instance's password
        return redirect(url_for("dashboard.handle_index"))

    def locked_out(wait: int) -> Response:
        error = f"Too many attempts from this address. Try again in {math.ceil(wait / 60)} min."
        page = render_template("dashboard/login.html", error=error)
        return Response(page, status=429, headers={"Retry-After": str(wait)})

    @pages.post("/logout")
    def handle_logout() -> BaseResponse:
        if not csrf_ok():
            abort(403, description="The form lacks its CSRF token.")
        sign_out(db)
        return redirect(url_for("dashboard.handle_login"))

    register_slack_login(pages, services)
    register_case_pages(pages, services, gate)

    @pages.get("/dashboard/plots/<name>.png")
    def handle_plot(name: str) -> BaseResponse:
        refused = gate()
        if refused is not None:
            return refused
        # Only the fixed names in PLOT_NAMES resolve: no part of the URL reaches the filesystem.
        path = plot_path(services, name)
        if path is None:
            abort(404)
        response = send_file(path, mimetype="image/png", max_age=60)
        response.headers["Cache-Control"] = "private, max-age=60"
        return response

    return pages
