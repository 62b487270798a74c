"""The demo's fictional cross-border case, built through the services as the demo users.

Every identifier is fictional or reserved (example.com/.net/.org, Ofcom 07700 900xxx, NANP
555-01xx, TEST-NET addresses, wallets and an IBAN generated from fixed seeds). All times are
relative to `now`, so deadlines are always near. Must not import flask; docs/demo.md tells
the story.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from caseflow.actor import Actor
from caseflow.auth.models import User
from caseflow.auth.services import actor_for
from caseflow.cases import services as cases
from caseflow.demo_files import (
    ad_screenshot_png,
    btc_bech32,
    btc_p2pkh,
    chat_export,
    eth_address,
    iban,
)
from caseflow.entities import services as entities
from caseflow.evidence import services as evidence
from caseflow.evidence.blobstore import BlobStore
from caseflow.evidence.models import EvidenceItem
from caseflow.mla import services as mla
from caseflow.mla.models import MlaRequest
from caseflow.uow import Transactions

CHAT = "chatterbox"  # a fictional chat platform
SITE_A = "annonces-rapides.example.com"  # fictional classified site 1 (France)
SITE_B = "petites-annonces.example.net"  # fictional classified site 2 (France)


@dataclass(frozen=True)
class Story:
    """What the demo created, for the summary printed by `caseflow demo load`."""

    case_reference: str
    other_case_reference: str
    request_reference: str
    preservation_due: date


@dataclass(frozen=True)
class Identifiers:
    """The generated selectors of the story (derived from fixed seeds: same every load)."""

    btc_ad: str = btc_bech32("ad-wallet")
    btc_exchange: str = btc_p2pkh("exchange-deposit")
    eth_shared: str = eth_address("shared-wallet")
    iban_payout: str = iban("GB", "XMPL" + "000000" + "48151623")


def _ad_text_a(ids: Identifiers) -> str:
    return (
        "Nouvelle en ville - rendez-vous discret, Paris 10e. "
        "WhatsApp/appel: +44 7700 900461. "
        f"Paiement crypto uniquement: {ids.btc_ad} . "
        "Contact: jade.rose@mail.example.com"
    )


def _ad_text_b(ids: Identifiers) -> str:
    return (
        "Jeunes filles disponibles ce week-end, Lyon. "
        "Tel 07700 900462 ou +44 7700 900461. "
        f"Acompte en ETH: {ids.eth_shared}"
    )


def _confirm_all(session: Session, actor: Actor, case_id: int, text: str, site: str) -> list[str]:
    """What an investigator confirms on the ad intake page: every valid candidate."""
    preview = entities.preview_ad(session, actor, case_id, text, site)
    keys = [entities.AdPreview.key(c) for c in preview.candidates]
    return [key for key in keys if key is not None]


def _details(description: str, by: str, at: datetime, **kw: str) -> evidence.ItemDetails:
    return evidence.ItemDetails(description=description, acquired_by=by, acquired_at=at, **kw)


def build(
    session: Session,
    users: dict[str, User],
    *,
    store: BlobStore,
    max_bytes: int,
    now: datetime,
) -> Story:
    """Create both cases, their entities, evidence, tasks and the submitted MLA request.

    `users` maps the demo usernames to their accounts. Each step is one service call (its
    own audit record and outbox entries), exactly as the web pages would do it; the caller's
    unit of work (`caseflow demo load`) commits them.
    """
    officer = actor_for(users["officer.demo"])
    officer2 = actor_for(users["officer2.demo"])
    liaison = actor_for(users["liaison.demo"])
    ids = Identifiers()
    today = now.date()
    days = timedelta(days=1)

    # --- case 1: the ads ring (officer.demo) ------------------------------------------------
    case = cases.open_case(
        session,
        officer,
        title="Operation LANTERN (demo): ads on French classified sites with UK phones",
        summary=(
            "FICTIONAL DEMO CASE. Ads on two classified sites in France offer meetings with "
            "young girls; they give UK mobile numbers and take crypto payments, which pass "
            "through an exchange in Estonia. A victim (pseudonymised V-01) was identified "
            "through a chat platform account. Nothing here is real."
        ),
        lead_jurisdiction="GB",
        involved_jurisdictions=["FR", "EE", "US"],
        priority="high",
        now=now - 9 * days,
    )
    cases.add_member(
        session, officer, case.id, username="liaison.demo", role="liaison", now=now - 9 * days
    )

    def add(kind: str, raw: dict[str, str] | str, *, at: datetime, **kw: str) -> int:
        return entities.add_entity(session, officer, case.id, kind, raw, now=at, **kw).entity.id

    def link(source: int, target: int, type: str, at: datetime, **kw) -> None:
        entities.link_entities(
            session, officer, case.id, source_id=source, target_id=target, type=type, now=at, **kw
        )

    ad_a = entities.ingest_ad(
        session,
        officer,
        case.id,
        ad={
            "value": f"https://{SITE_A}/annonce/48213",
            "platform": SITE_A,
            "posted_at": (now - 12 * days).isoformat(),
            "title": "Nouvelle en ville",
        },
        text=_ad_text_a(ids),
        selected=_confirm_all(session, officer, case.id, _ad_text_a(ids), SITE_A),
        posted_by="jade_rose_75",
        now=now - 8 * days,
    )
    ad_b = entities.ingest_ad(
        session,
        officer,
        case.id,
        ad={
            "value": f"https://{SITE_B}/ad/7731",
            "platform": SITE_B,
            "posted_at": (now - 10 * days).isoformat(),
            "title": "Disponibles ce week-end",
        },
        text=_ad_text_b(ids),
        selected=_confirm_all(session, officer, case.id, _ad_text_b(ids), SITE_B),
        posted_by="lyon_weekend",
        now=now - 8 * days,
    )
    by_value = {e.value: e.id for e in ad_a.entities + ad_b.entities}
    phone_1 = by_value["+447700900461"]
    btc_ad = by_value[f"btc:{ids.btc_ad}"]
    eth = by_value[f"eth:{ids.eth_shared.lower()}"]
    at = now - 7 * days
    france = add("jurisdiction", "FR", at=at)
    estonia = add("jurisdiction", "EE", at=at)
    link(ad_a.ad.id, france, "LOCATED_IN", at)
    link(ad_b.ad.id, france, "LOCATED_IN", at)
    ip = add(
        "ip_address",
        {"value": "198.51.100.23", "port": "51422", "observed_at": (now - 12 * days).isoformat()},
        at=at,
        note="Poster's IP for ad 48213, from the site's voluntary disclosure (TEST-NET-2).",
    )

    # Money: ad wallet -> exchange deposit wallet -> payout to a (fictional) UK account.
    exchange = add(
        "service_provider",
        {
            "value": "Example Exchange OÜ (fictional)",
            "category": "vasp",
            "country": "EE",
            "legal_contact": "lawenforcement@exchange.example.org",
        },
        at=at,
    )
    deposit = add("wallet", ids.btc_exchange, at=at, note="Exchange deposit address.")
    payout = add("bank_account", ids.iban_payout, at=at, note="Withdrawals from the exchange.")
    link(btc_ad, deposit, "PAID", at, note="3 payments, traced on-chain (demo).")
    link(eth, deposit, "PAID", at, confidence="probable", note="Via a swap service (demo).")
    link(deposit, exchange, "REGISTERED_WITH", at)
    link(exchange, estonia, "LOCATED_IN", at)
    link(deposit, payout, "PAID", at, confidence="probable", assessment=True)

    # People: a pseudonymised victim, two suspects, their chat accounts.
    victim = add(
        "person",
        "V-01 (pseudonym)",
        at=at,
        role="victim",
        note="Pseudonymised; identity held by the safeguarding team, not in CaseFlow.",
    )
    suspect_a = add("person", 'Suspect A "Marco" (fictional)', at=at, role="suspect")
    suspect_b = add("person", "Suspect B (fictional)", at=at, role="suspect")
    chat_a = add("account", {"value": "nightowl_77", "platform": CHAT}, at=at)
    chat_b = add("account", {"value": "lyon_weekend", "platform": CHAT}, at=at)
    chat_v = add("account", {"value": "v01_sunny", "platform": CHAT}, at=at)
    chatterbox = add(
        "service_provider",
        {
            "value": "ChatterBox Inc. (fictional)",
            "category": "platform",
            "country": "US",
            "legal_contact": "lers@chatterbox.example.com",
        },
        at=at,
    )
    us_phone = add("phone", "+1 202 555 0142", at=at, note="Recovery number of nightowl_77.")
    link(chat_a, chatterbox, "REGISTERED_WITH", at)
    link(chat_b, chatterbox, "REGISTERED_WITH", at)
    link(us_phone, chat_a, "ASSOCIATED_WITH", at)
    link(suspect_a, phone_1, "CONTROLS", at, confidence="probable", assessment=True)
    link(suspect_a, btc_ad, "CONTROLS", at, confidence="possible", assessment=True)
    link(suspect_b, chat_b, "USES", at, confidence="probable", assessment=True)
    link(victim, chat_v, "USES", at)
    link(ip, ad_a.ad.id, "ASSOCIATED_WITH", at, note="Ad posted from this address (demo).")

    # --- evidence with custody histories ------------------------------------------------------
    dc = "DC Olivia Officer (demo)"
    screenshot = evidence.upload_file(
        Transactions(session),
        officer,
        case.id,
        io.BytesIO(ad_screenshot_png()),
        store=store,
        max_bytes=max_bytes,
        filename="ad-48213-capture.png",
        media_type="image/png",
        details=_details(
            f"Screen capture of ad 48213 on {SITE_A} (generated mock-up, fictional).",
            dc,
            now - 8 * days,
            source=f"https://{SITE_A}/annonce/48213",
            acquisition_method="Screen capture of a public page",
            acquisition_tool="CaseFlow demo generator",
            location="Digital unit, London (fictional)",
        ),
        now=now - 8 * days,
    )
    export = evidence.upload_file(
        Transactions(session),
        officer,
        case.id,
        io.BytesIO(chat_export(now - 20 * days, ("nightowl_77", "lyon_weekend"), ids.btc_ad)),
        store=store,
        max_bytes=max_bytes,
        filename="chatterbox-export-nightowl_77.txt",
        media_type="text/plain",
        details=_details(
            "ChatterBox emergency disclosure: chat export of nightowl_77 (fictional).",
            dc,
            now - 6 * days,
            source="ChatterBox Inc. (fictional), emergency disclosure EDR-0042",
            acquisition_method="Received by secure e-mail, hash checked on receipt",
            location="Digital unit, London (fictional)",
        ),
        now=now - 6 * days,
    )
    handset = evidence.register_item(
        session,
        officer,
        case.id,
        kind="physical",
        details=_details(
            "Mobile handset (fictional), seized from Suspect A at arrest; sealed bag.",
            dc,
            now - 5 * days,
            acquisition_method="Seized under arrest powers (demo)",
            location="Custody suite, London (fictional)",
            seal_number="DEMO-SEAL-0001",
        ),
        now=now - 5 * days,
    )
    evidence.register_item(
        session,
        officer,
        case.id,
        kind="external",
        details=_details(
            "Exchange account statement held on the unit's forensic server (fictional).",
            dc,
            now - 4 * days,
            source="Example Exchange OÜ (fictional), voluntary disclosure",
            location="Forensic server FS-01 (fictional)",
        ),
        sha256="5e1f" * 16,
        size=48_213,
        now=now - 4 * days,
    )
    _custody_history(session, officer, screenshot, export, handset, now=now)
    link(
        suspect_b,
        chat_b,
        "CONTROLS",
        now - 3 * days,
        evidence_item_id=export.id,
        confidence="probable",
        assessment=True,
        note="Chat export E-0002 (demo).",
    )

    # --- tasks: the preservation nearing expiry and ordinary work -----------------------------
    preservation_due = today + 5 * days
    cases.add_task(
        session,
        officer,
        case.id,
        title=(
            "ChatterBox (US) preservation of nightowl_77, lyon_weekend expires: "
            "extend it or send the MLA request"
        ),
        kind="preservation-expiry",
        due_on=preservation_due,
        now=now - 6 * days,
    )
    cases.add_task(
        session,
        officer,
        case.id,
        title="Examine the seized handset (DEMO-SEAL-0002)",
        assignee="officer.demo",
        due_on=today + 3 * days,
        now=now - 2 * days,
    )
    cases.add_task(
        session,
        officer,
        case.id,
        title="Chase the Estonian central authority once the request is sent",
        assignee="liaison.demo",
        due_on=today + 12 * days,
        now=now - 1 * days,
    )

    # --- the MLA request to Estonia, drafted and submitted by liaison.demo --------------------
    request = _mla_request(session, liaison, case.id, deposit, payout, screenshot, now=now)

    # --- case 2, another officer's, sharing the ETH wallet: the cross-case hit ---------------
    other = cases.open_case(
        session,
        officer2,
        title="Operation BRAMBLE (demo): payments for online exploitation",
        summary="FICTIONAL DEMO CASE owned by another officer; it shares one wallet with "
        "Operation LANTERN, which the hit shows without revealing this case's content.",
        lead_jurisdiction="GB",
        involved_jurisdictions=["US"],
        now=now - 8 * days,
    )
    for kind, raw in (
        ("wallet", ids.eth_shared),
        ("email", "buyer-0193@mail.example.org"),
        ("phone", "+44 7700 900785"),
    ):
        entities.add_entity(session, officer2, other.id, kind, raw, now=now - 8 * days)
    return Story(
        case_reference=case.reference,
        other_case_reference=other.reference,
        request_reference=mla.reference(case, request),
        preservation_due=preservation_due,
    )


def _custody_history(
    session: Session,
    actor: Actor,
    screenshot: EvidenceItem,
    export: EvidenceItem,
    handset: EvidenceItem,
    *,
    now: datetime,
) -> None:
    """Custody events after acquisition: times in the past, in order; recorded now."""
    days, hours = timedelta(days=1), timedelta(hours=1)
    store_keeper = "Property store, London (fictional)"
    dc, examiner = "DC Olivia Officer (demo)", "Examiner E. Example (demo)"
    events = (
        (
            screenshot,
            "copied",
            now - 8 * days + hours,
            {
                "to_custodian": dc,
                "tool": "sha256sum",
                "observed_sha256": screenshot.sha256,
                "notes": "Working copy made; hash matches.",
            },
        ),
        (
            screenshot,
            "analyzed",
            now - 7 * days,
            {"purpose": "Extract identifiers from the ad", "tool": "CaseFlow ad intake"},
        ),
        (
            export,
            "accessed",
            now - 6 * days + 2 * hours,
            {"purpose": "Read the conversation", "observed_sha256": export.sha256},
        ),
        (
            handset,
            "transferred",
            now - 5 * days + 3 * hours,
            {
                "from_custodian": dc,
                "to_custodian": store_keeper,
                "location": store_keeper,
                "seal_ids": "DEMO-SEAL-0001",
                "seal_condition": "intact",
            },
        ),
        (
            handset,
            "transferred",
            now - 3 * days,
            {
                "from_custodian": store_keeper,
                "to_custodian": examiner,
                "location": "Digital forensics lab (fictional)",
                "purpose": "Examination",
            },
        ),
        (
            handset,
            "unsealed",
            now - 3 * days + hours,
            {
                "seal_ids": "DEMO-SEAL-0001",
                "seal_condition": "intact",
                "location": "Digital forensics lab (fictional)",
            },
        ),
        (
            handset,
            "analyzed",
            now - 3 * days + 2 * hours,
            {
                "tool": "Forensic extraction tool (demo)",
                "purpose": "Logical extraction",
                "authority_ref": "Warrant W-0001 (fictional)",
            },
        ),
        (
            handset,
            "sealed",
            now - 3 * days + 5 * hours,
            {"seal_ids": "DEMO-SEAL-0002", "seal_condition": "new seal"},
        ),
        (
            handset,
            "transferred",
            now - 2 * days,
            {
                "from_custodian": examiner,
                "to_custodian": store_keeper,
                "location": store_keeper,
                "seal_ids": "DEMO-SEAL-0002",
                "seal_condition": "intact",
            },
        ),
    )
    for item, action, moment, fields in events:
        evidence.record_custody_event(
            session, actor, item.id, action=action, ts_utc=moment, now=now, **fields
        )


def _mla_request(
    session: Session,
    liaison: Actor,
    case_id: int,
    deposit_id: int,
    payout_id: int,
    annex: EvidenceItem,
    *,
    now: datetime,
) -> MlaRequest:
    """A complete request to Estonia for the exchange's records, submitted for approval."""
    drafted = now - 2 * timedelta(days=1)
    req = mla.create_request(
        session,
        liaison,
        case_id,
        requested_state="EE",
        measure="obtain",
        data_categories=["financial", "subscriber"],
        holder_kind="financial",
        issuing_authority_type="prosecutor",
        urgency="urgent",
        urgency_reason="Payments continue; the suspects move funds within days.",
        child_exploitation="yes",
        transnational="yes",
        organised_group="unknown",
        requesting_authority="National Child Exploitation Unit (fictional)",
        authority_address="1 Example Street, London (fictional)",
        contact_person="Liam Liaison (demo)",
        contact_phone="+44 7700 900123",
        contact_email="liam.liaison@police.example.org",
        contact_24_7="+44 7700 900999",
        time_zone="Europe/London",
        central_authority="Ministry of Justice, Estonia (fictional contact)",
        holder_name="Example Exchange OÜ (fictional)",
        proceedings_stage="investigation",
        summary_of_facts=(
            "Ads on two French classified sites offer meetings with minors and take crypto "
            "payments. The payments reach a deposit address at Example Exchange OÜ."
        ),
        necessity="To identify the holder of the deposit account and trace the payouts.",
        persons_concerned="The holder of the deposit account is to be identified.",
        conducting_authority="National Child Exploitation Unit (fictional), investigating",
        formalities="A custodian certificate and SHA-256 hashes of the records.",
        confidentiality="Do not inform the account holder.",
        use_limits="Only for the stated proceedings.",
        earlier_requests="None.",
        language="en",
        time_from=now - 60 * timedelta(days=1),
        time_to=now - timedelta(days=1),
        now=drafted,
    )
    mla.add_offence(
        session,
        liaison,
        req.id,
        name="Trafficking in children for sexual exploitation",
        provision="s. 2 Modern Slavery Act 2015",
        maximum_penalty="life imprisonment",
        now=drafted,
    )
    mla.add_identifier(
        session, liaison, req.id, deposit_id, relevance="Receives the ad payments.", now=drafted
    )
    mla.add_identifier(
        session, liaison, req.id, payout_id, relevance="Receives the withdrawals.", now=drafted
    )
    mla.add_annex(session, liaison, req.id, annex.id, now=drafted)
    req = mla.set_legal_basis(
        session, liaison, req.id, code=req.proposed_basis, reason="", now=drafted
    )
    return mla.submit_request(session, liaison, req.id, now=now - timedelta(hours=3))
