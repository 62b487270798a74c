"""Personal access tokens: issue, list, revoke, and authenticate a bearer secret.

A token is "cfp_" + 256 random bits (URL-safe base64). Only its SHA-256 is stored, so a
database leak yields no usable token. Every use is audited ("token.use", security), failures
too. Must not import flask.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from caseflow import policy, uow
from caseflow.actor import Actor
from caseflow.api.models import SCOPES, ApiToken
from caseflow.audit.services import record_event
from caseflow.auth.models import User
from caseflow.clock import as_utc, rfc3339
from caseflow.errors import AuthenticationError, NotFoundError, ValidationError

PREFIX = "cfp_"
MAX_DAYS = 90
MAX_ACTIVE_TOKENS = 20
REFUSED_MESSAGE = "Invalid, expired or revoked token."


@dataclass(frozen=True)
class TokenUse:
    """The outcome of authenticating a bearer secret: whose it is and what it may do."""

    user: User
    token_id: int
    scopes: frozenset[str]
    owner: Actor  # the token's user as the actor of its use record


# Looks up the case a request's path names, when its record is written (None: no such case).
CaseOf = Callable[[Session], "int | None"]


def hash_token(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def new_secret() -> str:
    return PREFIX + secrets.token_urlsafe(32)


def _audit(
    session: Session,
    actor: Actor | None,
    action: str,
    token: ApiToken | None,
    *,
    now: datetime,
    outcome: str = "success",
    details: dict | None = None,
    ip: str | None = None,
    request_id: str | None = None,
    case_id: int | None = None,
) -> None:
    record_event(
        session,
        actor,
        action,
        category="security",
        outcome=outcome,
        object_type="api_token" if token else None,
        object_id=token.id if token else None,
        case_id=case_id,
        details=details,
        ip=ip,
        request_id=request_id,
        now=now,
    )


def create_token(
    session: Session,
    actor: Actor,
    *,
    user_id: int,
    name: str,
    scope: str,
    days: int,
    now: datetime,
) -> tuple[ApiToken, str]:
    """Issue a token for `user_id`; returns the row and the secret (shown once, never stored).

    `scope` "read" grants reading; "write" grants reading and writing. The token expires
    after `days` (1 to 90). Users issue their own tokens; the CLI may issue anyone's.
    """
    if not policy.can_manage_token(actor, owner_id=user_id):
        raise NotFoundError("No such user.")
    user = session.get(User, user_id)
    if user is None or not user.active:
        raise ValidationError("User: no active account.", field="user")
    name = " ".join(name.split())
    if not name:
        raise ValidationError("Name: required.", field="name")
    if len(name) > 64:
        raise ValidationError("Name: at most 64 characters.", field="name")
    if scope not in SCOPES:
        raise ValidationError("Scope: read or write.", field="scope")
    if not 1 <= days <= MAX_DAYS:
        raise ValidationError(f"Expires in: between 1 and {MAX_DAYS} days.", field="days")
    active = session.scalar(
        sa.select(sa.func.count())
        .select_from(ApiToken)
        .where(
            ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None), ApiToken.expires_at > now
        )
    )
    if (active or 0) >= MAX_ACTIVE_TOKENS:
        raise ValidationError(
            f"Name: at most {MAX_ACTIVE_TOKENS} active tokens; revoke one first.", field="name"
        )
    secret = new_secret()
    token = ApiToken(
        user_id=user_id,
        name=name,
        token_hash=hash_token(secret),
        scopes="read write" if scope == "write" else "read",
        created_at=now,
        expires_at=now + timedelta(days=days),
    )
    session.add(token)
    session.flush()
    _audit(
        session,
        actor,
        "token.create",
        token,
        now=now,
        details={
            "user_id": user_id,
            "scopes": token.scopes,
            "expires_at": rfc3339(token.expires_at),
        },
    )
    return token, secret


def list_tokens(session: Session, actor: Actor, *, user_id: int) -> list[ApiToken]:
    """A user's tokens, newest first (revoked and expired included, for the record)."""
    if not policy.can_manage_token(actor, owner_id=user_id):
        raise NotFoundError("No such user.")
    return list(
        session.scalars(
            sa.select(ApiToken)
            .where(ApiToken.user_id == user_id)
            .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
        )
    )


def revoke_token(session: Session, actor: Actor, token_id: int, *, now: datetime) -> ApiToken:
    """Revoke a token at once (its next use gets 401). Revoking twice changes nothing."""
    token = session.get(ApiToken, token_id)
    if token is None or not policy.can_manage_token(actor, owner_id=token.user_id):
        raise NotFoundError("No such token.")
    if token.revoked_at is None:
        token.revoked_at = now
        _audit(session, actor, "token.revoke", token, now=now, details={"user_id": token.user_id})
    return token


def token_state(token: ApiToken, now: datetime) -> str:
    if token.revoked_at is not None:
        return "revoked"
    if as_utc(token.expires_at) <= now:
        return "expired"
    return "active"


def authenticate_token(
    session: Session,
    secret: str,
    *,
    now: datetime,
    operation: str,
    ip: str | None = None,
    request_id: str | None = None,
    case_of: CaseOf | None = None,
) -> TokenUse:
    """Accept an active token of an active user, or raise AuthenticationError (generic message).

    A refused token is audited here: "token.use" with the operation ("GET
    /api/v1/cases/{case_id}") and the case the path names (`case_of`, looked up when the
    record is written), outcome denied with the reason when a known token is expired or
    revoked, or failure for an unknown secret. An accepted token's use is recorded when the
    request is answered, with its real outcome (`finish_token_use`).
    """
    token = None
    if secret.startswith(PREFIX) and len(secret) <= 128:
        token = session.scalar(sa.select(ApiToken).where(ApiToken.token_hash == hash_token(secret)))
    if token is None:
        uow.after_rollback(
            session,
            lambda s: _audit(
                s,
                None,
                "token.use",
                None,
                now=now,
                outcome="failure",
                details={"operation": operation, "reason": "unknown"},
                ip=ip,
                request_id=request_id,
                case_id=case_of(s) if case_of else None,
            ),
        )
        raise AuthenticationError(REFUSED_MESSAGE)
    user = token.user
    owner = Actor(user.id, user.username, user.role, ip, request_id)
    state = token_state(token, now) if user.active else "inactive-user"
    token_id = token.id
    if state != "active":
        uow.after_rollback(
            session,
            lambda s: _audit(
                s,
                owner,
                "token.use",
                s.get(ApiToken, token_id),
                now=now,
                outcome="denied",
                details={"operation": operation, "reason": state},
                case_id=case_of(s) if case_of else None,
            ),
        )
        raise AuthenticationError(REFUSED_MESSAGE)
    return TokenUse(user=user, token_id=token.id, scopes=token.scope_set, owner=owner)


def finish_token_use(
    session: Session,
    use: TokenUse,
    *,
    operation: str,
    status: int,
    now: datetime,
    reason: str | None = None,
    case_of: CaseOf | None = None,
) -> None:
    """Record what an accepted token's request came to: one "token.use" record with the
    operation, the HTTP status, the case the path names (`case_of`) and the outcome: success
    below 400, denied for 401/403/404 (a token used on another case, a read token writing, a
    supervisor without a purpose; `reason` is the error code), failure otherwise.

    Answered below 400 it is written now and kept even if the commit then fails
    (uow.record_durably); refused or failed, after the rollback of the request's unit."""
    if status < 400:
        outcome = "success"
    elif status in (401, 403, 404):
        outcome = "denied"
    else:
        outcome = "failure"
    details = {"operation": operation, "status": status}
    if reason is not None and outcome != "success":
        details["reason"] = reason
    token_id, owner = use.token_id, use.owner

    def used(s: Session) -> None:
        row = s.get(ApiToken, token_id)
        assert row is not None
        row.last_used_at = now
        case_id = case_of(s) if case_of else None
        _audit(
            s, owner, "token.use", row, now=now, outcome=outcome, details=details, case_id=case_id
        )

    if outcome == "success":
        uow.record_durably(session, used)
    else:
        uow.after_rollback(session, used)
