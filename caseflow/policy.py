"""Access decisions, in one place: deny by default. Must not import flask.

Services ask here before they read or change anything; view decorators only give an early 403
using the same functions. Functions take facts (the actor, whether they are a member of the
case) and return decisions; loading those facts is the services' job.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass

from caseflow.actor import Actor
from caseflow.errors import NotFoundError, PermissionDenied

# Function-level permissions by account role. Admins manage accounts and see no case content.
PERMISSIONS: dict[str, frozenset[str]] = {
    "officer": frozenset({"case.create", "case.work"}),
    "liaison": frozenset({"case.create", "case.work", "request.prepare"}),
    "supervisor": frozenset({"case.work", "case.supervise", "custody.audit", "request.approve"}),
    # alarms.read: operator alarms (a full or failing evidence store), no case content.
    "admin": frozenset({"accounts.manage", "audit.read", "alarms.read"}),
    "system": frozenset({"accounts.manage", "audit.read", "alarms.read", "system", "case.work"}),
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


def may_open_evidence_file(access: CaseAccess) -> bool:
    """Opening or downloading an evidence file (possibly abuse material) is for the case's
    members. A supervisor reading with a purpose sees an item's metadata and custody only: to
    see the file they ask the case owner, whose grant is adding them as a member (audited
    "member.add"); the file's opening then asks them for its own purpose, recorded in the
    custody ledger. See docs/access.md."""
    return access is CaseAccess.READ_WRITE


def graph_node_masked(victim_in: Iterable[CaseAccess]) -> bool:
    """Whether an entity shown outside one case's own pages (the link graph: nodes, paths,
    clusters) must be masked. `victim_in` holds the actor's access to each visible case that
    involves the entity as a victim: one case whose victims the actor may not see is enough,
    the same rule as `may_see_victim_details` on the case page."""
    return any(not may_see_victim_details(access) for access in victim_in)


def may_see_hits(access: CaseAccess, actor: Actor) -> bool:
    """Cross-case hits are deconfliction for the investigators of a case (members), not for
    supervisors reading it nor for the system."""
    return access is CaseAccess.READ_WRITE and not actor.is_system


# --- federation: what may be matched with a partner installation ---------------------------------

# Selector kinds a private set intersection with a partner may carry: contact points and payment
# identifiers that traffickers reuse across borders. Never people or organizations (LED Art. 6
# data subjects, and values that are references, not identifiers), nor directory entries and
# network facts that would match everywhere (jurisdictions, providers, IPs behind CGNAT, domains).
# Exact image hashes join once images exist; PSI matches identical values only.
FEDERATION_KINDS = frozenset({"phone", "email", "account", "wallet", "bank_account", "ad"})


def may_share_selector(
    kind: str,
    *,
    victim_anywhere: bool,
    restricted: bool,
    sharing_forbidden: bool,
    held_by_shareable_case: bool,
) -> bool:
    """Whether a selector may enter a private set intersection with a partner installation.

    Deny by default: only FEDERATION_KINDS; never anything involved as a victim in any case (as
    for hits), nothing restricted (LED Art. 16(3)), nothing under a handling rule that forbids
    sharing, and only when at least one case holding it has not opted out of federation.
    """
    return (
        kind in FEDERATION_KINDS
        and not victim_anywhere
        and not restricted
        and not sharing_forbidden
        and held_by_shareable_case
    )


# The largest set any agreement may allow: the transports' message ceiling is sized for it.
FEDERATION_MAX_SET_SIZE = 1_000_000


@dataclass(frozen=True)
class FederationLimits:
    """Abuse limits on private set intersection runs with one partner (agreed per partner).

    PSI tells the partner, for every value it puts in its set, whether we hold it: these limits
    bound how many values it can ask about and how often. A run needs at least `min_set_size`
    selectors on each side (no probing a handful), at most `max_set_size`; at most
    `runs_per_day` accepted runs in any 24 hours; and a partner's set may grow from its previous
    accepted run by at most `growth_percent` percent or `growth_allowance` selectors, whichever
    is larger (no sudden dictionary of every phone number in a range).
    """

    min_set_size: int = 100
    max_set_size: int = 500_000
    runs_per_day: int = 2
    growth_percent: int = 50
    growth_allowance: int = 1_000

    def __post_init__(self) -> None:
        if not 1 <= self.min_set_size <= self.max_set_size <= FEDERATION_MAX_SET_SIZE:
            raise ValueError(
                "federation limits: need 1 <= min_set_size <= max_set_size <= "
                f"{FEDERATION_MAX_SET_SIZE}"
            )
        if self.runs_per_day < 1 or self.growth_percent < 0 or self.growth_allowance < 0:
            raise ValueError("federation limits: runs_per_day >= 1, growth values >= 0")

    def max_next_size(self, previous_size: int | None) -> int:
        """The largest set a partner may bring to its next run."""
        if previous_size is None:
            return self.max_set_size
        growth = max(previous_size * self.growth_percent // 100, self.growth_allowance)
        return min(self.max_set_size, previous_size + growth)


def federation_run_refusal(
    limits: FederationLimits,
    *,
    set_size: int,
    previous_size: int | None,
    runs_last_day: int,
    whose: str = "the partner's",
) -> tuple[str, str] | None:
    """Why a run with this set size may not go ahead now, as (code, message); None if it may.

    `previous_size` is the partner's set size in its previous accepted run, `runs_last_day`
    the accepted runs with that partner (either side starting) in the last 24 hours.
    """
    if runs_last_day >= limits.runs_per_day:
        return (
            "runs_per_day",
            f"at most {limits.runs_per_day} runs with this partner in 24 hours",
        )
    if set_size < limits.min_set_size:
        return (
            "too_few_selectors",
            f"{whose} set has {set_size} selectors; a run needs at least {limits.min_set_size}",
        )
    if set_size > limits.max_set_size:
        return (
            "too_many_selectors",
            f"{whose} set has {set_size} selectors; a run allows at most {limits.max_set_size}",
        )
    ceiling = limits.max_next_size(previous_size)
    if set_size > ceiling:
        return (
            "growth_limit",
            f"{whose} set grew to {set_size} selectors from {previous_size}; "
            f"the next run allows at most {ceiling}",
        )
    return None
