"""MLA requests through the web app, end to end: draft -> pre-flight checklist -> submit ->
four-eyes approval with TOTP -> export (custody + disclosure) -> download ZIP -> verify."""

from __future__ import annotations

import json
import re
import subprocess
import zipfile
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from caseflow.audit.models import AuditEvent
from caseflow.entities import services as entity_services
from caseflow.evidence.models import CustodyEvent
from caseflow.mla.models import MlaIdentifier, MlaRequest
from exports.signing import validate_pdf_signature
from exports.verify import verify_packet
from tests.factories import (
    AUTHORITY_FIELDS,
    COMPLETE_FIELDS,
    actor_of,
    add_member,
    make_case,
    make_evidence_item,
    make_user,
)
from tests.helpers import csrf_token, totp_now

EVIDENCE = b"Screenshot export of the ad page (synthetic test bytes)\n" * 50
IP = "198.51.100.23"
EMAIL = "seller@example.com"


@pytest.fixture
def liaison(app):
    return make_user(app, "liaison")


@pytest.fixture
def supervisor(app):
    return make_user(app, "supervisor")


@pytest.fixture
def seeded(app, clock, liaison, supervisor):
    """A case with one evidence file, the liaison as owner and the supervisor as member."""
    with app.app_context():
        from caseflow.extensions import db_session

        session = db_session()
        case = make_case(session, liaison, now=clock())
        add_member(session, liaison, case.id, supervisor, now=clock())
        item = make_evidence_item(
            session, liaison, case.id, data=EVIDENCE, acquisition_method="browser capture"
        )
        me = actor_of(session, liaison)
        ip = entity_services.add_entity(
            session,
            me,
            case.id,
            "ip_address",
            {"value": IP, "port": "51234", "observed_at": "2026-10-03T16:02:09+02:00"},
            now=clock(),
        ).entity
        email = entity_services.add_entity(session, me, case.id, "email", EMAIL, now=clock()).entity
        entity_services.link_entities(
            session,
            me,
            case.id,
            source_id=email.id,
            target_id=ip.id,
            type="ASSOCIATED_WITH",
            now=clock(),
        )
        session.commit()
        return {
            "case_id": case.id,
            "case_ref": case.reference,
            "item": item.id,
            "item_ref": item.reference,
            "sha256": item.sha256,
            "ip": ip.id,
            "email": email.id,
        }


def post(client, page, action, data):
    token = csrf_token(client, page)
    return client.post(action, data={**data, "csrf_token": token})


def draft_via_web(client, case_id, **overrides):
    data = {
        **COMPLETE_FIELDS,
        "requested_state": "TH",
        "measure": "obtain",
        "data_categories": ["subscriber", "traffic"],
        "holder_kind": "service-provider",
        "urgency": "urgent",
        "urgency_reason": "Risk that the account is deleted.",
        "time_from": "2026-10-01T00:00",
        "time_to": "2026-10-31T23:59",
        **overrides,
    }
    page = f"/cases/{case_id}/requests/new"
    response = post(client, page, page, data)
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(response.headers["Location"].rsplit("/", 1)[1])


def attach_identifiers(client, detail, seeded):
    """Choose the case's IP address (its observation gives time and port) and e-mail."""
    post(
        client,
        detail,
        f"{detail}/identifiers",
        {"entity": str(seeded["ip"]), "relevance": "Logged in to the advertiser account."},
    )
    post(
        client,
        detail,
        f"{detail}/identifiers",
        {"entity": str(seeded["email"]), "relevance": "Contact address printed in the ads."},
    )


def test_case_page_lists_requests_and_links_to_a_new_one(auth, client, liaison, seeded):
    auth.login(liaison)
    page = client.get(f"/cases/{seeded['case_id']}").get_data(as_text=True)
    assert 'id="requests"' in page and "No requests yet." in page
    request_id = draft_via_web(client, seeded["case_id"])
    page = client.get(f"/cases/{seeded['case_id']}").get_data(as_text=True)
    assert f"{seeded['case_ref']}/R-01" in page
    assert f"/requests/{request_id}" in page


def test_preflight_checklist_names_every_missing_item_and_blocks_submission(
    auth, client, liaison, seeded
):
    auth.login(liaison)
    request_id = draft_via_web(client, seeded["case_id"], language="", use_limits="")
    page = client.get(f"/requests/{request_id}").get_data(as_text=True)
    assert "UNTOC Art. 18" in page
    assert "required items missing" in page
    for label in ("Language of the request", "Use limitation", "Offences with their statutory"):
        assert re.search(rf'class="missing">.*{label}', page), label
    response = post(client, f"/requests/{request_id}", f"/requests/{request_id}/submit", {})
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Missing before submission" in page
    assert "Language of the request (Art. 18(14)): not given" in page


def test_request_to_approval_to_verified_packet(
    app, auth, client, db, clock, liaison, supervisor, seeded, tmp_path
):
    auth.login(liaison)
    request_id = draft_via_web(client, seeded["case_id"])
    detail = f"/requests/{request_id}"
    post(
        client,
        detail,
        f"{detail}/offences",
        {
            "name": "Trafficking in children",
            "provision": "s. 2 Modern Slavery Act 2015",
            "maximum_penalty": "life imprisonment",
        },
    )
    post(client, detail, f"{detail}/annexes", {"evidence": str(seeded["item"])})
    attach_identifiers(client, detail, seeded)
    rows = db.scalars(sa.select(MlaIdentifier).order_by(MlaIdentifier.id)).all()
    assert [(r.value, r.port, r.observed_at) for r in rows] == [
        (IP, 51234, datetime(2026, 10, 3, 14, 2, 9, tzinfo=UTC)),
        (EMAIL, None, None),
    ]
    db.rollback()
    page = client.get(detail).get_data(as_text=True)
    checklist = page[page.find('id="checklist"') :][:3000]
    assert re.search(r"All \d+ required items are filled in\.", page), checklist
    post(client, detail, f"{detail}/submit", {})
    db.expire_all()
    assert db.get(MlaRequest, request_id).status == "submitted"
    db.rollback()

    # The author cannot approve: liaisons lack the permission outright.
    assert client.get(f"{detail}/approve").status_code == 403
    auth.logout()
    auth.login(supervisor)
    clock.advance(seconds=30)
    response = post(
        client,
        f"{detail}/approve",
        f"{detail}/approve",
        {"decision": "approve", "code": totp_now(supervisor.seed, clock), **AUTHORITY_FIELDS},
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    auth.logout()

    auth.login(liaison)
    response = post(
        client,
        detail,
        f"{detail}/export",
        {"recipient": "Office of the Attorney General (fictional)"},
    )
    assert response.status_code == 302
    page = client.get(detail).get_data(as_text=True)
    assert "Packet exported" in page, re.findall(r'class="flash[^"]*"[^>]*>([^<]*)', page)
    download = client.get(f"{detail}/packet.zip")
    assert download.status_code == 200
    assert download.headers["Content-Type"] == "application/zip"
    assert "attachment" in download.headers["Content-Disposition"]
    zip_path = tmp_path / "packet.zip"
    zip_path.write_bytes(download.data)
    download.close()

    with zipfile.ZipFile(zip_path) as zf:
        chart = json.loads(zf.read("request.json"))
    # The link chart comes from the case's links among the chosen identifiers.
    assert {i["value"] for i in chart["identifiers"]} == {IP, EMAIL}

    # Offline verification: every check passes.
    checks = verify_packet(str(zip_path))
    assert checks and all(c.ok for c in checks), [c for c in checks if not c.ok]

    folder = tmp_path / "unpacked"
    with zipfile.ZipFile(zip_path) as zf:
        zf.extractall(folder)
    sums = subprocess.run(
        ["sha256sum", "--strict", "-c", "SHA256SUMS"], cwd=folder, capture_output=True, text=True
    )
    assert sums.returncode == 0, sums.stdout + sums.stderr

    text = subprocess.run(
        ["pdftotext", "-layout", str(folder / "request.pdf"), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    flat = re.sub(r"\s+", "", text)
    assert f"{seeded['case_ref']}/R-01" in text
    for value in (IP, EMAIL, "51234", "2026-10-03T14:02:09Z"):
        assert value in flat, value
    members = dict(
        line.split("  ", 1)[::-1] for line in (folder / "SHA256SUMS").read_text().splitlines()
    )
    for sha in [seeded["sha256"], *[members[n] for n in members if n.startswith("evidence/")]]:
        assert sha in flat, sha

    pdfsig = subprocess.run(
        ["pdfsig", str(folder / "request.pdf")], capture_output=True, text=True
    ).stdout
    assert "Signature is Valid" in pdfsig and "Total document signed" in pdfsig
    report = validate_pdf_signature(
        (folder / "request.pdf").read_bytes(), (folder / "certs" / "root.pem").read_bytes()
    )
    assert report.intact and report.trusted, report.summary

    # Exporting is a custody event per item and one disclosure record in the audit log.
    exported = db.scalars(sa.select(CustodyEvent).where(CustodyEvent.action == "exported")).all()
    assert [(e.item_id, e.to_custodian) for e in exported] == [
        (seeded["item"], "Office of the Attorney General (fictional)")
    ]
    disclosure = db.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "request.export")
    ).one()
    assert disclosure.category == "disclosure"
    assert disclosure.details["requested_state"] == "TH"
    assert disclosure.details["legal_basis"] == "UNTOC-18"
    assert disclosure.details["recipient"] == "Office of the Attorney General (fictional)"
    db.rollback()

    # One flipped byte in a member: verification fails and names that member.
    original = zip_path.read_bytes()
    with zipfile.ZipFile(zip_path) as zf:
        info = zf.getinfo("identifiers.csv")
    name_len = int.from_bytes(original[info.header_offset + 26 : info.header_offset + 28], "little")
    extra_len = int.from_bytes(
        original[info.header_offset + 28 : info.header_offset + 30], "little"
    )
    offset = info.header_offset + 30 + name_len + extra_len + info.compress_size // 2
    tampered = bytearray(original)
    tampered[offset] ^= 0x01
    bad = tmp_path / "tampered.zip"
    bad.write_bytes(bytes(tampered))
    failed = [c for c in verify_packet(str(bad)) if not c.ok]
    assert failed and any("identifiers.csv" in c.name for c in failed)

    # `caseflow packet verify` wires the same verifier: exit 0 intact, 1 tampered.
    runner = app.test_cli_runner()
    good = runner.invoke(args=["packet", "verify", str(zip_path)])
    assert good.exit_code == 0, good.output
    assert "All" in good.output and "checks passed" in good.output
    broken = runner.invoke(args=["packet", "verify", str(bad)])
    assert broken.exit_code == 1
    assert "identifiers.csv" in broken.output


def test_approval_page_refuses_a_wrong_code_and_keeps_the_request_submitted(
    app, auth, client, db, clock, liaison, supervisor, seeded
):
    auth.login(liaison)
    request_id = draft_via_web(client, seeded["case_id"])
    detail = f"/requests/{request_id}"
    post(
        client,
        detail,
        f"{detail}/offences",
        {"name": "Trafficking in children", "provision": "s. 2", "maximum_penalty": "life"},
    )
    attach_identifiers(client, detail, seeded)
    post(client, detail, f"{detail}/submit", {})
    auth.logout()
    auth.login(supervisor)
    good = totp_now(supervisor.seed, clock)
    wrong = f"{(int(good) + 1) % 1_000_000:06d}"
    response = post(
        client,
        f"{detail}/approve",
        f"{detail}/approve",
        {"decision": "approve", "code": wrong, **AUTHORITY_FIELDS},
    )
    assert response.status_code == 400
    assert "There is a problem" in response.get_data(as_text=True)
    assert db.get(MlaRequest, request_id).status == "submitted"
    db.rollback()


def test_dashboard_shows_due_and_overdue_request_dates(
    app, auth, client, db, clock, liaison, seeded
):
    from caseflow.mla import services

    auth.login(liaison)
    request_id = draft_via_web(
        client,
        seeded["case_id"],
        requested_state="US",
        measure="preserve",
        data_categories=["content"],
        production_to_follow="yes",
    )
    req = db.get(MlaRequest, request_id)
    req.status, req.sent_at = "exported", None
    db.commit()
    with app.app_context():
        from caseflow.extensions import db_session

        session = db_session()
        services.mark_sent(
            session, actor_of(session, liaison), request_id, sent_to="US 24/7", now=clock()
        )
        session.commit()
    clock.advance(days=85)  # past the day-75 reminder, 5 days before the day-90 expiry
    auth.login(liaison)
    page = client.get("/").get_data(as_text=True)
    assert "request-deadlines" in page, page[page.find("<main") :][:1500]
    assert "Request the 90-day extension" in page and "overdue" in page
    assert "2703(f) preservation (90 days" in page and "due-soon" in page
    due = clock.now.replace(hour=9) if False else None
    assert due is None
    case_page = client.get(f"/cases/{seeded['case_id']}").get_data(as_text=True)
    assert "2703(f) preservation (90 days" in case_page
