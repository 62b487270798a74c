"""Case forms. Validation of meaning (jurisdiction codes, membership) is the services' job."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from caseflow.cases.models import CASE_STATUSES, PRIORITIES


def _choices(values):
    return [SelectChoice(v, v.replace("-", " ").capitalize()) for v in values]


class CaseForm(FlaskForm):
    title = StringField(
        "Title", validators=[DataRequired(message="Title: required."), Length(max=200)]
    )
    summary = TextAreaField("Summary", validators=[Optional(), Length(max=20000)])
    lead_jurisdiction = StringField(
        "Lead jurisdiction (ISO code, e.g. GB)",
        validators=[DataRequired(message="Lead jurisdiction: required.")],
    )
    involved = StringField(
        "Other jurisdictions involved (codes, comma-separated)", validators=[Optional()]
    )
    priority = SelectField("Priority", choices=_choices(PRIORITIES), default="normal")


class EditCaseForm(FlaskForm):
    title = StringField(
        "Title", validators=[DataRequired(message="Title: required."), Length(max=200)]
    )
    summary = TextAreaField("Summary", validators=[Optional(), Length(max=20000)])
    status = SelectField("Status", choices=_choices(CASE_STATUSES))
    priority = SelectField("Priority", choices=_choices(PRIORITIES))


class MemberForm(FlaskForm):
    username = StringField("Username", validators=[DataRequired(message="Username: required.")])
    role = SelectField("Role in case", choices=_choices(("investigator", "liaison", "analyst")))


class TaskForm(FlaskForm):
    title = StringField(
        "Task", validators=[DataRequired(message="Task: a title is required."), Length(max=200)]
    )
    kind = SelectField(
        "Kind", choices=_choices(("task", "deadline", "preservation-expiry")), default="task"
    )
    assignee = StringField("Assignee (username, optional)", validators=[Optional()])
    due_on = DateField(
        "Due date",
        validators=[Optional()],
        format="%Y-%m-%d",
    )


class PurposeForm(FlaskForm):
    purpose = TextAreaField(
        "Purpose of opening this case",
        validators=[DataRequired(message="Purpose: required.")],
    )
