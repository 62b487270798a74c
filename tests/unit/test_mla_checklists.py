"""Per-instrument checklists: every required item is named when missing, and every value is
validated by its kind (normalizers, ISO 8601 intervals, the directory)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from caseflow import jurisdictions
from caseflow.mla import checklists, routes
from caseflow.mla.facts import IdentifierFacts, OffenceFacts, RequestFacts

T0 = datetime(2026, 9, 1, 12, 0, tzinfo=UTC)
IP = IdentifierFacts("ip_address", "198.51.100.7", T0, 51234, "logged in to the ad account")
EMAIL = IdentifierFacts("email", "seller@example.com", None, None, "contact address in the ad")

# Facts that satisfy every item of every instrument, with every conditional item switched on:
# urgent, an IP address, content data (enforcing-state notification), an issuer that needs a
# judge's validation.
COMPLETE = RequestFacts(
    requesting_state="DE",
    requesting_authority="Staatsanwaltschaft Beispielstadt (fictional)",
    authority_address="1 Example Street, Beispielstadt",
    issuing_authority_type="other",
    issuing_file_reference="123 Js 456/26",
    validating_authority="Amtsgericht Beispielstadt (fictional)",
    validating_authority_type="judge",
    validating_file_reference="7 Gs 89/26",
    conducting_authority="Federal Criminal Police Office, child exploitation unit (investigation)",
    contact_person="KHK A. Officer",
    contact_phone="+44 7700 900123",
    contact_email="a.officer@police.example.com",
    contact_24_7="+44 7700 900999",
    time_zone="Europe/Berlin",
    requested_state="FR",
    central_authority="Parquet de Paris (fictional executing authority)",
    holder_kind="service-provider",
    holder_name="Example Hosting SAS, 1 rue Exemple, Paris",
    holder_eu_presence="designated-establishment",
    holder_eu_state="FR",
    measure="obtain",
    data_categories=frozenset({"subscriber", "content"}),
    identifiers=(IP, EMAIL),
    time_from=T0 - timedelta(days=30),
    time_to=T0,
    proceedings_stage="investigation",
    offences=(OffenceFacts("Trafficking in children", "s. 232 Example Code", "10 years"),),
    summary_of_facts="Ads offering minors were posted from the account.",
    necessity="To identify the person posting the ads; no other means.",
    persons_concerned="Not known: the account holder is to be identified.",
    probable_cause="The account posted the ads on 2026-08-30; messages arrange meetings.",
    urgency="urgent",
    urgency_reason="Risk of deletion; the child is still advertised.",
    immunities="None known.",
    offence_in_issuing_state="yes",
    person_in_issuing_state="unknown",
    production_to_follow="yes",
    earlier_requests="None.",
    formalities="Custodian certificate and SHA-256 of each file.",
    legal_remedies="No remedy sought; the court informs on remedies.",
    confidentiality="Do not notify the subscriber.",
    use_limits="Only for these proceedings.",
    language="fr",
)
# The one change per instrument that makes COMPLETE a fit for it.
FIT = {
    "EPOC-PR": {"measure": "preserve"},
    "BUDAPEST-29": {"measure": "preserve", "requested_state": "US"},
    "2AP-6": {"data_categories": frozenset({"subscriber"}), "holder_kind": "domain-registrar"},
    "2AP-7": {"data_categories": frozenset({"subscriber"})},
    "US-2702": {"requested_state": "US", "urgency": "emergency"},
}
# How each field is emptied (facts changed so that nobody stated it).
REMOVE = {
    "requesting_state": {"requesting_state": ""},
    "requesting_authority": {"requesting_authority": ""},
    "authority_address": {"authority_address": " "},
    "issuing_authority_type": {"issuing_authority_type": "unknown"},
    "issuing_file_reference": {"issuing_file_reference": ""},
    "validating_authority": {"validating_authority": ""},
    "validating_authority_type": {"validating_authority_type": "unknown"},
    "validating_file_reference": {"validating_file_reference": ""},
    "conducting_authority": {"conducting_authority": ""},
    "contact_point": {"contact_24_7": ""},
    "requested_state": {"requested_state": ""},
    "central_authority": {"central_authority": ""},
    "holder_name": {"holder_name": ""},
    "holder_eu_presence": {"holder_eu_presence": "unknown"},
    "holder_eu_state": {"holder_eu_state": ""},
    "measure": {"measure": "unknown"},
    "data_categories": {"data_categories": frozenset()},
    "identifiers": {"identifiers": ()},
    "ip_observations": {"identifiers": (replace(IP, port=None), EMAIL)},
    "time_range": {"time_from": None},
    "proceedings_stage": {"proceedings_stage": ""},
    "offences": {"offences": ()},
    "maximum_penalty": {"offences": (OffenceFacts("Trafficking in children", "s. 232", ""),)},
    "summary_of_facts": {"summary_of_facts": ""},
    "nexus": {"identifiers": (IP, replace(EMAIL, relevance=""))},
    "necessity": {"necessity": ""},
    "persons_concerned": {"persons_concerned": ""},
    "probable_cause": {"probable_cause": ""},
    "urgency_reason": {"urgency_reason": ""},
    "immunities": {"immunities": ""},
    "production_to_follow": {"production_to_follow": "unknown"},
    "earlier_requests": {"earlier_requests": ""},
    "formalities": {"formalities": ""},
    "legal_remedies": {"legal_remedies": ""},
    "confidentiality": {"confidentiality": ""},
    "use_limits": {"use_limits": ""},
    "language": {"language": ""},
}


def complete_for(code: str) -> RequestFacts:
    return replace(COMPLETE, **FIT.get(code, {}))


@pytest.mark.parametrize("code", routes.instrument_codes())
def test_complete_facts_miss_nothing(code):
    assert checklists.missing_items(complete_for(code), code) == ()


# Items computed from other answers: never missing, they only advise.
DERIVED = {"enforcing_notification"}


def removals():
    for code in routes.instrument_codes():
        for item in checklists.checklist(complete_for(code), code):
            if item.key not in DERIVED:
                yield pytest.param(code, item.key, id=f"{code}-{item.key}")


@pytest.mark.parametrize(("code", "key"), list(removals()))
def test_removing_each_required_item_blocks_and_names_it(code, key):
    facts = replace(complete_for(code), **REMOVE[key])
    missing = checklists.missing_items(facts, code)
    named = {m.key: m for m in missing}
    assert key in named, [m.key for m in missing]
    item = named[key]
    assert item.problem and item.label in item.message and item.problem in item.message


def test_every_field_of_every_checklist_has_a_removal():
    fields = {
        spec.field
        for code in routes.instrument_codes()
        for spec in routes.instrument(code).checklist
    }
    assert fields <= set(REMOVE) | DERIVED


@pytest.mark.parametrize(
    ("code", "references"),
    [
        ("BUDAPEST-29", ["29(2)(a)", "29(2)(b)", "29(2)(c)", "29(2)(d)", "29(2)(e)", "29(2)(f)"]),
        (
            "UNTOC-18",
            ["18(15)(a)", "18(15)(b)", "18(15)(c)", "18(15)(d)", "18(15)(e)", "18(15)(f)"],
        ),
        ("EIO", list("ABCDEFGIJKL")),
        ("EPOC", list("ABCDEFGHI")),
    ],
)
def test_each_form_item_is_mapped_to_a_field(code, references):
    items = [s.item for s in routes.instrument(code).checklist]
    for ref in references:
        assert ref in items, ref
    seen = [i for i in items if i in references]
    assert seen == sorted(seen, key=references.index)  # in the form's order


def test_the_findings_on_missing_items_are_closed():
    epoc = {s.field for s in routes.instrument("EPOC").checklist}
    assert {
        "issuing_authority_type",
        "validating_authority",
        "immunities",
        "enforcing_notification",
        "maximum_penalty",
    } <= epoc
    for code in ("EPOC-PR", "BUDAPEST-29"):
        assert "data_categories" in {s.field for s in routes.instrument(code).checklist}
    eio = {s.item for s in routes.instrument("EIO").checklist}
    assert set("EHIJL") - eio == {"H"}  # H is covered by the C items of the measure asked
    untoc = {s.field for s in routes.instrument("UNTOC-18").checklist}
    assert {"conducting_authority", "formalities", "persons_concerned"} <= untoc
    # a subscriber request under the EIO or UNTOC needs identifiers, holder and time range
    bare = replace(
        COMPLETE,
        identifiers=(),
        holder_name="",
        time_from=None,
        time_to=None,
        data_categories=frozenset({"subscriber"}),
    )
    for code in ("EIO", "UNTOC-18"):
        keys = {m.key for m in checklists.missing_items(bare, code)}
        assert {"identifiers", "holder_name", "time_range"} <= keys, code


@pytest.mark.parametrize(
    ("change", "key", "problem"),
    [
        ({"contact_phone": "call me"}, "contact_point", "phone 'call me'"),
        ({"contact_email": "nobody"}, "contact_point", "e-mail 'nobody'"),
        ({"time_zone": "Mars/Olympus"}, "contact_point", "not an IANA time zone"),
        ({"time_to": T0 - timedelta(days=60)}, "time_range", "the start must be before the end"),
        ({"time_to": COMPLETE.time_from}, "time_range", "the start must be before the end"),
        ({"time_to": T0.replace(tzinfo=None)}, "time_range", "needs a time zone offset"),
        (
            {"identifiers": (IdentifierFacts("phone", "call me", relevance="x"),)},
            "identifiers",
            "'call me' (phone)",
        ),
        (
            {"identifiers": (IdentifierFacts("ip_address", "999.1.1.1", T0, 1, "x"),)},
            "identifiers",
            "'999.1.1.1' (ip_address)",
        ),
        (
            {"identifiers": (IdentifierFacts("horoscope", "leo", relevance="x"),)},
            "identifiers",
            "unknown kind",
        ),
        (
            {"offences": (OffenceFacts("Trafficking", "s. 2", "xx"),)},
            "maximum_penalty",
            "'xx' is not a penalty",
        ),
        (
            {"offences": (OffenceFacts("Trafficking", "", "4 years"),)},
            "offences",
            "no statutory provision for Trafficking",
        ),
        ({"language": "xx"}, "language", "not an ISO 639 language code"),
        (
            {"validating_authority_type": "prosecutor"},
            "validating_authority_type",
            "a prosecutor cannot validate this order",
        ),
        (
            {"data_categories": frozenset({"financial"})},
            "data_categories",
            "financial cannot be asked under this instrument",
        ),
        ({"holder_eu_presence": "none"}, "holder_eu_presence", "the holder has none"),
        ({"proceedings_stage": "gossip"}, "proceedings_stage", "'gossip' is not one of"),
        ({"holder_eu_state": "QQ"}, "holder_eu_state", "unknown ISO 3166-1 country code"),
    ],
)
def test_values_are_validated_by_kind(change, key, problem):
    missing = checklists.missing_items(replace(COMPLETE, **change), "EPOC")
    found = {m.key: m.problem for m in missing}
    assert key in found and problem in found[key], found


def test_persons_concerned_are_named_or_said_to_be_unknown():
    from caseflow.mla.facts import PersonFacts

    named = replace(COMPLETE, persons_concerned="", persons=(PersonFacts("suspect", "A. Example"),))
    assert "persons_concerned" not in {m.key for m in checklists.missing_items(named, "EIO")}
    nameless = replace(named, persons=(PersonFacts("witness"),))
    problem = {m.key: m.problem for m in checklists.missing_items(nameless, "EIO")}
    assert problem["persons_concerned"] == "a witness without a name"


def test_validation_items_follow_the_issuing_authority():
    judge = replace(
        COMPLETE,
        issuing_authority_type="judge",
        validating_authority="",
        validating_authority_type="unknown",
        validating_file_reference="",
    )
    assert checklists.missing_items(judge, "EPOC") == ()
    prosecutor = replace(judge, issuing_authority_type="prosecutor")
    assert {m.key for m in checklists.missing_items(prosecutor, "EPOC")} == {
        "validating_authority",
        "validating_authority_type",
        "validating_file_reference",
    }
    subscriber = replace(prosecutor, data_categories=frozenset({"subscriber"}))
    assert checklists.missing_items(subscriber, "EPOC") == ()  # a prosecutor issues those alone
    assert checklists.missing_items(prosecutor, "EIO") == ()  # EIO: only "other" needs validation


def test_notification_is_advised_when_the_enforcing_state_must_be_told():
    item = next(
        i for i in checklists.checklist(COMPLETE, "EPOC") if i.key == "enforcing_notification"
    )
    assert item.ok and "must be notified" in item.advice
    local = replace(COMPLETE, person_in_issuing_state="yes")
    item = next(i for i in checklists.checklist(local, "EPOC") if i.key == "enforcing_notification")
    assert item.ok and "no notification" in item.advice


def test_authorities_are_checked_against_the_directory(monkeypatch):
    us = replace(COMPLETE, requested_state="US", central_authority="Ministry of Magic")
    item = next(i for i in checklists.checklist(us, "UNTOC-18") if i.key == "central_authority")
    assert (
        item.ok
        and "Office of International Affairs" in item.advice
        and "unconfirmed" in item.advice
    )
    data = json.loads(jurisdictions.DATA_FILE.read_text(encoding="utf-8"))
    data["states"]["US"]["mla_central"].update(confirmed=True, source="coe-185-2015")
    dataset = jurisdictions.build_dataset(data)
    monkeypatch.setattr(jurisdictions, "_dataset", lambda: dataset)
    blocked = {m.key: m.problem for m in checklists.missing_items(us, "UNTOC-18")}
    assert "not the authority the directory lists for United States" in blocked["central_authority"]
    right = replace(us, central_authority="Office of International Affairs (OIA)")
    assert "central_authority" not in {m.key for m in checklists.missing_items(right, "UNTOC-18")}
    nowhere = replace(COMPLETE, requested_state="BR")
    item = next(
        i for i in checklists.checklist(nowhere, "UNTOC-18") if i.key == "central_authority"
    )
    assert item.ok and "no central authority" in item.advice.lower()


def test_language_advice_uses_the_states_declarations():
    english = replace(COMPLETE, requested_state="DE", language="en")
    item = next(i for i in checklists.checklist(english, "EIO") if i.key == "language")
    assert item.ok and "Germany accepts de" in item.advice and "translation" in item.advice


def test_a_basis_chosen_against_its_conditions_cannot_be_submitted():
    bank = replace(COMPLETE, data_categories=frozenset({"financial"}), holder_kind="financial")
    on = date(2026, 11, 28)
    names = {m.key: m for m in checklists.missing_items(bank, "EPOC", on=on)}
    assert "conditions" in names
    assert (
        "can only cover subscriber, identification, traffic or content"
        in names["conditions"].problem
    )
    assert names["conditions"].message.startswith("Conditions for using Reg. 2023/1543 EPOC")
    assert "conditions" not in {m.key for m in checklists.missing_items(bank, "EIO", on=on)}
    low = replace(COMPLETE, offences=(OffenceFacts("Harassment", "s. 4", "2 years"),))
    problem = {m.key: m.problem for m in checklists.missing_items(low, "EPOC", on=on)}["conditions"]
    assert "at least 3 years" in problem
