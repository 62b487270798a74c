"""Access decisions, in one place: deny by default. Must not import flask.

Services ask here before they read or change anything; view decorators only give an early 403
using the same functions. Case-level rules (membership, supervisor purpose) join this module
with the cases feature.
"""

from __future__ import annotations

from caseflow.actor import Actor
from caseflow.errors import PermissionDenied

# Function-level permissions by role. Admins manage accounts and see no case content.
PERMISSIONS: dict[str, frozenset[str]] = {
    "officer": frozenset({"case.create", "case.work"}),
    "liaison": frozenset({"case.create", "case.work", "request.prepare"}),
    "supervisor": frozenset({"case.work", "case.supervise", "custody.audit", "request.approve"}),
    "admin": frozenset({"accounts.manage", "audit.read"}),
    "system": frozenset({"accounts.manage", "audit.read", "system"}),
}


def has_permission(actor: Actor, permission: str) -> bool:
    return permission in PERMISSIONS.get(actor.role, frozenset())


def require_permission(actor: Actor, permission: str) -> None:
    if not has_permission(actor, permission):
        raise PermissionDenied("You are not allowed to do this.")
