"""Completeness: the checklist of items each instrument's form requires, field by field.

Which items an instrument requires, under which form reference (EPOC Annex I section letters,
EIO Annex A sections, Budapest Art. 29(2)(a)-(f), UNTOC Art. 18(15)(a)-(f)...), is data
(`checklist` in caseflow/data/routes.json). This module knows how to validate each field by
its kind: identifiers through caseflow.entities.normalize, time ranges as ISO 8601 intervals,
authorities against the directory. A problem names the item and says why. Must not import flask.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date

import pycountry

from caseflow import jurisdictions
from caseflow.entities import normalize
from caseflow.entities.errors import InvalidIdentifier
from caseflow.mla import facts as F
from caseflow.mla.facts import IdentifierFacts, OffenceFacts, Penalty, RequestFacts

__all__ = [
    "FIELD_KINDS",
    "IP_KINDS",
    "PREDICATES",
    "ChecklistItem",
    "IdentifierFacts",
    "OffenceFacts",
    "RequestFacts",
    "checklist",
    "missing_items",
    "notification_required",
]

IP_KINDS = frozenset({"ip_address", "ip"})


@dataclass(frozen=True)
class ChecklistItem:
    """One required item: the field that fills it, the form reference, whether it is done, and
    what is wrong if not. `advice` is a non-blocking note (e.g. an unconfirmed directory
    entry); `reference_confirmed` is False where the form reference awaits a check of the
    official text."""

    key: str
    label: str
    ok: bool
    problem: str = ""
    item: str | None = None
    section: str = ""
    reference_confirmed: bool = True
    advice: str = ""
    help: str = ""

    @property
    def reference(self) -> str:
        """ "Section A", "Art. 29(2)(c)", or the section name where there is no letter."""
        if self.item is None or self.item == "—":
            return self.section
        if len(self.item) == 1 and self.item.isalpha():
            return f"Section {self.item}"
        return f"Art. {self.item}" if self.item[0].isdigit() else self.item

    @property
    def message(self) -> str:
        """What the officer reads: the item, its form reference and the problem."""
        ref = f" ({self.reference})" if self.reference else ""
        return f"{self.label}{ref}: {self.problem}"


# -- Predicates: when an item applies ----------------------------------------------------------


def notification_required(f: RequestFacts) -> bool:
    """Reg. 2023/1543 Art. 8: traffic or content data, unless the offence was committed in the
    issuing state and the person whose data are sought lives there (both stated)."""
    if not f.data_categories & {"traffic", "content"}:
        return False
    return not (f.offence_in_issuing_state == "yes" and f.person_in_issuing_state == "yes")


def _validation_needed(f: RequestFacts) -> bool:
    from caseflow.mla.routes import validation_needed

    return bool(validation_needed(f))


def _emergency_validation(f: RequestFacts) -> bool:
    from caseflow.mla.routes import emergency_validation

    return emergency_validation(f)


def _seeks_data(f: RequestFacts) -> bool:
    electronic = F.PROVIDER_DATA | {"financial"}
    return not f.data_categories or bool(f.data_categories & electronic)


PREDICATES: Mapping[str, Callable[[RequestFacts], bool]] = {
    "validation_needed": _validation_needed,
    "eio_validation": lambda f: f.issuing_authority_type == "other",
    "emergency_validation": _emergency_validation,
    "emergency_notification": lambda f: f.emergency and notification_required(f),
    "urgent": lambda f: f.urgency != "normal",
    "emergency": lambda f: f.emergency,
    "has_ip": lambda f: any(i.kind in IP_KINDS for i in f.identifiers),
    "has_identifiers": lambda f: bool(f.identifiers),
    "seeks_data": _seeks_data,
    "traffic_or_content": lambda f: bool(f.data_categories & {"traffic", "content"}),
    "us_content": lambda f: (
        f.requested_state == "US" and "content" in f.data_categories and f.measure == "obtain"
    ),
    "preserve": lambda f: f.measure == "preserve",
    "subscriber": lambda f: bool(f.data_categories & {"subscriber", "identification"}),
    "traffic": lambda f: "traffic" in f.data_categories,
}


# -- Field kinds: how a value is validated -----------------------------------------------------


@dataclass(frozen=True)
class _Check:
    """The facts, the item's spec and the instrument, for one validation."""

    facts: RequestFacts
    key: str
    within: str | None
    instrument: str


def _filled(*values: str) -> bool:
    return all(v and v.strip() for v in values)


def _text(c: _Check) -> tuple[str, str]:
    return ("", "") if _filled(getattr(c.facts, c.key)) else ("not given", "")


def _state(c: _Check) -> tuple[str, str]:
    value = getattr(c.facts, c.key)
    if not _filled(value):
        return "not given", ""
    try:
        jurisdictions.canonical_code(value)
    except InvalidIdentifier as exc:
        return exc.rule, ""
    return "", ""


_CHOICES = {
    "measure": ("preserve", "obtain"),
    "holder_kind": tuple(k for k in F.HOLDER_KINDS if k != F.UNKNOWN),
    "issuing_authority_type": tuple(k for k in F.AUTHORITY_TYPES if k != F.UNKNOWN),
    "proceedings_stage": F.PROCEEDINGS_STAGES,
    "urgency": F.URGENCIES,
}


def _choice(c: _Check) -> tuple[str, str]:
    value = getattr(c.facts, c.key)
    allowed = _CHOICES[c.key]
    if value in allowed:
        return "", ""
    if not value or value == F.UNKNOWN:
        return f"not stated (one of: {', '.join(allowed)})", ""
    return f"{value!r} is not one of: {', '.join(allowed)}", ""


def _validator(c: _Check) -> tuple[str, str]:
    from caseflow.mla.routes import allowed_validators

    value = c.facts.validating_authority_type
    allowed = allowed_validators(c.facts) if c.instrument != "EIO" else F.JUDICIAL | {"prosecutor"}
    if value == F.UNKNOWN:
        return "not stated", ""
    if value not in allowed:
        names = ", ".join(sorted(a.replace("-", " ") for a in allowed))
        return f"a {value.replace('-', ' ')} cannot validate this order (only: {names})", ""
    return "", ""


def _eu_presence(c: _Check) -> tuple[str, str]:
    value = c.facts.holder_eu_presence
    if value == F.UNKNOWN:
        return "not stated", ""
    if value == "none":
        return (
            "an order under Reg. 2023/1543 is addressed to a designated establishment or "
            "legal representative in the EU (Art. 7), and the holder has none",
            "",
        )
    return "", ""


def _contact(c: _Check) -> tuple[str, str]:
    f = c.facts
    missing, invalid = [], []
    for name, label in (
        ("contact_person", "officer"),
        ("contact_phone", "phone"),
        ("contact_email", "e-mail"),
        ("contact_24_7", "24/7 contact"),
        ("time_zone", "time zone"),
    ):
        value = getattr(f, name)
        if not _filled(value):
            missing.append(label)
            continue
        try:
            if name in ("contact_phone", "contact_24_7"):
                normalize.normalize_phone(value)
            elif name == "contact_email":
                normalize.normalize_email(value)
            elif name == "time_zone":
                zoneinfo.ZoneInfo(value.strip())
        except InvalidIdentifier as exc:
            invalid.append(f"{label} {value!r}: {exc.rule}")
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            invalid.append(f"time zone {value!r}: not an IANA time zone such as Europe/London")
    problems = (["missing " + ", ".join(missing)] if missing else []) + invalid
    return "; ".join(problems), ""


def _authority(c: _Check) -> tuple[str, str]:
    """The receiving authority must be named; where the directory holds a confirmed, central
    authority for the requested state it must be that one, otherwise the directory's entry is
    shown as advice."""
    from caseflow.mla.routes import instrument

    value = c.facts.central_authority
    if not _filled(value):
        return "not given", ""
    role = instrument(c.instrument).directory_role
    try:
        state = jurisdictions.get(c.facts.requested_state)
    except InvalidIdentifier:
        return "", ""
    entry = state.authority(role) if role else None
    if entry is None:
        what = jurisdictions.ROLE_LABELS.get(role or "", "authority").lower()
        return "", f"CaseFlow's directory has no {what} for {state.name}: check it yourself"
    if entry.decentralised:
        return "", f"{state.name}: {entry.name}"
    if _same_authority(value, entry.name):
        return (
            "",
            ""
            if entry.confirmed
            else f"matches the directory entry ({entry.name}), which is unconfirmed",
        )
    if entry.confirmed:
        return f"not the authority the directory lists for {state.name}: {entry.name}", ""
    return "", f"the directory lists {entry.name} (unconfirmed): check which is right"


def _same_authority(value: str, name: str) -> bool:
    a, b = " ".join(value.casefold().split()), " ".join(name.casefold().split())
    return a == b or (len(a) >= 6 and a in b) or (len(b) >= 6 and b in a)


def _categories(c: _Check) -> tuple[str, str]:
    from caseflow.mla.routes import table

    asked = c.facts.data_categories
    if not asked:
        return "not stated: say which data or measures are sought", ""
    if c.within:
        members, text = table().sets[c.within]
        outside = sorted(asked - members)
        if outside:
            return f"{', '.join(outside)} cannot be asked under this instrument (only {text})", ""
    return "", ""


def _identifiers(c: _Check) -> tuple[str, str]:
    ids = c.facts.identifiers
    if not ids:
        return "add at least one", ""
    bad = []
    for i in ids:
        try:
            normalize.normalize(i.kind, i.value)
        except InvalidIdentifier as exc:
            bad.append(f"{i.value!r} ({i.kind}): {exc.rule}")
    return "; ".join(bad), ""


def _ip_observations(c: _Check) -> tuple[str, str]:
    bad = [
        i.value
        for i in c.facts.identifiers
        if i.kind in IP_KINDS
        and (i.observed_at is None or i.observed_at.tzinfo is None or i.port is None)
    ]
    return ("missing for " + ", ".join(bad) if bad else ""), ""


def _time_range(c: _Check) -> tuple[str, str]:
    f = c.facts
    if f.time_from is None or f.time_to is None:
        return "give both ends", ""
    try:
        F.TimeRange(f.time_from, f.time_to)
    except F.FactError as exc:
        return exc.rule, ""
    return "", ""


def _offences(c: _Check) -> tuple[str, str]:
    f = c.facts
    if not f.offences:
        return "add at least one offence", ""
    bad = [o.name or "(unnamed)" for o in f.offences if not _filled(o.name, o.provision)]
    return ("no statutory provision for " + ", ".join(bad) if bad else ""), ""


def _penalties(c: _Check) -> tuple[str, str]:
    f = c.facts
    if not f.offences:
        return "no offences", ""
    problems = []
    for o in f.offences:
        if not _filled(o.maximum_penalty):
            problems.append(f"missing for {o.name}")
            continue
        try:
            Penalty.parse(o.maximum_penalty)
        except F.FactError as exc:
            problems.append(f"{o.name}: {exc.rule}")
    return "; ".join(problems), ""


def _nexus(c: _Check) -> tuple[str, str]:
    ids = c.facts.identifiers
    if not ids:
        return "no identifiers", ""
    bad = [i.value for i in ids if not _filled(i.relevance)]
    return ("missing for " + ", ".join(bad) if bad else ""), ""


def _persons(c: _Check) -> tuple[str, str]:
    f = c.facts
    unnamed = [p.role for p in f.persons if not _filled(p.name)]
    if unnamed:
        return f"a {unnamed[0].replace('-', ' ')} without a name", ""
    if f.persons or _filled(f.persons_concerned):
        return "", ""
    return "name the persons concerned, or say that they are not known", ""


def _answer(c: _Check) -> tuple[str, str]:
    value = getattr(c.facts, c.key)
    return ("not answered (yes or no)" if value == F.UNKNOWN else ""), ""


def _answer_yes(c: _Check) -> tuple[str, str]:
    value = getattr(c.facts, c.key)
    if value == "yes":
        return "", ""
    return ("not stated" if value == F.UNKNOWN else "must be stated: the request depends on it"), ""


def _notification(c: _Check) -> tuple[str, str]:
    """Never missing: "unknown" is a valid answer to both questions, and then the enforcing
    state is notified (Art. 8(2) waives notification only on reasonable grounds for both)."""
    if notification_required(c.facts):
        return "", "the enforcing state must be notified with this order (Art. 8(1))"
    return "", "no notification: offence and person are both in the issuing state (Art. 8(2))"


def _language(c: _Check) -> tuple[str, str]:
    from caseflow.mla.routes import instrument

    value = c.facts.language.strip().lower()
    if not value:
        return "not given", ""
    code = value.split("-")[0]
    found = None
    if len(code) == 2:
        found = pycountry.languages.get(alpha_2=code)
    elif len(code) == 3:
        found = pycountry.languages.get(alpha_3=code)
    if found is None:
        return f"{c.facts.language!r} is not an ISO 639 language code (e.g. en, fr)", ""
    kind = instrument(c.instrument).kind
    purpose = {"recognition": "eio", "order": "epoc"}.get(kind, "mla")
    try:
        state = jurisdictions.get(c.facts.requested_state)
    except InvalidIdentifier:
        return "", ""
    accepted = state.accepted_languages(purpose) or state.accepted_languages("official")
    if accepted is None or code in accepted.codes:
        return "", ""
    sure = "" if accepted.confirmed else " (unconfirmed)"
    return "", (
        f"{state.name} accepts {', '.join(accepted.codes)}{sure}: attach a certified translation"
    )


FIELD_KINDS: Mapping[str, Callable[[_Check], tuple[str, str]]] = {
    "text": _text,
    "state": _state,
    "choice": _choice,
    "validator": _validator,
    "eu_presence": _eu_presence,
    "contact": _contact,
    "authority": _authority,
    "categories": _categories,
    "identifiers": _identifiers,
    "ip_observations": _ip_observations,
    "time_range": _time_range,
    "offences": _offences,
    "penalties": _penalties,
    "nexus": _nexus,
    "persons": _persons,
    "answer": _answer,
    "answer_yes": _answer_yes,
    "notification": _notification,
    "language": _language,
}


def checklist(
    facts: RequestFacts,
    instrument_code: str,
    *,
    on: date | None = None,
    bilateral_treaty: str | None = None,
) -> tuple[ChecklistItem, ...]:
    """Every item `instrument_code` requires for these facts, in the form's order, each marked
    done or not. Raises KeyError for an unknown instrument.

    Given the request date `on` (and both states), a last item checks that the instrument's
    own conditions hold (e.g. an EPOC only for provider data, with the penalty threshold): a
    basis chosen against the proposal is validated against the strictest rule.
    """
    from caseflow.mla.routes import instrument, table

    info = instrument(instrument_code)
    fields = table().fields
    out: list[ChecklistItem] = []
    seen: set[str] = set()
    for spec in info.checklist:
        if spec.field in seen or (spec.when and not PREDICATES[spec.when](facts)):
            continue
        seen.add(spec.field)
        field = fields[spec.field]
        problem, advice = FIELD_KINDS[field.kind](
            _Check(facts, spec.field, spec.within, instrument_code)
        )
        out.append(
            ChecklistItem(
                key=spec.field,
                label=spec.label,
                ok=not problem,
                problem=problem,
                item=spec.item,
                section=spec.section,
                reference_confirmed=spec.confirmed,
                advice=advice,
                help=field.help,
            )
        )
    if on is not None and facts.requesting_state and facts.requested_state:
        out.append(_conditions(facts, instrument_code, on, bilateral_treaty))
    return tuple(out)


def _conditions(
    facts: RequestFacts, code: str, on: date, bilateral_treaty: str | None
) -> ChecklistItem:
    from caseflow.mla.routes import BasisFacts, conditions_hold, instrument

    problem = conditions_hold(BasisFacts.of(facts, on=on, bilateral_treaty=bilateral_treaty), code)
    return ChecklistItem(
        key="conditions",
        label=f"Conditions for using {instrument(code).short}",
        ok=not problem,
        problem=problem,
        section="Legal basis",
    )


def missing_items(
    facts: RequestFacts,
    instrument_code: str,
    *,
    on: date | None = None,
    bilateral_treaty: str | None = None,
) -> tuple[ChecklistItem, ...]:
    """The required items not yet done; empty means the request may be submitted."""
    items = checklist(facts, instrument_code, on=on, bilateral_treaty=bilateral_treaty)
    return tuple(item for item in items if not item.ok)
