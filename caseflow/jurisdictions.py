"""Jurisdictions: ISO 3166-1 alpha-2 codes (via pycountry) and the directory of states shipped in
`caseflow/data/jurisdictions.json`: EU, EIO and e-Evidence membership, party status for the
treaties the legal-basis resolver uses, authorities, 24/7 points and accepted languages.

Every entry says whether a named source confirms it and as of when; everything else is shown as
unconfirmed. The file is checked when loaded. Must not import flask.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import pycountry

from caseflow.entities.errors import InvalidIdentifier

DATA_FILE = Path(__file__).resolve().parent / "data" / "jurisdictions.json"

# Codes people write that are not the ISO alpha-2 code: the EU's own "UK" and "EL".
ALIASES = {"UK": "GB", "EL": "GR"}

# Party status of one state for one treaty. "unknown" means CaseFlow's data does not say.
STATUSES = ("party", "signatory", "not-party", "unknown")
# Directory roles an authority entry may fill.
ROLES = ("mla_central", "eio_receiving", "epoc_enforcing", "contact_24_7")
ROLE_LABELS = {
    "mla_central": "Central authority for mutual legal assistance",
    "eio_receiving": "Authority receiving European Investigation Orders",
    "epoc_enforcing": "Enforcing authority for European Production/Preservation Orders",
    "contact_24_7": "24/7 point of contact (Budapest Convention Art. 35)",
}
# Language lists a state entry may carry: its official languages, and those it accepts for EIOs
# (Dir. 2014/41/EU Art. 5(2)), for EPOCs (Reg. 2023/1543 Art. 31) and for MLA requests
# (Budapest/UNTOC notifications).
LANGUAGE_LISTS = ("official", "eio", "epoc", "mla")


@dataclass(frozen=True)
class Source:
    id: str
    title: str
    url: str
    as_of: date


@dataclass(frozen=True)
class PartyStatus:
    """Where one state stands on one treaty, and how sure CaseFlow is of it.

    `confirmed` is True only when `source` (read when the data was compiled) states it;
    `reservations` maps short keys (e.g. "art7") to what the reservation means.
    """

    treaty: str
    short: str
    status: str
    confirmed: bool
    source: Source | None
    treaty_in_force_from: date | None
    entry_into_force: str = ""
    reservations: Mapping[str, str] = field(default_factory=dict)

    def binding(self, on: date) -> bool | None:
        """True if the state is a party and the treaty is in force on `on`; None if unknown."""
        if self.status == "unknown":
            return None
        if self.status != "party":
            return False
        return self.treaty_in_force_from is not None and on >= self.treaty_in_force_from

    def certainty(self) -> str:
        """ "confirmed (source, as of date)" or "unconfirmed in CaseFlow's data"."""
        if self.confirmed and self.source is not None:
            return f"confirmed by {self.source.title}, as of {self.source.as_of}"
        return "unconfirmed in CaseFlow's data"


@dataclass(frozen=True)
class DirectoryEntry:
    """An authority or contact point of a state, with its confirmation. `decentralised` means
    there is no single authority: the competent local authority receives requests."""

    role: str
    name: str
    confirmed: bool
    source: Source | None = None
    note: str = ""
    decentralised: bool = False


@dataclass(frozen=True)
class LanguageList:
    """Languages (ISO 639-1 codes, ISO 639-3 where there is none) accepted for one purpose."""

    purpose: str
    codes: tuple[str, ...]
    confirmed: bool
    source: Source | None = None
    note: str = ""


@dataclass(frozen=True)
class PairTreaty:
    """A treaty binding two sides (e.g. the EU and the US) rather than a list of parties."""

    code: str
    name: str
    sides: tuple[frozenset[str], frozenset[str]]
    in_force_from: date
    confirmed: bool

    def binds(self, a: str, b: str, on: date) -> bool:
        first, second = self.sides
        pair = (a in first and b in second) or (a in second and b in first)
        return pair and on >= self.in_force_from


@dataclass(frozen=True)
class Jurisdiction:
    """One jurisdiction and everything the directory knows of it.

    `eio` and `e_evidence` say the state takes part in the instrument; whether e-Evidence
    applies on a day is `e_evidence_applies(on)`. `treaties` maps each treaty code of the data
    file to this state's PartyStatus; `authorities` maps ROLES to entries (absent = no entry).
    """

    code: str
    name: str
    eu_member: bool
    eio: bool
    e_evidence: bool
    notes: tuple[str, ...]
    treaties: Mapping[str, PartyStatus] = field(default_factory=dict)
    authorities: Mapping[str, DirectoryEntry] = field(default_factory=dict)
    languages: Mapping[str, LanguageList] = field(default_factory=dict)

    def e_evidence_applies(self, on: date) -> bool:
        """True if the e-Evidence Regulation binds this state on day `on`."""
        return self.e_evidence and on >= _dataset().e_evidence_applies_from

    def party(self, treaty: str) -> PartyStatus:
        """This state's status for `treaty` (a key of the data file's `treaties`)."""
        return self.treaties[treaty]

    def authority(self, role: str) -> DirectoryEntry | None:
        return self.authorities.get(role)

    def accepted_languages(self, purpose: str) -> LanguageList | None:
        """The languages accepted for `purpose` ("eio", "epoc", "mla"), or None if unknown."""
        return self.languages.get(purpose)

    @property
    def has_directory_entry(self) -> bool:
        return bool(self.authorities or self.languages)

    @property
    def budapest_party(self) -> bool:
        """Listed as a party to the Budapest Convention (see `party("BUDAPEST")` for how sure)."""
        return self.treaties["BUDAPEST"].status == "party"

    @property
    def second_protocol(self) -> bool | None:
        """Party to the Second Additional Protocol: True, False, or None when unknown."""
        status = self.treaties["2AP"].status
        return None if status == "unknown" else status == "party"

    @property
    def to_confirm(self) -> frozenset[str]:
        """Treaties whose status for this state no source confirms."""
        return frozenset(key for key, status in self.treaties.items() if not status.confirmed)


@dataclass(frozen=True)
class _Dataset:
    version: str
    checked_on: date
    checked_how: str
    e_evidence_applies_from: date
    extra_codes: Mapping[str, str]
    sources: Mapping[str, Source]
    treaty_names: Mapping[str, str]
    pair_treaties: tuple[PairTreaty, ...]
    jurisdictions: Mapping[str, Jurisdiction]


def _iso_name(code: str) -> str | None:
    country = pycountry.countries.get(alpha_2=code)
    if country is None:
        return None
    # Prefer the common name ("Bolivia") over the official one where pycountry has it.
    return getattr(country, "common_name", None) or country.name


def _language(code: str, where: str) -> str:
    # ISO 639-1 where the language has a two-letter code, ISO 639-3 otherwise ("fil").
    found = pycountry.languages.get(alpha_2=code) if len(code) == 2 else None
    if found is None and len(code) == 3:
        found = pycountry.languages.get(alpha_3=code)
    if found is None:
        raise ValueError(f"jurisdictions data: {where} lists unknown language {code!r}")
    return code


def build_dataset(data: Mapping[str, Any]) -> _Dataset:
    """Check a parsed data file and build every Jurisdiction it describes.

    Raises ValueError naming what is inconsistent: an unknown state or language code, an
    EIO or e-Evidence exclusion that is not an EU member, an unknown source, status or role,
    a state listed twice for one treaty, a confirmation that contradicts the lists.
    """
    extra = dict(data.get("extra_codes", {}))

    def known(code: str, where: str) -> str:
        if not (code in extra or _iso_name(code)):
            raise ValueError(f"jurisdictions data: {where} lists unknown code {code!r}")
        return code

    sources = {
        key: Source(key, s["title"], s["url"], date.fromisoformat(s["as_of"]))
        for key, s in data["sources"].items()
    }

    cited: set[str] = set()

    def source(key: str | None, where: str) -> Source | None:
        if key is None:
            return None
        if key not in sources:
            raise ValueError(f"jurisdictions data: {where} cites unknown source {key!r}")
        cited.add(key)
        return sources[key]

    source(data["eu_source"], "eu_members")
    source(data["eio"]["source"], "eio")
    source(data["e_evidence"]["source"], "e_evidence")

    eu = {known(c, "eu_members") for c in data["eu_members"]}
    eio_out = {known(c, "eio") for c in data["eio"]["all_eu_except"]}
    ee_out = {known(c, "e_evidence") for c in data["e_evidence"]["all_eu_except"]}
    for name, out in (("eio", eio_out), ("e_evidence", ee_out)):
        if not out <= eu:
            raise ValueError(f"jurisdictions data: {name} excludes non-members {sorted(out - eu)}")

    codes = {c.alpha_2 for c in pycountry.countries} | set(extra)
    treaties: dict[str, dict[str, PartyStatus]] = {}
    for key, t in data["treaties"].items():
        where = f"treaties.{key}"
        lists = {
            "party": {known(c, where) for c in t.get("parties", [])},
            "signatory": {known(c, where) for c in t.get("signatories", [])},
            "not-party": {known(c, where) for c in t.get("not_parties", [])},
        }
        seen: set[str] = set()
        for members in lists.values():
            twice = seen & members
            if twice:
                raise ValueError(f"jurisdictions data: {where} lists {sorted(twice)} twice")
            seen |= members
        unlisted = t.get("unlisted", "unknown")
        if unlisted not in STATUSES:
            raise ValueError(f"jurisdictions data: {where} has unknown status {unlisted!r}")
        confirmed: dict[str, Source] = {}
        for entry in t.get("confirmed", []):
            src = source(entry["source"], where)
            assert src is not None
            if entry["codes"] == "*":  # the source is the full chart: it confirms every state
                confirmed.update(dict.fromkeys(codes, src))
                continue
            for code in entry["codes"]:
                known(code, where)
                actual = next((s for s, m in lists.items() if code in m), unlisted)
                if entry["status"] != actual:
                    raise ValueError(
                        f"jurisdictions data: {where} confirms {code} as {entry['status']} "
                        f"but lists it as {actual}"
                    )
                confirmed[code] = src
        reservations = t.get("reservations", {})
        for code in reservations:
            if code not in lists["party"] | lists["signatory"]:
                raise ValueError(f"jurisdictions data: {where} reservation by non-party {code}")
        in_force = t.get("in_force_from")
        treaties[key] = {
            code: PartyStatus(
                treaty=key,
                short=t["short"],
                status=next((s for s, m in lists.items() if code in m), unlisted),
                confirmed=code in confirmed,
                source=confirmed.get(code),
                treaty_in_force_from=date.fromisoformat(in_force) if in_force else None,
                entry_into_force=t.get("entry_into_force", ""),
                reservations=dict(reservations.get(code, {})),
            )
            for code in codes
        }

    pairs = []
    for p in data.get("pair_treaties", []):
        sides = tuple(
            frozenset(eu if side == "EU" else {known(side, p["code"])}) for side in p["between"]
        )
        pairs.append(
            PairTreaty(
                p["code"],
                p["name"],
                (sides[0], sides[1]),
                date.fromisoformat(p["in_force_from"]),
                bool(p.get("confirmed", False)),
            )
        )

    entries: dict[str, tuple[dict[str, DirectoryEntry], dict[str, LanguageList], tuple[str, ...]]]
    entries = {}
    for code, s in data.get("states", {}).items():
        known(code, "states")
        authorities = {}
        languages = {}
        for key, value in s.items():
            where = f"states.{code}.{key}"
            if key in ROLES:
                authorities[key] = DirectoryEntry(
                    key,
                    value["name"],
                    bool(value.get("confirmed")),
                    source(value.get("source"), where),
                    value.get("note", ""),
                    bool(value.get("decentralised")),
                )
            elif key == "languages":
                for purpose, spec in value.items():
                    if purpose not in LANGUAGE_LISTS:
                        raise ValueError(f"jurisdictions data: {where} has unknown list {purpose}")
                    if isinstance(spec, list):  # official languages: a plain list
                        spec = {"codes": spec, "confirmed": False}
                    languages[purpose] = LanguageList(
                        purpose,
                        tuple(_language(c, where) for c in spec["codes"]),
                        bool(spec.get("confirmed")),
                        source(spec.get("source"), where),
                        spec.get("note", ""),
                    )
            elif key != "notes":
                raise ValueError(f"jurisdictions data: {where} is not a known entry")
        entries[code] = (authorities, languages, tuple(s.get("notes", ())))

    unused = set(sources) - cited
    if unused:  # a source nothing cites is a claim nobody checks
        raise ValueError(f"jurisdictions data: sources cited by nothing {sorted(unused)}")

    result: dict[str, Jurisdiction] = {}
    for code in sorted(codes):
        authorities, languages, notes = entries.get(code, ({}, {}, ()))
        result[code] = Jurisdiction(
            code=code,
            name=_iso_name(code) or extra[code].split(" (")[0],
            eu_member=code in eu,
            eio=code in eu and code not in eio_out,
            e_evidence=code in eu and code not in ee_out,
            notes=notes,
            treaties={key: statuses[code] for key, statuses in treaties.items()},
            authorities=authorities,
            languages=languages,
        )
    return _Dataset(
        version=str(data["version"]),
        checked_on=date.fromisoformat(data["checked_on"]),
        checked_how=data["checked_how"],
        e_evidence_applies_from=date.fromisoformat(data["e_evidence"]["applies_from"]),
        extra_codes=extra,
        sources=sources,
        treaty_names={key: t["name"] for key, t in data["treaties"].items()},
        pair_treaties=tuple(pairs),
        jurisdictions=result,
    )


@cache
def _dataset() -> _Dataset:
    return build_dataset(json.loads(DATA_FILE.read_text(encoding="utf-8")))


def canonical_code(raw: str) -> str:
    """Return the ISO 3166-1 alpha-2 code for `raw`: alpha-2 in any case, alpha-3, "UK"/"EL".

    Raises InvalidIdentifier(field="jurisdiction") for anything else.
    """
    text = raw.strip().upper() if isinstance(raw, str) else ""
    text = ALIASES.get(text, text)
    if len(text) == 2 and (text in _dataset().extra_codes or _iso_name(text)):
        return text
    if len(text) == 3 and text.isalpha():
        country = pycountry.countries.get(alpha_3=text)
        if country is not None:
            return str(country.alpha_2)
    raise InvalidIdentifier("jurisdiction", f"unknown ISO 3166-1 country code {raw!r}")


def get(code: str) -> Jurisdiction:
    """Return the Jurisdiction for an ISO code (see `canonical_code` for accepted spellings)."""
    return _dataset().jurisdictions[canonical_code(code)]


def all_jurisdictions() -> tuple[Jurisdiction, ...]:
    """Every known jurisdiction, sorted by code."""
    return tuple(_dataset().jurisdictions.values())


def treaty_codes() -> tuple[str, ...]:
    return tuple(_dataset().treaty_names)


def treaty_name(code: str) -> str:
    return _dataset().treaty_names[code]


def pair_treaties(a: str, b: str, on: date) -> tuple[PairTreaty, ...]:
    """Treaties binding the two states to each other on `on` (EU-US, EU-UK...)."""
    a, b = canonical_code(a), canonical_code(b)
    return tuple(p for p in _dataset().pair_treaties if p.binds(a, b, on))


def pair_treaty(code: str) -> PairTreaty:
    """The pair treaty with this code; StopIteration if there is none."""
    return next(p for p in _dataset().pair_treaties if p.code == code)


def pair_treaty_codes() -> tuple[str, ...]:
    return tuple(p.code for p in _dataset().pair_treaties)


def source(key: str) -> Source:
    return _dataset().sources[key]


DATA_VERSION: str = _dataset().version
CHECKED_ON: date = _dataset().checked_on
CHECKED_HOW: str = _dataset().checked_how
E_EVIDENCE_APPLIES_FROM: date = _dataset().e_evidence_applies_from
