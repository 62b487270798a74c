"""Jurisdiction codes and the directory of states shipped in caseflow/data/jurisdictions.json."""

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
DIRECTORY = EU | {"GB", "US", "CA", "AU", "CH", "NO", "PH", "TH", "KH", "IN", "AE"}
TREATIES = {"BUDAPEST", "2AP", "UNTOC", "TIP", "OPSC", "MLA-1959"}


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
    assert not by_code["GB"].eu_member  # since 31 January 2020


def test_e_evidence_applies_from_18_august_2026():
    assert date(2026, 8, 18) == jurisdictions.E_EVIDENCE_APPLIES_FROM
    france = jurisdictions.get("FR")
    assert not france.e_evidence_applies(date(2026, 8, 17))
    assert france.e_evidence_applies(date(2026, 8, 18))
    assert not jurisdictions.get("DK").e_evidence_applies(date(2027, 1, 1))


def test_the_directory_covers_the_states_and_treaties_it_must():
    assert set(jurisdictions.treaty_codes()) == TREATIES
    for code in DIRECTORY:
        state = jurisdictions.get(code)
        assert state.has_directory_entry, code
        assert state.accepted_languages("official") is not None, code
        assert set(state.treaties) == TREATIES, code
        for status in state.treaties.values():
            assert status.status in jurisdictions.STATUSES
            assert status.confirmed == (status.source is not None)
    for code in ("US", "GB", "CA", "AU", "CH", "NO", "PH", "TH", "KH", "IN", "AE", "DE", "FR"):
        assert jurisdictions.get(code).authority("mla_central") is not None, code


@pytest.mark.parametrize(
    ("code", "treaty", "status", "confirmed"),
    [
        ("IE", "BUDAPEST", "signatory", True),  # Dáil answer of 8 October 2025
        ("IE", "OPSC", "signatory", True),  # Dáil answer of 9 July 2025
        ("DE", "BUDAPEST", "party", True),
        ("US", "BUDAPEST", "party", True),
        ("PH", "BUDAPEST", "party", True),
        ("SE", "BUDAPEST", "party", True),
        ("GR", "BUDAPEST", "party", False),
        ("IN", "UNTOC", "party", True),
        ("AE", "TIP", "party", True),
        ("US", "OPSC", "party", True),
        ("IN", "BUDAPEST", "not-party", False),
        ("KH", "BUDAPEST", "not-party", False),
        ("JP", "2AP", "party", True),
        ("US", "2AP", "signatory", True),
        ("IN", "2AP", "not-party", True),  # the chart lists every signature
        ("TH", "UNTOC", "party", True),
        ("KH", "UNTOC", "party", False),
        ("JP", "OPSC", "unknown", False),
    ],
)
def test_party_status_says_how_sure_it_is(code, treaty, status, confirmed):
    entry = jurisdictions.get(code).party(treaty)
    assert (entry.status, entry.confirmed) == (status, confirmed)
    if confirmed:
        assert entry.source.url.startswith(("https://", "http://")) and entry.source.as_of <= date(
            2026, 12, 1
        )
        assert "confirmed by" in entry.certainty()
    else:
        assert entry.certainty() == "unconfirmed in CaseFlow's data"


def test_the_second_protocol_is_not_in_force_and_japan_reserves_article_7():
    japan = jurisdictions.get("JP").party("2AP")
    assert japan.treaty_in_force_from is None
    assert japan.binding(date(2027, 1, 1)) is False
    assert "art7" in japan.reservations
    assert jurisdictions.get("FR").party("UNTOC").binding(date(2026, 1, 1)) is True
    assert jurisdictions.get("JP").party("OPSC").binding(date(2026, 1, 1)) is None


def test_pair_treaties_bind_the_eu_and_one_state():
    on = date(2026, 12, 1)
    assert [p.code for p in jurisdictions.pair_treaties("DE", "US", on)] == ["EU-US-MLA"]
    assert [p.code for p in jurisdictions.pair_treaties("US", "IE", on)] == ["EU-US-MLA"]
    assert [p.code for p in jurisdictions.pair_treaties("FR", "GB", on)] == ["EU-UK-TCA"]
    assert jurisdictions.pair_treaties("GB", "US", on) == ()
    assert jurisdictions.pair_treaties("DE", "US", date(2009, 1, 1)) == ()


def test_languages_and_authorities_carry_their_confirmation():
    germany = jurisdictions.get("DE")
    eio = germany.accepted_languages("eio")
    assert eio.codes == ("de",) and eio.confirmed and eio.source.id == "eio-lapd-2021"
    assert germany.authority("eio_receiving").decentralised
    assert jurisdictions.get("PH").accepted_languages("official").codes == ("en", "fil")
    oia = jurisdictions.get("US").authority("mla_central")
    assert "Office of International Affairs" in oia.name and not oia.confirmed


def test_legacy_views_of_the_facts():
    gb, ie, jp = (jurisdictions.get(c) for c in ("GB", "IE", "JP"))
    assert gb.budapest_party and not ie.budapest_party
    assert jp.second_protocol is True and jurisdictions.get("FR").second_protocol is False
    assert "UNTOC" in gb.to_confirm and "BUDAPEST" not in gb.to_confirm


def test_data_file_is_versioned_and_dated():
    data = raw_data()
    assert data["version"] == jurisdictions.DATA_VERSION
    assert date.fromisoformat(data["checked_on"]) == jurisdictions.CHECKED_ON
    assert data["sources"] and "confirmed" in jurisdictions.CHECKED_HOW


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


def _broken(change) -> dict:
    data = copy.deepcopy(raw_data())
    change(data)
    return data


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["eio"]["all_eu_except"].append("GB"), "excludes non-members"),
        (lambda d: d["treaties"]["BUDAPEST"]["parties"].append("QQ"), "unknown code 'QQ'"),
        (lambda d: d["treaties"]["BUDAPEST"]["signatories"].append("DE"), "twice"),
        (
            lambda d: d["treaties"]["BUDAPEST"]["confirmed"].append(
                {"source": "coe-185-2015", "status": "party", "codes": ["IN"]}
            ),
            "confirms IN as party",
        ),
        (
            lambda d: d["treaties"]["BUDAPEST"]["confirmed"].append(
                {"source": "rumour", "status": "party", "codes": ["DE"]}
            ),
            "unknown source",
        ),
        (lambda d: d["treaties"]["OPSC"].update(unlisted="perhaps"), "unknown status"),
        (lambda d: d["treaties"]["2AP"]["reservations"].update(IN={"art7": "x"}), "non-party IN"),
        (lambda d: d["states"]["DE"].update(mayor={"name": "x"}), "not a known entry"),
        (lambda d: d["states"]["DE"]["languages"].update(eio=["xx"]), "unknown language"),
        (lambda d: d["states"]["DE"]["languages"].update(gossip=["de"]), "unknown list"),
        (
            lambda d: d["sources"].update(blog={"title": "x", "url": "x", "as_of": "2026-01-01"}),
            "cited by nothing",
        ),
    ],
)
def test_inconsistent_data_files_are_refused(change, message):
    with pytest.raises(ValueError, match=message):
        jurisdictions.build_dataset(_broken(change))
