"""The input fields investigators fill in (web form, CSV columns, API), mapped to normalizers.

One vocabulary for every entry path: `value` plus a few optional fields per kind. Errors of
the normalizers come back named after these fields, in words ("Platform: required for
accounts."). Pure: must not import flask or sqlalchemy.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from caseflow.entities.errors import InvalidIdentifier
from caseflow.entities.normalize import KINDS, Raw
from caseflow.errors import ValidationError

# Optional input fields besides `value`, by kind. `value` means: phone number, e-mail
# address, URL, domain, IP address, wallet address, IBAN, IMEI, handle, ad URL or id, the
# name of a person/organization/provider, or a jurisdiction code.
KIND_FIELDS: dict[str, tuple[str, ...]] = {
    "account": ("platform",),
    "ad": ("platform", "posted_at", "title", "text"),
    "bank_account": (),
    "device": (),
    "domain": (),
    "email": (),
    "ip_address": ("port", "observed_at"),
    "jurisdiction": (),
    "organization": ("country", "registration_number", "ref"),
    "person": ("ref",),
    "phone": ("region",),
    "service_provider": ("category", "country", "legal_contact"),
    "url": (),
    "wallet": ("chain",),
}
_EXTRA_FIELDS = sorted({f for fields in KIND_FIELDS.values() for f in fields})
INPUT_FIELDS = ("kind", "value", "role", "note", *_EXTRA_FIELDS)

KIND_LABELS = {
    "account": "Account",
    "ad": "Ad",
    "bank_account": "Bank account (IBAN)",
    "device": "Device (IMEI)",
    "domain": "Domain",
    "email": "E-mail",
    "ip_address": "IP address",
    "jurisdiction": "Jurisdiction",
    "organization": "Organization",
    "person": "Person",
    "phone": "Phone",
    "service_provider": "Service provider",
    "url": "URL",
    "wallet": "Wallet",
}
_PLURALS = {
    "account": "accounts",
    "ad": "ads",
    "wallet": "wallets",
    "person": "persons",
    "organization": "organizations",
    "service_provider": "service providers",
    "phone": "phones",
    "ip_address": "IP addresses",
}
_FIELD_LABELS = {
    "value": "Value",
    "platform": "Platform",
    "chain": "Chain",
    "port": "Port",
    "observed_at": "Observed at",
    "posted_at": "Posted at",
    "region": "Region",
    "country": "Country",
    "category": "Category",
    "legal_contact": "Legal contact",
    "registration_number": "Registration number",
    "ref": "Reference",
    "title": "Title",
    "text": "Text",
    "kind": "Kind",
    "role": "Role",
}
# Normalizer sub-fields whose input field is not `<kind>.<name>` -> `<name>`.
_RENAMED = {
    "service_provider.jurisdiction": "country",
    "service_provider.name": "value",
    "person.name": "value",
    "organization.name": "value",
    "person.ref": "ref",
    "organization.ref": "ref",
    "account.handle": "value",
    "wallet.address": "value",
    "ad.id": "value",
    "ad.url": "value",
    "ad.text": "text",
    "phone.region": "region",
}


def field_label(name: str) -> str:
    return _FIELD_LABELS.get(name, name.replace("_", " ").capitalize())


def input_field(kind: str, invalid_field: str) -> str:
    """The input field a normalizer's error field refers to (`account.platform` -> platform)."""
    if invalid_field in _RENAMED:
        return _RENAMED[invalid_field]
    head, _, tail = invalid_field.partition(".")
    if tail and tail in INPUT_FIELDS:
        return tail
    if head == "kind":
        return "kind"
    return "value"


def validation_error(kind: str, exc: InvalidIdentifier) -> ValidationError:
    """InvalidIdentifier -> ValidationError naming the input field and the rule."""
    name = input_field(kind, exc.field)
    rule = exc.rule.rstrip(".")
    if rule == "is required":
        rule = f"required for {_PLURALS.get(kind, kind + 's')}"
    if name != "value":
        label = field_label(name)
    elif kind in ("person", "organization", "service_provider"):
        label = "Name"
    else:
        label = KIND_LABELS.get(kind, "Value")
    return ValidationError(f"{label}: {rule}.", field=name)


def check_kind(kind: str) -> str:
    kind = (kind or "").strip().lower()
    if kind not in KINDS:
        raise ValidationError(
            f"Kind: one of {', '.join(sorted(KINDS))}.",
            field="kind",
        )
    return kind


def raw_from_fields(kind: str, fields: Mapping[str, str | None]) -> Raw:
    """Build what `normalize(kind, ...)` takes from input fields (`value` and KIND_FIELDS).

    Empty fields are absent. Unknown fields for the kind are refused, naming the field, so a
    `chain` given with a phone is not silently ignored.
    """
    kind = check_kind(kind)
    given = {k: v.strip() for k, v in fields.items() if isinstance(v, str) and v.strip()}
    allowed = set(KIND_FIELDS[kind]) | {"value", "kind", "role", "note"}
    for name in sorted(given):
        if name not in allowed:
            raise ValidationError(
                f"{field_label(name)}: not used for {_PLURALS.get(kind, kind + 's')}.",
                field=name,
            )
    value = given.get("value", "")
    extra = {k: given[k] for k in KIND_FIELDS[kind] if k in given}
    if kind in ("person", "organization"):
        out = {"name": value, **extra}
        if "country" in out and kind == "person":
            out.pop("country")
        # A reference alone names an existing person or organization (never a name match).
        return out if value or "ref" not in extra else extra["ref"]
    if kind == "service_provider":
        out = {"name": value, **extra}
        if "country" in out:
            out["jurisdiction"] = out.pop("country")
        return out
    if kind == "account":
        if "platform" not in extra and ":" in value:
            return value  # "platform:handle"
        return {"handle": value, **extra}
    if kind == "wallet":
        return value if "chain" not in extra else {"address": value, **extra}
    if kind == "ad":
        key = "url" if value.lower().startswith(("http://", "https://")) else "id"
        return {key: value, **extra} if value else extra
    primary = {
        "phone": "number",
        "email": "address",
        "url": "url",
        "domain": "domain",
        "ip_address": "address",
        "bank_account": "iban",
        "device": "imei",
        "jurisdiction": "code",
    }[kind]
    return {primary: value, **extra} if extra else ({primary: value} if value else {})


# --- CSV ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CsvRow:
    """One data row of an import file; `line` is its line number in the file (header = 1)."""

    line: int
    fields: Mapping[str, str]


def read_csv(data: bytes | str) -> list[CsvRow]:
    """Parse an import file: a header with `kind` and `value`, optional columns among
    INPUT_FIELDS. Blank rows are skipped. Raises ValidationError for a bad header."""
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ValidationError("File: must be UTF-8 text.", field="file") from None
    else:
        text = data
    reader = csv.DictReader(io.StringIO(text, newline=""))
    progress = [0]  # the last line of the last record read
    try:
        return _read_rows(reader, progress)
    except csv.Error as exc:
        # A field over the csv module's limit, a NUL byte, or a quote left open: named with
        # the line its record starts on.
        raise ValidationError(
            f"File: line {progress[0] + 1}: {_csv_problem(exc)}; nothing was imported.",
            field="file",
        ) from None


def _csv_problem(exc: csv.Error) -> str:
    text = str(exc)
    if "field larger than field limit" in text:
        limit = csv.field_size_limit()
        return f"a field is longer than {limit:,} characters ({limit // 1024} KiB), the limit"
    if "NUL" in text:
        return "the file contains a NUL byte: not a text CSV file"
    return f"not valid CSV ({text})"


def _read_rows(reader: csv.DictReader[str], progress: list[int]) -> list[CsvRow]:
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    progress[0] = reader.line_num
    if "kind" not in header or "value" not in header:
        raise ValidationError("File: the first line must name the columns kind and value.")
    unknown = [h for h in header if h and h not in INPUT_FIELDS]
    if unknown:
        raise ValidationError(
            f"File: unknown column(s) {', '.join(unknown)}; known: {', '.join(INPUT_FIELDS)}.",
            field="file",
        )
    reader.fieldnames = header
    rows: list[CsvRow] = []
    line = reader.line_num
    for record in reader:
        start = line + 1
        line = progress[0] = reader.line_num
        fields = {k: (v or "") for k, v in record.items() if k}
        if not any(v.strip() for v in fields.values()):
            continue
        rows.append(CsvRow(start, fields))
    return rows


def rows_from_dicts(records: Iterable[Mapping[str, str]], first_line: int = 2) -> list[CsvRow]:
    """Rows given as mappings (API), numbered as if they came from a file with a header."""
    return [CsvRow(first_line + i, dict(r)) for i, r in enumerate(records)]
