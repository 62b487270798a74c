"""MLA request forms. Meaning (state codes, completeness, workflow) is the services' job."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from caseflow.mla.legal_basis import HOLDER_KINDS, REQUEST_TYPES, URGENCIES, instrument_codes
from caseflow.mla.models import PROCEEDINGS_STAGES
from caseflow.mla.packet import AUTHORITY_KINDS


def _choices(values):
    return [SelectChoice(v, v.replace("-", " ").capitalize()) for v in values]


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class RequestForm(FlaskForm):
    requested_state = StringField(
        "Requested state (ISO code, e.g. US)",
        validators=[DataRequired(message="Requested state: required.")],
    )
    request_types = CheckboxesField("Type of assistance", choices=_choices(REQUEST_TYPES))
    holder_kind = SelectField("Holder of the data", choices=_choices(HOLDER_KINDS))
    holder_name = StringField("Holder's name and address", validators=[Length(max=300)])
    central_authority = StringField(
        "Central or executing authority (where known)", validators=[Length(max=300)]
    )
    requesting_authority = StringField("Requesting authority", validators=[Length(max=300)])
    authority_address = TextAreaField("Authority's address", validators=[Length(max=2000)])
    contact_person = StringField("Contact officer", validators=[Length(max=200)])
    contact_phone = StringField("Phone (E.164)", validators=[Length(max=40)])
    contact_email = StringField("E-mail", validators=[Length(max=254)])
    contact_24_7 = StringField("24/7 contact", validators=[Length(max=200)])
    time_zone = StringField("Contact's time zone", validators=[Length(max=64)])
    proceedings_stage = SelectField("Proceedings stage", choices=_choices(PROCEEDINGS_STAGES))
    time_from = DateTimeLocalField("Time range from (UTC)", validators=[Optional()])
    time_to = DateTimeLocalField("Time range to (UTC)", validators=[Optional()])
    summary_of_facts = TextAreaField("Summary of facts", validators=[Length(max=20000)])
    necessity = TextAreaField("Necessity and purpose", validators=[Length(max=10000)])
    urgency = SelectField("Urgency", choices=_choices(URGENCIES))
    urgency_reason = TextAreaField("Reasons for urgency", validators=[Length(max=5000)])
    confidentiality = TextAreaField("Confidentiality", validators=[Length(max=5000)])
    use_limits = TextAreaField("Use limitation", validators=[Length(max=5000)])
    earlier_requests = TextAreaField(
        "Earlier requests and preservation references (one per line, or 'None')",
        validators=[Length(max=5000)],
    )
    production_to_follow = BooleanField("A production or MLA request will follow (preservation)")
    child_offence = BooleanField("The offences concern the sale or sexual exploitation of children")
    language = StringField("Language of the request", validators=[Length(max=40)])


class BasisForm(FlaskForm):
    code = SelectField("Legal basis", choices=[SelectChoice(c, c) for c in instrument_codes()])
    reason = TextAreaField("Reason (required if not the proposed basis)", validators=[Optional()])


class OffenceForm(FlaskForm):
    name = StringField("Offence", validators=[DataRequired(message="Offence: required.")])
    provision = StringField("Statutory provision", validators=[Length(max=300)])
    maximum_penalty = StringField("Maximum penalty", validators=[Length(max=100)])


class IdentifierForm(FlaskForm):
    entity = SelectField("Identifier (from this case)", coerce=int, choices=[])
    observed_at = DateTimeLocalField("Observed at (UTC, for IP addresses)", validators=[Optional()])
    port = IntegerField("Source port (for IP addresses)", validators=[Optional()])
    relevance = TextAreaField(
        "Link to the offence", validators=[DataRequired(message="Link to the offence: required.")]
    )


class AnnexForm(FlaskForm):
    evidence = SelectField("Evidence item", coerce=int, choices=[])


AUTHORITY_FIELDS = (
    "issuer_kind",
    "issuer_name",
    "issuer_post",
    "issuer_place",
    "issuer_seal",
    "validator_authority",
    "validator_name",
    "validator_post",
)


class DecisionForm(FlaskForm):
    decision = SelectField(
        "Decision", choices=[SelectChoice("approve", "Approve"), SelectChoice("return", "Return")]
    )
    reason = TextAreaField("Reason (required to return)", validators=[Optional()])
    issuer_kind = SelectField(
        "Issuing authority: type",
        choices=[SelectChoice(k, k.capitalize()) for k in AUTHORITY_KINDS],
        default="prosecutor",
    )
    issuer_name = StringField("Issuing authority: name of the signatory", [Length(max=200)])
    issuer_post = StringField("Issuing authority: post", [Length(max=200)])
    issuer_place = StringField("Place of issue", [Length(max=200)])
    issuer_seal = StringField("Stamp or seal (description)", [Length(max=300)])
    validator_authority = StringField("Validating authority (where needed)", [Length(max=300)])
    validator_name = StringField("Validating authority: name of the signatory", [Length(max=200)])
    validator_post = StringField("Validating authority: post", [Length(max=200)])
    code = StringField(
        "6-digit code from your authenticator",
        validators=[DataRequired(message="Code: enter the current code.")],
    )


class ExportForm(FlaskForm):
    recipient = StringField(
        "Recipient (authority the packet is for)",
        validators=[DataRequired(message="Recipient: required.")],
    )


class SentForm(FlaskForm):
    sent_to = StringField(
        "Sent to (authority or channel)", validators=[DataRequired(message="Sent to: required.")]
    )


class AcknowledgedForm(FlaskForm):
    foreign_reference = StringField("Their reference", validators=[Length(max=120)])


class CloseForm(FlaskForm):
    outcome = SelectField(
        "Outcome",
        choices=[
            SelectChoice("fulfil", "Fulfilled"),
            SelectChoice("refuse", "Refused"),
            SelectChoice("withdraw", "Withdrawn"),
        ],
    )
    note = TextAreaField("Note", validators=[Optional()])


class TranslationForm(FlaskForm):
    language = StringField(
        "Language of the translation (ISO 639, e.g. de)",
        validators=[DataRequired(message="Language: required."), Length(max=16)],
    )
    translator_name = StringField("Translator's name", validators=[Length(max=200)])
    certification = TextAreaField("Translator's certification", validators=[Length(max=2000)])
    file = FileField(
        "Certified translation (PDF)",
        validators=[FileRequired(message="Certified translation: choose the PDF.")],
    )


class LanguageReasonForm(FlaskForm):
    language_reason = TextAreaField(
        "Reason to send the document untranslated", validators=[Length(max=2000)]
    )


class ReopenForm(FlaskForm):
    reopen_reason = TextAreaField("What changed since approval", validators=[Length(max=2000)])
