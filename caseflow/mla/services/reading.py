"""Reading requests: the request page, a case's requests, running clocks and due dates.
Must not import flask."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from caseflow.actor import Actor
from caseflow.cases.models import Case
from caseflow.cases.services import case_for, member_case_ids
from caseflow.mla import lifecycle as clocks
from caseflow.mla.models import (
    MlaRequest,
)
from caseflow.mla.services.common import RUNNING, _audit, _load, reference


def view_request(session: Session, actor: Actor, request_id: int) -> MlaRequest:
    """Open a request page: access checked, consultation audited."""
    req = _load(session, actor, request_id)
    req = session.scalars(
        sa.select(MlaRequest)
        .where(MlaRequest.id == req.id)
        .options(
            selectinload(MlaRequest.offences),
            selectinload(MlaRequest.identifiers),
            selectinload(MlaRequest.annexes),
            selectinload(MlaRequest.author),
            selectinload(MlaRequest.approver),
        )
    ).one()
    _audit(session, actor, "request.view", "consultation", req)
    return req


def case_requests(session: Session, actor: Actor, case_id: int) -> list[MlaRequest]:
    """The requests of a case, for a reader of the case. No audit (the case page that lists
    them records its own consultation)."""
    case = case_for(session, actor, case_id)
    return list(
        session.scalars(
            sa.select(MlaRequest).where(MlaRequest.case_id == case.id).order_by(MlaRequest.number)
        )
    )


@dataclass(frozen=True)
class DueItem:
    """A clock date of one request, for the dashboard and the case panel."""

    request_id: int
    case_id: int
    reference: str
    requested_state: str
    due: clocks.Due
    state: str  # overdue | due-soon | later


def request_clocks(req: MlaRequest) -> tuple[clocks.Due, ...]:
    """The running clocks of a sent request (EPOC counts from receipt when known)."""
    if req.status not in RUNNING or req.sent_at is None:
        return ()
    profile = clocks.profile_for(req.legal_basis, req.requested_state, measure=req.measure)
    start = req.sent_at
    if req.legal_basis == "EPOC" and req.acknowledged_at is not None:
        start = req.acknowledged_at
    return clocks.clocks(
        profile, start, emergency=req.urgency == "emergency", extended=req.extended_at is not None
    )


def due_items(
    session: Session, actor: Actor, now: datetime, *, case_id: int | None = None
) -> list[DueItem]:
    """Deadlines and reminders of running requests in the actor's cases, soonest first.

    Passed reminders drop off once a later date of the same clock is also past; deadlines
    stay (as overdue) until the request is closed. With `case_id`, that case's only (for a
    reader of the case).
    """
    if case_id is None:
        ids = member_case_ids(session, actor)
    else:
        ids = frozenset({case_for(session, actor, case_id).id})
    if not ids:
        return []
    rows = session.execute(
        sa.select(MlaRequest, Case)
        .join(Case, Case.id == MlaRequest.case_id)
        .where(MlaRequest.case_id.in_(ids), MlaRequest.status.in_(RUNNING))
    ).all()
    out = []
    for req, case in rows:
        dates = request_clocks(req)
        for n, due in enumerate(dates):
            later_past = any(d.due_at <= now for d in dates[n + 1 :])
            if due.kind == "reminder" and later_past:
                continue
            out.append(
                DueItem(
                    req.id,
                    case.id,
                    reference(case, req),
                    req.requested_state,
                    due,
                    clocks.state_of(due, now),
                )
            )
    return sorted(out, key=lambda d: d.due.due_at)
