"""/api/v1/cases/{case_id}/tasks: a case's tasks and deadlines."""

from __future__ import annotations

from typing import Any

from caseflow.actor import Actor
from caseflow.api.v1 import schemas
from caseflow.api.v1._core import Page, operation, page_of
from caseflow.api.v1.serialize import task_json
from caseflow.cases import services
from caseflow.extensions import db_session
from caseflow.web import now


@operation(
    "GET",
    "/cases/{case_id}/tasks",
    summary="List a case's tasks and deadlines, by due date",
    tag="tasks",
    response=schemas.page_of(schemas.TASK),
    paginated=True,
)
def list_tasks(actor: Actor, *, case_id: int, page: Page) -> dict[str, Any]:
    case = services.view_case(db_session(), actor, case_id)
    return page_of([task_json(t) for t in case.tasks], page)


@operation(
    "POST",
    "/cases/{case_id}/tasks",
    summary="Add a task or deadline (members only)",
    tag="tasks",
    request=schemas.TASK_CREATE,
    response=schemas.TASK,
    status=201,
)
def add_task(actor: Actor, *, case_id: int, body: dict[str, Any]) -> dict[str, Any]:
    task = services.add_task(
        db_session(),
        actor,
        case_id,
        title=body["title"],
        kind=body.get("kind", "task"),
        assignee=body.get("assignee"),
        due_on=body.get("due_on"),
        now=now(),
    )
    return task_json(task)
