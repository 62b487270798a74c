"""The legal-basis resolver over a table of state pairs x measures x dates x emergency.

Each row names the instruments it expects (main basis first, then those cited with it) and the
text that decides it (the rule's source), plus what follows and what stays open.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date

import pytest

from caseflow import jurisdictions
from caseflow.entities.errors import InvalidIdentifier
from caseflow.mla import routes
from caseflow.mla.facts import OffenceFacts
from caseflow.mla.routes import BasisFacts, propose

BEFORE = date(2026, 8, 17)  # the day before the e-Evidence Regulation applies
GO_LIVE = date(2026, 8, 18)
LATER = date(2026, 11, 28)

TEN_YEARS = (OffenceFacts("Trafficking in children", "s. 2 Example Act", "10 years"),)
TWO_YEARS = (OffenceFacts("Harassment", "s. 4 Example Act", "2 years"),)
CSAM_ONLINE = (
    OffenceFacts(
        "Distribution of child sexual abuse material",
        "s. 1 Example Act",
        "2 years",
        tags=frozenset({"child-sexual-abuse"}),
        by_information_system="yes",
    ),
)
CSAM_MEANS_UNKNOWN = (replace(CSAM_ONLINE[0], by_information_system="unknown"),)
TIP_THREE_YEARS = (
    OffenceFacts(
        "Trafficking in persons", "s. 9", "3 years", tags=frozenset({"trafficking-in-persons"})
    ),
)
UNTOC_STATED = {"transnational": "yes", "organised_group": "yes", "offences": TEN_YEARS}


def provider(state: str | None = "IE", **more) -> dict:
    """A service provider with a legal representative in `state` (None: no EU presence)."""
    if state is None:
        return {"holder_kind": "service-provider", "holder_eu_presence": "none", **more}
    return {
        "holder_kind": "service-provider",
        "holder_eu_presence": "legal-representative",
        "holder_eu_state": state,
        **more,
    }


def obtain(*categories: str, **more) -> dict:
    return {"measure": "obtain", "categories": frozenset(categories), **more}


def preserve(*categories: str, **more) -> dict:
    return {"measure": "preserve", "categories": frozenset(categories), **more}


SUB = obtain("subscriber")
# (id, requesting, requested, date, facts, expected codes, deciding source)
ROWS = [
    # e-Evidence: both bound, provider represented in another bound state, from 18 Aug 2026
    (
        "epoc-subscriber",
        "DE",
        "FR",
        GO_LIVE,
        {**SUB, **provider(), "issuing_authority": "prosecutor"},
        ("EPOC",),
        "Reg. 2023/1543 Arts. 4, 5",
    ),
    (
        "epoc-before-go-live",
        "DE",
        "FR",
        BEFORE,
        {**SUB, **provider(), "issuing_authority": "prosecutor"},
        ("EIO",),
        "Dir. 2014/41/EU Arts. 1, 3, 34",
    ),
    (
        "epoc-content-prosecutor",
        "DE",
        "FR",
        LATER,
        {
            **obtain("content"),
            **provider(),
            "issuing_authority": "prosecutor",
            "offences": TEN_YEARS,
        },
        ("EPOC",),
        "Reg. 2023/1543 Arts. 4, 5",
    ),
    (
        "epoc-content-2y",
        "DE",
        "FR",
        LATER,
        {**obtain("content"), **provider(), "issuing_authority": "judge", "offences": TWO_YEARS},
        ("EIO",),
        "Dir. 2014/41/EU Arts. 1, 3, 34",
    ),
    (
        "epoc-content-csam-listed",
        "DE",
        "FR",
        LATER,
        {
            **obtain("content", "traffic"),
            **provider(),
            "issuing_authority": "investigating-judge",
            "offences": CSAM_ONLINE,
        },
        ("EPOC",),
        "Reg. 2023/1543 Arts. 4, 5",
    ),
    (
        "epoc-csam-means-unknown",
        "DE",
        "FR",
        LATER,
        {
            **obtain("content"),
            **provider(),
            "issuing_authority": "judge",
            "offences": CSAM_MEANS_UNKNOWN,
        },
        ("EIO",),
        "Dir. 2014/41/EU Arts. 1, 3, 34",
    ),
    (
        "epoc-pr-then-epoc",
        "DE",
        "FR",
        LATER,
        {
            **preserve("traffic"),
            **provider(),
            "issuing_authority": "prosecutor",
            "offences": TEN_YEARS,
        },
        ("EPOC-PR",),
        "Reg. 2023/1543 Arts. 4(3), 6",
    ),
    (
        "bank-records-not-epoc",
        "DE",
        "FR",
        LATER,
        {**obtain("financial"), "holder_kind": "financial", "issuing_authority": "judge"},
        ("EIO",),
        "Dir. 2014/41/EU Arts. 1, 3, 34",
    ),
    (
        "search-not-epoc",
        "DE",
        "FR",
        LATER,
        {"request_types": frozenset({"search-or-testimony"}), "holder_kind": "service-provider"},
        ("EIO",),
        "Dir. 2014/41/EU Arts. 1, 3, 34",
    ),
    (
        "ie-search",
        "FR",
        "IE",
        LATER,
        {"request_types": frozenset({"search-or-testimony"})},
        ("MLA-1959", "EU-MLA-2000"),
        "ETS 030 Art. 1",
    ),
    (
        "ie-in-e-evidence",
        "DE",
        "IE",
        LATER,
        {**SUB, **provider("IE"), "issuing_authority": "prosecutor"},
        ("EPOC",),
        "Reg. 2023/1543 Arts. 4, 5",
    ),
    (
        "ie-not-in-eio",
        "DE",
        "IE",
        BEFORE,
        {**SUB, **provider("IE")},
        ("MLA-1959", "EU-MLA-2000"),
        "ETS 030 Art. 1",
    ),
    (
        "dk-preserve",
        "DE",
        "DK",
        LATER,
        {**preserve("subscriber"), **provider("DK"), "issuing_authority": "judge"},
        ("BUDAPEST-29",),
        "ETS 185 Art. 29",
    ),
    (
        "dk-issuing",
        "DK",
        "NL",
        LATER,
        {**SUB, **provider("NL"), "issuing_authority": "judge"},
        ("BUDAPEST-31", "MLA-1959"),
        "ETS 185 Art. 31",
    ),
    (
        "representative-in-dk",
        "DE",
        "FR",
        LATER,
        {**SUB, **provider("DK"), "issuing_authority": "judge"},
        ("EIO",),
        "Dir. 2014/41/EU Arts. 1, 3, 34",
    ),
    (
        "representative-at-home",
        "DE",
        "FR",
        LATER,
        {**SUB, **provider("DE"), "issuing_authority": "judge"},
        ("EIO",),
        "Dir. 2014/41/EU Arts. 1, 3, 34",
    ),
    (
        "epoc-emergency-subscriber",
        "DE",
        "FR",
        LATER,
        {**SUB, **provider(), "issuing_authority": "other", "urgency": "emergency"},
        ("EPOC",),
        "Reg. 2023/1543 Arts. 4(5), 10(4)",
    ),
    (
        "epoc-emergency-content",
        "DE",
        "FR",
        LATER,
        {
            **obtain("content"),
            **provider(),
            "issuing_authority": "judge",
            "urgency": "emergency",
            "offences": TEN_YEARS,
        },
        ("EPOC",),
        "Reg. 2023/1543 Arts. 4(5), 10(4)",
    ),
    # EU-UK after Brexit: the 1959 Convention with the TCA; Budapest Art. 29 to preserve
    (
        "uk-to-fr-stored-data",
        "GB",
        "FR",
        LATER,
        {**SUB, **provider(None)},
        ("EU-UK-TCA",),
        "TCA Part Three, Title VIII; reference §4(4)",
    ),
    (
        "fr-to-uk-bank",
        "FR",
        "GB",
        LATER,
        {**obtain("financial"), "holder_kind": "financial"},
        ("EU-UK-TCA",),
        "TCA Part Three, Title VIII; reference §4(4)",
    ),
    (
        "uk-to-fr-preserve",
        "GB",
        "FR",
        LATER,
        {**preserve("subscriber"), **provider(None)},
        ("BUDAPEST-29",),
        "ETS 185 Art. 29",
    ),
    # The US: content needs the MLAT / EU-US route (probable cause); Budapest otherwise
    (
        "uk-us-preserve-content",
        "GB",
        "US",
        LATER,
        preserve("content", holder_kind="service-provider"),
        ("BUDAPEST-29",),
        "ETS 185 Art. 29",
    ),
    (
        "uk-us-content-mlat",
        "GB",
        "US",
        LATER,
        {
            **obtain("content"),
            "holder_kind": "service-provider",
            "bilateral_treaty": "UK-US MLAT 1994",
        },
        ("BILATERAL",),
        "Issue: content from the US needs the MLAT route (probable cause); reference §4(6)",
    ),
    (
        "de-us-content-treaty",
        "DE",
        "US",
        LATER,
        {**obtain("content"), **provider(None), "bilateral_treaty": "DE-US MLAT 2003"},
        ("BILATERAL", "EU-US-MLA"),
        "Issue: content from the US needs the MLAT route (probable cause); reference §4(6)",
    ),
    (
        "de-us-content",
        "DE",
        "US",
        LATER,
        {**obtain("content"), **provider(None)},
        ("EU-US-MLA",),
        "EU-US MLA Agreement (2003); 18 U.S.C. 2703(a)-(b)",
    ),
    (
        "de-us-preserve-content",
        "DE",
        "US",
        LATER,
        {**preserve("content"), **provider(None), "bilateral_treaty": "DE-US MLAT 2003"},
        ("BUDAPEST-29",),
        "ETS 185 Art. 29",
    ),
    (
        "de-us-subscriber",
        "DE",
        "US",
        LATER,
        {**SUB, **provider(None)},
        ("BUDAPEST-31",),
        "ETS 185 Art. 31",
    ),
    (
        "de-us-bank",
        "DE",
        "US",
        LATER,
        {**obtain("financial"), "holder_kind": "financial"},
        ("EU-US-MLA",),
        "EU-US MLA Agreement (2003)",
    ),
    (
        "ph-us-content",
        "PH",
        "US",
        LATER,
        {**obtain("content"), "holder_kind": "service-provider"},
        ("BUDAPEST-31",),
        "ETS 185 Art. 31",
    ),
    # Emergencies
    (
        "de-us-emergency",
        "DE",
        "US",
        LATER,
        {**obtain("content"), **provider(None), "urgency": "emergency"},
        ("US-2702", "BUDAPEST-35"),
        "18 U.S.C. 2702(b)(8), (c)(4); reference §4(1)",
    ),
    (
        "de-us-emergency-eu-rep",
        "DE",
        "US",
        LATER,
        {**SUB, **provider("IE"), "issuing_authority": "other", "urgency": "emergency"},
        ("EPOC",),
        "Reg. 2023/1543 Arts. 4(5), 10(4)",
    ),
    (
        "gb-au-emergency",
        "GB",
        "AU",
        LATER,
        {**SUB, "holder_kind": "service-provider", "urgency": "emergency"},
        ("BUDAPEST-35",),
        "ETS 185 Arts. 25(3), 35",
    ),
    (
        "in-ae-emergency-unstated",
        "IN",
        "AE",
        LATER,
        {**SUB, "urgency": "emergency"},
        ("LETTERS-ROGATORY",),
        "reference §4(9)",
    ),
    (
        "in-ae-emergency-untoc",
        "IN",
        "AE",
        LATER,
        {**SUB, "urgency": "emergency", **UNTOC_STATED},
        ("UNTOC-18",),
        "UNTOC Arts. 3, 18(1)",
    ),
    # UNTOC scope is asked, never assumed; OPSC only with a state-to-state request
    ("gb-th-unstated", "GB", "TH", LATER, SUB, ("LETTERS-ROGATORY",), "reference §4(9)"),
    (
        "gb-th-untoc",
        "GB",
        "TH",
        LATER,
        {**SUB, **UNTOC_STATED},
        ("UNTOC-18",),
        "UNTOC Arts. 3, 18(1)",
    ),
    (
        "gb-th-not-transnational",
        "GB",
        "TH",
        LATER,
        {**SUB, **UNTOC_STATED, "transnational": "no"},
        ("LETTERS-ROGATORY",),
        "reference §4(9)",
    ),
    (
        "gb-th-untoc-child",
        "GB",
        "TH",
        LATER,
        {**SUB, **UNTOC_STATED, "child_exploitation": "yes"},
        ("UNTOC-18", "OPSC-6"),
        "UNTOC Arts. 3, 18(1)",
    ),
    (
        "epoc-pr-no-opsc",
        "DE",
        "FR",
        LATER,
        {
            **preserve("subscriber"),
            **provider(),
            "issuing_authority": "judge",
            "child_exploitation": "yes",
        },
        ("EPOC-PR",),
        "Reg. 2023/1543 Arts. 4(3), 6",
    ),
    (
        "in-kh-untoc-child",
        "IN",
        "KH",
        LATER,
        {**SUB, **UNTOC_STATED, "child_exploitation": "yes"},
        ("UNTOC-18", "OPSC-6"),
        "UNTOC Arts. 3, 18(1)",
    ),
    (
        "kh-th-tip",
        "KH",
        "TH",
        LATER,
        {**SUB, "transnational": "yes", "organised_group": "yes", "offences": TIP_THREE_YEARS},
        ("UNTOC-18",),
        "UNTOC Arts. 3, 18(1)",
    ),
    (
        "in-us-untoc",
        "IN",
        "US",
        LATER,
        {**SUB, **UNTOC_STATED},
        ("UNTOC-18",),
        "UNTOC Arts. 3, 18(1)",
    ),
    (
        "ae-gb-hearing",
        "AE",
        "GB",
        LATER,
        obtain("hearing"),
        ("LETTERS-ROGATORY",),
        "reference §4(9)",
    ),
    # Other pairs
    (
        "ch-de-bank",
        "CH",
        "DE",
        LATER,
        {**obtain("financial"), "holder_kind": "financial"},
        ("MLA-1959",),
        "ETS 030 Art. 1",
    ),
    (
        "no-fr-subscriber",
        "NO",
        "FR",
        LATER,
        {**SUB, "holder_kind": "service-provider"},
        ("BUDAPEST-31", "MLA-1959"),
        "ETS 185 Art. 31",
    ),
    (
        "jp-rs-2ap-not-in-force",
        "JP",
        "RS",
        LATER,
        {**SUB, "holder_kind": "service-provider"},
        ("BUDAPEST-31",),
        "ETS 185 Art. 31",
    ),
    ("ca-au-preserve", "CA", "AU", LATER, preserve("traffic"), ("BUDAPEST-29",), "ETS 185 Art. 29"),
    # Unknown facts block only what needs them
    ("holder-unknown", "DE", "FR", LATER, SUB, ("EIO",), "Dir. 2014/41/EU Arts. 1, 3, 34"),
    ("nothing-stated", "DE", "FR", LATER, {}, ("EIO",), "Dir. 2014/41/EU Arts. 1, 3, 34"),
]


@pytest.mark.parametrize(
    ("requesting", "requested", "on", "stated", "expected", "decided_by"),
    [pytest.param(*row[1:], id=row[0]) for row in ROWS],
)
def test_resolver_table(requesting, requested, on, stated, expected, decided_by):
    proposal = propose(BasisFacts(requesting, requested, on, **stated))
    assert proposal.codes == expected
    assert proposal.primary.source == decided_by
    assert proposal.primary.reasons  # always says why


def test_the_table_covers_the_required_ground():
    states = {s for row in ROWS for s in row[1:3]}
    assert len(ROWS) >= 40
    assert {"DK", "IE", "GB", "US", "IN", "AE", "KH"} <= states
    assert {row[3] for row in ROWS} >= {BEFORE, GO_LIVE, LATER}
    assert any(row[4].get("urgency") == "emergency" for row in ROWS)


def explain(requesting, requested, on, **stated) -> str:
    return propose(BasisFacts(requesting, requested, on, **stated)).explanation()


# -- The findings of the review, one test each ---------------------------------------------------


def test_a_search_or_hearing_to_ireland_is_never_an_epoc():
    proposal = propose(
        BasisFacts("FR", "IE", date(2026, 11, 28), frozenset({"search-or-testimony"}))
    )
    assert "EPOC" not in proposal.codes and "EPOC-PR" not in proposal.codes
    assert "Ireland (IE) does not take part in the EIO" in proposal.explanation()


@pytest.mark.parametrize("types", [{"financial-records"}, {"search-or-testimony"}])
def test_bank_records_and_searches_between_eu_states_are_not_epocs_whatever_the_holder(types):
    for holder in ("service-provider", "financial", "unknown"):
        proposal = propose(
            BasisFacts("DE", "FR", LATER, frozenset(types), **provider("IE", holder_kind=holder))
        )
        assert proposal.primary.code == "EIO", holder
    text = explain("DE", "FR", LATER, request_types=frozenset(types), **provider("IE"))
    assert "EPOC, because it can only cover subscriber, identification, traffic or content" in text


def test_content_from_the_us_takes_the_treaty_route_and_says_probable_cause():
    proposal = propose(
        BasisFacts(
            "DE",
            "US",
            LATER,
            **obtain("content"),
            **provider(None),
            bilateral_treaty="DE-US MLAT 2003",
        )
    )
    assert proposal.codes == ("BILATERAL", "EU-US-MLA")
    assert "DE-US MLAT 2003" in proposal.primary.label
    assert [r.key for r in proposal.requirements] == ["us_probable_cause"]
    assert "probable cause" in proposal.explanation()


def test_preserving_us_content_is_article_29_now_and_the_treaty_next():
    proposal = propose(
        BasisFacts(
            "DE",
            "US",
            LATER,
            **preserve("content"),
            **provider(None),
            bilateral_treaty="DE-US MLAT 2003",
        )
    )
    assert proposal.primary.code == "BUDAPEST-29"
    assert proposal.next_step is not None
    assert proposal.next_step.codes == ("BILATERAL", "EU-US-MLA")
    assert [r.key for r in proposal.next_step.requirements] == ["us_probable_cause"]
    assert (
        "Then: Bilateral mutual legal assistance treaty: DE-US MLAT 2003" in proposal.explanation()
    )


def test_eu_uk_requests_run_on_the_1959_convention_with_the_tca():
    for a, b, stated in (
        ("GB", "FR", SUB),
        ("FR", "GB", obtain("financial", holder_kind="financial")),
    ):
        proposal = propose(BasisFacts(a, b, LATER, **stated))
        assert proposal.primary.code == "EU-UK-TCA"
        assert "Art. 635" in proposal.primary.label
        assert "UNTOC-18" not in proposal.codes
    preservation = propose(BasisFacts("GB", "FR", LATER, **preserve("subscriber")))
    assert preservation.primary.code == "BUDAPEST-29"
    assert preservation.next_step.primary.code == "EU-UK-TCA"


def test_second_protocol_routes_apply_when_both_states_are_parties(monkeypatch):
    data = json.loads(jurisdictions.DATA_FILE.read_text(encoding="utf-8"))
    data["treaties"]["2AP"]["in_force_from"] = "2027-01-01"
    data["treaties"]["2AP"]["parties"] += ["FR", "US"]
    data["treaties"]["2AP"]["signatories"] = [
        c for c in data["treaties"]["2AP"]["signatories"] if c not in ("FR", "US")
    ]
    dataset = jurisdictions.build_dataset(data)
    monkeypatch.setattr(jurisdictions, "_dataset", lambda: dataset)
    on = date(2027, 3, 1)

    def codes(a, b, **stated):
        return propose(BasisFacts(a, b, on, **stated)).codes

    assert codes("US", "RS", **SUB, holder_kind="service-provider") == ("2AP-7",)
    assert codes("US", "RS", **SUB, holder_kind="domain-registrar") == ("2AP-6",)
    assert codes("US", "RS", **obtain("traffic"), holder_kind="service-provider") == ("2AP-8",)
    # Japan does not apply Art. 7 (reservation): Art. 8 instead
    assert codes("US", "JP", **SUB, holder_kind="service-provider") == ("2AP-8",)
    emergency = propose(
        BasisFacts(
            "US", "RS", on, **obtain("content"), holder_kind="service-provider", urgency="emergency"
        )
    )
    assert emergency.primary.code == "2AP-9"
    assert emergency.next_step is not None
    bank = propose(
        BasisFacts(
            "US", "RS", on, **obtain("financial"), holder_kind="financial", urgency="emergency"
        )
    )
    assert bank.primary.code == "2AP-10"
    # before the Protocol is in force, none of it
    before = propose(
        BasisFacts("US", "RS", date(2026, 12, 1), **SUB, holder_kind="service-provider")
    )
    assert before.primary.code == "BUDAPEST-31"
    assert "the Second Additional Protocol is not in force" in before.explanation()


def test_a_us_emergency_is_voluntary_disclosure_with_the_24_7_network_then_formal_process():
    proposal = propose(
        BasisFacts("DE", "US", LATER, **obtain("content"), **provider(None), urgency="emergency")
    )
    assert proposal.codes == ("US-2702", "BUDAPEST-35")
    assert "2702(b)(8)" in proposal.primary.label
    assert proposal.requirements == ()  # a voluntary disclosure needs no probable cause
    assert proposal.next_step is not None and proposal.next_step.primary.code == "EU-US-MLA"
    assert "it is not obliged to" in proposal.explanation()


def test_the_requested_states_reservations_travel_with_the_proposal():
    within_eu = propose(BasisFacts("DE", "SE", LATER, **preserve("subscriber"), **provider(None)))
    assert within_eu.primary.code == "EIO"  # no Budapest route, so no Budapest reservation
    assert not any("reservation" in n for n in within_eu.primary.notes)
    to_sweden = propose(BasisFacts("NO", "SE", LATER, **preserve("subscriber")))
    assert to_sweden.primary.code == "BUDAPEST-29"
    assert any(
        "Sweden (SE) reservation" in n and "dual criminality" in n for n in to_sweden.primary.notes
    )
    assert not any(
        "reservation" in n
        for n in propose(BasisFacts("NO", "FR", LATER, **preserve("subscriber"))).primary.notes
    )


def test_emergencies_between_non_eu_states_do_not_fall_through_silently():
    budapest = propose(BasisFacts("GB", "AU", LATER, **SUB, urgency="emergency"))
    assert budapest.primary.code == "BUDAPEST-35"
    assert budapest.next_step.primary.code == "BUDAPEST-31"
    outside = propose(BasisFacts("IN", "AE", LATER, **SUB, urgency="emergency", **UNTOC_STATED))
    assert outside.primary.code == "UNTOC-18"
    assert [r.key for r in outside.requirements] == ["urgent_oral"]
    assert "confirm it in writing forthwith" in outside.explanation()


def test_untoc_scope_is_never_assumed_and_never_stated_for_the_officer():
    proposal = propose(BasisFacts("GB", "TH", LATER, frozenset({"subscriber-data"})))
    assert proposal.primary.code == "LETTERS-ROGATORY"
    text = proposal.explanation()
    assert "transnational and involves an organised" not in text
    question = next(q for q in proposal.open_questions if q.code == "UNTOC-18")
    assert set(question.needs) >= {"transnational", "organised_group"}
    assert "UNTOC Art. 18 would be preferred if it is answered" in text
    # the recipient's statement of the basis carries no reasoning at all
    assert proposal.basis_statement() == routes.instrument("LETTERS-ROGATORY").label


def test_the_child_offence_is_asked_and_opsc_is_cited_only_with_state_to_state_requests():
    unstated = propose(BasisFacts("GB", "TH", LATER, **SUB, **UNTOC_STATED))
    assert unstated.codes == ("UNTOC-18",)
    assert any(
        q.code == "OPSC-6" and q.needs == ("child_exploitation",) for q in unstated.open_questions
    )
    legacy_default = propose(
        BasisFacts("GB", "TH", LATER, **SUB, **UNTOC_STATED, child_offence=True)
    )
    assert legacy_default.codes == ("UNTOC-18", "OPSC-6")
    order = propose(
        BasisFacts(
            "DE",
            "FR",
            LATER,
            **preserve("subscriber"),
            **provider(),
            issuing_authority="judge",
            child_exploitation="yes",
        )
    )
    assert order.codes == ("EPOC-PR",)


def test_epoc_threshold_and_issuing_authority_rules():
    prosecutor = propose(
        BasisFacts(
            "DE",
            "FR",
            LATER,
            **obtain("content"),
            **provider(),
            issuing_authority="prosecutor",
            offences=TEN_YEARS,
        )
    )
    assert prosecutor.primary.code == "EPOC"
    assert (
        "must first be validated by a judge, court or investigating judge"
        in prosecutor.explanation()
    )
    low = explain(
        "DE",
        "FR",
        LATER,
        **obtain("content"),
        **provider(),
        issuing_authority="judge",
        offences=TWO_YEARS,
    )
    assert "no offence is punishable by at least 3 years or listed in Art. 5(4)" in low
    listed = propose(
        BasisFacts(
            "DE",
            "FR",
            LATER,
            **obtain("traffic"),
            **provider(),
            issuing_authority="judge",
            offences=CSAM_ONLINE,
        )
    )
    assert "listed in Art. 5(4)(b)" in listed.explanation()
    open_ = propose(
        BasisFacts(
            "DE",
            "FR",
            LATER,
            **obtain("content"),
            **provider(),
            issuing_authority="judge",
            offences=CSAM_MEANS_UNKNOWN,
        )
    )
    epoc = next(q for q in open_.open_questions if q.code == "EPOC")
    assert epoc.needs == ("by_information_system",)
    emergency = propose(
        BasisFacts(
            "DE", "FR", LATER, **SUB, **provider(), issuing_authority="other", urgency="emergency"
        )
    )
    assert "validated by a judge, court, investigating judge or prosecutor within 48 hours" in (
        emergency.explanation()
    )
    assert routes.emergency_validation(
        BasisFacts("DE", "FR", LATER, **SUB, issuing_authority="other", urgency="emergency")
    )
    # traffic/content has no emergency exception: prior validation by a judge (Art. 4(5))
    content = BasisFacts(
        "DE", "FR", LATER, **obtain("content"), issuing_authority="other", urgency="emergency"
    )
    assert not routes.emergency_validation(content)
    assert routes.validation_needed(content) is True
    assert routes.allowed_validators(content) == {"judge", "court", "investigating-judge"}


def test_unknown_facts_block_only_the_routes_that_need_them():
    proposal = propose(BasisFacts("DE", "FR", LATER, **SUB))
    assert proposal.primary.code == "EIO"  # needs none of the unknown facts
    epoc = next(q for q in proposal.open_questions if q.code == "EPOC")
    assert set(epoc.needs) == {"holder_kind", "holder_eu_presence", "issuing_authority_type"}
    assert "EPOC would be preferred if it is answered" in proposal.explanation()
    answered = propose(
        BasisFacts("DE", "FR", LATER, **SUB, **provider(), issuing_authority="judge")
    )
    assert answered.primary.code == "EPOC" and not any(
        q.code == "EPOC" for q in answered.open_questions
    )


def test_the_explanation_says_why_not_the_preferred_routes_and_what_is_unconfirmed():
    text = explain(
        "DE", "DK", LATER, **preserve("subscriber"), **provider("DK"), issuing_authority="judge"
    )
    assert "Denmark (DK), which is not bound by the Regulation" in text
    assert "Denmark (DK) does not take part in the EIO" in text
    assert "both DE and DK are parties to the Budapest Convention" in text
    before = explain("DE", "FR", BEFORE, **SUB, **provider(), issuing_authority="judge")
    assert "the e-Evidence Regulation applies only from 2026-08-18" in before
    # routes that do not concern the request are not listed as passed over
    assert "EU-UK" not in before and "requested state is not US" not in before
    unconfirmed = explain("GB", "TH", LATER, **SUB, **UNTOC_STATED)
    assert "Unconfirmed: GB: UNTOC status unconfirmed in CaseFlow's data" in unconfirmed


def test_conditions_of_a_chosen_basis_are_checked_against_the_facts():
    bank = BasisFacts("DE", "FR", LATER, **obtain("financial"), holder_kind="financial")
    assert "cannot" not in routes.conditions_hold(bank, "EIO")
    assert routes.conditions_hold(bank, "EIO") == ""
    assert (
        "can only cover subscriber, identification, traffic or content"
        in routes.conditions_hold(bank, "EPOC")
    )
    untoc = BasisFacts("GB", "TH", LATER, **SUB)
    assert routes.conditions_hold(untoc, "UNTOC-18").startswith(
        "cannot be checked until it is answered"
    )
    assert routes.conditions_hold(untoc, "LETTERS-ROGATORY") == ""


def test_resolver_rejects_unknown_state_codes_and_bad_facts():
    with pytest.raises(InvalidIdentifier):
        propose(BasisFacts("DE", "QQ", LATER, **SUB))
    from caseflow.mla.facts import FactError

    with pytest.raises(FactError, match="holder_kind"):
        BasisFacts("DE", "FR", LATER, holder_kind="bank")
    with pytest.raises(FactError, match="categories"):
        BasisFacts("DE", "FR", LATER, categories=frozenset({"dna"}))


def data() -> dict:
    return json.loads(routes.DATA_FILE.read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["rules"][0]["when"].append("moon_phase"), "moon_phase"),
        (lambda d: d["rules"][0]["when"].append("both_party:NATO"), "both_party:NATO"),
        (lambda d: d["rules"][0]["when"].append("emergency:yes"), "takes no argument"),
        (
            lambda d: d["instruments"]["EIO"]["checklist"].append({"field": "horoscope"}),
            "horoscope",
        ),
        (
            lambda d: d["instruments"]["EIO"]["checklist"].append(
                {"field": "language", "when": "full_moon"}
            ),
            "full_moon",
        ),
        (lambda d: d["instruments"]["EIO"].update(clock="LUNAR"), "LUNAR"),
        (lambda d: d["rules"].append({"instrument": "EIO", "when": ["both_eio"]}), "fallback"),
        (lambda d: d["clocks"]["EPOC"][0]["starts"].append("eclipse"), "eclipse"),
        (lambda d: d["clocks"]["EPOC"][0].pop("late_step"), "late_step"),
        (lambda d: d["fields"]["language"].update(kind="vibes"), "vibes"),
    ],
)
def test_the_routes_data_is_checked_at_load(change, message):
    broken = data()
    change(broken)
    with pytest.raises(ValueError, match=message):
        routes.build_table(broken)


def test_every_instrument_is_reachable_or_a_supplement():
    reachable = {r.instrument for r in (*routes.table().rules, *routes.table().supplements)}
    assert reachable == set(routes.instrument_codes())
