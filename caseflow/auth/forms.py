"""Login and enrolment forms (Flask-WTF: CSRF token on every one)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, StringField
from wtforms.validators import DataRequired, Length


class LoginForm(FlaskForm):
    username = StringField("Username", validators=[DataRequired(message="Username: required.")])
    password = PasswordField("Password", validators=[DataRequired(message="Password: required.")])
    ack = BooleanField(
        "I have read the notice above and accept its conditions",
        validators=[DataRequired(message="Notice: you must accept the system-use notice.")],
    )


class ChangePasswordForm(FlaskForm):
    password = PasswordField(
        "New password", validators=[DataRequired(message="New password: required.")]
    )
    confirm = PasswordField(
        "Confirm new password", validators=[DataRequired(message="Confirm password: required.")]
    )


class CodeForm(FlaskForm):
    code = StringField(
        "6-digit code",
        validators=[
            DataRequired(message="Code: required."),
            Length(min=6, max=8, message="Code: enter the 6 digits your authenticator shows."),
        ],
    )


class RecoveryForm(FlaskForm):
    code = StringField(
        "Recovery code", validators=[DataRequired(message="Recovery code: required.")]
    )


class ConfirmForm(FlaskForm):
    """A form with nothing but its CSRF token (logout, admin actions)."""
