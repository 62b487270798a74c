"""Settings page "API tokens": a user lists, issues (secret shown once) and revokes their own."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for

from caseflow.api import services
from caseflow.api.forms import TokenForm
from caseflow.auth.forms import ConfirmForm
from caseflow.errors import ValidationError
from caseflow.extensions import db_session, rollback_unit
from caseflow.web import current_actor, now

bp = Blueprint("api_tokens", __name__, url_prefix="/settings/tokens")


def _page(form: TokenForm, *, secret: str | None = None, status: int = 200):
    actor = current_actor()
    tokens = services.list_tokens(db_session(), actor, user_id=actor.user_id or 0)
    return render_template(
        "api/tokens.html",
        form=form,
        tokens=tokens,
        secret=secret,
        confirm=ConfirmForm(),
        state=lambda t: services.token_state(t, now()),
    ), status


@bp.route("/", methods=["GET", "POST"])
def index():
    form = TokenForm()
    if form.validate_on_submit():
        actor = current_actor()
        try:
            _token, secret = services.create_token(
                db_session(),
                actor,
                user_id=actor.user_id or 0,
                name=form.name.data or "",
                scope=form.scope.data or "",
                days=form.days.data or 0,
                now=now(),
            )
        except ValidationError as exc:
            rollback_unit()
            target = getattr(form, exc.field or "", None) or form.name
            target.errors.append(exc.message)
        else:
            return _page(TokenForm(formdata=None), secret=secret, status=201)
    return _page(form, status=400 if form.errors else 200)


@bp.route("/<int:token_id>/revoke", methods=["POST"])
def revoke(token_id: int):
    if ConfirmForm().validate_on_submit():
        services.revoke_token(db_session(), current_actor(), token_id, now=now())
        flash("Token revoked.", "info")
    return redirect(url_for("api_tokens.index"))
