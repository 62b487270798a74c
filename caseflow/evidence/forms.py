"""Evidence forms. Validation of meaning (times, transfers, seals, hashes) is the services' job."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    DateTimeLocalField,
    FileField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from caseflow.evidence.models import CUSTODY_ACTIONS

TIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"]


class _ItemFields(FlaskForm):
    description = TextAreaField(
        "Description", validators=[DataRequired(message="Description: required."), Length(max=5000)]
    )
    source = StringField("Source", validators=[Optional(), Length(max=500)])
    acquisition_method = StringField("Acquisition method", validators=[Optional(), Length(max=200)])
    acquisition_tool = StringField(
        "Acquisition tool and version", validators=[Optional(), Length(max=200)]
    )
    acquired_by = StringField(
        "Acquired by", validators=[DataRequired(message="Acquired by: required."), Length(max=200)]
    )
    acquired_at = DateTimeLocalField(
        "Acquired at (UTC)",
        format=TIME_FORMATS,
        validators=[DataRequired(message="Acquired at: a date and time (UTC).")],
    )
    location = StringField("Location", validators=[Optional(), Length(max=500)])
    seal_number = StringField("Seal number", validators=[Optional(), Length(max=100)])


class ItemForm(_ItemFields):
    """A physical item or an external reference (bytes held elsewhere)."""

    kind = SelectField(
        "Kind",
        choices=[
            SelectChoice("physical", "Physical item"),
            SelectChoice("external", "External reference (hashes recorded)"),
        ],
    )
    sha256 = StringField("SHA-256 (external references)", validators=[Optional()])
    sha1 = StringField("SHA-1 (optional)", validators=[Optional()])
    md5 = StringField("MD5 (optional)", validators=[Optional()])
    size = IntegerField("Size in bytes (optional)", validators=[Optional()])


class UploadForm(_ItemFields):
    """Rendered as a form; the POST is parsed by caseflow.evidence.upload (streaming). The
    file input comes last so the text fields arrive before the bytes."""

    file = FileField("File")


class CustodyEventForm(FlaskForm):
    action = SelectField(
        "Action", choices=[SelectChoice(a, a.capitalize()) for a in CUSTODY_ACTIONS]
    )
    ts_utc = DateTimeLocalField(
        "When (UTC)",
        format=TIME_FORMATS,
        validators=[DataRequired(message="When: a date and time (UTC).")],
    )
    from_custodian = StringField("Released by (transfers)", validators=[Optional()])
    to_custodian = StringField("Received by (transfers)", validators=[Optional()])
    location = StringField("Location", validators=[Optional()])
    purpose = StringField("Purpose or authority", validators=[Optional()])
    authority_ref = StringField("Authority reference (warrant, request)", validators=[Optional()])
    tool = StringField("Tool and version", validators=[Optional()])
    seal_ids = StringField("Seal number", validators=[Optional()])
    seal_condition = StringField("Seal condition", validators=[Optional()])
    observed_sha256 = StringField("SHA-256 observed", validators=[Optional()])
    notes = TextAreaField("Notes", validators=[Optional()])
    corrects_event_id = StringField("Corrects event (ID)", validators=[Optional()])


class ServeForm(FlaskForm):
    """Opening or downloading a file: a custody "accessed" event, with an optional purpose."""

    purpose = StringField("Purpose", validators=[Optional(), Length(max=2000)])
