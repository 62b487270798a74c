"""One document per instrument, in its official structure: a golden test per instrument reads
the rendered PDF back with `pdftotext -layout` and checks every section letter and heading of
the form in order, the deadline, the issuing authority's block, and that nothing meant for the
officer only (the resolver's reasoning) or never stated reaches the recipient."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace

import pytest

from exports.documents import DOCUMENTS, document_for, letter
from exports.model import Authority, Deadline, Instrument, SignatureBlock
from exports.pdf import render_request_pdf
from tests.unit.packet_factory import make_packet, make_request
from tests.unit.pdf_helpers import pdf_text

# Section letters and headings as in the official texts (sources: docs/packet-format.md).
EPOC = [
    "SECTION A: Issuing/validating authority",
    "SECTION B: Addressee",
    "SECTION C: Deadlines",
    "SECTION D: Relation to other production/preservation order",
    "SECTION E: Information to support the identification of the data requested",
    "SECTION F: Electronic evidence to be produced",
    "SECTION G: Information about the underlying conditions",
    "SECTION H: Notification of the enforcing authority",
    "SECTION I: Details of the issuing authority",
    "SECTION J: Details of the validating authority",
    "SECTION K: Further details",
    "SECTION L: Transfer of the data",
]
EPOC_PR = [
    "SECTION A: Issuing/validating authority",
    "SECTION B: Addressee",
    "SECTION C: Relation to other production/preservation order",
    "SECTION D: Information to support the identification of the data requested to be preserved",
    "SECTION E: Electronic evidence to be preserved",
    "SECTION F: Information about the underlying conditions",
    "SECTION G: Details of the issuing authority",
    "SECTION H: Details of the validating authority",
    "SECTION I: Further details",
]
EIO = [
    "SECTION A: Issuing State / Executing State",
    "SECTION B: Urgency",
    "SECTION C: Investigative measure(s) to be carried out",
    "SECTION D: Relation to an earlier EIO",
    "SECTION E: Identity of the person concerned",
    "SECTION F: Type of proceedings for which the EIO is issued",
    "SECTION G: Grounds for issuing the EIO",
    "SECTION H: Additional requirements for certain measures",
    "H1 Transfer of a person held in custody",
    "H2 Hearing by videoconference or other audiovisual transmission",
    "H3 Information on bank and other financial accounts",
    "H4 Information on banking and other financial operations",
    "H5 Investigative measures implying the gathering of evidence in real time",
    "H6 Covert investigations",
    "H7 Interception of telecommunications",
    "SECTION I: Formalities and procedures requested for the execution",
    "SECTION J: Legal remedies",
    "SECTION K: Details of the authority that issued the EIO",
    "SECTION L: Details of the judicial authority that validated the EIO",
]
B29 = [
    "(a) The authority seeking the preservation",
    "(b) The offence that is the subject of a criminal investigation or proceedings and a brief "
    "summary of the related facts",
    "(c) The stored computer data to be preserved and its relationship to the offence",
    "(d) Any available information identifying the custodian of the stored computer data or "
    "the location of the computer system",
    "(e) The necessity of the preservation",
    "(f) That the Party intends to submit a request for mutual assistance for the search or "
    "similar access, seizure or similar securing, or disclosure of the stored computer data",
    "Signature",
]
UNTOC = [
    "(a) The identity of the authority making the request",
    "(b) The subject matter and nature of the investigation, prosecution or judicial proceeding",
    "(c) A summary of the relevant facts",
    "(d) A description of the assistance sought and details of any particular procedure",
    "(e) The identity, location and nationality of any person concerned",
    "(f) The purpose for which the evidence, information or action is sought",
    "Urgency and time limits",
    "Confidentiality and limits on use",
    "Signature",
]
GOLDEN = {
    "EPOC": ("EUROPEAN PRODUCTION ORDER CERTIFICATE (EPOC)", EPOC),
    "EPOC-PR": ("EUROPEAN PRESERVATION ORDER CERTIFICATE (EPOC-PR)", EPOC_PR),
    "EIO": ("EUROPEAN INVESTIGATION ORDER (EIO)", EIO),
    "BUDAPEST-29": ("REQUEST FOR EXPEDITED PRESERVATION OF STORED COMPUTER DATA", B29),
    "UNTOC-18": ("REQUEST FOR MUTUAL LEGAL ASSISTANCE", UNTOC),
    "BUDAPEST-31": ("REQUEST FOR MUTUAL ASSISTANCE REGARDING ACCESSING OF", UNTOC),
    "BILATERAL": ("REQUEST FOR MUTUAL LEGAL ASSISTANCE", UNTOC),
    "EU-UK-TCA": ("REQUEST FOR MUTUAL ASSISTANCE", UNTOC),
    "LETTERS-ROGATORY": ("LETTER ROGATORY", UNTOC),
}
RESOLVER_PROSE = ("Not used", "Also cite", "because", "Chosen by the requesting officer")
ISSUED = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)


def flat(text: str) -> str:
    """pdftotext -layout text with runs of white space (line wraps, columns) made one space."""
    return re.sub(r"\s+", " ", text)


def golden_request(code: str):
    return make_request(
        instrument=Instrument(code, f"Instrument {code}", f"Legal basis of {code} as stated"),
        urgency="emergency",
        urgency_reason="A child is at imminent risk.",
        deadlines=(
            Deadline("Production due", "8 hours from receipt", ISSUED + timedelta(hours=8)),
        ),
        validating_authority=Authority(
            "Example Investigating Judge", "judge", file_reference="VJ-9"
        ),
        validator=SignatureBlock("Jo Judge", "Investigating judge", date(2026, 9, 1)),
    )


@pytest.mark.parametrize("code", sorted(GOLDEN))
def test_document_has_every_section_of_its_form_in_order(code):
    title, headings = GOLDEN[code]
    req = golden_request(code)
    text = flat(pdf_text(render_request_pdf(make_packet(request=req), "0" * 64), "-layout"))
    assert title in text
    position = 0
    for heading in headings:
        found = text.find(heading, position)
        assert found >= 0, f"{code}: {heading!r} missing or out of order"
        position = found + len(heading)
    # The legal basis as the officer stated it, the deadline from the clocks, urgency banner.
    assert f"Legal basis of {code} as stated" in text
    assert "Production due: 8 hours from receipt" in text
    assert "2026-09-01T16:00:00Z" in text
    assert "EMERGENCY" in text
    assert "24/7 contact +44 7700 900999 (time zone Europe/London)" in text
    # The issuing authority's block: name, post, date, place, seal, room to sign.
    for part in (
        "Name Pat Placeholder",
        "Post held (title/grade) Senior Prosecutor",
        "Date 2026-03-04",
        "Official stamp or seal Seal of the Example Prosecution Office",
        "Signature",
    ):
        assert part in text, f"{code}: {part!r}"
    assert "Annex index Annex 1 \u2013 Identifiers" in text
    assert "CONFIDENTIAL \u2013 LAW ENFORCEMENT" in text
    for prose in RESOLVER_PROSE:
        assert prose not in text, f"{code}: {prose!r}"
    # No internal workflow sign-off ("liaison", "supervisor") in place of the authority.
    for internal in ("Sign-off", "liaison", "supervisor", "Approved:"):
        assert internal not in text, f"{code}: {internal!r}"


@pytest.mark.parametrize("code", ["EPOC", "EPOC-PR", "EIO"])
def test_validating_authority_block_where_the_instrument_has_one(code):
    text = flat(pdf_text(render_request_pdf(make_packet(request=golden_request(code)), "0" * 64)))
    assert "Signature of the validating authority" in text
    assert "Name Jo Judge" in text
    assert "Post held (title/grade) Investigating judge" in text


def test_each_instrument_has_its_own_document_not_one_letter_for_all():
    texts = {
        code: flat(
            pdf_text(render_request_pdf(make_packet(request=golden_request(code)), "0" * 64))
        )
        for code in ("EPOC", "EPOC-PR", "EIO", "BUDAPEST-29", "UNTOC-18")
    }
    assert "SECTION L: Transfer of the data" not in texts["EIO"]
    assert "SECTION C: Investigative measure(s)" not in texts["EPOC"]
    assert "(a) The authority seeking the preservation" not in texts["UNTOC-18"]
    assert len({t[:400] for t in texts.values()}) == len(texts)
    assert document_for("EPOC") is DOCUMENTS["EPOC"]
    assert document_for("SOMETHING-NEW") is letter


def test_facts_nobody_stated_never_print_and_stated_ones_do():
    untoc = "transnational in nature and involves an organised criminal group"
    child = "sale or sexual exploitation of children"
    unstated = flat(
        pdf_text(render_request_pdf(make_packet(request=golden_request("UNTOC-18")), "0" * 64))
    )
    assert untoc not in unstated
    assert child not in unstated
    stated = make_request(
        instrument=Instrument("UNTOC-18", "UNTOC Art. 18", "UNTOC Art. 18"),
        transnational_organised_group=True,
        child_exploitation=True,
    )
    text = flat(pdf_text(render_request_pdf(make_packet(request=stated), "0" * 64)))
    assert untoc in text
    assert child in text


def test_document_language_is_the_documents_own_not_a_stray_request_field():
    req = make_request(language="fr")
    text = flat(pdf_text(render_request_pdf(make_packet(request=req), "0" * 64)))
    assert "Language of this document en (English)" in text
    assert "Language fr" not in text


def test_resolver_reasoning_stays_in_the_app():
    from caseflow.mla.packet import instrument_for

    req = SimpleNamespace(
        legal_basis="BUDAPEST-31",
        supplements=("OPSC-6",),
        proposed_basis="EIO",
        override_reason="Chosen because the provider asked for it",
        basis_explanation="ETS 185 Art. 31: both are parties.\nAlso cite OPSC Art. 6: x.\n"
        "Not used: Dir. 2014/41/EU EIO, because Denmark (DK) does not take part in the EIO.",
    )
    inst = instrument_for(req)
    printed = " ".join([inst.label, inst.legal_basis])
    for prose in RESOLVER_PROSE:
        assert prose not in printed


def test_emergency_epoc_deadline_is_eight_hours_from_the_clocks():
    from caseflow.mla.packet import deadlines_for

    due = deadlines_for("EPOC", "FR", "obtain", "emergency", ISSUED)
    assert [(d.label, d.rule, d.due_at) for d in due] == [
        ("Production due", "8 hours from receipt", ISSUED + timedelta(hours=8))
    ]
    normal = deadlines_for("EPOC", "FR", "obtain", "normal", ISSUED)
    assert [(d.rule, d.due_at) for d in normal] == [
        ("10 days from receipt", ISSUED + timedelta(days=10))
    ]
    preserve = deadlines_for("BUDAPEST-29", "BR", "preserve", "urgent", ISSUED)
    assert preserve and preserve[0].due_at == ISSUED + timedelta(days=60)


def test_tick_boxes_follow_the_request_and_stay_empty_otherwise():
    from exports.model import Addressee

    req = make_request(
        instrument=Instrument("EPOC", "EPOC", "Reg. 2023/1543 Art. 5"),
        data_categories=("subscriber",),
        addressee=Addressee("Provider", "service provider", "", "legal-representative"),
        enforcing_state_notified=None,
    )
    text = pdf_text(render_request_pdf(make_packet(request=req), "0" * 64), "-layout")
    assert "\u2612 Subscriber data" in text
    assert "\u2610 Traffic data" in text and "\u2610 Content data" in text
    assert "\u2612 Legal representative" in text and "\u2610 Designated establishment" in text
    # Notification: nobody said, so neither box is ticked.
    assert "\u2610 The enforcing authority is notified" in text
    assert "\u2610 No notification" in text
