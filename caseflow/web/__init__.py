"""The web shell: deny-by-default login guard, security headers, error pages, dashboard.

Every endpoint needs a fully authenticated user (password and second factor) unless its view
is marked `@public` or `@login_stage`. The guard runs before any view, so a forgotten
decorator fails closed.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any, TypeVar

from flask import (
    Blueprint,
    Flask,
    Response,
    current_app,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import ClientDisconnected, HTTPException

from caseflow import policy
from caseflow.auth import services as auth_services
from caseflow.auth.models import User
from caseflow.db import is_disk_full
from caseflow.errors import CaseFlowError
from caseflow.extensions import db_session, login_manager, rollback_unit, write_apart
from caseflow.policy import PurposeRequired
from caseflow.web import refusals

F = TypeVar("F", bound=Callable[..., Any])

bp = Blueprint("web", __name__)


def public(view: F) -> F:
    """Reachable without logging in (login page, static assets)."""
    view.caseflow_access = "public"  # type: ignore[attr-defined]
    return view


def login_stage(view: F) -> F:
    """Reachable between the password step and the end of login (2FA, enrolment)."""
    view.caseflow_access = "login-stage"  # type: ignore[attr-defined]
    return view


def now():
    return current_app.config["CLOCK"]()


def origin() -> auth_services.Origin:
    return auth_services.Origin(
        ip=request.remote_addr,
        request_id=g.get("request_id"),
        user_agent=request.headers.get("User-Agent"),
    )


def current_actor():
    """The logged-in user as an Actor, with the purposes they stated for cases this session."""
    actor = auth_services.actor_for(current_user, origin())
    purposes = session.get("purposes") or {}
    if purposes:
        from dataclasses import replace

        actor = replace(actor, purposes=tuple((int(k), v) for k, v in purposes.items()))
    return actor


def remember_purpose(case_id: int, purpose: str) -> None:
    purposes = dict(session.get("purposes") or {})
    purposes[str(case_id)] = purpose
    session["purposes"] = purposes


@login_manager.user_loader
def _load_user(user_id: str) -> User | None:
    if _wants_json():
        return None  # the API takes bearer tokens only: a browser cookie is no credential there
    token = session.get("sid")
    if not token:
        return None
    user = auth_services.resume_session(
        db_session(), token, settings=current_app.extensions["caseflow.auth"], now=now()
    )
    if user is None or str(user.id) != user_id:
        session.clear()
        return None
    return user


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def _guard() -> ResponseReturnValue | None:
    g.request_id = secrets.token_hex(8)
    endpoint = request.endpoint
    if endpoint is None or endpoint == "static":
        return None
    view = current_app.view_functions.get(endpoint)
    access = getattr(view, "caseflow_access", "user")
    if access in ("public", "login-stage"):
        return None
    if current_user.is_authenticated:
        return None
    if _wants_json():
        response = _json_error(
            401, "unauthenticated", "Send a valid token: Authorization: Bearer cfp_..."
        )
        response.headers["WWW-Authenticate"] = 'Bearer realm="caseflow"'
        return response
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


def _json_error(status: int, code: str, message: str, field: str | None = None) -> Response:
    response = jsonify({"error": {"code": code, "message": message, "field": field}})
    response.status_code = status
    return response


CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)


def _security_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CSP)
    headers["X-Content-Type-Options"] = "nosniff"
    headers["X-Frame-Options"] = "DENY"
    headers["Referrer-Policy"] = "no-referrer"
    headers["Cross-Origin-Opener-Policy"] = "same-origin"
    headers["Cross-Origin-Resource-Policy"] = "same-origin"
    headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
    if request.endpoint != "static":
        headers["Cache-Control"] = "no-store"
        headers["Pragma"] = "no-cache"
    headers.add("Vary", "Cookie")
    if current_app.config.get("SESSION_COOKIE_SECURE"):
        headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    if "request_id" in g:
        headers["X-Request-ID"] = g.request_id
    return response


def _error_page(status: int, title: str, message: str) -> tuple[str, int] | Response:
    if _wants_json():
        codes = {
            400: "bad_request",
            401: "unauthenticated",
            403: "forbidden",
            404: "not_found",
            405: "method_not_allowed",
            413: "too_large",
            415: "unsupported_media_type",
            500: "server_error",
            507: "storage_full",
        }
        return _json_error(status, codes.get(status, "error"), message)
    return (
        render_template(
            "error.html",
            status=status,
            title=title,
            message=message,
            request_id=g.get("request_id"),
        ),
        status,
    )


def _handle_http(exc: HTTPException):
    original = getattr(exc, "original_exception", None)
    if isinstance(original, Exception):  # an error outside the view (a failed commit)
        return _handle_500(original)
    titles = {
        400: ("Bad request", "The request could not be understood."),
        403: ("Not allowed", "You do not have access to this page."),
        404: ("Not found", "There is nothing at this address, or you cannot see it."),
        405: ("Not allowed", "This action is not available here."),
        413: ("Too large", "The upload is larger than this installation accepts."),
        415: ("Unsupported media type", "Send JSON with Content-Type: application/json."),
    }
    title, message = titles.get(exc.code or 500, ("Error", exc.description or "Error"))
    if isinstance(exc, ClientDisconnected):
        message = (
            "The request body ended before the length it announced (Content-Length), or the "
            "connection was cut; nothing was stored."
        )
    result = _error_page(exc.code or 500, title, message)
    if isinstance(result, Response) and exc.code == 405:
        result.headers.update(exc.get_headers())  # keeps Allow
        result.headers["Content-Type"] = "application/json"
    return result


def _handle_csrf(exc: CSRFError):
    return _error_page(
        400,
        "Form expired",
        "The form was missing its security token or has expired. Reload the page and try again.",
    )


def _handle_domain(exc: CaseFlowError):
    """Domain errors that reach here (no form to show them in) become their HTTP status; the
    use case that raised is rolled back, whatever the answer (a redirect too)."""
    rollback_unit()
    if isinstance(exc, PurposeRequired) and not _wants_json():
        case_id = (request.view_args or {}).get("case_id")
        if case_id is not None:
            return redirect(url_for("cases.purpose", case_id=case_id, next=request.full_path))
    if _wants_json():
        return _json_error(exc.status, exc.code, exc.message, exc.field)
    titles = {400: "Not accepted", 403: "Not allowed", 404: "Not found", 409: "Conflict"}
    return _error_page(exc.status, titles.get(exc.status, "Error"), exc.message)


def _handle_500(exc: Exception):
    if is_disk_full(exc):
        return _disk_full(exc)
    current_app.logger.exception("unhandled error (request %s)", g.get("request_id"))
    return _error_page(
        500, "Something went wrong", "The error was logged. Quote the request ID to support."
    )


def _disk_full(exc: Exception):
    """The database's disk is full (a commit failed): the unit of work was rolled back (an
    upload's blob removed with it); say so, log at ERROR and raise the operator alarm."""
    from caseflow.evidence.services import raise_operator_alarm

    current_app.logger.error(
        "the database's disk is full; request %s stored nothing: %s", g.get("request_id"), exc
    )
    try:
        write_apart(
            lambda session: raise_operator_alarm(
                session,
                "storage-fault",
                "The database's disk is full: writes are refused until space is freed "
                "(keep the database off the evidence store's disk, or keep "
                "CASEFLOW_EVIDENCE_RESERVE_BYTES free for it).",
                raised_by="web",
                now=now(),
            )
        )
    except Exception:
        current_app.logger.exception("could not record the disk-full alarm")
    return _error_page(
        507,
        "Storage full",
        "The database's disk is full; nothing was stored. The administrators have been alerted.",
    )


@bp.route("/")
def dashboard():
    from caseflow.cases import services as case_services
    from caseflow.web.panels import DASHBOARD_PANELS, render_list

    board, panels, alarms = None, [], []
    actor = current_actor()
    if policy.has_permission(actor, "case.work"):
        today = now().date()
        board = case_services.dashboard(db_session(), actor, today=today)
        panels = render_list(DASHBOARD_PANELS, db_session(), actor, today)
    elif policy.has_permission(actor, "alarms.read"):
        from caseflow.evidence.services import operator_alarms

        alarms = operator_alarms(db_session(), actor, now=now())
    return render_template(
        "web/dashboard.html", board=board, panels=panels, alarms=alarms, today=now().date()
    )


def _template_policy() -> dict[str, Any]:
    """`can('case.create')` in templates asks the policy, so pages never repeat role rules."""

    def can(permission: str) -> bool:
        return current_user.is_authenticated and policy.has_permission(current_actor(), permission)

    return {"can": can}


def init_app(app: Flask) -> None:
    app.context_processor(_template_policy)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = None  # our server-side session rows do this job
    app.before_request(_guard)
    app.after_request(_security_headers)
    # Registered after the unit of work's end (create_app), so it runs before it.
    app.after_request(refusals.audit_refusal)
    app.register_error_handler(CSRFError, _handle_csrf)
    app.register_error_handler(HTTPException, _handle_http)
    app.register_error_handler(CaseFlowError, _handle_domain)
    app.register_error_handler(Exception, _handle_500)
    app.register_blueprint(bp)


def requires(permission: str) -> Callable[[F], F]:
    """Early 403 for a whole page, asking the same policy the services ask."""
    from functools import wraps

    from flask import abort

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not policy.has_permission(current_actor(), permission):
                abort(403)
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorate
