"""Account administration: list, create, deactivate, unlock, reset 2FA."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for

from caseflow.admin.forms import CreateUserForm
from caseflow.auth import services
from caseflow.auth.forms import ConfirmForm
from caseflow.errors import CaseFlowError, ValidationError
from caseflow.extensions import db_session, rollback_unit
from caseflow.web import current_actor, now, requires

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.route("/users")
@requires("accounts.manage")
def users():
    rows = services.list_users(db_session(), current_actor())
    return render_template("admin/users.html", users=rows, form=ConfirmForm(), now=now())


@bp.route("/users/new", methods=["GET", "POST"])
@requires("accounts.manage")
def create_user():
    form = CreateUserForm()
    if form.validate_on_submit():
        try:
            user, password = services.create_user(
                db_session(),
                current_actor(),
                username=form.username.data or "",
                display_name=form.display_name.data or "",
                email=form.email.data or "",
                role=form.role.data or "",
                organisation=form.organisation.data or "",
                phone=form.phone.data,
                settings=services_settings(),
                now=now(),
            )
        except ValidationError as exc:
            rollback_unit()
            getattr(form, exc.field or "username").errors.append(exc.message)
        else:
            return render_template("admin/user_created.html", user=user, password=password)
    status = 400 if form.errors else 200
    return render_template("admin/user_new.html", form=form), status


def services_settings() -> services.AuthSettings:
    from flask import current_app

    return current_app.extensions["caseflow.auth"]


def _admin_action(user_id: int, action: str):
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    session = db_session()
    actor = current_actor()
    try:
        if action == "deactivate":
            user = services.deactivate_user(session, actor, user_id, now=now())
            flash(f"{user.username} is deactivated; all sessions ended.", "info")
        elif action == "unlock":
            user = services.unlock_user(session, actor, user_id, now=now())
            flash(f"{user.username} is unlocked.", "info")
        else:
            user, password = services.reset_second_factor(
                session, actor, user_id, settings=services_settings(), now=now()
            )
            return render_template(
                "admin/user_created.html", user=user, password=password, reset=True
            )
    except CaseFlowError as exc:
        rollback_unit()
        flash(exc.message, "error")
    return redirect(url_for("admin.users"))


@bp.route("/users/<int:user_id>/deactivate", methods=["POST"])
@requires("accounts.manage")
def deactivate(user_id: int):
    return _admin_action(user_id, "deactivate")


@bp.route("/users/<int:user_id>/unlock", methods=["POST"])
@requires("accounts.manage")
def unlock(user_id: int):
    return _admin_action(user_id, "unlock")


@bp.route("/users/<int:user_id>/reset-2fa", methods=["POST"])
@requires("accounts.manage")
def reset_2fa(user_id: int):
    return _admin_action(user_id, "reset-2fa")
