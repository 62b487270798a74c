"""The facts of an MLA request as the officer states them: one typed model that the legal-basis
resolver, the per-instrument checklists, the clocks and the documents all read.

Nothing here is assumed. Every fact a rule depends on has "unknown" as a valid answer, and an
unknown fact blocks only the instruments that need it. `stated()` gives, field by field, what
someone actually entered, so a document never prints a fact nobody stated. Must not import
flask or sqlalchemy.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, fields, replace
from datetime import datetime
from typing import Any, Literal

# A yes/no fact the officer may not know yet. "unknown" is an answer, not an omission.
Answer = Literal["yes", "no", "unknown"]
ANSWERS: tuple[str, ...] = ("yes", "no", "unknown")
UNKNOWN = "unknown"

# What the request does: keep evidence until a further request ("preserve"), or obtain it
# (produce data, search, hear a person, ...).
MEASURES: tuple[str, ...] = ("preserve", "obtain", UNKNOWN)

# What is sought. The first four are the categories of electronic data of Regulation (EU)
# 2023/1543 Art. 3(9)-(12) (identification = data requested only to identify the user, e.g.
# who used an IP address at a time); the others are everything an EPOC cannot order.
CATEGORIES: tuple[str, ...] = (
    "subscriber",
    "identification",
    "traffic",
    "content",
    "financial",
    "search",
    "hearing",
    "other",
)
PROVIDER_DATA: frozenset[str] = frozenset({"subscriber", "identification", "traffic", "content"})

# Who holds what is sought. A service provider (Reg. 2023/1543 Art. 3(3): electronic
# communications, hosting, social network, marketplace, messaging...) and a domain registrar
# (Art. 3(3)(b); 2AP Art. 6) can receive an EPOC; banks, payment and crypto-asset firms cannot.
HOLDER_KINDS: tuple[str, ...] = (
    "service-provider",
    "domain-registrar",
    "financial",
    "other",
    UNKNOWN,
)
PROVIDER_KINDS: frozenset[str] = frozenset({"service-provider", "domain-registrar"})

# Whether and how the holder is established or represented in the EU (Directive 2023/1544):
# an EPOC/EPOC-PR is addressed to that establishment or representative (Reg. 2023/1543 Art. 7).
EU_PRESENCE: tuple[str, ...] = ("designated-establishment", "legal-representative", "none", UNKNOWN)

# Who issues the request (Reg. 2023/1543 Art. 4; Dir. 2014/41/EU Art. 2(c)). "other" is any
# other competent authority, whose order a judicial authority must validate.
AUTHORITY_TYPES: tuple[str, ...] = (
    "judge",
    "court",
    "investigating-judge",
    "prosecutor",
    "other",
    UNKNOWN,
)
JUDICIAL: frozenset[str] = frozenset({"judge", "court", "investigating-judge"})

# "emergency" is the officer's statement that there is a significant and imminent risk to the
# life or physical integrity of a person (2AP Art. 3(2)(c); Reg. 2023/1543 Art. 3(18)).
URGENCIES: tuple[str, ...] = ("normal", "urgent", "emergency")
PROCEEDINGS_STAGES: tuple[str, ...] = ("investigation", "prosecution", "trial")

# Offence kinds a rule needs to know about. A tag is a positive statement by the officer; its
# absence states nothing. The first four are the offences listed in Reg. 2023/1543
# Art. 5(4)(b)-(c) (the first three only when committed wholly or partly by means of an
# information system).
OFFENCE_TAGS: dict[str, str] = {
    "child-sexual-abuse": "Sexual abuse or exploitation of children, child sexual abuse material "
    "or solicitation (Directive 2011/93/EU, Arts. 3 to 7)",
    "non-cash-payment-fraud": "Fraud with non-cash means of payment (Directive (EU) 2019/713, "
    "Arts. 3 to 8)",
    "information-system-attack": "Attacks against information systems (Directive 2013/40/EU, "
    "Arts. 3 to 8)",
    "terrorism": "Terrorist offences (Directive (EU) 2017/541, Arts. 3 to 12 and 14)",
    "trafficking-in-persons": "Trafficking in persons (UN TIP Protocol Art. 5; Directive "
    "2011/36/EU)",
}

# Legacy request types (one list mixing the measure and the categories), still accepted.
LEGACY_TYPES: dict[str, tuple[str, frozenset[str]]] = {
    "preservation": ("preserve", frozenset()),
    "subscriber-data": ("obtain", frozenset({"subscriber"})),
    "traffic-data": ("obtain", frozenset({"traffic"})),
    "content-data": ("obtain", frozenset({"content"})),
    "financial-records": ("obtain", frozenset({"financial"})),
    "search-or-testimony": ("obtain", frozenset({"search", "hearing"})),
}


# The yes/no/unknown facts of RequestFacts.
ANSWER_FIELDS: tuple[str, ...] = (
    "transnational",
    "organised_group",
    "child_exploitation",
    "offence_in_issuing_state",
    "person_in_issuing_state",
    "production_to_follow",
)


class FactError(ValueError):
    """A value that is not a valid answer to a fact. `field` names the fact, `rule` the rule."""

    def __init__(self, field: str, rule: str) -> None:
        super().__init__(f"{field}: {rule}")
        self.field = field
        self.rule = rule


def answer(value: object, name: str = "answer") -> str:
    """Normalise a yes/no/unknown answer; booleans are accepted (True is "yes")."""
    if value is True:
        return "yes"
    if value is False:
        return "no"
    if value is None or value == "":
        return UNKNOWN
    text = str(value).strip().lower()
    if text in ANSWERS:
        return text
    raise FactError(name, "answer yes, no or unknown")


def _choice(value: object, allowed: tuple[str, ...], name: str, default: str = UNKNOWN) -> str:
    text = str(value).strip().lower() if value else default
    if text not in allowed:
        raise FactError(name, f"one of {', '.join(allowed)}")
    return text


# -- Maximum penalty ---------------------------------------------------------------------------

_PENALTY_PART = re.compile(r"(\d+(?:[.,]\d+)?)\s*(years?|yrs?|y|months?|mos?|m)\b", re.I)
_LIFE = re.compile(r"^\s*(life|life imprisonment|imprisonment for life|lifelong)\s*$", re.I)


@dataclass(frozen=True, order=True)
class Penalty:
    """A maximum custodial penalty: `months`, or life. Compare with `at_least(months)`."""

    months: int
    life: bool = False

    @classmethod
    def parse(cls, text: str) -> Penalty:
        """Read "10 years", "6 months", "3 years 6 months", "4" (years) or "life".

        Raises FactError naming the rule for anything else: a penalty is a number a rule
        compares, never free prose.
        """
        raw = " ".join(str(text or "").split())
        if not raw:
            raise FactError(
                "maximum_penalty", "give the maximum penalty, e.g. '10 years' or 'life'"
            )
        if _LIFE.match(raw):
            return cls(months=0, life=True)
        if re.fullmatch(r"\d+(?:[.,]\d+)?", raw):
            return cls(months=round(float(raw.replace(",", ".")) * 12))
        rest = _PENALTY_PART.sub("", raw)
        if rest.replace("and", "").replace(",", "").strip() or not _PENALTY_PART.search(raw):
            raise FactError(
                "maximum_penalty",
                f"{raw!r} is not a penalty; write years and months, e.g. '10 years' or 'life'",
            )
        months = 0.0
        for number, unit in _PENALTY_PART.findall(raw):
            value = float(number.replace(",", "."))
            months += value * 12 if unit.lower().startswith("y") else value
        return cls(months=round(months))

    def at_least(self, months: int) -> bool:
        return self.life or self.months >= months

    def __str__(self) -> str:
        if self.life:
            return "life imprisonment"
        years, months = divmod(self.months, 12)
        parts = [f"{years} year{'s' * (years != 1)}"] if years else []
        parts += [f"{months} month{'s' * (months != 1)}"] if months else []
        return " ".join(parts) or "no custodial penalty"


def penalty_or_none(text: str) -> Penalty | None:
    """The parsed penalty, or None when it is not given or not readable (unknown to rules)."""
    try:
        return Penalty.parse(text)
    except FactError:
        return None


# -- Time ranges -------------------------------------------------------------------------------


@dataclass(frozen=True)
class TimeRange:
    """A closed interval of aware datetimes, start strictly before end."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        for name, moment in (("start", self.start), ("end", self.end)):
            if moment.tzinfo is None or moment.utcoffset() is None:
                raise FactError("time_range", f"the {name} needs a time zone offset")
        if not self.start < self.end:
            raise FactError("time_range", "the start must be before the end")

    def iso(self) -> str:
        return f"{self.start.isoformat()}/{self.end.isoformat()}"


def parse_interval(text: str) -> TimeRange:
    """Read an ISO 8601 interval "<start>/<end>", each a date-time with an offset ("Z" allowed).

    Raises FactError naming the rule: "xx", a missing offset or an end before the start
    are refused.
    """
    raw = str(text or "").strip()
    if raw.count("/") != 1:
        raise FactError(
            "time_range",
            "write an ISO 8601 interval start/end, e.g. 2026-01-01T00:00Z/2026-02-01T00:00Z",
        )
    ends = []
    for name, part in zip(("start", "end"), raw.split("/"), strict=True):
        part = part.strip()
        if part.upper().startswith("P"):
            raise FactError("time_range", "give both ends as date-times, not a duration")
        try:
            ends.append(datetime.fromisoformat(part.replace("z", "Z")))
        except ValueError:
            raise FactError(
                "time_range", f"the {name} {part!r} is not an ISO 8601 date-time"
            ) from None
    return TimeRange(ends[0], ends[1])


# -- Parts of a request ------------------------------------------------------------------------


@dataclass(frozen=True)
class IdentifierFacts:
    """A selector the request concerns (kind as in caseflow.entities.normalize.KINDS).

    `observed_at` is an aware time (UTC) or None; `port` the source port (needed behind
    CGNAT); `relevance` why it matters to the offence (the nexus); `zone` the time zone the
    observation was originally recorded in, kept next to the UTC value.
    """

    kind: str
    value: str
    observed_at: datetime | None = None
    port: int | None = None
    relevance: str = ""
    zone: str = ""


# Roles of a person concerned (reference §2): who they are to the case.
PERSON_ROLES: tuple[str, ...] = ("suspect", "victim", "witness", "third-party")


@dataclass(frozen=True)
class PersonFacts:
    """A person concerned (EIO Section E; UNTOC Art. 18(15)(e)): only what is known. Victims,
    children above all, are named only where the request cannot do without it."""

    role: str
    name: str = ""
    date_of_birth: str = ""
    nationality: str = ""
    address: str = ""
    other: str = ""

    def __post_init__(self) -> None:
        if self.role not in PERSON_ROLES:
            raise FactError("persons.role", f"one of {', '.join(PERSON_ROLES)}")


@dataclass(frozen=True)
class OffenceFacts:
    """An offence of the issuing state: name, statutory provision and maximum penalty as
    entered (read it with `penalty`). `tags` are OFFENCE_TAGS the officer asserted;
    `by_information_system` whether it was committed wholly or partly by means of an
    information system (Reg. 2023/1543 Art. 5(4)(b))."""

    name: str
    provision: str
    maximum_penalty: str = ""
    tags: frozenset[str] = frozenset()
    by_information_system: str = UNKNOWN

    def __post_init__(self) -> None:
        object.__setattr__(self, "tags", frozenset(self.tags))
        bad = set(self.tags) - set(OFFENCE_TAGS)
        if bad:
            raise FactError("offences.tags", f"unknown offence kind(s) {sorted(bad)}")
        object.__setattr__(
            self,
            "by_information_system",
            answer(self.by_information_system, "by_information_system"),
        )

    @property
    def penalty(self) -> Penalty | None:
        return penalty_or_none(self.maximum_penalty)


@dataclass(frozen=True)
class RequestFacts:
    """Everything a request states. Defaults are "unknown" or empty: nothing is assumed.

    Field names are stable keys: the checklists in caseflow/data/routes.json name them,
    and documents print them through `stated()`. `request_types` is the legacy list of types
    of assistance; when given, it fills `measure` and `data_categories` if those are unset.
    """

    # Who asks
    requesting_state: str = ""
    requesting_authority: str = ""
    authority_address: str = ""
    issuing_authority_type: str = UNKNOWN
    issuing_file_reference: str = ""
    validating_authority: str = ""
    validating_authority_type: str = UNKNOWN
    validating_file_reference: str = ""
    conducting_authority: str = ""
    contact_person: str = ""
    contact_phone: str = ""
    contact_email: str = ""
    contact_24_7: str = ""
    time_zone: str = ""
    # Who is asked
    requested_state: str = ""
    central_authority: str = ""
    # Who holds what is sought
    holder_kind: str = UNKNOWN
    holder_name: str = ""
    holder_eu_presence: str = UNKNOWN
    holder_eu_state: str = ""
    # What is asked
    measure: str = UNKNOWN
    data_categories: frozenset[str] = frozenset()
    request_types: frozenset[str] = frozenset()
    identifiers: tuple[IdentifierFacts, ...] = ()
    time_from: datetime | None = None
    time_to: datetime | None = None
    # Why
    proceedings_stage: str = ""
    offences: tuple[OffenceFacts, ...] = ()
    summary_of_facts: str = ""
    necessity: str = ""
    persons: tuple[PersonFacts, ...] = ()
    persons_concerned: str = ""
    probable_cause: str = ""
    # Scope of the treaties
    transnational: str = UNKNOWN
    organised_group: str = UNKNOWN
    child_exploitation: str = UNKNOWN
    # How fast
    urgency: str = "normal"
    urgency_reason: str = ""
    # e-Evidence specifics (Reg. 2023/1543 Arts. 5(9)-(10), 8)
    immunities: str = ""
    offence_in_issuing_state: str = UNKNOWN
    person_in_issuing_state: str = UNKNOWN
    # Preservation and follow-up
    production_to_follow: str = UNKNOWN
    earlier_requests: str = ""
    # Conditions of the request
    formalities: str = ""
    legal_remedies: str = ""
    confidentiality: str = ""
    use_limits: str = ""
    language: str = ""

    def __post_init__(self) -> None:
        def put(name: str, value: Any) -> None:
            object.__setattr__(self, name, value)

        for name in ANSWER_FIELDS:
            put(name, answer(getattr(self, name), name))
        put("holder_kind", _choice(self.holder_kind, HOLDER_KINDS, "holder_kind"))
        put(
            "holder_eu_presence",
            _choice(self.holder_eu_presence, EU_PRESENCE, "holder_eu_presence"),
        )
        for name in ("issuing_authority_type", "validating_authority_type"):
            put(name, _choice(getattr(self, name), AUTHORITY_TYPES, name))
        put("urgency", _choice(self.urgency, URGENCIES, "urgency", "normal"))
        put("measure", _choice(self.measure, MEASURES, "measure"))
        put("data_categories", frozenset(self.data_categories))
        put("request_types", frozenset(self.request_types))
        bad = set(self.data_categories) - set(CATEGORIES)
        if bad:
            raise FactError("data_categories", f"unknown categories {sorted(bad)}")
        if self.request_types:
            measure, categories = from_legacy_types(self.request_types)
            if self.measure == UNKNOWN:
                put("measure", measure)
            if not self.data_categories:
                put("data_categories", categories)

    @property
    def time_range(self) -> TimeRange | None:
        """The time range when both ends are given and valid; None otherwise."""
        if self.time_from is None or self.time_to is None:
            return None
        try:
            return TimeRange(self.time_from, self.time_to)
        except FactError:
            return None

    @property
    def emergency(self) -> bool:
        return self.urgency == "emergency"

    def but(self, **changes: Any) -> RequestFacts:
        """A copy with some facts changed (checked like the original)."""
        return replace(self, **changes)


def from_legacy_types(types: Iterable[str]) -> tuple[str, frozenset[str]]:
    """Map the legacy types of assistance to (measure, categories).

    "preservation" alone is a preservation whose categories were never said; with data types
    it preserves those. Raises FactError for an unknown type.
    """
    chosen = set(types)
    bad = chosen - set(LEGACY_TYPES)
    if bad:
        raise FactError("request_types", f"unknown types {sorted(bad)}")
    categories: frozenset[str] = frozenset().union(*(LEGACY_TYPES[t][1] for t in chosen))
    measure = "preserve" if "preservation" in chosen else ("obtain" if chosen else UNKNOWN)
    return measure, categories


# -- What a document may print -----------------------------------------------------------------

_ANSWER_TEXT = {"yes": "Yes", "no": "No"}


def stated(facts: RequestFacts, key: str) -> str | None:
    """The fact `key` as text, or None when nobody stated it (empty, "unknown", never set).

    Documents print a field only when this is not None: an unknown UNTOC scope or child
    offence is left out, not printed as "no" or "yes".
    """
    value = getattr(facts, key)
    if value is None:
        return None
    if isinstance(value, str):
        if key in ANSWER_FIELDS:
            return _ANSWER_TEXT.get(value)
        if value == UNKNOWN or not value.strip():
            return None
        return value.strip()
    if isinstance(value, frozenset):
        return ", ".join(sorted(value)) if value else None
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, tuple):
        return "; ".join(_part_text(part) for part in value) or None
    return str(value)


def _part_text(part: object) -> str:
    if isinstance(part, IdentifierFacts):
        return f"{part.kind} {part.value}"
    if isinstance(part, OffenceFacts):
        return f"{part.name} ({part.provision})" if part.provision else part.name
    if isinstance(part, PersonFacts):
        return f"{part.role.replace('-', ' ')}: {part.name}"
    return str(part)


def stated_fields(facts: RequestFacts) -> tuple[tuple[str, str], ...]:
    """Every (key, text) that someone stated, in the model's order."""
    out = []
    for f in fields(RequestFacts):
        text = stated(facts, f.name)
        if text is not None:
            out.append((f.name, text))
    return tuple(out)


def field_names() -> tuple[str, ...]:
    return tuple(f.name for f in fields(RequestFacts))


__all__ = [
    "ANSWERS",
    "ANSWER_FIELDS",
    "AUTHORITY_TYPES",
    "CATEGORIES",
    "EU_PRESENCE",
    "HOLDER_KINDS",
    "JUDICIAL",
    "MEASURES",
    "OFFENCE_TAGS",
    "PERSON_ROLES",
    "PROVIDER_DATA",
    "PROVIDER_KINDS",
    "UNKNOWN",
    "URGENCIES",
    "Answer",
    "FactError",
    "IdentifierFacts",
    "OffenceFacts",
    "Penalty",
    "PersonFacts",
    "RequestFacts",
    "TimeRange",
    "answer",
    "field_names",
    "from_legacy_types",
    "parse_interval",
    "penalty_or_none",
    "stated",
    "stated_fields",
]
