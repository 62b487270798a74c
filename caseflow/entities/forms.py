"""Entity forms. They only shape input; the services validate meaning (normalizers, roles)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from caseflow.entities.inputs import KIND_LABELS
from caseflow.entities.models import CONFIDENCES, INVOLVEMENT_ROLES, LINK_TYPES
from caseflow.entities.normalize import PROVIDER_CATEGORIES

KIND_CHOICES = [SelectChoice(k, v) for k, v in sorted(KIND_LABELS.items(), key=lambda kv: kv[1])]


class EntityForm(FlaskForm):
    """One form for every kind: `value` plus the fields some kinds use (see inputs.KIND_FIELDS)."""

    kind = SelectField("Kind", choices=KIND_CHOICES)
    value = StringField(
        "Value (number, address, handle, URL, IBAN, IMEI, name or code)",
        validators=[Optional(), Length(max=2048)],
    )
    platform = StringField("Platform (accounts and ads, e.g. telegram)", validators=[Optional()])
    chain = StringField("Chain (wallets, e.g. btc, eth)", validators=[Optional()])
    region = StringField("Region (phones, if not the case's lead jurisdiction)")
    port = StringField("Port (IP addresses)", validators=[Optional()])
    observed_at = StringField(
        "Observed at (IP addresses; ISO 8601 with offset, e.g. 2026-10-01T10:00:00Z)",
        validators=[Optional()],
    )
    posted_at = StringField("Posted at (ads; ISO 8601 with offset)", validators=[Optional()])
    title = StringField("Title (ads)", validators=[Optional(), Length(max=500)])
    country = StringField("Country (organizations, service providers; ISO code)")
    category = SelectField(
        "Category (service providers)",
        choices=[SelectChoice("", "—")] + [SelectChoice(c, c) for c in sorted(PROVIDER_CATEGORIES)],
        validators=[Optional()],
    )
    legal_contact = StringField(
        "Legal-request contact (service providers)", validators=[Optional(), Length(max=500)]
    )
    registration_number = StringField("Registration number (organizations)")
    ref = StringField("Existing reference (persons, organizations; UUID)")
    role = SelectField(
        "Role in this case (persons, organizations)",
        choices=[SelectChoice("", "—")]
        + [SelectChoice(r, r.capitalize()) for r in INVOLVEMENT_ROLES],
        validators=[Optional()],
    )
    note = TextAreaField("Note", validators=[Optional(), Length(max=5000)])

    ENTITY_FIELDS = (
        "kind",
        "value",
        "platform",
        "chain",
        "region",
        "port",
        "observed_at",
        "posted_at",
        "title",
        "country",
        "category",
        "legal_contact",
        "registration_number",
        "ref",
        "role",
        "note",
    )

    def input_fields(self) -> dict[str, str]:
        return {name: getattr(self, name).data or "" for name in self.ENTITY_FIELDS}


class LinkForm(FlaskForm):
    source_id = SelectField("From", coerce=int)
    type = SelectField(
        "Link type", choices=[SelectChoice(t, t.replace("_", " ")) for t in LINK_TYPES]
    )
    target_id = SelectField("To", coerce=int)
    confidence = SelectField(
        "Confidence", choices=[SelectChoice(c, c.capitalize()) for c in CONFIDENCES]
    )
    assessment = RadioField(
        "Nature",
        choices=[
            SelectChoice("fact", "Fact (established)"),
            SelectChoice("assessment", "Assessment (an opinion)"),
        ],
        default="fact",
    )
    evidence_item_id = IntegerField(
        "Evidence item number (optional)", validators=[Optional(), NumberRange(min=1)]
    )
    note = TextAreaField("Note", validators=[Optional(), Length(max=5000)])


class AdForm(FlaskForm):
    value = StringField(
        "Ad URL or id",
        validators=[DataRequired(message="Ad URL or id: required."), Length(max=2048)],
    )
    platform = StringField("Platform (e.g. telegram; needed for bare @handles)")
    posted_at = StringField("Posted at (ISO 8601 with offset, optional)")
    title = StringField("Ad title (optional)", validators=[Optional(), Length(max=500)])
    posted_by = StringField("Posted by (handle on the platform, optional)")
    text = TextAreaField("Text of the ad", validators=[Optional(), Length(max=100_000)])
    text_file = FileField("Or upload the text (UTF-8 .txt)")


class ImportForm(FlaskForm):
    file = FileField("CSV file", validators=[FileRequired(message="CSV file: required.")])
    skip_bad = BooleanField("Import the good rows and skip the bad ones")
