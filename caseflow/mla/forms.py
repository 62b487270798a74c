"""MLA request forms. Meaning (state codes, completeness, workflow) is the services' job."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    DateTimeLocalField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from caseflow.mla import facts as F
from caseflow.mla.models import PROCEEDINGS_STAGES
from caseflow.mla.packet import AUTHORITY_KINDS
from caseflow.mla.routes import field_spec, instrument, instrument_codes

_UNKNOWN_LABEL = "Not known yet"


def _choices(values):
    return [
        SelectChoice(v, _UNKNOWN_LABEL if v == F.UNKNOWN else v.replace("-", " ").capitalize())
        for v in values
    ]


def _help(key: str, extra: str = "") -> str:
    """The field's plain-language help from the rules data (one text for form and checklist)."""
    return " ".join(t for t in (field_spec(key).help, extra) if t)


_ANSWER_CHOICES = [
    SelectChoice("unknown", _UNKNOWN_LABEL),
    SelectChoice("yes", "Yes"),
    SelectChoice("no", "No"),
]
_UNKNOWN_OK = "'Not known yet' is a valid answer: it blocks only the instruments that need it."


def _answer(label: str, key: str) -> RadioField:
    return RadioField(
        label, choices=_ANSWER_CHOICES, default="unknown", description=_help(key, _UNKNOWN_OK)
    )


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


_CATEGORY_LABELS = {
    "subscriber": "Subscriber data (who holds the account)",
    "identification": "Data only to identify the user (e.g. who used an IP address at a time)",
    "traffic": "Traffic data (connections, logs, metadata)",
    "content": "Content (messages, files, posts)",
    "financial": "Financial records (bank, payment, crypto-asset)",
    "search": "Search and seizure",
    "hearing": "Hearing of a person (witness, suspect, expert)",
    "other": "Other assistance",
}


class RequestForm(FlaskForm):
    """Every fact the legal-basis resolver and the checklists use, each with its help. Every
    choice starts at "Not known yet": the form assumes nothing."""

    requested_state = StringField(
        "Requested state (ISO code, e.g. US)",
        validators=[DataRequired(message="Requested state: required.")],
        description=_help("requested_state"),
    )
    measure = SelectField(
        "Measure", choices=_choices(F.MEASURES), default="unknown", description=_help("measure")
    )
    data_categories = CheckboxesField(
        "What is sought",
        choices=[SelectChoice(c, _CATEGORY_LABELS[c]) for c in F.CATEGORIES],
        description=_help("data_categories"),
    )
    holder_kind = SelectField(
        "Holder of the data",
        choices=_choices(F.HOLDER_KINDS),
        default="unknown",
        description=_help("holder_kind"),
    )
    holder_name = StringField(
        "Holder's name and address",
        validators=[Length(max=300)],
        description=_help("holder_name"),
    )
    holder_eu_presence = SelectField(
        "Holder's establishment or representative in the EU",
        choices=_choices(F.EU_PRESENCE),
        default="unknown",
        description=_help("holder_eu_presence"),
    )
    holder_eu_state = StringField(
        "EU state of that establishment or representative (ISO code)",
        validators=[Length(max=8)],
        description=_help("holder_eu_state"),
    )
    central_authority = StringField(
        "Central or executing authority (where known)",
        validators=[Length(max=300)],
        description=_help("central_authority"),
    )
    requesting_authority = StringField(
        "Issuing (requesting) authority",
        validators=[Length(max=300)],
        description=_help("requesting_authority"),
    )
    issuing_authority_type = SelectField(
        "Type of issuing authority",
        choices=_choices(F.AUTHORITY_TYPES),
        default="unknown",
        description=_help("issuing_authority_type"),
    )
    issuing_file_reference = StringField(
        "Issuing authority's file number (blank: the CaseFlow reference)",
        validators=[Length(max=120)],
        description=_help("issuing_file_reference"),
    )
    authority_address = TextAreaField(
        "Authority's address", validators=[Length(max=2000)], description=_help("authority_address")
    )
    validating_authority = StringField(
        "Validating authority (if another authority must validate)",
        validators=[Length(max=300)],
        description=_help("validating_authority"),
    )
    validating_authority_type = SelectField(
        "Type of validating authority",
        choices=_choices(F.AUTHORITY_TYPES),
        default="unknown",
        description=_help("validating_authority_type"),
    )
    validating_file_reference = StringField(
        "Validating authority's file number",
        validators=[Length(max=120)],
        description=_help("validating_file_reference"),
    )
    conducting_authority = StringField(
        "Authority conducting the proceedings (if not the issuing authority)",
        validators=[Length(max=300)],
        description=_help("conducting_authority"),
    )
    contact_person = StringField("Contact officer", validators=[Length(max=200)])
    contact_phone = StringField("Phone (E.164)", validators=[Length(max=40)])
    contact_email = StringField("E-mail", validators=[Length(max=254)])
    contact_24_7 = StringField("24/7 contact (phone)", validators=[Length(max=200)])
    time_zone = StringField(
        "Contact's time zone", validators=[Length(max=64)], description="e.g. Europe/London"
    )
    proceedings_stage = SelectField(
        "Proceedings stage",
        choices=_choices(PROCEEDINGS_STAGES),
        default="investigation",
        description=_help("proceedings_stage"),
    )
    time_from = DateTimeLocalField(
        "Time range from (UTC)", validators=[Optional()], description=_help("time_range")
    )
    time_to = DateTimeLocalField("Time range to (UTC)", validators=[Optional()])
    summary_of_facts = TextAreaField(
        "Summary of facts", validators=[Length(max=20000)], description=_help("summary_of_facts")
    )
    necessity = TextAreaField(
        "Necessity and purpose", validators=[Length(max=10000)], description=_help("necessity")
    )
    persons_concerned = TextAreaField(
        "Persons concerned",
        validators=[Length(max=10000)],
        description=_help("persons_concerned"),
    )
    probable_cause = TextAreaField(
        "Probable cause (requests to the United States for content)",
        validators=[Length(max=20000)],
        description=_help("probable_cause"),
    )
    transnational = _answer("Is the offence transnational (UNTOC Art. 3(2))?", "transnational")
    organised_group = _answer(
        "Is an organised criminal group involved (UNTOC Art. 2(a))?", "organised_group"
    )
    child_exploitation = _answer(
        "Do the offences concern the sale of children, child prostitution or child sexual "
        "abuse material (OPSC)?",
        "child_exploitation",
    )
    offence_in_issuing_state = _answer(
        "Was the offence committed in the issuing state?", "enforcing_notification"
    )
    person_in_issuing_state = _answer(
        "Does the person whose data are sought live in the issuing state?",
        "enforcing_notification",
    )
    urgency = SelectField(
        "Urgency", choices=_choices(F.URGENCIES), default="normal", description=_help("urgency")
    )
    urgency_reason = TextAreaField(
        "Reasons for urgency (or the emergency)",
        validators=[Length(max=5000)],
        description=_help("urgency_reason"),
    )
    immunities = TextAreaField(
        "Immunities, privileges or protected data (EPOC)",
        validators=[Length(max=5000)],
        description=_help("immunities"),
    )
    confidentiality = TextAreaField(
        "Confidentiality", validators=[Length(max=5000)], description=_help("confidentiality")
    )
    use_limits = TextAreaField(
        "Use limitation", validators=[Length(max=5000)], description=_help("use_limits")
    )
    formalities = TextAreaField(
        "Formalities and procedures requested",
        validators=[Length(max=5000)],
        description=_help("formalities"),
    )
    legal_remedies = TextAreaField(
        "Legal remedies (EIO)", validators=[Length(max=5000)], description=_help("legal_remedies")
    )
    earlier_requests = TextAreaField(
        "Earlier requests and preservation references (one per line, or 'None')",
        validators=[Length(max=5000)],
        description=_help("earlier_requests"),
    )
    production_to_follow = _answer(
        "Will a production or MLA request follow (preservation)?", "production_to_follow"
    )
    language = StringField(
        "Language of the request", validators=[Length(max=40)], description=_help("language")
    )


class BasisForm(FlaskForm):
    code = SelectField(
        "Legal basis",
        choices=[SelectChoice(c, f"{c}: {instrument(c).short}") for c in instrument_codes()],
    )
    reason = TextAreaField("Reason (required if not the proposed basis)", validators=[Optional()])


class OffenceForm(FlaskForm):
    name = StringField("Offence", validators=[DataRequired(message="Offence: required.")])
    provision = StringField("Statutory provision", validators=[Length(max=300)])
    maximum_penalty = StringField(
        "Maximum penalty", validators=[Length(max=100)], description=_help("maximum_penalty")
    )
    tags = CheckboxesField(
        "The offence is (tick only what you can state)",
        choices=[SelectChoice(k, v) for k, v in F.OFFENCE_TAGS.items()],
    )
    by_information_system = RadioField(
        "Committed wholly or partly by means of an information system?",
        choices=_ANSWER_CHOICES,
        default="unknown",
        description="Reg. 2023/1543 Art. 5(4)(b): decides whether a listed offence opens an "
        "EPOC for traffic or content data below the 3-year threshold.",
    )


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
