"""MLA request workflow through the services: checklist gate, four-eyes TOTP approval, clocks."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from caseflow import policy, uow
from caseflow.audit.models import AuditEvent
from caseflow.auth.services import Origin
from caseflow.errors import (
    AuthenticationError,
    ConflictError,
    NotFoundError,
    PermissionDenied,
    ValidationError,
)
from caseflow.mla import services
from caseflow.mla.models import MlaRequest
from tests.factories import (
    AUTHORITY_FIELDS,
    actor_of,
    add_member,
    make_case,
    make_request,
    make_user,
)
from tests.helpers import totp_now


@pytest.fixture
def liaison(app):
    return make_user(app, "liaison")


@pytest.fixture
def supervisor(app):
    return make_user(app, "supervisor")


@pytest.fixture
def session(app):
    with app.app_context():
        from caseflow.extensions import db_session

        yield db_session()


@pytest.fixture
def submitted(app, session, clock, liaison, supervisor):
    case = make_case(session, liaison, now=clock())
    add_member(session, liaison, case.id, supervisor, now=clock())
    req = make_request(session, liaison, case.id, now=clock())
    services.submit_request(session, actor_of(session, liaison), req.id, now=clock())
    session.commit()
    return req.id


def approve(app, session, user, request_id, code, clock):
    return services.approve_request(
        session,
        actor_of(session, user),
        request_id,
        totp_code=code,
        settings=app.extensions["caseflow.auth"],
        origin=Origin(ip="127.0.0.1"),
        authority=services.AuthorityBlock(**AUTHORITY_FIELDS),
        ledger_signer=app.extensions["caseflow.ledger_signer"],
        signer=app.extensions["caseflow.packet_signer"],
        authorities=app.extensions["caseflow.authority_signers"],
        now=clock(),
    )


def test_a_draft_proposes_its_legal_basis_and_explains_it(session, clock, liaison):
    case = make_case(session, liaison, now=clock(), lead="GB")
    req = make_request(session, liaison, case.id, now=clock(), requested_state="US")
    assert req.legal_basis == req.proposed_basis == "BUDAPEST-31"
    assert "both GB and US are parties to the Budapest Convention" in req.basis_explanation


def test_overriding_the_legal_basis_needs_a_reason(session, clock, liaison):
    case = make_case(session, liaison, now=clock())
    req = make_request(session, liaison, case.id, now=clock())
    me = actor_of(session, liaison)
    with pytest.raises(ValidationError) as err:
        services.set_legal_basis(session, me, req.id, code="BILATERAL", reason="", now=clock())
    assert err.value.field == "override_reason"
    uow.rollback(session)
    services.set_legal_basis(
        session, me, req.id, code="BILATERAL", reason="UK-Thailand MLAT applies", now=clock()
    )
    assert (req.legal_basis, req.proposed_basis) == ("BILATERAL", "UNTOC-18")
    assert req.override_reason == "UK-Thailand MLAT applies"


def test_an_unknown_field_name_is_refused_and_names_the_field(session, clock, liaison):
    case = make_case(session, liaison, now=clock())
    req = make_request(session, liaison, case.id, now=clock())
    me = actor_of(session, liaison)
    with pytest.raises(ValidationError) as err:
        services.update_request(session, me, req.id, languge="fr", now=clock())
    assert err.value.field == "languge"
    assert "unknown field(s) languge" in err.value.message
    uow.rollback(session)
    with pytest.raises(ValidationError) as err:
        services.create_request(
            session,
            me,
            case.id,
            requested_state="TH",
            request_types=["subscriber-data"],
            author_id=999,
            now=clock(),
        )
    assert err.value.field == "author_id"
    uow.rollback(session)
    assert session.get(MlaRequest, req.id).language == "en"


def test_a_configured_bilateral_treaty_is_proposed(session, clock, liaison):
    case = make_case(session, liaison, now=clock())
    req = make_request(session, liaison, case.id, now=clock())
    services.update_request(
        session,
        actor_of(session, liaison),
        req.id,
        now=clock(),
        treaties={"TH-GB": "UK-Thailand MLAT (fictional)"},
    )
    assert req.legal_basis == "BILATERAL"


def test_submission_is_refused_while_items_are_missing_and_names_them(session, clock, liaison):
    case = make_case(session, liaison, now=clock())
    req = make_request(session, liaison, case.id, now=clock(), use_limits="", language="")
    with pytest.raises(ValidationError) as err:
        services.submit_request(session, actor_of(session, liaison), req.id, now=clock())
    assert "Use limitation (Art. 18(19)): not given" in err.value.message
    assert "Language of the request (Art. 18(14)): not given" in err.value.message
    uow.rollback(session)
    assert session.get(MlaRequest, req.id).status == "draft"


def test_approval_by_the_author_is_refused(app, session, clock, submitted, liaison):
    # the author is a liaison (no approve permission); a supervisor-author is refused too
    with pytest.raises(PermissionDenied):
        approve(app, session, liaison, submitted, totp_now(liaison.seed, clock), clock)


def test_a_supervisor_cannot_approve_their_own_request(app, session, clock, supervisor):
    from caseflow.policy import PERMISSIONS

    req = MlaRequest(author_id=supervisor.id)
    assert "request.approve" in PERMISSIONS["supervisor"]
    assert not policy.may_approve_request(actor_of(session, supervisor), author_id=req.author_id)


def test_supervisor_approves_with_a_fresh_totp_code(app, session, clock, submitted, supervisor):
    clock.advance(seconds=30)
    req = approve(app, session, supervisor, submitted, totp_now(supervisor.seed, clock), clock)
    assert (req.status, req.approver_id) == ("approved", supervisor.id)
    event = session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "request.approve")
    ).one()
    assert event.case_id == req.case_id


def test_approval_with_a_wrong_totp_code_is_refused(app, session, clock, submitted, supervisor):
    good = totp_now(supervisor.seed, clock)
    wrong = f"{(int(good) + 1) % 1_000_000:06d}"
    with pytest.raises(AuthenticationError):
        approve(app, session, supervisor, submitted, wrong, clock)
    uow.rollback(session)
    assert session.get(MlaRequest, submitted).status == "submitted"


def test_approval_with_a_replayed_totp_code_is_refused(
    app, session, clock, submitted, supervisor, liaison
):
    clock.advance(seconds=30)
    code = totp_now(supervisor.seed, clock)
    req = approve(app, session, supervisor, submitted, code, clock)
    # a second request of the same case, approved with the same (already used) code
    other = make_request(session, liaison, req.case_id, now=clock())
    services.submit_request(session, actor_of(session, liaison), other.id, now=clock())
    session.commit()
    with pytest.raises(AuthenticationError, match="already used"):
        approve(app, session, supervisor, other.id, code, clock)
    uow.rollback(session)
    assert session.get(MlaRequest, other.id).status == "submitted"
    failures = session.scalars(
        sa.select(AuditEvent.action).where(AuditEvent.outcome == "failure")
    ).all()
    assert failures  # the replay is audited as a security event


def test_a_returned_request_can_be_edited_and_resubmitted(
    app, session, clock, submitted, supervisor, liaison
):
    clock.advance(seconds=30)
    req = services.return_request(
        session,
        actor_of(session, supervisor),
        submitted,
        reason="Add the provider's legal representative.",
        totp_code=totp_now(supervisor.seed, clock),
        settings=app.extensions["caseflow.auth"],
        origin=Origin(),
        now=clock(),
    )
    assert req.status == "returned"
    services.update_request(
        session, actor_of(session, liaison), req.id, holder_name="Example Hosting Ltd", now=clock()
    )
    services.submit_request(session, actor_of(session, liaison), req.id, now=clock())
    assert req.status == "submitted"


def test_a_submitted_request_cannot_be_edited_or_sent_before_export(
    session, clock, submitted, liaison
):
    me = actor_of(session, liaison)
    with pytest.raises(ConflictError):
        services.update_request(session, me, submitted, language="fr", now=clock())
    with pytest.raises(ConflictError):
        services.mark_sent(session, me, submitted, sent_to="Central authority", now=clock())


def test_workflow_steps_are_audited_and_clocks_appear_when_sent(
    app, session, clock, liaison, supervisor
):
    case = make_case(session, liaison, now=clock(), lead="DE")
    add_member(session, liaison, case.id, supervisor, now=clock())
    req = make_request(session, liaison, case.id, now=clock(), requested_state="DK")
    me = actor_of(session, liaison)
    services.update_request(
        session,
        me,
        req.id,
        measure="preserve",
        data_categories=["subscriber"],
        production_to_follow="no",
        now=clock(),
    )
    assert req.legal_basis == "BUDAPEST-29"
    session.commit()
    with pytest.raises(ValidationError) as err:  # B29(2)(f): the follow-up must be stated
        services.submit_request(session, me, req.id, now=clock())
    assert "Art. 29(2)(f)" in err.value.message
    uow.rollback(session)
    services.update_request(session, me, req.id, production_to_follow="yes", now=clock())
    services.submit_request(session, me, req.id, now=clock())
    clock.advance(seconds=30)
    approve(app, session, supervisor, req.id, totp_now(supervisor.seed, clock), clock)
    req.status = "exported"  # export is tested end to end with the packet
    session.commit()
    sent_at = clock()
    services.mark_sent(session, me, req.id, sent_to="DK 24/7 point", now=sent_at)
    items = services.due_items(session, me, sent_at)
    assert [(i.due.label, i.due.due_at - sent_at) for i in items] == [
        ("Send the mutual assistance request that follows", timedelta(days=45)),
        ("Escalate: the preservation ends in 5 days", timedelta(days=55)),
        ("Preservation (at least 60 days, Budapest Art. 29(7))", timedelta(days=60)),
    ]
    later = sent_at + timedelta(days=61)
    states = [(i.due.kind, i.state) for i in services.due_items(session, me, later)]
    assert states == [("deadline", "overdue")]
    services.close_request(session, me, req.id, outcome="fulfil", note="", now=clock())
    assert services.due_items(session, me, later) == []
    actions = session.scalars(
        sa.select(AuditEvent.action)
        .where(AuditEvent.object_type == "mla_request")
        .order_by(AuditEvent.id)
    ).all()
    assert actions == [
        "request.create",
        "request.offence_add",
        "request.identifier_add",
        "request.update",
        "request.update",
        "request.submit",
        "request.approve",
        "request.send",
        "request.fulfil",
    ]


def test_removing_an_offence_while_drafting_is_audited_and_reopens_the_checklist(
    session, clock, liaison
):
    case = make_case(session, liaison, now=clock())
    req = make_request(session, liaison, case.id, now=clock())
    me = actor_of(session, liaison)
    offence_id = session.get(MlaRequest, req.id).offences[0].id
    with pytest.raises(NotFoundError, match="No such offence on this request"):
        services.remove_offence(session, me, req.id, offence_id + 999, now=clock())
    services.remove_offence(session, me, req.id, offence_id, now=clock())
    assert session.get(MlaRequest, req.id).offences == []
    actions = session.scalars(sa.select(AuditEvent.action)).all()
    assert "request.offence_remove" in actions
    with pytest.raises(ValidationError, match="Offences"):
        services.submit_request(session, me, req.id, now=clock())


# How to take each required item of UNTOC Art. 18(15) out of a complete request.
UNTOC_REMOVALS = {
    "requesting_authority": {"requesting_authority": ""},
    "contact_point": {"contact_phone": "call me"},
    "central_authority": {"central_authority": ""},
    "conducting_authority": {"conducting_authority": ""},
    "summary_of_facts": {"summary_of_facts": ""},
    "measure": {"measure": "unknown"},
    "data_categories": {"data_categories": []},
    "holder_name": {"holder_name": ""},
    "time_range": {"time_from": None},
    "formalities": {"formalities": ""},
    "persons_concerned": {"persons_concerned": ""},
    "necessity": {"necessity": ""},
    "use_limits": {"use_limits": ""},
    "confidentiality": {"confidentiality": ""},
    "earlier_requests": {"earlier_requests": ""},
    "language": {"language": "xx-not-a-language"},
}


def test_submission_is_refused_naming_each_untoc_item_removed_in_turn(session, clock, liaison):
    case = make_case(session, liaison, now=clock())
    req = make_request(session, liaison, case.id, now=clock())
    me = actor_of(session, liaison)
    services.update_request(session, me, req.id, now=clock())  # proposal refreshed on save
    session.commit()
    items = {i.key: i for i in services.checklist(req)}
    assert req.legal_basis == "UNTOC-18" and all(i.ok for i in items.values())
    for key, change in UNTOC_REMOVALS.items():
        services.update_request(session, me, req.id, now=clock(), **change)
        with pytest.raises(ValidationError) as err:
            services.submit_request(session, me, req.id, now=clock())
        item = items[key]
        named = f"{item.label} ({item.reference})" if item.reference else item.label
        assert f"{named}: " in err.value.message, key
        uow.rollback(session)
    for remove, key in (
        (
            lambda: services.remove_offence(session, me, req.id, req.offences[0].id, now=clock()),
            "offences",
        ),
        (
            lambda: services.remove_identifier(
                session, me, req.id, req.identifiers[0].id, now=clock()
            ),
            "identifiers",
        ),
    ):
        remove()
        with pytest.raises(ValidationError) as err:
            services.submit_request(session, me, req.id, now=clock())
        assert items[key].label in err.value.message, key
        uow.rollback(session)
    services.submit_request(session, me, req.id, now=clock())
    assert req.status == "submitted"
