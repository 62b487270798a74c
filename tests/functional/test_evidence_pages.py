"""Evidence pages: streamed upload, no inline images, attachment downloads re-hashed, alarms,
custody events from the item page, and the supervisor's custody audit page."""

from __future__ import annotations

import hashlib
import io
import os
import re

import sqlalchemy as sa

from caseflow.audit.models import AuditEvent
from caseflow.evidence.models import CustodyEvent, EvidenceItem, IntegrityAlarm
from tests.factories import make_case, make_user
from tests.helpers import csrf_token, form_inputs

PNG = b"\x89PNG\r\n\x1a\n" + b"synthetic-not-an-image" * 100


def upload(client, case_id, data=PNG, name="../../etc/passwd <img>.png", **extra):
    token = csrf_token(client, f"/cases/{case_id}/evidence/upload")
    fields = {
        "csrf_token": token,
        "description": "Screenshot of a fictional advert",
        "acquired_by": "DC Example",
        "acquired_at": "2026-11-01T08:30",
        "source": "example.com listing",
        **extra,
        "file": (io.BytesIO(data), name, "image/png"),
    }
    return client.post(
        f"/cases/{case_id}/evidence/upload", data=fields, content_type="multipart/form-data"
    )


def item_id_from(response) -> int:
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(re.search(r"/evidence/(\d+)", response.headers["Location"]).group(1))


def test_upload_streams_to_the_content_addressed_store_and_names_the_item_per_case(
    app, auth, client, officer, db
):
    case = make_case(app, officer)
    case_id, ref = case.id, case.reference
    auth.login(officer)
    item_id = item_id_from(upload(client, case_id))
    second = item_id_from(upload(client, case_id))  # identical bytes: stored once
    item = db.get(EvidenceItem, item_id)
    digest = hashlib.sha256(PNG).hexdigest()
    assert item.reference == f"{ref}/E-0001"
    assert db.get(EvidenceItem, second).reference == f"{ref}/E-0002"
    assert item.sha256 == digest
    assert item.md5 == hashlib.md5(PNG, usedforsecurity=False).hexdigest()
    assert item.sha1 == hashlib.sha1(PNG, usedforsecurity=False).hexdigest()
    assert item.size == len(PNG)
    assert item.filename == "passwd <img>.png"  # metadata only, as given (last path part)
    blob = os.path.join(app.config["DATA_DIR"], "blobs", "sha256", digest[:2], digest[2:4], digest)
    with open(blob, "rb") as handle:
        assert handle.read() == PNG
    blobs = [
        f for _, _, files in os.walk(os.path.join(app.config["DATA_DIR"], "blobs")) for f in files
    ]
    assert blobs == [digest]
    events = db.scalars(sa.select(CustodyEvent).where(CustodyEvent.item_id == item_id)).all()
    assert [e.action for e in events] == ["acquired"]
    assert events[0].observed_sha256 == digest
    db.rollback()


def test_case_panel_lists_hashes_and_never_renders_evidence_images(app, auth, client, officer):
    case_id = make_case(app, officer).id
    auth.login(officer)
    upload(client, case_id)
    empty_case = make_case(app, officer, title="No evidence yet").id
    empty = client.get(f"/cases/{empty_case}")
    assert empty.status_code == 200 and "No evidence registered yet" in empty.get_data(as_text=True)
    response = client.get(f"/cases/{case_id}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert hashlib.sha256(PNG).hexdigest() in page and "/E-0001" in page
    assert "<img" not in page
    item_page = client.get("/evidence/1").get_data(as_text=True)
    assert "<img" not in item_page and "Custody timeline" in item_page


def test_upload_over_the_size_limit_is_refused_with_a_clear_error_and_stores_nothing(
    app, auth, client, officer, db
):
    app.config["MAX_CONTENT_LENGTH"] = 4096
    case_id = make_case(app, officer).id
    auth.login(officer)
    response = upload(client, case_id, data=b"x" * 3000 + PNG)
    assert response.status_code in (400, 413)
    assert db.scalar(sa.select(sa.func.count()).select_from(EvidenceItem)) == 0
    blob_root = os.path.join(app.config["DATA_DIR"], "blobs")
    assert not [f for _, _, files in os.walk(blob_root) for f in files]
    assert not os.listdir(os.path.join(app.config["DATA_DIR"], "tmp"))
    db.rollback()


def test_upload_without_csrf_token_is_refused(app, auth, client, officer, db):
    case_id = make_case(app, officer).id
    auth.login(officer)
    response = client.post(
        f"/cases/{case_id}/evidence/upload",
        data={"description": "x", "file": (io.BytesIO(PNG), "a.png")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert db.scalar(sa.select(sa.func.count()).select_from(EvidenceItem)) == 0
    db.rollback()


def test_download_is_an_attachment_rehashed_and_an_accessed_custody_event(
    app, auth, client, officer, db
):
    case_id = make_case(app, officer).id
    auth.login(officer)
    item_id = item_id_from(upload(client, case_id))
    token = csrf_token(client, f"/evidence/{item_id}")
    response = client.post(
        f"/evidence/{item_id}/download", data={"csrf_token": token, "purpose": "review"}
    )
    assert response.status_code == 200
    assert response.get_data() == PNG
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert 'filename="passwd _img_.png"' in response.headers["Content-Disposition"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"
    actions = db.scalars(
        sa.select(CustodyEvent.action)
        .where(CustodyEvent.item_id == item_id)
        .order_by(CustodyEvent.seq)
    ).all()
    assert actions == ["acquired", "accessed"]
    db.rollback()


def test_a_changed_blob_refuses_the_download_raises_an_alarm_and_is_audited(
    app, auth, client, officer, db
):
    case_id = make_case(app, officer).id
    auth.login(officer)
    item_id = item_id_from(upload(client, case_id))
    digest = hashlib.sha256(PNG).hexdigest()
    path = os.path.join(app.config["DATA_DIR"], "blobs", "sha256", digest[:2], digest[2:4], digest)
    os.chmod(path, 0o600)
    with open(path, "r+b") as handle:
        handle.seek(20)
        handle.write(b"X")
    token = csrf_token(client, f"/evidence/{item_id}")
    response = client.post(f"/evidence/{item_id}/download", data={"csrf_token": token})
    assert response.status_code == 409
    assert PNG[:20] not in response.get_data()
    alarm = db.scalars(sa.select(IntegrityAlarm)).one()
    assert (alarm.case_id, alarm.item_id, alarm.kind) == (case_id, item_id, "blob-mismatch")
    failed = db.scalars(sa.select(AuditEvent).where(AuditEvent.action == "evidence.download")).one()
    assert failed.outcome == "failure"
    db.rollback()


def test_item_page_records_custody_events_and_shows_validation_errors(
    app, auth, client, officer, db
):
    case_id = make_case(app, officer).id
    auth.login(officer)
    item_id = item_id_from(upload(client, case_id))
    page = client.get(f"/evidence/{item_id}").get_data(as_text=True)
    token = form_inputs(page)["csrf_token"]
    bad = client.post(
        f"/evidence/{item_id}/events",
        data={
            "csrf_token": token,
            "action": "transferred",
            "ts_utc": "2026-11-02T08:00",
            "from_custodian": "DC Example",
        },
    )
    assert bad.status_code == 400
    assert "a transfer names both parties" in bad.get_data(as_text=True)
    good = client.post(
        f"/evidence/{item_id}/events",
        data={
            "csrf_token": token,
            "action": "transferred",
            "ts_utc": "2026-11-02T08:00",
            "from_custodian": "DC Example",
            "to_custodian": "Lab Example",
            "purpose": "analysis",
        },
    )
    assert good.status_code == 302
    page = client.get(f"/evidence/{item_id}").get_data(as_text=True)
    assert "Lab Example" in page


def test_supervisor_audit_page_needs_purpose_and_shows_gaps_alarms_and_key(
    app, auth, client, officer, clock
):
    case_id = make_case(app, officer).id
    auth.login(officer)
    item_id = item_id_from(upload(client, case_id))
    assert client.get(f"/cases/{case_id}/custody-audit").status_code == 403  # officers
    auth.logout()
    supervisor = make_user(app, "supervisor")
    clock.advance(days=45)
    auth.login(supervisor)
    first = client.get(f"/cases/{case_id}/custody-audit")
    assert first.status_code == 302 and "/purpose" in first.headers["Location"]
    token = csrf_token(client, f"/cases/{case_id}/purpose")
    client.post(
        f"/cases/{case_id}/purpose",
        data={"csrf_token": token, "purpose": "Quarterly custody review"},
    )
    page = client.get(f"/cases/{case_id}/custody-audit")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "stale" in html and "Never verified" in html
    signer = app.extensions["caseflow.ledger_signer"]
    assert signer.fingerprint in html
    token = form_inputs(html)["csrf_token"]
    client.post(f"/cases/{case_id}/custody-audit/checkpoint", data={"csrf_token": token})
    client.post(f"/cases/{case_id}/custody-audit/verify", data={"csrf_token": token})
    html = client.get(f"/cases/{case_id}/custody-audit").get_data(as_text=True)
    assert "intact" in html and "size 1" in html
    assert item_id
