"""The form for issuing a personal access token (rules are checked by the service)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from caseflow.api.services import MAX_DAYS


class TokenForm(FlaskForm):
    name = StringField(
        "Name (what the token is for)",
        validators=[DataRequired(message="Name: required."), Length(max=64)],
    )
    scope = SelectField(
        "Scope",
        choices=[
            SelectChoice("read", "Read: see my cases"),
            SelectChoice("write", "Read and write: also change my cases"),
        ],
        default="read",
    )
    days = IntegerField(
        "Expires in (days)",
        default=30,
        validators=[
            InputRequired(message="Expires in: required."),
            NumberRange(1, MAX_DAYS, message=f"Expires in: between 1 and {MAX_DAYS} days."),
        ],
    )
