"""Jurisdiction codes and the versioned legal facts shipped in caseflow/data/jurisdictions.json."""

from __future__ import annotations

import copy
import json
from datetime import date

import pycountry
import pytest

from caseflow import jurisdictions
from caseflow.entities.errors import InvalidIdentifier

EU = {
    *("AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU"),
    *("IE", "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK"),
}


def raw_data() -> dict:
    return json.loads(jurisdictions.DATA_FILE.read_text(encoding="utf-8"))


def test_every_iso_country_is_known_with_its_pycountry_name():
    codes = {j.code for j in jurisdictions.all_jurisdictions()}
    assert codes >= {c.alpha_2 for c in pycountry.countries}
    assert "XK" in codes
    assert jurisdictions.get("fr").name == "France"
    assert jurisdictions.get("XK").name == "Kosovo"


def test_eu_eio_and_e_evidence_membership():
    by_code = {j.code: j for j in jurisdictions.all_jurisdictions()}
    assert {c for c, j in by_code.items() if j.eu_member} == EU
    assert {c for c, j in by_code.items() if j.eio} == EU - {"DK", "IE"}
    assert {c for c, j in by_code.items() if j.e_evidence} == EU - {"DK"}
    ireland = by_code["IE"]
    assert (ireland.eio, ireland.e_evidence) == (False, True)
    assert ireland.notes  # the reasons travel with the data


def test_e_evidence_applies_from_18_august_2026():
    assert date(2026, 8, 18) == jurisdictions.E_EVIDENCE_APPLIES_FROM
    france = jurisdictions.get("FR")
    assert not france.e_evidence_applies(date(2026, 8, 17))
    assert france.e_evidence_applies(date(2026, 8, 18))
    assert not jurisdictions.get("DK").e_evidence_applies(date(2027, 1, 1))


def test_budapest_and_second_protocol_are_marked_to_confirm():
    gb, us, ie, br = (jurisdictions.get(c) for c in ("GB", "US", "IE", "BR"))
    assert gb.budapest_party and us.budapest_party and not gb.eu_member
    assert not ie.budapest_party
    assert br.budapest_party and "budapest_party" in br.to_confirm
    assert "budapest_party" in gb.to_confirm  # the whole list awaits a check of the chart
    assert jurisdictions.get("FR").second_protocol is None  # unknown, not "no"
    assert "second_protocol" in jurisdictions.get("JP").to_confirm


def test_data_file_is_versioned_and_dated():
    data = raw_data()
    assert data["version"] == jurisdictions.DATA_VERSION
    assert date.fromisoformat(data["checked_on"]) == jurisdictions.CHECKED_ON
    assert data["sources"]


@pytest.mark.parametrize(
    ("spelling", "code"), [("gb", "GB"), (" UK ", "GB"), ("EL", "GR"), ("deu", "DE"), ("xk", "XK")]
)
def test_accepted_spellings(spelling, code):
    assert jurisdictions.get(spelling).code == code


@pytest.mark.parametrize("bad", ["QQ", "", "Atlantis", "G B", "ZZZ"])
def test_unknown_codes_are_refused_with_a_clear_error(bad):
    with pytest.raises(InvalidIdentifier) as info:
        jurisdictions.get(bad)
    assert info.value.field == "jurisdiction"
    assert info.value.rule.startswith("unknown ISO 3166-1 country code")


def test_inconsistent_data_files_are_refused():
    data = raw_data()
    outside = copy.deepcopy(data)
    outside["eio"]["all_eu_except"].append("GB")
    with pytest.raises(ValueError, match="excludes non-members"):
        jurisdictions.build_dataset(outside)
    unknown = copy.deepcopy(data)
    unknown["budapest_parties"]["parties"].append("QQ")
    with pytest.raises(ValueError, match="unknown code 'QQ'"):
        jurisdictions.build_dataset(unknown)
    bad_override = copy.deepcopy(data)
    bad_override["overrides"]["DK"]["eu_memebr"] = False
    with pytest.raises(ValueError, match="unknown"):
        jurisdictions.build_dataset(bad_override)


def test_overrides_change_facts():
    data = raw_data()
    data["overrides"]["NO"] = {"eio": True, "notes": ["test only"]}
    norway = jurisdictions.build_dataset(data).jurisdictions["NO"]
    assert (norway.eio, norway.notes) == (True, ("test only",))
