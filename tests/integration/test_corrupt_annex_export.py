"""Exporting a packet whose annexed file is corrupt or gone: a clear refusal naming the item
(never a 500), an integrity alarm on the item, a failed export in the audit log, no packet."""

# ruff: noqa: F811 - the fixtures of test_frozen_packet are imported and used by name

from __future__ import annotations

import os

import pytest
import sqlalchemy as sa

from caseflow.audit.models import AuditEvent
from caseflow.evidence.models import EvidenceItem, IntegrityAlarm
from caseflow.evidence.services import IntegrityFailure
from caseflow.mla.models import MlaRequest
from tests.factories import approve
from tests.helpers import csrf_token, totp_now
from tests.integration.test_frozen_packet import (  # noqa: F401 - fixtures
    export,
    liaison,
    submitted,
    supervisor,
)


def damage(app, submitted, how: str) -> tuple[str, str]:
    store = app.extensions["caseflow.blobstore"]
    with app.app_context():
        from caseflow.extensions import db_session

        item = db_session().get(EvidenceItem, submitted["item"])
        sha256, reference = item.sha256, item.reference
        db_session().rollback()
    path = store.path_for(sha256)
    if how == "missing":
        os.chmod(path, 0o600)
        os.unlink(path)
    else:
        os.chmod(path, 0o600)
        with open(path, "r+b") as handle:
            handle.seek(5)
            handle.write(b"X")
    return sha256, reference


@pytest.mark.parametrize(
    ("how", "kind"), [("changed", "blob-mismatch"), ("missing", "blob-missing")]
)
def test_a_corrupt_annex_refuses_the_export_with_an_alarm_and_an_audit_record(
    app, db, clock, liaison, supervisor, submitted, tmp_path, how, kind
):
    approve(app, supervisor, submitted["request"], totp_now(supervisor.seed, clock))
    sha256, reference = damage(app, submitted, how)
    out_dir = tmp_path / "packets"
    with pytest.raises(IntegrityFailure) as caught:
        export(app, liaison, submitted["request"], out_dir)
    assert reference in caught.value.message
    assert "integrity alarm" in caught.value.message
    alarm = db.scalars(sa.select(IntegrityAlarm)).one()
    assert (alarm.case_id, alarm.item_id, alarm.kind) == (
        submitted["case"],
        submitted["item"],
        kind,
    )
    assert sha256 in alarm.detail and reference in alarm.detail
    failed = db.scalars(
        sa.select(AuditEvent).where(
            AuditEvent.action == "request.export", AuditEvent.outcome == "failure"
        )
    ).one()
    assert failed.details["alarm"] == kind
    assert failed.details["item"] == reference
    assert db.get(MlaRequest, submitted["request"]).status == "approved"
    assert not any(p.suffix == ".zip" for p in out_dir.glob("*")) if out_dir.exists() else True
    db.rollback()


def test_the_export_page_shows_the_refusal_instead_of_an_error_page(
    app, auth, client, db, clock, liaison, supervisor, submitted
):
    approve(app, supervisor, submitted["request"], totp_now(supervisor.seed, clock))
    _, reference = damage(app, submitted, "changed")
    auth.login(liaison)
    detail = f"/requests/{submitted['request']}"
    token = csrf_token(client, detail)
    response = client.post(
        f"{detail}/export",
        data={"csrf_token": token, "recipient": "Office of the Attorney General (fictional)"},
    )
    assert response.status_code == 302, response.status_code
    page = client.get(detail).get_data(as_text=True)
    assert reference in page and "integrity alarm" in page
    assert db.scalar(sa.select(sa.func.count()).select_from(IntegrityAlarm)) == 1
    db.rollback()
