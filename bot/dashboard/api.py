"""JSON API used by the dashboard's form and by scripts: `POST /api/classify`, `POST /api/draft`
(the read-only cases and customers endpoints are `bot.dashboard.case_api`).

Requests are JSON objects (`{"text": "...", "tone": "..."}`) of at most `MAX_BODY_BYTES`, UTF-8,
with `Content-Type: application/json`. Authentication is the dashboard's: a signed-in session
plus the `X-CSRF-Token` header (see `GET /api/csrf`), or `Authorization: Bearer <token>` with an
API token (`triagebot api-token create NAME`) or the dashboard password. Wrong bearer tokens are
logged and counted like wrong passwords: too many from one address get 429 with Retry-After.
Every error is `{"error": {"code": ..., "message": ...}}` with a 4xx/5xx status.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from flask import Blueprint, Response, jsonify, request
from werkzeug.exceptions import HTTPException

from bot import metrics
from bot.dashboard.auth import (
    CLOSED_MESSAGE,
    access,
    bearer_scope,
    bearer_token,
    csrf_ok,
    csrf_token,
    login_configured,
    note_failure,
    retry_after,
    set_viewer_scope,
    viewer_scope,
)
from models.types import Draft, Prediction
from storage.workspaces import Workspace

if TYPE_CHECKING:
    from bot.services import Services

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 16 * 1024
MAX_TEXT_CHARS = 4000
MAX_TONE_CHARS = 40
ALLOWED_FIELDS = {"classify": {"text"}, "draft": {"text", "tone"}}
# The API's codes for errors Flask or Flask-Limiter raise (429: API_RATE_LIMIT exceeded).
HTTP_ERROR_CODES = {404: "not_found", 405: "method_not_allowed", 429: "rate_limited"}


class ApiError(Exception):
    """A request the API refuses: HTTP status, a stable code and a message for people."""

    def __init__(
        self, status: int, code: str, message: str, *, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}

    def response(self) -> tuple[Response, int]:
        response = jsonify(error={"code": self.code, "message": self.message})
        response.headers.update(self.headers)
        return response, self.status


def validate_text(text: Any, *, field: str = "text") -> str:
    """A non-blank string of at most MAX_TEXT_CHARS, stripped; raises ApiError otherwise."""
    if not isinstance(text, str):
        raise ApiError(400, "invalid_field", f"'{field}' must be a string")
    value: str = text.strip()
    if not value:
        raise ApiError(400, "invalid_field", f"'{field}' must not be empty")
    if len(value) > MAX_TEXT_CHARS:
        raise ApiError(413, "too_long", f"'{field}' is longer than {MAX_TEXT_CHARS} characters")
    if "\x00" in value:
        raise ApiError(400, "invalid_field", f"'{field}' must not contain NUL characters")
    if not _encodable(value):  # JSON allows "\ud800"; a tokenizer or the database does not
        raise ApiError(400, "invalid_field", f"'{field}' must not contain lone surrogates")
    return value


def _encodable(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def validate_tone(tone: Any) -> str | None:
    if tone is None:
        return None
    if not isinstance(tone, str) or len(tone) > MAX_TONE_CHARS or not tone.isprintable():
        raise ApiError(400, "invalid_field", f"'tone' must be a string of <= {MAX_TONE_CHARS}")
    return tone.strip() or None


def read_json_object(kind: str) -> dict[str, Any]:
    """The request body as a JSON object with only the fields `kind` allows."""
    if request.mimetype != "application/json":
        raise ApiError(415, "unsupported_media_type", "send Content-Type: application/json")
    if (request.content_length or 0) > MAX_BODY_BYTES:
        raise ApiError(413, "too_large", f"body larger than {MAX_BODY_BYTES} bytes")
    raw = request.stream.read(MAX_BODY_BYTES + 1)
    if len(raw) > MAX_BODY_BYTES:
        raise ApiError(413, "too_large", f"body larger than {MAX_BODY_BYTES} bytes")
    try:
        body = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ApiError(400, "invalid_encoding", "body is not valid UTF-8") from exc
    except json.JSONDecodeError as exc:
        raise ApiError(400, "invalid_json", f"body is not valid JSON ({exc.msg})") from exc
    except ValueError as exc:  # json refuses numbers of more than 4,300 digits
        raise ApiError(400, "invalid_json", "body holds a number that is too long") from exc
    except RecursionError as exc:
        raise ApiError(400, "invalid_json", "body is nested too deeply") from exc
    if not isinstance(body, dict):
        raise ApiError(400, "invalid_shape", "body must be a JSON object")
    unknown = sorted(set(body) - ALLOWED_FIELDS[kind])
    if unknown:
        raise ApiError(400, "unknown_field", f"unknown field(s): {', '.join(unknown)}")
    if "text" not in body:
        raise ApiError(400, "missing_field", "'text' is required")
    return body


def authorise(services: Services) -> None:
    """Let the request through, or raise 401/403/429/503 as ApiError."""
    settings = services.settings
    token = bearer_token()
    if token is not None and login_configured(settings):
        check_bearer(services, token)
        return  # a header the browser never adds by itself: no CSRF token needed
    state = access(settings, services.db)
    if state == "closed":
        raise ApiError(503, "dashboard_closed", CLOSED_MESSAGE)
    if state == "loopback_only":
        raise ApiError(403, "loopback_only", "no DASHBOARD_PASSWORD set: loopback clients only")
    if state == "login":
        raise ApiError(401, "unauthenticated", "sign in, or send Authorization: Bearer <token>")
    if not csrf_ok():
        raise ApiError(403, "csrf_failed", "missing or wrong X-CSRF-Token header")


def check_bearer(services: Services, token: str) -> None:
    """Accept an API token or the password; a locked-out address is refused before checking."""
    settings, db = services.settings, services.db
    wait = retry_after(settings, db)
    if wait is not None:
        raise ApiError(
            429,
            "too_many_attempts",
            f"too many wrong credentials from this address: retry in {wait} s",
            headers={"Retry-After": str(wait)},
        )
    scope = bearer_scope(token, settings, db)
    if scope is None:
        note_failure(settings, db, "bearer")
        raise ApiError(401, "unauthenticated", "wrong bearer token")
    set_viewer_scope(scope)


def no_model_here(services: Services, reason: str) -> str:
    """Why this process cannot answer with a model: on a celery-mode replica none is loaded."""
    if services.settings.jobs.executor == "celery":
        return "models run on the workers (TRIAGE_EXECUTOR=celery); this web replica loads none"
    return reason


def classify_text(services: Services, text: str, *, scope: Workspace) -> Prediction:
    """Classify one text with the served classifier (503 as ApiError when none is loaded); a
    viewer of one workspace gets that workspace's corrections counted."""
    predictor = services.classifier.get_or_none()
    if predictor is None:
        raise ApiError(
            503, "model_unavailable", no_model_here(services, "no classifier loaded yet")
        )
    started = time.perf_counter()
    team_id = scope if isinstance(scope, str) else None
    prediction: Prediction = predictor.predict([text], [team_id])[0]
    metrics.observe_classification(prediction.label, time.perf_counter() - started)
    return prediction


def draft_text(services: Services, text: str, tone: str | None, *, scope: Workspace) -> Draft:
    """Draft a reply to `text` through the drafting service (503 as ApiError on failure).

    The draft is grounded in the approved replies of the viewer's workspace only; a viewer who
    sees every workspace (an operator) gets the built-in examples, never another workspace's.
    """
    if services.drafter is None:
        raise ApiError(
            503, "model_unavailable", no_model_here(services, "no reply generator configured")
        )
    started = time.perf_counter()
    try:
        team_id = scope if isinstance(scope, str) else None
        draft = services.drafter.draft(text, team_id=team_id, tone=tone)
    except LookupError as exc:  # ModelHolder.get() with nothing loaded
        raise ApiError(503, "model_unavailable", "the reply generator is not loaded") from exc
    except Exception as exc:
        logger.exception("drafting failed")
        metrics.count_error("api_draft")
        raise ApiError(503, "draft_failed", f"drafting failed ({type(exc).__name__})") from exc
    metrics.observe_draft(time.perf_counter() - started)
    return draft


def build_api(services: Services) -> Blueprint:
    """The `/api` blueprint bound to `services`."""
    api = Blueprint("dashboard_api", __name__, url_prefix="/api")

    @api.errorhandler(ApiError)
    def handle_api_error(error: ApiError) -> tuple[Response, int]:
        return error.response()

    @api.app_errorhandler(404)
    @api.app_errorhandler(405)
    @api.app_errorhandler(429)
    def handle_http_error(error: HTTPException) -> Response | HTTPException:
        if not request.path.startswith("/api/"):
            return error  # other routes keep Flask's own pages
        code = HTTP_ERROR_CODES.get(error.code or 500, "error")
        response = jsonify(error={"code": code, "message": error.description})
        response.status_code = error.code or 500
        if error.code == 405:
            response.headers["Allow"] = ", ".join(error.valid_methods or ())  # type: ignore[attr-defined]
        return response

    @api.get("/csrf")
    def handle_csrf() -> Response:
        state = access(services.settings, services.db)
        if state == "closed":
            raise ApiError(503, "dashboard_closed", CLOSED_MESSAGE)
        if state != "ok":
            raise ApiError(401, "unauthenticated", "sign in first")
        return jsonify(csrf_token=csrf_token())

    @api.post("/classify")
    def handle_classify() -> Response:
        metrics.count_request("api_classify")
        authorise(services)
        text = validate_text(read_json_object("classify").get("text"))
        return jsonify(asdict(classify_text(services, text, scope=viewer_scope())))

    @api.post("/draft")
    def handle_draft() -> Response:
        metrics.count_request("api_draft")
        authorise(services)
        body = read_json_object("draft")
        text, tone = validate_text(body.get("text")), validate_tone(body.get("tone"))
        draft = draft_text(services, text, tone, scope=viewer_scope())
        return jsonify(asdict(draft))

    return api
