"""Refused requests on case objects are audited (CJIS 5.4.1.1, ASVS 16.3.2).

Every 401, 403 or 404 answered on a route that names a case object (`case_id`, `item_id`,
`request_id` in its URL) writes one "access.denied" record: actor (or anonymous with the IP),
route, status, the object asked for and its case id when that exists. It is declared with
`uow.after_rollback`, so it is written after the refused unit of work is undone, in its own
short transaction. A request with a bearer token is recorded by its `token.use` record instead
(caseflow/api/v1/_core.py), which carries the same facts: one record per refused request.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from flask import Response, current_app, g, request
from flask_login import current_user
from sqlalchemy.orm import Session

from caseflow import uow
from caseflow.actor import Actor
from caseflow.audit.services import record_refusal
from caseflow.extensions import db_session

REFUSED = frozenset({401, 403, 404})
ARGUMENT = re.compile(r"<(?:[^:>]*:)?(\w+)>")  # "<int:case_id>" -> "{case_id}", as documented
CaseOf = Callable[[Session, int], "int | None"]


def _case_objects() -> dict[str, tuple[str, CaseOf]]:
    """URL argument -> (object type, the lookup of its case id)."""
    from caseflow.cases.services import existing_case_id
    from caseflow.evidence.services import case_id_of_item
    from caseflow.mla.services import case_id_of_request

    return {
        "case_id": ("case", existing_case_id),
        "item_id": ("evidence_item", case_id_of_item),
        "request_id": ("mla_request", case_id_of_request),
    }


def route() -> str:
    """The matched route as documented: "GET /cases/{case_id}"."""
    rule = request.url_rule.rule if request.url_rule is not None else request.path
    return request.method + " " + ARGUMENT.sub(r"{\1}", rule)


def case_object() -> tuple[str, int, Callable[[Session], int | None]] | None:
    """The case object the request's URL names: (type, id, lookup of its case id)."""
    args = request.view_args or {}
    for name, (object_type, case_of) in _case_objects().items():
        object_id = args.get(name)
        if isinstance(object_id, int):
            return object_type, object_id, lambda s, i=object_id, f=case_of: f(s, i)
    return None


def mark_recorded() -> None:
    """The request's refusal (or token use) is recorded elsewhere: write no second record."""
    g.refusal_recorded = True


def audit_refusal(response: Response) -> Response:
    """after_request, before the unit of work ends (which rolls back and then writes it)."""
    if response.status_code not in REFUSED or g.get("refusal_recorded"):
        return response
    target = case_object()
    if target is None:
        return response
    object_type, object_id, case_of = target
    actor = _actor()
    where = route()
    status = response.status_code
    reason = error_code(response)
    ip, request_id, now = request.remote_addr, g.get("request_id"), current_app.config["CLOCK"]()

    def write(session: Session) -> None:
        record_refusal(
            session,
            actor,
            route=where,
            status=status,
            object_type=object_type,
            object_id=object_id,
            case_id=case_of(session),
            reason=reason,
            ip=ip,
            request_id=request_id,
            now=now,
        )

    uow.after_rollback(db_session(), write)
    mark_recorded()
    return response


def _actor() -> Actor | None:
    from caseflow.web import current_actor

    return current_actor() if current_user.is_authenticated else None


def error_code(response: Response) -> str | None:
    """The API's error code ("not_found", "purpose_required"...), when the answer is JSON."""
    if not response.is_json:
        return None
    body = response.get_json(silent=True)
    error = body.get("error") if isinstance(body, dict) else None
    code = error.get("code") if isinstance(error, dict) else None
    return code if isinstance(code, str) else None
