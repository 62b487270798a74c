"""Legal-basis resolver: proposes the instrument for an MLA request, and says why.

The order of preference and each instrument's label live in `caseflow/data/instruments.json`
(`rules`, `supplements`); this module only knows how to test the named conditions against
the facts of one request. Must not import flask.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from caseflow import jurisdictions

DATA_FILE = Path(__file__).resolve().parent.parent / "data" / "instruments.json"

# Types of assistance a request may ask for. "preservation" freezes data; the others obtain it.
REQUEST_TYPES = (
    "preservation",
    "subscriber-data",
    "traffic-data",
    "content-data",
    "financial-records",
    "search-or-testimony",
)
# Types covered by "stored computer data" instruments (Budapest Art. 29/31, e-Evidence).
STORED_DATA_TYPES = frozenset({"preservation", "subscriber-data", "traffic-data", "content-data"})
# Who holds the data: an online service provider in scope of Regulation 2023/1543 (electronic
# communications, hosting, domain, messaging...), a bank or crypto exchange, or anyone else.
HOLDER_KINDS = ("service-provider", "financial", "other")
URGENCIES = ("normal", "urgent", "emergency")


@dataclass(frozen=True)
class BasisFacts:
    """What the resolver decides on. States are ISO alpha-2 codes; `on` is the request date.

    `bilateral_treaty` is the name of a treaty the agency configured for this pair of states
    (None when there is none); `untoc_scope` says the offence is transnational and involves an
    organised group (child trafficking under the TIP Protocol is).
    """

    requesting_state: str
    requested_state: str
    on: date
    request_types: frozenset[str]
    holder_kind: str = "service-provider"
    urgency: str = "normal"
    child_offence: bool = True
    untoc_scope: bool = True
    bilateral_treaty: str | None = None


@dataclass(frozen=True)
class InstrumentInfo:
    code: str
    label: str
    short: str
    required: tuple[str, ...]
    clock: str | None


@dataclass(frozen=True)
class Choice:
    """One proposed instrument and the facts that made it apply."""

    code: str
    label: str
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class Proposal:
    """The resolver's answer: the main basis, bases to cite with it, and why earlier (more
    preferred) instruments were passed over."""

    primary: Choice
    supplements: tuple[Choice, ...] = ()
    passed_over: tuple[str, ...] = field(default=())

    @property
    def codes(self) -> tuple[str, ...]:
        return (self.primary.code, *(s.code for s in self.supplements))

    def explanation(self) -> str:
        """Plain text for the officer: why this basis, and why not the preferred ones."""
        lines = [f"{self.primary.label}: " + "; ".join(self.primary.reasons) + "."]
        lines += [f"Also cite {s.label}: " + "; ".join(s.reasons) + "." for s in self.supplements]
        lines += [f"Not used: {text}." for text in self.passed_over]
        return "\n".join(lines)


# A condition answers (holds?, why it holds, why it does not) for one set of facts.
Condition = Callable[[BasisFacts], tuple[bool, str, str]]


def _both(fact: str, what: str, what_not: tuple[str, str]) -> Condition:
    """`what_not` is the predicate for one state and for two ("does not"/"do not")."""

    def check(f: BasisFacts) -> tuple[bool, str, str]:
        a, b = jurisdictions.get(f.requesting_state), jurisdictions.get(f.requested_state)
        missing = [s for s in (a, b) if not getattr(s, fact)]
        if not missing:
            return True, f"both {a.code} and {b.code} {what}", ""
        names = " and ".join(f"{s.name} ({s.code})" for s in missing)
        return False, "", f"{names} {what_not[len(missing) - 1]}"

    return check


def _both_e_evidence(f: BasisFacts) -> tuple[bool, str, str]:
    a, b = jurisdictions.get(f.requesting_state), jurisdictions.get(f.requested_state)
    if a.e_evidence_applies(f.on) and b.e_evidence_applies(f.on):
        return True, f"Regulation (EU) 2023/1543 binds both {a.code} and {b.code} on {f.on}", ""
    if a.e_evidence and b.e_evidence:
        since = jurisdictions.E_EVIDENCE_APPLIES_FROM
        return False, "", f"the e-Evidence Regulation applies only from {since}"
    out = [f"{s.name} ({s.code})" for s in (a, b) if not s.e_evidence]
    verb = "does" if len(out) == 1 else "do"
    return False, "", f"{' and '.join(out)} {verb} not take part in the e-Evidence Regulation"


def _holder_in_scope(f: BasisFacts) -> tuple[bool, str, str]:
    if f.holder_kind == "service-provider":
        return True, "the holder is a service provider in scope", ""
    return False, "", "the holder is not an online service provider in scope"


def _preservation_only(f: BasisFacts) -> tuple[bool, str, str]:
    if f.request_types == {"preservation"}:
        return True, "only preservation is asked", ""
    return False, "", "the request asks for more than preservation"


def _not_preservation_only(f: BasisFacts) -> tuple[bool, str, str]:
    held, _, _ = _preservation_only(f)
    if not held and f.request_types:
        return True, "production of data is asked", ""
    return False, "", "only preservation is asked"


def _stored_data(f: BasisFacts) -> tuple[bool, str, str]:
    if f.request_types and f.request_types <= STORED_DATA_TYPES:
        return True, "the request concerns stored computer data", ""
    return False, "", "the request goes beyond stored computer data"


def _emergency(f: BasisFacts) -> tuple[bool, str, str]:
    if f.urgency == "emergency":
        return True, "emergency (imminent threat to life or safety)", ""
    return False, "", "no emergency"


def _bilateral(f: BasisFacts) -> tuple[bool, str, str]:
    if f.bilateral_treaty:
        return True, f"the agency has configured {f.bilateral_treaty}", ""
    pair = f"{f.requesting_state}-{f.requested_state}"
    return False, "", f"no bilateral treaty is configured for {pair}"


def _untoc(f: BasisFacts) -> tuple[bool, str, str]:
    if f.untoc_scope:
        return True, "the offence is transnational and involves an organised group", ""
    return False, "", "the offence is outside the scope of UNTOC"


def _child_offence(f: BasisFacts) -> tuple[bool, str, str]:
    if f.child_offence:
        return True, "the offences concern the sale or sexual exploitation of children", ""
    return False, "", "no offence against children"


CONDITIONS: Mapping[str, Condition] = {
    "emergency": _emergency,
    "both_e_evidence": _both_e_evidence,
    "both_eio": _both(
        "eio",
        "take part in the European Investigation Order",
        ("does not take part in the EIO", "do not take part in the EIO"),
    ),
    "both_budapest": _both(
        "budapest_party",
        "are parties to the Budapest Convention",
        ("is not a party to the Budapest Convention", "are not parties to it"),
    ),
    "holder_in_scope": _holder_in_scope,
    "preservation_only": _preservation_only,
    "not_preservation_only": _not_preservation_only,
    "stored_data": _stored_data,
    "bilateral_treaty": _bilateral,
    "untoc_scope": _untoc,
    "child_offence": _child_offence,
}


@dataclass(frozen=True)
class _Table:
    fields: Mapping[str, str]
    instruments: Mapping[str, InstrumentInfo]
    rules: tuple[tuple[str, tuple[str, ...], str | None], ...]
    supplements: tuple[tuple[str, tuple[str, ...], str | None], ...]
    clocks: Mapping[str, Any]


def build_table(data: Mapping[str, Any]) -> _Table:
    """Check a parsed instruments file. Raises ValueError naming what is inconsistent."""
    fields = dict(data["fields"])
    instruments = {}
    for code, item in data["instruments"].items():
        unknown = [f for f in item["required"] if f not in fields]
        if unknown:
            raise ValueError(f"instruments data: {code} requires unknown fields {unknown}")
        if item["clock"] is not None and item["clock"] not in data["clocks"]:
            raise ValueError(f"instruments data: {code} names unknown clock {item['clock']!r}")
        instruments[code] = InstrumentInfo(
            code, item["label"], item["short"], tuple(item["required"]), item["clock"]
        )

    def rules(key: str) -> tuple[tuple[str, tuple[str, ...], str | None], ...]:
        out = []
        for rule in data[key]:
            if rule["instrument"] not in instruments:
                raise ValueError(f"instruments data: {key} names {rule['instrument']!r}")
            bad = [c for c in rule["when"] if c not in CONDITIONS]
            if bad:
                raise ValueError(f"instruments data: {key} uses unknown conditions {bad}")
            out.append((rule["instrument"], tuple(rule["when"]), rule.get("note")))
        return tuple(out)

    table = _Table(fields, instruments, rules("rules"), rules("supplements"), data["clocks"])
    if not table.rules or table.rules[-1][1]:
        raise ValueError("instruments data: the last rule must be an unconditional fallback")
    return table


@cache
def table() -> _Table:
    return build_table(json.loads(DATA_FILE.read_text(encoding="utf-8")))


def instrument(code: str) -> InstrumentInfo:
    """The instrument with this code; KeyError if unknown."""
    return table().instruments[code]


def instrument_codes() -> tuple[str, ...]:
    return tuple(table().instruments)


def _evaluate(when: tuple[str, ...], facts: BasisFacts) -> tuple[bool, list[str], str]:
    reasons: list[str] = []
    for name in when:
        held, why, why_not = CONDITIONS[name](facts)
        if not held:
            return False, reasons, why_not
        reasons.append(why)
    return True, reasons, ""


def propose(facts: BasisFacts) -> Proposal:
    """Walk the rules in order of preference; the first whose conditions all hold wins.

    Supplements (e.g. OPSC Art. 6) are added when their conditions hold. Unknown state codes
    raise caseflow.entities.errors.InvalidIdentifier (from caseflow.jurisdictions).
    """
    jurisdictions.get(facts.requesting_state), jurisdictions.get(facts.requested_state)
    # Per instrument, the reason its last rule failed (an instrument may have several rules).
    passed_over: dict[str, str] = {}
    info = table().instruments
    for code, when, note in table().rules:
        held, reasons, why_not = _evaluate(when, facts)
        if held:
            primary = Choice(
                code, info[code].label, tuple(reasons or ["no treaty applies"]) + _note(note)
            )
            break
        passed_over[code] = f"{info[code].short}, because {why_not}"
    supplements = []
    for code, when, note in table().supplements:
        held, reasons, _ = _evaluate(when, facts)
        if held and code != primary.code:
            supplements.append(Choice(code, info[code].label, tuple(reasons) + _note(note)))
    passed_over.pop(primary.code, None)
    return Proposal(primary, tuple(supplements), tuple(passed_over.values()))


def _note(note: str | None) -> tuple[str, ...]:
    return (note[0].lower() + note[1:].rstrip("."),) if note else ()
