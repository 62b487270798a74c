"""The machinery of `/api/v1`: bearer authentication, the operation registry, JSON in and out.

Each handler is declared with `@operation(...)`, which registers its Flask route AND its
OpenAPI description (parameters, request and response schemas, statuses) in `OPERATIONS`;
`openapi.json` is assembled from that list only, so the document cannot drift from the code.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from functools import wraps
from typing import Any

from flask import Blueprint, Response, g, jsonify, request, url_for
from flask_login import current_user

from caseflow import policy
from caseflow.actor import Actor
from caseflow.api import services as token_services
from caseflow.api.v1.validation import validate_body
from caseflow.auth import services as auth_services
from caseflow.errors import AuthenticationError, PermissionDenied, ValidationError
from caseflow.extensions import csrf, db_session, login_manager, rollback_unit
from caseflow.web import now, origin, refusals

bp = Blueprint("api_v1", __name__, url_prefix="/api/v1")
csrf.exempt(bp)  # bearer tokens only, never cookies: no ambient credential to forge

PURPOSE_HEADER = "X-CaseFlow-Purpose"
MAX_BODY_BYTES = 256 * 1024
MAX_PER_PAGE = 100
DEFAULT_PER_PAGE = 25
MAX_PAGE = 10_000
MAX_ID = 2**31 - 1  # ids beyond a 32-bit integer do not exist; refusing them avoids DB overflow


class InsufficientScope(PermissionDenied):
    code = "insufficient_scope"


class UnsupportedBody(ValidationError):
    code = "unsupported_media_type"
    status = 415


class TooLarge(ValidationError):
    code = "too_large"
    status = 413


# --- authentication --------------------------------------------------------------------------


@login_manager.request_loader
def _load_token_user(req) -> Any:
    """`Authorization: Bearer cfp_...` on /api/ paths only; the token use is audited."""
    if not req.path.startswith("/api/"):
        return None
    scheme, _, secret = req.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        return None
    target = refusals.case_object()
    try:
        use = token_services.authenticate_token(
            db_session(),
            secret.strip(),
            now=now(),
            operation=refusals.route(),  # "GET /api/v1/cases/{case_id}", as documented
            ip=req.remote_addr,
            request_id=g.get("request_id"),
            case_of=target[2] if target else None,
        )
    except AuthenticationError:
        rollback_unit()
        refusals.mark_recorded()  # the refused token's record is this request's one record
        return None
    g.api_token = use
    return use.user


@bp.after_request
def _finish_token_use(response: Response) -> Response:
    """Record the token's use with the request's real outcome (before the unit of work ends:
    blueprint hooks run before the app's)."""
    use = g.pop("api_token", None)
    if use is None:
        return response
    target = refusals.case_object()
    token_services.finish_token_use(
        db_session(),
        use,
        operation=refusals.route(),
        status=response.status_code,
        now=now(),
        reason=refusals.error_code(response),
        case_of=target[2] if target else None,
    )
    refusals.mark_recorded()
    return response


def api_actor(case_id: int | None = None) -> Actor:
    """The token's user as an Actor; a supervisor's `X-CaseFlow-Purpose` header is stated
    (validated and audited by the cases service) for the case in the path."""
    actor = auth_services.actor_for(current_user, origin())
    purpose = request.headers.get(PURPOSE_HEADER)
    if (
        purpose is not None
        and case_id is not None
        and policy.has_permission(actor, "case.supervise")
    ):
        from caseflow.cases.services import state_purpose

        stated = state_purpose(db_session(), actor, case_id, purpose)
        actor = replace(actor, purposes=((case_id, stated),))
    return actor


# --- JSON in ---------------------------------------------------------------------------------


def json_body(schema: dict[str, Any]) -> dict[str, Any]:
    """The request's JSON object, checked against `schema` (415, 413 or 400 otherwise)."""
    if request.mimetype != "application/json":
        raise UnsupportedBody("Body: send JSON with Content-Type: application/json.")
    if (request.content_length or 0) > MAX_BODY_BYTES:
        raise TooLarge(f"Body: at most {MAX_BODY_BYTES} bytes.")
    raw = request.stream.read(MAX_BODY_BYTES + 1)
    if len(raw) > MAX_BODY_BYTES:
        raise TooLarge(f"Body: at most {MAX_BODY_BYTES} bytes.")
    try:
        data = json.loads(raw, parse_constant=_no_constant)
    except ValueError:
        raise ValidationError("Body: not valid JSON.") from None
    return validate_body(schema, data)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


@dataclass(frozen=True)
class Page:
    number: int
    per_page: int

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.per_page


def _int_arg(name: str, default: int, high: int) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    label = name.replace("_", " ").capitalize()
    if not re.fullmatch(r"[0-9]{1,6}", raw) or not 1 <= int(raw) <= high:
        raise ValidationError(f"{label}: a whole number from 1 to {high}.", field=name)
    return int(raw)


def page_args() -> Page:
    return Page(_int_arg("page", 1, MAX_PAGE), _int_arg("per_page", DEFAULT_PER_PAGE, MAX_PER_PAGE))


def query_args(names: Iterable[str]) -> dict[str, str | None]:
    """The declared query filters (None when absent); remembered so `next` links keep them."""
    filters = {name: request.args.get(name) for name in names}
    g.api_query = {name: value for name, value in filters.items() if value is not None}
    return filters


def paginated(items: list[Any], total: int, page: Page) -> dict[str, Any]:
    """The list envelope: items of this page, the total, and the next page's URL (or null)."""
    more = page.offset + len(items) < total
    args = {
        **g.get("api_query", {}),  # the next page keeps the list's filters
        **(request.view_args or {}),
        "page": page.number + 1,
        "per_page": page.per_page,
    }
    return {
        "items": items,
        "page": page.number,
        "per_page": page.per_page,
        "total": total,
        "next": url_for(request.endpoint or "", **args) if more else None,
    }


def page_of(items: list[Any], page: Page) -> dict[str, Any]:
    """Paginate a list already in memory (members, tasks: short lists loaded with the case)."""
    return paginated(items[page.offset : page.offset + page.per_page], len(items), page)


# --- operations ------------------------------------------------------------------------------

ID_SCHEMA = {"type": "integer", "minimum": 1, "maximum": MAX_ID}


@dataclass(frozen=True)
class Operation:
    """One endpoint: its route and everything the OpenAPI document says about it."""

    method: str
    path: str  # OpenAPI form, relative to /api/v1: "/cases/{case_id}"
    endpoint: str
    summary: str
    tag: str
    permission: str | None
    request: dict[str, Any] | None
    response: dict[str, Any] | None  # None: 204 No Content
    status: int
    paginated: bool
    # Filters in the query string: name -> JSON schema of its value (all optional strings)
    query: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def path_params(self) -> list[str]:
        return re.findall(r"{(\w+)}", self.path)

    @property
    def writes(self) -> bool:
        return self.method not in policy.SAFE_METHODS

    @property
    def error_statuses(self) -> list[int]:
        # 400 everywhere: bad input, a bad query parameter, a too-short purpose header, or a
        # rule a service enforces (e.g. "The owner cannot be removed.").
        statuses = {400, 401, 403}
        if self.path_params:
            statuses.add(404)
        if self.request is not None:
            statuses |= {413, 415}
        return sorted(statuses)


OPERATIONS: list[Operation] = []


def _flask_rule(path: str) -> str:
    return re.sub(r"{(\w+)}", rf"<int(min=1, max={MAX_ID}):\1>", path)


def operation(
    method: str,
    path: str,
    *,
    summary: str,
    tag: str,
    response: dict[str, Any] | None,
    request: dict[str, Any] | None = None,
    status: int = 200,
    permission: str | None = "case.work",
    paginated: bool = False,
    query: dict[str, dict[str, Any]] | None = None,
) -> Callable[[Callable[..., Any]], Callable[..., Response]]:
    """Register a handler `fn(actor, **path_params, [body=...], [page=...], [**query])` returning
    JSON data. Each `query` filter reaches the handler as a keyword (None when absent); the
    service that uses it validates it, naming the parameter.

    Before the handler: the token's scope must allow the method (403 insufficient_scope), the
    role must hold `permission` (403, same policy as the web pages), the body must match
    `request` (415/413/400). Domain errors raised by services become their status.
    """

    def decorate(fn: Callable[..., Any]) -> Callable[..., Response]:
        op = Operation(
            method, path, fn.__name__, summary, tag, permission, request, response, status,
            paginated, dict(query or {}),
        )  # fmt: skip
        OPERATIONS.append(op)

        @wraps(fn)
        def view(**kwargs: Any) -> Response:
            use = g.get("api_token")
            if use is None or not policy.token_allows(use.scopes, op.method):
                raise InsufficientScope("This token is read-only: writing needs the write scope.")
            actor = api_actor(kwargs.get("case_id"))
            if op.permission and not policy.has_permission(actor, op.permission):
                raise PermissionDenied("You are not allowed to do this.")
            if op.request is not None:
                kwargs["body"] = json_body(op.request)
            if op.paginated:
                kwargs["page"] = page_args()
            kwargs.update(query_args(op.query))
            data = fn(actor, **kwargs)
            if op.response is None:
                return Response(status=204)
            response = jsonify(data)
            response.status_code = op.status
            return response

        bp.add_url_rule(_flask_rule(path), op.endpoint, view, methods=[method])
        return view

    return decorate
