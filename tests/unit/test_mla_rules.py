"""Legal-basis resolver over a table of state pairs and dates; completeness per instrument;
request clocks."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from caseflow.entities.errors import InvalidIdentifier
from caseflow.mla import clocks, completeness, legal_basis
from caseflow.mla.completeness import IdentifierFacts, OffenceFacts, RequestFacts
from caseflow.mla.legal_basis import BasisFacts, propose

BEFORE = date(2026, 8, 17)  # the day before the e-Evidence Regulation applies
AFTER = date(2026, 8, 18)
PRODUCE = frozenset({"subscriber-data"})
PRESERVE = frozenset({"preservation"})


@pytest.mark.parametrize(
    ("requesting", "requested", "on", "types", "holder", "urgency", "treaty", "expected"),
    [
        # e-Evidence between EU states other than DK, from 18 Aug 2026, for in-scope providers
        ("DE", "FR", AFTER, PRODUCE, "service-provider", "normal", None, "EPOC"),
        ("DE", "FR", AFTER, PRESERVE, "service-provider", "normal", None, "EPOC-PR"),
        ("DE", "FR", AFTER, PRODUCE, "service-provider", "emergency", None, "EPOC"),
        ("IE", "NL", AFTER, PRODUCE, "service-provider", "normal", None, "EPOC"),
        # before go-live, or out-of-scope holders: EIO between EIO states
        ("DE", "FR", BEFORE, PRODUCE, "service-provider", "normal", None, "EIO"),
        ("DE", "FR", AFTER, frozenset({"financial-records"}), "financial", "normal", None, "EIO"),
        # DK is in neither e-Evidence nor EIO: Budapest between parties
        ("DE", "DK", AFTER, PRESERVE, "service-provider", "normal", None, "BUDAPEST-29"),
        ("DK", "NL", AFTER, PRODUCE, "service-provider", "normal", None, "BUDAPEST-31"),
        # IE is outside the EIO and (in our data) not a Budapest party
        ("DE", "IE", BEFORE, PRODUCE, "service-provider", "normal", None, "UNTOC-18"),
        ("GB", "US", AFTER, PRESERVE, "service-provider", "normal", None, "BUDAPEST-29"),
        (
            "GB",
            "US",
            AFTER,
            frozenset({"content-data"}),
            "service-provider",
            "normal",
            None,
            "BUDAPEST-31",
        ),
        # a configured bilateral treaty wins over UNTOC, and over Budapest for bank records
        (
            "GB",
            "US",
            AFTER,
            frozenset({"financial-records"}),
            "financial",
            "normal",
            "UK-US MLAT 1994",
            "BILATERAL",
        ),
        ("GB", "TH", AFTER, PRODUCE, "service-provider", "normal", "UK-Thailand MLAT", "BILATERAL"),
        ("GB", "TH", AFTER, PRODUCE, "service-provider", "normal", None, "UNTOC-18"),
    ],
)
def test_resolver_proposes_the_preferred_instrument_for_each_pair_and_date(
    requesting, requested, on, types, holder, urgency, treaty, expected
):
    facts = BasisFacts(requesting, requested, on, types, holder, urgency, bilateral_treaty=treaty)
    proposal = propose(facts)
    assert proposal.primary.code == expected
    assert proposal.primary.reasons  # always says why


def test_resolver_explains_why_preferred_instruments_were_passed_over():
    text = propose(BasisFacts("DE", "DK", AFTER, PRESERVE)).explanation()
    assert "Denmark (DK) does not take part in the e-Evidence Regulation" in text
    assert "Denmark (DK) does not take part in the EIO" in text
    assert "both DE and DK are parties to the Budapest Convention" in text


def test_resolver_names_the_go_live_date_before_e_evidence_applies():
    text = propose(BasisFacts("DE", "FR", BEFORE, PRODUCE)).explanation()
    assert "applies only from 2026-08-18" in text


def test_child_offences_add_the_opsc_and_others_do_not():
    child = propose(BasisFacts("GB", "TH", AFTER, PRODUCE, child_offence=True))
    other = propose(BasisFacts("GB", "TH", AFTER, PRODUCE, child_offence=False))
    assert child.codes == ("UNTOC-18", "OPSC-6")
    assert other.codes == ("UNTOC-18",)


def test_outside_untoc_scope_without_treaty_falls_back_to_letters_rogatory():
    facts = BasisFacts("GB", "TH", AFTER, PRODUCE, untoc_scope=False, child_offence=False)
    assert propose(facts).primary.code == "LETTERS-ROGATORY"


def test_resolver_rejects_unknown_state_codes():
    with pytest.raises(InvalidIdentifier):
        propose(BasisFacts("DE", "QQ", AFTER, PRODUCE))


def test_instrument_table_refuses_unknown_conditions_and_fields():
    import json

    data = json.loads(legal_basis.DATA_FILE.read_text(encoding="utf-8"))
    data["rules"][0]["when"] = ["moon_phase"]
    with pytest.raises(ValueError, match="moon_phase"):
        legal_basis.build_table(data)
    data = json.loads(legal_basis.DATA_FILE.read_text(encoding="utf-8"))
    data["instruments"]["EIO"]["required"].append("horoscope")
    with pytest.raises(ValueError, match="horoscope"):
        legal_basis.build_table(data)


T0 = datetime(2026, 9, 1, 12, 0, tzinfo=UTC)

COMPLETE = RequestFacts(
    requesting_authority="National Crime Unit, Exampleland",
    contact_person="DS A. Officer",
    contact_phone="+44 7700 900123",
    contact_email="a.officer@police.example.com",
    contact_24_7="+44 7700 900999",
    time_zone="Europe/London",
    requested_state="FR",
    central_authority="Ministry of Justice (example)",
    request_types=frozenset({"preservation", "subscriber-data"}),
    holder_name="Example Hosting SAS",
    proceedings_stage="investigation",
    identifiers=(
        IdentifierFacts("ip_address", "198.51.100.7", T0, 51234, "logged in to the ad account"),
        IdentifierFacts("email", "seller@example.com", None, None, "contact address in the ad"),
    ),
    time_from=T0 - timedelta(days=30),
    time_to=T0,
    offences=(OffenceFacts("Trafficking in children", "s. 2 Example Act 2015", "life"),),
    summary_of_facts="Ads offering minors were posted from the account.",
    necessity="To identify the person posting the ads.",
    urgency="urgent",
    urgency_reason="Risk of deletion.",
    production_to_follow=True,
    earlier_requests="None.",
    confidentiality="Do not notify the subscriber.",
    use_limits="Only for these proceedings.",
    language="en",
)


@pytest.mark.parametrize("code", legal_basis.instrument_codes())
def test_a_complete_request_misses_nothing_for_every_instrument(code):
    assert completeness.missing_items(COMPLETE, code) == ()


@pytest.mark.parametrize("code", legal_basis.instrument_codes())
def test_an_empty_request_lists_every_required_item_by_name(code):
    missing = completeness.missing_items(RequestFacts(), code)
    required = legal_basis.instrument(code).required
    # urgency reasons are only required when urgent, IP details only when there are IPs
    conditional = {"urgency_reason", "ip_observations"}
    assert [m.key for m in missing] == [k for k in required if k not in conditional]
    assert all(m.label and m.problem for m in missing)


@pytest.mark.parametrize(
    ("code", "change", "key", "problem"),
    [
        (
            "EPOC",
            {"identifiers": (IdentifierFacts("ip_address", "198.51.100.7", T0, None, "x"),)},
            "ip_observations",
            "missing for 198.51.100.7",
        ),
        ("EPOC", {"time_to": T0 - timedelta(days=60)}, "time_range", "the start is after the end"),
        (
            "EIO",
            {"offences": (OffenceFacts("Trafficking", "s. 2", ""),)},
            "maximum_penalty",
            "missing for Trafficking",
        ),
        ("BUDAPEST-29", {"production_to_follow": False}, "production_to_follow", "not stated"),
        (
            "EPOC-PR",
            {"identifiers": (IdentifierFacts("email", "x@example.com"),)},
            "nexus",
            "missing for x@example.com",
        ),
        ("UNTOC-18", {"use_limits": " "}, "use_limits", "empty"),
        ("BUDAPEST-31", {"contact_24_7": ""}, "contact_point", "missing 24/7 contact"),
        ("BILATERAL", {"urgency_reason": ""}, "urgency_reason", "required when urgent"),
    ],
)
def test_each_missing_item_is_named_with_its_problem(code, change, key, problem):
    from dataclasses import replace

    missing = completeness.missing_items(replace(COMPLETE, **change), code)
    assert [(m.key, m.problem) for m in missing] == [(key, problem)]


def test_budapest_preservation_expires_after_60_days_with_reminders_at_45_and_55():
    due = clocks.clocks(clocks.profile_for("BUDAPEST-29", "DK", ["preservation"]), T0)
    assert [(d.kind, d.due_at - T0) for d in due] == [
        ("reminder", timedelta(days=45)),
        ("reminder", timedelta(days=55)),
        ("deadline", timedelta(days=60)),
    ]


def test_us_preservation_runs_90_days_plus_one_90_day_extension():
    profile = clocks.profile_for("BUDAPEST-29", "US", ["preservation"])
    assert profile == "US-2703F"
    first = clocks.clocks(profile, T0)
    extended = clocks.clocks(profile, T0, extended=True)
    assert [d.due_at - T0 for d in first] == [timedelta(days=75), timedelta(days=90)]
    assert [d.due_at - T0 for d in extended] == [
        timedelta(days=75),
        timedelta(days=165),
        timedelta(days=180),
    ]


def test_epoc_pr_is_60_days_or_90_with_annex_vi():
    assert clocks.clocks("EPOC-PR", T0)[-1].due_at == T0 + timedelta(days=60)
    assert clocks.clocks("EPOC-PR", T0, extended=True)[-1].due_at == T0 + timedelta(days=90)


def test_epoc_production_is_due_in_10_days_or_8_hours_in_an_emergency():
    assert clocks.clocks("EPOC", T0)[-1].due_at == T0 + timedelta(days=10)
    emergency = clocks.clocks("EPOC", T0, emergency=True)
    assert emergency[-1].due_at == T0 + timedelta(hours=8)
    assert emergency[0].kind == "reminder" and emergency[0].due_at < emergency[-1].due_at


def test_eio_recognition_30_days_and_execution_90_days_later():
    due = {d.key: d.due_at - T0 for d in clocks.clocks("EIO", T0)}
    assert due == {
        "acknowledgement": timedelta(days=7),
        "recognition": timedelta(days=30),
        "execution": timedelta(days=120),
    }


def test_clock_states_overdue_due_soon_and_later():
    due = clocks.Due("x", "x", T0, "deadline")
    assert clocks.state_of(due, T0) == "overdue"
    assert clocks.state_of(due, T0 - timedelta(days=3)) == "due-soon"
    assert clocks.state_of(due, T0 - timedelta(days=30)) == "later"


def test_mutual_assistance_instruments_without_time_limits_have_no_clock():
    assert clocks.clocks(clocks.profile_for("UNTOC-18", "TH", ["content-data"]), T0) == ()
