"""Model rows to the JSON shapes declared in caseflow.api.v1.schemas (the only place that maps)."""

from __future__ import annotations

from typing import Any

from caseflow.cases.models import Case, CaseMember, CaseTask
from caseflow.clock import rfc3339


def case_json(case: Case) -> dict[str, Any]:
    return {
        "id": case.id,
        "reference": case.reference,
        "title": case.title,
        "summary": case.summary,
        "status": case.status,
        "priority": case.priority,
        "lead_jurisdiction": case.lead_jurisdiction,
        "involved_jurisdictions": case.involved_codes,
        "owner": case.owner.username,
        "created_at": rfc3339(case.created_at),
        "updated_at": rfc3339(case.updated_at),
    }


def member_json(member: CaseMember) -> dict[str, Any]:
    return {
        "id": member.id,
        "user_id": member.user_id,
        "username": member.user.username,
        "display_name": member.user.display_name,
        "role": member.role,
        "added_at": rfc3339(member.added_at),
    }


def task_json(task: CaseTask) -> dict[str, Any]:
    return {
        "id": task.id,
        "title": task.title,
        "kind": task.kind,
        "status": task.status,
        "assignee": task.assignee.username if task.assignee else None,
        "due_on": task.due_on.isoformat() if task.due_on else None,
        "created_at": rfc3339(task.created_at),
        "done_at": rfc3339(task.done_at) if task.done_at else None,
    }
