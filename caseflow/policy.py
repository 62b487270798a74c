"""Access decisions, in one place: deny by default. Must not import flask.

Services ask here before they read or change anything; view decorators only give an early 403
using the same functions. Functions take facts (the actor, whether they are a member of the
case) and return decisions; loading those facts is the services' job.
"""

from __future__ import annotations

import enum

from caseflow.actor import Actor
from caseflow.errors import NotFoundError, PermissionDenied

# Function-level permissions by account role. Admins manage accounts and see no case content.
PERMISSIONS: dict[str, frozenset[str]] = {
    "officer": frozenset({"case.create", "case.work"}),
    "liaison": frozenset({"case.create", "case.work", "request.prepare"}),
    "supervisor": frozenset({"case.work", "case.supervise", "custody.audit", "request.approve"}),
    "admin": frozenset({"accounts.manage", "audit.read"}),
    "system": frozenset({"accounts.manage", "audit.read", "system", "case.work"}),
}

# Supervisors opening a case they are not a member of must say why (LED Art. 25 logging).
MIN_PURPOSE_LENGTH = 10


def has_permission(actor: Actor, permission: str) -> bool:
    return permission in PERMISSIONS.get(actor.role, frozenset())


def require_permission(actor: Actor, permission: str) -> None:
    if not has_permission(actor, permission):
        raise PermissionDenied("You are not allowed to do this.")


class CaseAccess(enum.Enum):
    READ_WRITE = "read-write"  # a member working the case
    READ = "read"  # a supervisor auditing with a stated purpose
    NEEDS_PURPOSE = "needs-purpose"
    NONE = "none"


class PurposeRequired(PermissionDenied):
    """A supervisor must state a purpose before opening a case they are not a member of."""

    code = "purpose_required"


def case_access(actor: Actor, case_id: int, *, is_member: bool) -> CaseAccess:
    """What `actor` may do with a case: members work it; supervisors audit it with a purpose."""
    if actor.is_system:
        return CaseAccess.READ_WRITE
    if not has_permission(actor, "case.work"):
        return CaseAccess.NONE  # admins: accounts only, no case content
    if is_member:
        return CaseAccess.READ_WRITE
    if has_permission(actor, "case.supervise"):
        return CaseAccess.READ if actor.purpose_for(case_id) else CaseAccess.NEEDS_PURPOSE
    return CaseAccess.NONE


def require_case_access(
    actor: Actor, case_id: int, *, is_member: bool, write: bool = False
) -> CaseAccess:
    """Raise unless `actor` may read (or, with `write`, change) the case.

    Outsiders get "not found", not "forbidden": they learn nothing about the case.
    """
    access = case_access(actor, case_id, is_member=is_member)
    if access is CaseAccess.NONE:
        raise NotFoundError("No such case, or you are not a member of it.")
    if access is CaseAccess.NEEDS_PURPOSE:
        raise PurposeRequired("State the purpose of opening this case first.")
    if write and access is not CaseAccess.READ_WRITE:
        raise PermissionDenied("Only members of the case may change it.")
    return access


def check_purpose(purpose: str) -> str:
    from caseflow.errors import ValidationError

    purpose = " ".join(purpose.split())
    if len(purpose) < MIN_PURPOSE_LENGTH:
        raise ValidationError(
            f"Purpose: give at least {MIN_PURPOSE_LENGTH} characters saying why you open "
            "this case.",
            field="purpose",
        )
    return purpose[:500]


def can_manage_members(actor: Actor, *, member_role: str | None) -> bool:
    return actor.is_system or member_role == "owner"


# --- API tokens ------------------------------------------------------------------------------

# Methods that change something need a token with the "write" scope.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def can_manage_token(actor: Actor, *, owner_id: int) -> bool:
    """A user manages only their own tokens; the CLI (system) manages anyone's."""
    return actor.is_system or actor.user_id == owner_id


def token_allows(scopes: frozenset[str], method: str) -> bool:
    """Read tokens may only read; writing needs the "write" scope."""
    return "write" in scopes if method.upper() not in SAFE_METHODS else "read" in scopes


def may_approve_request(actor: Actor, *, author_id: int | None) -> bool:
    """Four eyes: an MLA request is approved (or returned) by a supervisor who did not write it."""
    return has_permission(actor, "request.approve") and actor.user_id not in (None, author_id)


# --- entities: victims and cross-case hits -----------------------------------------------------

# Kinds that never produce cross-case hits: people (LED Art. 6 data subjects) and shared
# directory entries that would match every case (a platform, a country) and tell nothing.
NO_HIT_KINDS = frozenset({"person", "jurisdiction", "service_provider"})


def may_see_victim_details(access: CaseAccess) -> bool:
    """Only members working the case see who its victims are; a supervisor auditing with a
    purpose sees that a victim is involved, not who."""
    return access is CaseAccess.READ_WRITE


def may_see_hits(access: CaseAccess, actor: Actor) -> bool:
    """Cross-case hits are deconfliction for the investigators of a case (members), not for
    supervisors reading it nor for the system."""
    return access is CaseAccess.READ_WRITE and not actor.is_system
