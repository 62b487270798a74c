"""Case rules: references, need-to-know access, members, tasks, the dashboard.

Each use case checks access through caseflow.policy, writes its audit record in the same
transaction; the caller's boundary commits (docs/style.md). Must not import flask.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from caseflow import jurisdictions, policy
from caseflow.actor import Actor
from caseflow.audit.services import record_event
from caseflow.auth.models import User
from caseflow.cases.models import (
    CASE_STATUSES,
    MEMBER_ROLES,
    PRIORITIES,
    TASK_KINDS,
    Case,
    CaseCounter,
    CaseJurisdiction,
    CaseMember,
    CaseTask,
)
from caseflow.db import insert_ignoring_conflicts
from caseflow.entities.errors import InvalidIdentifier
from caseflow.errors import NotFoundError, PermissionDenied, ValidationError
from caseflow.graphsync.services import enqueue


def _audit(session: Session, actor: Actor, action: str, category: str, case: Case, **kw) -> None:
    record_event(
        session,
        actor,
        action,
        category=category,
        object_type="case",
        object_id=case.id,
        case_id=case.id,
        purpose=kw.pop("purpose", None) or actor.purpose_for(case.id),
        **kw,
    )


def _jurisdiction(code: str, label: str, field: str) -> str:
    try:
        return jurisdictions.get(code).code
    except InvalidIdentifier as exc:
        raise ValidationError(f"{label}: {exc.rule}.", field=field) from exc


def _next_reference(session: Session, year: int) -> str:
    """Issue CF-YYYY-NNNN: gap-free per year, safe under concurrent creation.

    The counter row is incremented by UPDATE, which holds its lock until the transaction
    ends (SQLite: the whole database is write-locked by BEGIN IMMEDIATE). A rolled-back
    creation rolls its number back too, so no gap appears.
    """
    # Two first cases of a year may race to create the counter row: insert-if-absent.
    session.execute(
        insert_ignoring_conflicts(session, CaseCounter).values(year=year, last_number=0)
    )
    number = session.scalar(
        sa.update(CaseCounter)
        .where(CaseCounter.year == year)
        .values(last_number=CaseCounter.last_number + 1)
        .returning(CaseCounter.last_number)
    )
    return f"CF-{year}-{number:04d}"


def open_case(
    session: Session,
    actor: Actor,
    *,
    title: str,
    summary: str,
    lead_jurisdiction: str,
    involved_jurisdictions: list[str] | tuple[str, ...] = (),
    priority: str = "normal",
    now: datetime,
) -> Case:
    """Create a case; its creator becomes its owner. Audited as collection."""
    policy.require_permission(actor, "case.create")
    title = " ".join(title.split())
    if not title:
        raise ValidationError("Title: required.", field="title")
    if len(title) > 200:
        raise ValidationError("Title: at most 200 characters.", field="title")
    if priority not in PRIORITIES:
        raise ValidationError(f"Priority: one of {', '.join(PRIORITIES)}.", field="priority")
    lead = _jurisdiction(lead_jurisdiction, "Lead jurisdiction", "lead_jurisdiction")
    involved = {lead} | {
        _jurisdiction(code, "Involved jurisdictions", "involved_jurisdictions")
        for code in involved_jurisdictions
        if code
    }
    case = Case(
        reference=_next_reference(session, now.year),
        title=title,
        summary=summary.strip(),
        status="open",
        priority=priority,
        lead_jurisdiction=lead,
        owner_id=actor.user_id,
        created_at=now,
        updated_at=now,
    )
    session.add(case)
    session.flush()
    session.add_all(CaseJurisdiction(case_id=case.id, code=code) for code in sorted(involved))
    session.add(
        CaseMember(
            case_id=case.id,
            user_id=actor.user_id,
            role="owner",
            added_at=now,
            added_by_id=actor.user_id,
        )
    )
    _audit(session, actor, "case.create", "collection", case, details={"reference": case.reference})
    owner = session.get(User, actor.user_id)
    if owner is None:  # case.create needs a personal account (policy), so this is a bug
        raise PermissionDenied("Opening a case needs a personal account.")
    enqueue(session, "upsert_case", case_graph_payload(case, owner), now=now)
    return case


def owner_contact(owner: User) -> str:
    """What a colleague in another case learns about this case's owner on a hit."""
    parts = [owner.organisation, owner.email, owner.phone or ""]
    return " · ".join(p for p in parts if p)


def case_graph_payload(case: Case, owner: User) -> dict:
    return {
        "id": case.id,
        "reference": case.reference,
        "owner_name": owner.display_name,
        "owner_contact": owner_contact(owner),
    }


def membership(session: Session, actor: Actor, case_id: int) -> CaseMember | None:
    if actor.user_id is None:
        return None
    return session.scalar(
        sa.select(CaseMember).where(
            CaseMember.case_id == case_id,
            CaseMember.user_id == actor.user_id,
            CaseMember.removed_at.is_(None),
        )
    )


def member_case_ids(session: Session, actor: Actor) -> frozenset[int]:
    """Cases the actor is a member of: the need-to-know set used by every list and graph read."""
    if actor.user_id is None:
        return frozenset()
    return frozenset(
        session.scalars(
            sa.select(CaseMember.case_id).where(
                CaseMember.user_id == actor.user_id, CaseMember.removed_at.is_(None)
            )
        )
    )


def list_cases(
    session: Session, actor: Actor, *, offset: int = 0, limit: int = 25
) -> tuple[list[Case], int]:
    """The actor's member cases, most recently updated first, one page of them, and the total.

    Audited as one consultation (the page's case ids), since titles are case content.
    """
    policy.require_permission(actor, "case.work")
    ids = member_case_ids(session, actor)
    if not ids:
        return [], 0
    cases = list(
        session.scalars(
            sa.select(Case)
            .where(Case.id.in_(ids))
            .options(selectinload(Case.jurisdictions), selectinload(Case.owner))
            .order_by(Case.updated_at.desc(), Case.id.desc())
            .offset(offset)
            .limit(limit)
        )
    )
    record_event(
        session,
        actor,
        "case.list",
        category="consultation",
        details={"case_ids": [c.id for c in cases]},
    )
    return cases, len(ids)


def case_access(
    session: Session, actor: Actor, case_id: int, *, write: bool = False
) -> tuple[Case, policy.CaseAccess]:
    """Load a case the actor may read (or change) and the access level they have to it
    (victim masking and cross-case hits depend on it); no audit here, callers record theirs."""
    case = session.get(Case, case_id)
    if case is None:
        raise NotFoundError("No such case, or you are not a member of it.")
    access = policy.require_case_access(
        actor, case.id, is_member=membership(session, actor, case.id) is not None, write=write
    )
    return case, access


def case_for(session: Session, actor: Actor, case_id: int, *, write: bool = False) -> Case:
    """Load a case the actor may read (or change); no audit here, callers record theirs."""
    return case_access(session, actor, case_id, write=write)[0]


def existing_case_id(session: Session, case_id: int) -> int | None:
    """`case_id` if such a case exists, else None: for the audit record of a refused request
    (caseflow.web.refusals), never shown to the actor."""
    return session.scalar(sa.select(Case.id).where(Case.id == case_id))


def case_by_reference(session: Session, actor: Actor, reference: str) -> Case:
    """Look a case up by its reference (CLI), with the same access rule as by id."""
    case_id = session.scalar(sa.select(Case.id).where(Case.reference == reference.strip().upper()))
    if case_id is None:
        raise NotFoundError(f"No case {reference!r}, or you are not a member of it.")
    return case_for(session, actor, case_id)


def view_case(session: Session, actor: Actor, case_id: int) -> Case:
    """Open a case page: access checked, consultation audited (with the purpose if any)."""
    case = case_for(session, actor, case_id)
    case = session.scalars(
        sa.select(Case)
        .where(Case.id == case.id)
        .options(
            selectinload(Case.members).selectinload(CaseMember.user),
            selectinload(Case.jurisdictions),
            selectinload(Case.tasks).selectinload(CaseTask.assignee),
            selectinload(Case.owner),
        )
    ).one()
    _audit(session, actor, "case.view", "consultation", case)
    return case


def view_case_form(session: Session, actor: Actor, case_id: int) -> Case:
    """The case as its edit form shows it (title, summary, status, priority): write access
    checked, the reading audited "case.edit_form" (consultation)."""
    case = case_for(session, actor, case_id, write=True)
    _audit(session, actor, "case.edit_form", "consultation", case)
    return case


def state_purpose(session: Session, actor: Actor, case_id: int, purpose: str) -> str:
    """A supervisor states why they open a case they are not a member of; audited."""
    case = session.get(Case, case_id)
    if case is None:
        raise NotFoundError("No such case, or you are not a member of it.")
    if not policy.has_permission(actor, "case.supervise"):
        raise NotFoundError("No such case, or you are not a member of it.")
    purpose = policy.check_purpose(purpose)
    _audit(session, actor, "case.purpose_stated", "consultation", case, purpose=purpose)
    return purpose


EDITABLE = ("title", "summary", "status", "priority")


def update_case(
    session: Session, actor: Actor, case_id: int, *, now: datetime, **changes: str
) -> Case:
    """Change title, summary, status or priority (any other name is refused). Audited as
    alteration (field names only)."""
    case = case_for(session, actor, case_id, write=True)
    unknown = sorted(name for name in changes if name not in EDITABLE)
    if unknown:  # no mass assignment, and a misspelt field does not pass silently
        raise ValidationError(
            f"Case: unknown field(s) {', '.join(unknown)}; known: {', '.join(EDITABLE)}.",
            field=unknown[0],
        )
    changed = []
    for name, value in changes.items():
        value = value.strip()
        if name == "status" and value not in CASE_STATUSES:
            raise ValidationError(f"Status: one of {', '.join(CASE_STATUSES)}.", field="status")
        if name == "priority" and value not in PRIORITIES:
            raise ValidationError(f"Priority: one of {', '.join(PRIORITIES)}.", field="priority")
        if name == "title" and not value:
            raise ValidationError("Title: required.", field="title")
        if name == "title" and len(value) > 200:
            raise ValidationError("Title: at most 200 characters.", field="title")
        if getattr(case, name) != value:
            setattr(case, name, value)
            changed.append(name)
    if changed:
        case.updated_at = now
        _audit(session, actor, "case.update", "alteration", case, details={"fields": changed})
    return case


def add_member(
    session: Session, actor: Actor, case_id: int, *, username: str, role: str, now: datetime
) -> CaseMember:
    """The case owner adds a colleague. Admin accounts cannot be members (no case content)."""
    case = case_for(session, actor, case_id, write=True)
    mine = membership(session, actor, case.id)
    if not policy.can_manage_members(actor, member_role=mine.role if mine else None):
        raise PermissionDenied("Only the case owner may change its members.")
    if role not in MEMBER_ROLES or role == "owner":
        raise ValidationError("Role in case: investigator, liaison or analyst.", field="role")
    user = session.scalar(sa.select(User).where(User.username == username.strip().lower()))
    if user is None or not user.active:
        raise ValidationError(f"User: no active account named {username!r}.", field="username")
    if not policy.has_permission(Actor(user.id, user.username, user.role), "case.work"):
        raise ValidationError("User: this account cannot work on cases.", field="username")
    if membership(session, Actor(user.id, user.username, user.role), case.id):
        raise ValidationError("User: already a member of this case.", field="username")
    member = CaseMember(
        case_id=case.id, user_id=user.id, role=role, added_at=now, added_by_id=actor.user_id
    )
    session.add(member)
    session.flush()
    _audit(
        session,
        actor,
        "case.member_add",
        "alteration",
        case,
        details={"user_id": user.id, "role": role},
    )
    return member


def remove_member(
    session: Session, actor: Actor, case_id: int, member_id: int, *, now: datetime
) -> None:
    """End a membership; it takes effect on the member's next request."""
    case = case_for(session, actor, case_id, write=True)
    mine = membership(session, actor, case.id)
    if not policy.can_manage_members(actor, member_role=mine.role if mine else None):
        raise PermissionDenied("Only the case owner may change its members.")
    member = session.get(CaseMember, member_id)
    if member is None or member.case_id != case.id or member.removed_at is not None:
        raise NotFoundError("No such member.")
    if member.role == "owner":
        raise ValidationError("The owner cannot be removed.")
    member.removed_at = now
    _audit(
        session,
        actor,
        "case.member_remove",
        "alteration",
        case,
        details={"user_id": member.user_id},
    )


def add_task(
    session: Session,
    actor: Actor,
    case_id: int,
    *,
    title: str,
    kind: str = "task",
    assignee: str | None = None,
    due_on: date | None = None,
    now: datetime,
) -> CaseTask:
    case = case_for(session, actor, case_id, write=True)
    title = " ".join(title.split())
    if not title:
        raise ValidationError("Task: a title is required.", field="title")
    if kind not in TASK_KINDS:
        raise ValidationError(f"Kind: one of {', '.join(TASK_KINDS)}.", field="kind")
    if kind != "task" and due_on is None:
        raise ValidationError("Due date: required for deadlines.", field="due_on")
    assignee_id = None
    if assignee:
        member = session.scalar(
            sa.select(CaseMember)
            .join(User, User.id == CaseMember.user_id)
            .where(
                CaseMember.case_id == case.id,
                CaseMember.removed_at.is_(None),
                User.username == assignee.strip().lower(),
            )
        )
        if member is None:
            raise ValidationError("Assignee: must be a member of the case.", field="assignee")
        assignee_id = member.user_id
    task = CaseTask(
        case_id=case.id,
        title=title[:200],
        kind=kind,
        assignee_id=assignee_id,
        due_on=due_on,
        status="open",
        created_at=now,
        created_by_id=actor.user_id,
    )
    session.add(task)
    session.flush()
    _audit(session, actor, "case.task_add", "alteration", case, details={"task_id": task.id})
    return task


def complete_task(
    session: Session, actor: Actor, case_id: int, task_id: int, *, now: datetime
) -> CaseTask:
    case = case_for(session, actor, case_id, write=True)
    task = session.get(CaseTask, task_id)
    if task is None or task.case_id != case.id:
        raise NotFoundError("No such task.")
    task.status = "done"
    task.done_at = now
    _audit(session, actor, "case.task_done", "alteration", case, details={"task_id": task.id})
    return task


@dataclass(frozen=True)
class DueItem:
    case_id: int
    case_reference: str
    title: str
    kind: str
    due_on: date
    overdue: bool


@dataclass(frozen=True)
class Dashboard:
    cases: list[Case]
    due: list[DueItem]
    awaiting: list[Case]


def dashboard(session: Session, actor: Actor, *, today: date, horizon_days: int = 14) -> Dashboard:
    """My cases, my open tasks and the case deadlines due soon or overdue, by date."""
    ids = member_case_ids(session, actor)
    if not ids:
        return Dashboard([], [], [])
    cases = list(
        session.scalars(sa.select(Case).where(Case.id.in_(ids)).order_by(Case.updated_at.desc()))
    )
    horizon = today + timedelta(days=horizon_days)
    rows = session.execute(
        sa.select(CaseTask, Case.reference)
        .join(Case, Case.id == CaseTask.case_id)
        .where(
            CaseTask.case_id.in_(ids),
            CaseTask.status == "open",
            CaseTask.due_on.is_not(None),
            CaseTask.due_on <= horizon,
            sa.or_(CaseTask.assignee_id == actor.user_id, CaseTask.kind != "task"),
        )
        .order_by(CaseTask.due_on, CaseTask.id)
    ).all()
    due = [
        DueItem(t.case_id, ref, t.title, t.kind, t.due_on, t.due_on < today)
        for t, ref in rows
        if t.due_on is not None  # the query's condition; narrows the type
    ]
    awaiting = [c for c in cases if c.status == "awaiting-assistance"]
    return Dashboard(cases, due, awaiting)
