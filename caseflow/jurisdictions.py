"""Jurisdictions: ISO 3166-1 alpha-2 codes (via pycountry) and the versioned legal facts
(EU, EIO, e-Evidence, Budapest Convention) shipped in `caseflow/data/jurisdictions.json`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import pycountry

from caseflow.entities.errors import InvalidIdentifier

DATA_FILE = Path(__file__).resolve().parent / "data" / "jurisdictions.json"

# Codes people write that are not the ISO alpha-2 code: the EU's own "UK" and "EL".
ALIASES = {"UK": "GB", "EL": "GR"}

# Facts a Jurisdiction carries; the data file may only override these (plus "notes").
FACTS = ("eu_member", "eio", "e_evidence", "budapest_party", "second_protocol")


@dataclass(frozen=True)
class Jurisdiction:
    """One jurisdiction and the facts the legal-basis resolver needs.

    `second_protocol` is None when unknown. `to_confirm` names the facts whose value in
    the data file is a best guess that must be checked against the official chart.
    `e_evidence` says the state takes part in Regulation (EU) 2023/1543; whether it
    applies on a given day is `e_evidence_applies(on)`.
    """

    code: str
    name: str
    eu_member: bool
    eio: bool
    e_evidence: bool
    budapest_party: bool
    second_protocol: bool | None
    to_confirm: frozenset[str]
    notes: tuple[str, ...]

    def e_evidence_applies(self, on: date) -> bool:
        """True if the e-Evidence Regulation binds this state on day `on`."""
        return self.e_evidence and on >= _dataset().e_evidence_applies_from


@dataclass(frozen=True)
class _Dataset:
    version: str
    checked_on: date
    e_evidence_applies_from: date
    extra_codes: Mapping[str, str]
    jurisdictions: Mapping[str, Jurisdiction]


def _iso_name(code: str) -> str | None:
    country = pycountry.countries.get(alpha_2=code)
    if country is None:
        return None
    # Prefer the common name ("Bolivia") over the official one where pycountry has it.
    return getattr(country, "common_name", None) or country.name


def build_dataset(data: Mapping[str, Any]) -> _Dataset:
    """Check a parsed data file and build every Jurisdiction it describes.

    Raises ValueError when the file is inconsistent: an unknown code, an EIO or
    e-Evidence exclusion that is not an EU member, an override of an unknown fact.
    """
    extra = dict(data.get("extra_codes", {}))

    def known(code: str, where: str) -> str:
        if not (code in extra or _iso_name(code)):
            raise ValueError(f"jurisdictions data: {where} lists unknown code {code!r}")
        return code

    eu = {known(c, "eu_members") for c in data["eu_members"]}
    eio_out = {known(c, "eio") for c in data["eio"]["all_eu_except"]}
    ee_out = {known(c, "e_evidence") for c in data["e_evidence"]["all_eu_except"]}
    for name, out in (("eio", eio_out), ("e_evidence", ee_out)):
        if not out <= eu:
            raise ValueError(f"jurisdictions data: {name} excludes non-members {sorted(out - eu)}")
    bud = data["budapest_parties"]
    bud_sure = {known(c, "budapest_parties") for c in bud["parties"]}
    bud_guess = {known(c, "budapest_parties.to_confirm") for c in bud.get("to_confirm", [])}
    sap = data["second_protocol_parties"]
    sap_sure = {known(c, "second_protocol_parties") for c in sap["parties"]}
    sap_guess = {known(c, "second_protocol_parties.to_confirm") for c in sap.get("to_confirm", [])}
    overrides = data.get("overrides", {})
    for code, change in overrides.items():
        known(code, "overrides")
        bad = set(change) - {*FACTS, "notes"}
        if bad:
            raise ValueError(f"jurisdictions data: override for {code} sets unknown {sorted(bad)}")

    codes = {c.alpha_2 for c in pycountry.countries} | set(extra)
    result: dict[str, Jurisdiction] = {}
    for code in sorted(codes):
        to_confirm: set[str] = set()
        if code in bud_guess or (bud.get("to_confirm_all") and code in bud_sure):
            to_confirm.add("budapest_party")
        if code in sap_guess or (sap.get("to_confirm_all") and code in sap_sure):
            to_confirm.add("second_protocol")
        facts: dict[str, Any] = {
            "eu_member": code in eu,
            "eio": code in eu and code not in eio_out,
            "e_evidence": code in eu and code not in ee_out,
            "budapest_party": code in bud_sure or code in bud_guess,
            "second_protocol": True if code in sap_sure or code in sap_guess else None,
        }
        change = overrides.get(code, {})
        facts.update({k: v for k, v in change.items() if k in FACTS})
        result[code] = Jurisdiction(
            code=code,
            name=_iso_name(code) or extra[code].split(" (")[0],
            to_confirm=frozenset(to_confirm),
            notes=tuple(change.get("notes", ())),
            **facts,
        )
    return _Dataset(
        version=str(data["version"]),
        checked_on=date.fromisoformat(data["checked_on"]),
        e_evidence_applies_from=date.fromisoformat(data["e_evidence"]["applies_from"]),
        extra_codes=extra,
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


DATA_VERSION: str = _dataset().version
CHECKED_ON: date = _dataset().checked_on
E_EVIDENCE_APPLIES_FROM: date = _dataset().e_evidence_applies_from
