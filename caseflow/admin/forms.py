"""Account administration forms."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from caseflow.auth.models import ROLE_LABELS


class CreateUserForm(FlaskForm):
    username = StringField(
        "Username",
        validators=[DataRequired(message="Username: required."), Length(max=64)],
    )
    display_name = StringField(
        "Full name", validators=[DataRequired(message="Full name: required."), Length(max=128)]
    )
    email = EmailField(
        "E-mail",
        validators=[DataRequired(message="E-mail: required."), Length(max=254)],
    )
    phone = StringField("Phone (contact)", validators=[Optional(), Length(max=32)])
    organisation = StringField(
        "Organisation", validators=[DataRequired(message="Organisation: required.")]
    )
    role = SelectField(
        "Role", choices=[SelectChoice(value, label) for value, label in ROLE_LABELS.items()]
    )
