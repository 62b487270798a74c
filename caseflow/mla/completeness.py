"""Completeness: the pre-flight checklist of items each instrument requires before approval.

The lists per instrument are data (`required` in caseflow/data/instruments.json); this module
knows how to tell whether one item is filled in. Must not import flask.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from caseflow.mla.legal_basis import table

IP_KINDS = frozenset({"ip_address", "ip"})


@dataclass(frozen=True)
class IdentifierFacts:
    """An identifier on a request; `observed_at` is aware UTC or None."""

    kind: str
    value: str
    observed_at: datetime | None = None
    port: int | None = None
    relevance: str = ""


@dataclass(frozen=True)
class OffenceFacts:
    name: str
    provision: str
    maximum_penalty: str = ""


@dataclass(frozen=True)
class RequestFacts:
    """The contents of a request as the checklist sees them (filled from SQL by services)."""

    requesting_authority: str = ""
    contact_person: str = ""
    contact_phone: str = ""
    contact_email: str = ""
    contact_24_7: str = ""
    time_zone: str = ""
    requested_state: str = ""
    central_authority: str = ""
    request_types: frozenset[str] = frozenset()
    holder_name: str = ""
    proceedings_stage: str = ""
    identifiers: tuple[IdentifierFacts, ...] = ()
    time_from: datetime | None = None
    time_to: datetime | None = None
    offences: tuple[OffenceFacts, ...] = ()
    summary_of_facts: str = ""
    necessity: str = ""
    urgency: str = "normal"
    urgency_reason: str = ""
    production_to_follow: bool = False
    earlier_requests: str = ""
    confidentiality: str = ""
    use_limits: str = ""
    language: str = ""


@dataclass(frozen=True)
class ChecklistItem:
    """One required item: its key, its label, whether it is done, and what is wrong if not."""

    key: str
    label: str
    ok: bool
    problem: str = ""


def _filled(*values: str) -> bool:
    return all(v and v.strip() for v in values)


def _contact(f: RequestFacts) -> str:
    names = ("contact_person", "contact_phone", "contact_email", "contact_24_7", "time_zone")
    labels = ("officer", "phone", "e-mail", "24/7 contact", "time zone")
    missing = [
        label for name, label in zip(names, labels, strict=True) if not _filled(getattr(f, name))
    ]
    return "missing " + ", ".join(missing) if missing else ""


def _ip_observations(f: RequestFacts) -> str:
    bad = [
        i.value
        for i in f.identifiers
        if i.kind in IP_KINDS and (i.observed_at is None or i.port is None)
    ]
    return "missing for " + ", ".join(bad) if bad else ""


def _time_range(f: RequestFacts) -> str:
    if f.time_from is None or f.time_to is None:
        return "give both ends"
    if f.time_from > f.time_to:
        return "the start is after the end"
    return ""


def _offences(f: RequestFacts) -> str:
    if not f.offences:
        return "add at least one offence"
    bad = [o.name or "(unnamed)" for o in f.offences if not _filled(o.name, o.provision)]
    return "no statutory provision for " + ", ".join(bad) if bad else ""


def _penalty(f: RequestFacts) -> str:
    bad = [o.name for o in f.offences if not _filled(o.maximum_penalty)]
    return "missing for " + ", ".join(bad) if bad else ("" if f.offences else "no offences")


def _nexus(f: RequestFacts) -> str:
    bad = [i.value for i in f.identifiers if not _filled(i.relevance)]
    return "missing for " + ", ".join(bad) if bad else ("" if f.identifiers else "no identifiers")


def _text(name: str) -> Callable[[RequestFacts], str]:
    return lambda f: "" if _filled(getattr(f, name)) else "empty"


CHECKS: Mapping[str, Callable[[RequestFacts], str]] = {
    "requesting_authority": _text("requesting_authority"),
    "contact_point": _contact,
    "requested_state": _text("requested_state"),
    "central_authority": _text("central_authority"),
    "request_types": lambda f: "" if f.request_types else "choose at least one",
    "holder": _text("holder_name"),
    "proceedings_stage": _text("proceedings_stage"),
    "identifiers": lambda f: "" if f.identifiers else "add at least one",
    "ip_observations": _ip_observations,
    "time_range": _time_range,
    "offences": _offences,
    "maximum_penalty": _penalty,
    "summary_of_facts": _text("summary_of_facts"),
    "nexus": _nexus,
    "necessity": _text("necessity"),
    "urgency_reason": lambda f: (
        "" if f.urgency == "normal" or _filled(f.urgency_reason) else "required when urgent"
    ),
    "production_to_follow": lambda f: "" if f.production_to_follow else "not stated",
    "earlier_requests": _text("earlier_requests"),
    "confidentiality": _text("confidentiality"),
    "use_limits": _text("use_limits"),
    "language": _text("language"),
}


def checklist(facts: RequestFacts, instrument_code: str) -> tuple[ChecklistItem, ...]:
    """Every item `instrument_code` requires, in the data file's order, each marked done or
    not. Raises KeyError for an unknown instrument."""
    data = table()
    out = []
    for key in data.instruments[instrument_code].required:
        problem = CHECKS[key](facts)
        out.append(ChecklistItem(key, data.fields[key], not problem, problem))
    return tuple(out)


def missing_items(facts: RequestFacts, instrument_code: str) -> tuple[ChecklistItem, ...]:
    """The required items not yet done; empty means the request may be submitted."""
    return tuple(item for item in checklist(facts, instrument_code) if not item.ok)


def _check_table() -> None:
    unknown = set(table().fields) - set(CHECKS)
    if unknown:  # a field added to the data file needs its check here
        raise RuntimeError(f"completeness: no check for {sorted(unknown)}")


_check_table()
