"""A packet is frozen at approval: the approval keeps a snapshot of everything the document
and its annexes show (facts, identifiers, link chart, evidence list with hashes, custody
extract) with its SHA-256, and an export renders that snapshot only."""

from __future__ import annotations

import hashlib
import subprocess
import zipfile
from pathlib import Path

import pytest
import sqlalchemy as sa

from caseflow.audit.models import AuditEvent
from caseflow.entities import services as entity_services
from caseflow.errors import ConflictError, ValidationError
from caseflow.evidence import services as evidence_services
from caseflow.mla import services
from caseflow.mla.models import MlaApproval, MlaRequest
from caseflow.uow import Transactions
from exports import snapshot
from tests.factories import (
    AUTHORITY_FIELDS,
    actor_of,
    add_member,
    approve,
    arrange,
    make_case,
    make_evidence_item,
    make_request,
    make_user,
)
from tests.helpers import totp_now

IP = "198.51.100.23"
EMAIL = "seller@example.com"


@pytest.fixture
def liaison(app):
    return make_user(app, "liaison")


@pytest.fixture
def supervisor(app):
    return make_user(app, "supervisor")


@pytest.fixture
def submitted(app, clock, liaison, supervisor):
    return submit_linked_request(app, clock, liaison, supervisor)


def submit_linked_request(app, clock, liaison, supervisor):
    """A submitted request naming an IP address and an e-mail address linked in the case,
    with one evidence annex."""
    case = make_case(app, liaison)
    add_member(app, liaison, case.id, supervisor)
    item = make_evidence_item(app, liaison, case.id)

    def arrange_case(session, now):
        me = actor_of(session, liaison)
        # An IP address identifies nobody without the time and source port (checklist).
        observed = {"value": IP, "port": "51234", "observed_at": "2026-10-03T16:02:09+02:00"}
        ip = entity_services.add_entity(session, me, case.id, "ip_address", observed, now=now)
        ip = ip.entity
        email = entity_services.add_entity(session, me, case.id, "email", EMAIL, now=now).entity
        entity_services.link_entities(
            session,
            me,
            case.id,
            source_id=email.id,
            target_id=ip.id,
            type="ASSOCIATED_WITH",
            now=now,
        )
        return ip.id, email.id

    ip_id, email_id = arrange(app, arrange_case)
    req = make_request(app, liaison, case.id)

    def attach(session, now):
        me = actor_of(session, liaison)
        services.add_identifier(session, me, req.id, ip_id, relevance="Logged in.", now=now)
        services.add_identifier(session, me, req.id, email_id, relevance="In the ads.", now=now)
        services.add_annex(session, me, req.id, item.id, now=now)
        services.submit_request(session, me, req.id, now=now)

    arrange(app, attach)
    clock.advance(seconds=30)
    return {"case": case.id, "request": req.id, "ip": ip_id, "item": item.id}


def export(app, user, request_id, out_dir: Path) -> Path:
    with app.app_context():
        from caseflow.extensions import db_session

        session = db_session()
        result = services.export_packet(
            Transactions(session),
            actor_of(session, user),
            request_id,
            recipient="Office of the Attorney General (fictional)",
            signer=app.extensions["caseflow.packet_signer"],
            store=app.extensions["caseflow.blobstore"],
            out_dir=out_dir,
            now=app.config["CLOCK"](),
        )
        return result.path


def members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def pdftext(pdf: bytes, tmp_path: Path, name: str) -> str:
    target = tmp_path / name
    target.write_bytes(pdf)
    return subprocess.run(
        ["pdftotext", "-layout", str(target), "-"], capture_output=True, text=True, check=True
    ).stdout


def test_a_case_changed_after_approval_does_not_change_the_packet(
    app, clock, liaison, supervisor, submitted, tmp_path
):
    approve(app, supervisor, submitted["request"], totp_now(supervisor.seed, clock))
    first = members(export(app, liaison, submitted["request"], tmp_path / "a"))

    # The case changes after approval: a new identifier linked to the request's IP address,
    # a new evidence item, and a custody event on the annexed item.
    def change(session, now):
        me = actor_of(session, liaison)
        phone = entity_services.add_entity(
            session, me, submitted["case"], "phone", "+44 7700 900555", now=now
        ).entity
        entity_services.link_entities(
            session,
            me,
            submitted["case"],
            source_id=phone.id,
            target_id=submitted["ip"],
            type="ASSOCIATED_WITH",
            now=now,
        )
        evidence_services.record_custody_event(
            session,
            me,
            submitted["item"],
            action="accessed",
            ts_utc=now,
            now=now,
            purpose="Reviewed after approval",
        )

    clock.advance(seconds=60)
    arrange(app, change)
    make_evidence_item(app, liaison, submitted["case"], data=b"later capture\n" * 10)
    clock.advance(seconds=60)
    second = members(export(app, liaison, submitted["request"], tmp_path / "b"))

    assert sorted(first) == sorted(second)
    differing = [n for n in first if first[n] != second[n]]
    assert differing == []  # the PDF too: it was signed at approval
    assert b"900555" not in second["request.json"]
    text_a = pdftext(first["request.pdf"], tmp_path, "a.pdf")
    text_b = pdftext(second["request.pdf"], tmp_path, "b.pdf")
    assert text_a == text_b
    assert "900555" not in text_b
    # The issuing authority's block recorded at approval is printed, not an internal role.
    assert "Jane Example" in text_b and "Senior Crown Prosecutor" in text_b
    # (The custody annex names who handled the evidence; the approver never signs as such.)
    assert "supervisor" not in text_b.lower() and "approved by" not in text_b.lower()


def test_the_approval_record_keeps_the_snapshot_and_its_hash(app, clock, supervisor, submitted, db):
    approve(app, supervisor, submitted["request"], totp_now(supervisor.seed, clock))
    approval = db.scalars(sa.select(MlaApproval)).one()
    assert approval.snapshot_sha256 == hashlib.sha256(approval.snapshot).hexdigest()
    assert (approval.issuer_name, approval.issuer_post) == (
        "Jane Example",
        "Senior Crown Prosecutor",
    )
    data = snapshot.thaw(approval.snapshot)
    assert {IP, EMAIL} <= {i.value for i in data.request.identifiers}
    assert [e.number for e in data.evidence] and all(e.sha256 for e in data.evidence)
    assert data.chart.edges and data.custody.entries
    audit = db.scalars(sa.select(AuditEvent).where(AuditEvent.action == "request.approve")).one()
    assert audit.details["snapshot_sha256"] == approval.snapshot_sha256


def test_a_snapshot_that_does_not_match_its_hash_is_refused(app, clock, supervisor, submitted, db):
    approve(app, supervisor, submitted["request"], totp_now(supervisor.seed, clock))
    approval = db.scalars(sa.select(MlaApproval)).one()
    db.expunge(approval)
    approval.snapshot = approval.snapshot.replace(IP.encode(), b"198.51.100.99")
    with pytest.raises(ConflictError, match="approved again"):
        services.approved_packet(approval, app.extensions["caseflow.blobstore"])
    assert approval.packet_digest.encode() in approval.document_pdf


def test_approval_needs_the_issuing_authority_and_a_validator_where_the_instrument_does(
    app, clock, supervisor, submitted, db
):
    with pytest.raises(ValidationError) as err:
        approve(
            app, supervisor, submitted["request"], totp_now(supervisor.seed, clock), issuer_name=""
        )
    assert err.value.field == "issuer_name"
    assert db.get(MlaRequest, submitted["request"]).status == "submitted"
    assert db.scalars(sa.select(MlaApproval)).all() == []
    db.rollback()
    with pytest.raises(ValidationError) as err:
        approve(
            app,
            supervisor,
            submitted["request"],
            totp_now(supervisor.seed, clock),
            validator_authority="Westminster Magistrates' Court (fictional)",
        )
    assert err.value.field == "validator_name"


def test_an_eio_by_a_police_authority_needs_a_validating_authority():
    from caseflow.mla.packet import needs_validation

    assert needs_validation("EIO", "other", ())
    assert not needs_validation("EIO", "prosecutor", ())
    assert needs_validation("EPOC", "prosecutor", ("subscriber", "traffic"))
    assert not needs_validation("EPOC", "prosecutor", ("subscriber",))
    assert not needs_validation("EPOC", "judge", ("content",))
    assert not needs_validation("EPOC-PR", "prosecutor", ("content",))
    assert not needs_validation("UNTOC-18", "other", ())
    assert AUTHORITY_FIELDS["issuer_kind"] == "prosecutor"


def test_a_later_change_reaches_the_packet_only_through_a_new_approval(
    app, clock, liaison, supervisor, submitted, tmp_path, db
):
    approve(app, supervisor, submitted["request"], totp_now(supervisor.seed, clock))

    def link_phone(session, now):
        me = actor_of(session, liaison)
        phone = entity_services.add_entity(
            session, me, submitted["case"], "phone", "+44 7700 900555", now=now
        ).entity
        entity_services.link_entities(
            session,
            me,
            submitted["case"],
            source_id=phone.id,
            target_id=submitted["ip"],
            type="ASSOCIATED_WITH",
            now=now,
        )

    arrange(app, link_phone)
    first = members(export(app, liaison, submitted["request"], tmp_path / "a"))
    assert b"900555" not in first["custody.jsonld"] + first["request.json"]

    def reopen(session, now, reason="The case gained a linked phone number."):
        return services.reopen_request(
            session, actor_of(session, liaison), submitted["request"], reason=reason, now=now
        )

    with pytest.raises(ValidationError) as err:
        arrange(app, lambda session, now: reopen(session, now, reason=" "))
    assert err.value.field == "reason"
    assert arrange(app, reopen).status == "returned"
    arrange(
        app,
        lambda session, now: services.submit_request(
            session, actor_of(session, liaison), submitted["request"], now=now
        ),
    )
    clock.advance(seconds=60)
    approve(app, supervisor, submitted["request"], totp_now(supervisor.seed, clock))
    second = members(export(app, liaison, submitted["request"], tmp_path / "b"))
    text = pdftext(second["request.pdf"], tmp_path, "b.pdf")
    assert "900555" in text.replace(" ", "")
    assert len(db.scalars(sa.select(MlaApproval)).all()) == 2
    reopened = db.scalars(sa.select(AuditEvent).where(AuditEvent.action == "request.reopen")).one()
    assert reopened.details["reason"] == "The case gained a linked phone number."
