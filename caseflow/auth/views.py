"""Login in two steps (password, then TOTP), first-login password change and enrolment, logout.

Between the steps the signed cookie holds only `pending` (user id, stage, start time); no
protected page accepts it. Login completes by clearing the cookie session and opening a new
server-side session row, so a cookie captured before login is worthless after it.
"""

from __future__ import annotations

from datetime import timedelta

import segno
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_user, logout_user

from caseflow.auth import secrets as sec
from caseflow.auth import services
from caseflow.auth.forms import ChangePasswordForm, CodeForm, ConfirmForm, LoginForm, RecoveryForm
from caseflow.errors import AuthenticationError, ValidationError
from caseflow.extensions import db_session, rollback_unit
from caseflow.web import login_stage, now, origin, public
from caseflow.web.safety import safe_next

bp = Blueprint("auth", __name__)

PENDING_LIFETIME = timedelta(minutes=10)
STAGE_ENDPOINTS = {
    "change_password": "auth.change_password",
    "enrol": "auth.enrol",
    "totp": "auth.verify",
}


def _settings() -> services.AuthSettings:
    return current_app.extensions["caseflow.auth"]


def _begin_pending(user_id: int, stage: str, next_url: str) -> None:
    session.clear()
    session["pending"] = {
        "uid": user_id,
        "stage": stage,
        "since": now().timestamp(),
        "next": next_url,
    }


def _pending(*stages: str):
    """The user mid-login at one of `stages`, or abort to the login page."""
    state = session.get("pending")
    if not state or state.get("stage") not in stages:
        return None
    if now().timestamp() - state["since"] > PENDING_LIFETIME.total_seconds():
        session.clear()
        return None
    try:
        return services.pending_user(db_session(), state["uid"], now())
    except AuthenticationError as exc:
        rollback_unit()
        session.clear()
        flash(exc.message, "error")
        return None


def _advance(stage: str):
    state = session["pending"]
    state["stage"] = stage
    session["pending"] = state
    return redirect(url_for(STAGE_ENDPOINTS[stage]))


def _finish_login(user):
    next_url = session.get("pending", {}).get("next") or url_for("web.dashboard")
    token = services.open_session(db_session(), user, now=now(), origin=origin())
    session.clear()  # new session identity: nothing from before login survives
    session["sid"] = token
    login_user(user)
    return redirect(safe_next(next_url, url_for("web.dashboard")))


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    if current_user.is_authenticated:
        return redirect(url_for("web.dashboard"))
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        try:
            step = services.check_password(
                db_session(),
                form.username.data or "",
                form.password.data or "",
                settings=_settings(),
                now=now(),
                origin=origin(),
            )
        except AuthenticationError as exc:
            rollback_unit()
            error = exc.message
        else:
            _begin_pending(step.user_id, step.next_stage, safe_next(request.args.get("next")))
            return redirect(url_for(STAGE_ENDPOINTS[step.next_stage]))
    status = 200 if error is None and not form.errors else 400
    return render_template("auth/login.html", form=form, error=error), status


@bp.route("/login/password", methods=["GET", "POST"])
@login_stage
def change_password():
    user = _pending("change_password")
    if user is None:
        return redirect(url_for("auth.login"))
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            stage = services.set_initial_password(
                db_session(),
                user,
                form.password.data or "",
                form.confirm.data or "",
                settings=_settings(),
                now=now(),
                origin=origin(),
            )
        except ValidationError as exc:
            rollback_unit()
            getattr(form, exc.field or "password").errors.append(exc.message)
        else:
            return _advance(stage)
    status = 400 if form.errors else 200
    return render_template("auth/change_password.html", form=form), status


@bp.route("/login/enrol", methods=["GET", "POST"])
@login_stage
def enrol():
    user = _pending("enrol")
    if user is None:
        return redirect(url_for("auth.login"))
    settings = _settings()
    seed = services.issue_enrolment_seed(db_session(), user, settings=settings)
    form = CodeForm()
    if form.validate_on_submit():
        try:
            codes = services.confirm_enrolment(
                db_session(),
                user,
                form.code.data or "",
                settings=settings,
                now=now(),
                origin=origin(),
            )
        except services.AccountLocked as exc:
            rollback_unit()
            return _locked_out(exc)
        except ValidationError as exc:
            rollback_unit()
            form.code.errors.append(exc.message)
        else:
            # Shown once, in this response only: the codes never travel in a cookie.
            state = session["pending"]
            state["stage"] = "codes"
            session["pending"] = state
            return render_template("auth/recovery_codes.html", codes=codes, form=ConfirmForm())
    uri = sec.provisioning_uri(seed, user.username, settings.issuer)
    qr_uri = segno.make(uri, error="m").svg_data_uri(scale=5)
    status = 400 if form.errors else 200
    return render_template(
        "auth/enrol.html",
        form=form,
        seed=" ".join(seed[i : i + 4] for i in range(0, len(seed), 4)),
        qr_uri=qr_uri,
        issuer=settings.issuer,
        username=user.username,
    ), status


@bp.route("/login/recovery-codes", methods=["GET", "POST"])
@login_stage
def recovery_codes():
    user = _pending("codes")
    if user is None:
        return redirect(url_for("auth.login"))
    form = ConfirmForm()
    if form.validate_on_submit():
        return _finish_login(user)
    return render_template("auth/recovery_codes.html", codes=None, form=form)


def _locked_out(exc: services.AccountLocked):
    """A lockout ends the login attempt: back to the first step, with the message."""
    session.clear()
    flash(exc.message, "error")
    return redirect(url_for("auth.login"))


def _second_factor_step(form, template: str, check):
    """The TOTP and recovery-code steps: `check(user, code)` raises on a bad code and may
    return a message to show after login."""
    user = _pending("totp")
    if user is None:
        return redirect(url_for("auth.login"))
    error = None
    if form.validate_on_submit():
        try:
            message = check(user, form.code.data or "")
        except services.AccountLocked as exc:
            rollback_unit()
            return _locked_out(exc)
        except (AuthenticationError, ValidationError) as exc:
            rollback_unit()
            error = exc.message
        else:
            if message:
                flash(message, "info")
            return _finish_login(user)
    status = 400 if (error or form.errors) else 200
    return render_template(template, form=form, error=error), status


@bp.route("/login/verify", methods=["GET", "POST"])
@login_stage
def verify():
    def check(user, code):
        services.verify_totp(
            db_session(), user, code, settings=_settings(), now=now(), origin=origin()
        )

    return _second_factor_step(CodeForm(), "auth/verify.html", check)


@bp.route("/login/recovery", methods=["GET", "POST"])
@login_stage
def recovery():
    def check(user, code):
        remaining = services.use_recovery_code(
            db_session(), user, code, settings=_settings(), now=now(), origin=origin()
        )
        return f"Recovery code accepted. {remaining} codes left."

    return _second_factor_step(RecoveryForm(), "auth/recovery.html", check)


@bp.route("/logout", methods=["POST"])
@public
def logout():
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    token = session.get("sid")
    if token:
        services.close_session(db_session(), token, now=now(), origin=origin())
    logout_user()
    session.clear()
    flash("You are logged out.", "info")
    return redirect(url_for("auth.login"))
