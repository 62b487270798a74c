"""Uploads at the edges: an empty file is valid evidence (stored once, no orphan blob); a
Unicode file name is kept in the record exactly and served with RFC 6266 `filename*`."""

from __future__ import annotations

import hashlib
import os
from urllib.parse import quote, unquote

import sqlalchemy as sa

from caseflow.audit.models import AuditEvent
from caseflow.evidence.models import CustodyEvent, EvidenceItem
from tests.factories import make_case
from tests.functional.test_evidence_pages import item_id_from, upload
from tests.helpers import csrf_token

UNICODE_NAME = "Ünïcødé 证据 😀 évidence.txt"
EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


def stored_blobs(app) -> list[str]:
    root = os.path.join(app.config["DATA_DIR"], "blobs")
    return sorted(f for _, _, files in os.walk(root) for f in files)


def download(client, item_id):
    token = csrf_token(client, f"/evidence/{item_id}")
    return client.post(
        f"/evidence/{item_id}/download", data={"csrf_token": token, "purpose": "review"}
    )


def test_an_empty_file_is_valid_evidence_stored_once_and_served(app, auth, client, officer, db):
    case_id = make_case(app, officer).id
    auth.login(officer)
    item_id = item_id_from(upload(client, case_id, data=b"", name="empty.log"))
    item = db.get(EvidenceItem, item_id)
    assert (item.size, item.sha256, item.filename) == (0, EMPTY_SHA256, "empty.log")
    assert item.md5 == hashlib.md5(b"", usedforsecurity=False).hexdigest()
    acquired = db.scalars(sa.select(CustodyEvent).where(CustodyEvent.item_id == item_id)).one()
    assert acquired.observed_sha256 == EMPTY_SHA256
    upload_audit = db.scalars(sa.select(AuditEvent).where(AuditEvent.action == "evidence.upload"))
    assert [a.outcome for a in upload_audit] == ["success"]
    db.rollback()
    assert stored_blobs(app) == [EMPTY_SHA256]  # the item's blob, and no orphan
    response = download(client, item_id)
    assert response.status_code == 200
    assert response.get_data() == b""


def test_no_file_chosen_is_still_refused_naming_the_field(app, auth, client, officer, db):
    case_id = make_case(app, officer).id
    auth.login(officer)
    response = upload(client, case_id, data=b"", name="")
    assert response.status_code == 400
    assert "File: choose the file to upload." in response.get_data(as_text=True)
    assert db.scalar(sa.select(sa.func.count()).select_from(EvidenceItem)) == 0
    assert stored_blobs(app) == []


def test_a_unicode_file_name_is_kept_as_given_and_served_with_rfc_6266(
    app, auth, client, officer, db
):
    case_id = make_case(app, officer).id
    auth.login(officer)
    item_id = item_id_from(upload(client, case_id, data=b"synthetic text\n", name=UNICODE_NAME))
    assert db.get(EvidenceItem, item_id).filename == UNICODE_NAME
    db.rollback()
    assert UNICODE_NAME in client.get(f"/evidence/{item_id}").get_data(as_text=True)
    response = download(client, item_id)
    assert response.status_code == 200
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith('attachment; filename="')
    fallback = disposition.split('filename="', 1)[1].split('"', 1)[0]
    assert fallback.isascii() and fallback.endswith("vidence.txt")
    encoded = disposition.split("filename*=UTF-8''", 1)[1]
    assert encoded == quote(UNICODE_NAME, safe="!#$&+-.^_`|~")
    assert unquote(encoded) == UNICODE_NAME


def test_a_file_name_with_a_control_character_is_refused_before_any_byte_is_stored(
    app, auth, client, officer, db
):
    case_id = make_case(app, officer).id
    auth.login(officer)
    response = upload(client, case_id, data=b"bytes", name="report\x07.txt")
    assert response.status_code == 400
    assert "File: the file name contains a control character" in response.get_data(as_text=True)
    assert db.scalar(sa.select(sa.func.count()).select_from(EvidenceItem)) == 0
    assert stored_blobs(app) == []
