"""Account and login rules: passwords, lockout, TOTP with replay refusal, server-side sessions.

Every function takes the SQL session and explicit inputs (time, origin, settings), writes the
audit record in the same transaction as the change it records, and never commits: the
boundary does (docs/style.md); refused factors are recorded with caseflow.uow.after_rollback.
Must not import flask.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NoReturn

import sqlalchemy as sa
from sqlalchemy.orm import Session

from caseflow import policy, uow
from caseflow.actor import Actor
from caseflow.audit.services import record_event
from caseflow.auth import secrets as sec
from caseflow.auth.models import ROLES, RecoveryCode, User, UserSession
from caseflow.clock import as_utc
from caseflow.errors import AuthenticationError, CaseFlowError, NotFoundError, ValidationError

GENERIC_LOGIN_ERROR = "Invalid username or password."
LOCKED_ERROR = "This account is locked. Try again later or ask an administrator to unlock it."
BAD_CODE_ERROR = "Code: not valid. Enter the current code from your authenticator."
BAD_RECOVERY_CODE_ERROR = "Recovery code: not valid, or already used."


@dataclass(frozen=True)
class AuthSettings:
    totp_key: str
    hasher: sec.Hasher
    issuer: str = "CaseFlow"
    lockout_threshold: int = 5
    lockout_minutes: int = 15
    idle_minutes: int = 30
    absolute_hours: int = 12


@dataclass(frozen=True)
class Origin:
    ip: str | None = None
    request_id: str | None = None
    user_agent: str | None = None


class AccountLocked(AuthenticationError):
    pass


def actor_for(user: User, origin: Origin | None = None) -> Actor:
    origin = origin or Origin()
    return Actor(user.id, user.username, user.role, origin.ip, origin.request_id)


def _security(
    session: Session,
    action: str,
    *,
    actor: Actor | None,
    origin: Origin,
    now: datetime,
    outcome: str = "success",
    user: User | None = None,
    details: dict | None = None,
    category: str = "security",
) -> None:
    record_event(
        session,
        actor,
        action,
        category=category,
        outcome=outcome,
        object_type="user" if user else None,
        object_id=user.id if user else None,
        details=details,
        ip=origin.ip,
        request_id=origin.request_id,
        now=now,
    )


def _administration(session: Session, action: str, **kwargs) -> None:
    """An account-management event (create, deactivate, unlock, reset) in the audit log."""
    _security(session, action, category="administration", **kwargs)


# --- account administration ------------------------------------------------------------------


def normalise_username(username: str) -> str:
    return username.strip().lower()


def create_user(
    session: Session,
    actor: Actor,
    *,
    username: str,
    display_name: str,
    email: str,
    role: str,
    organisation: str,
    phone: str | None = None,
    settings: AuthSettings,
    now: datetime,
    origin: Origin | None = None,
) -> tuple[User, str]:
    """Create an account with a one-time password (returned once, stored hashed).

    Only account managers may do this. The user must change the password and enrol TOTP at
    first login.
    """
    policy.require_permission(actor, "accounts.manage")
    username = normalise_username(username)
    if not username or not all(c.isalnum() or c in "._-" for c in username) or len(username) > 64:
        raise ValidationError(
            "Username: use 1-64 letters, digits, dots, dashes or underscores.", field="username"
        )
    if role not in ROLES:
        raise ValidationError(f"Role: must be one of {', '.join(ROLES)}.", field="role")
    if not display_name.strip():
        raise ValidationError("Full name: required.", field="display_name")
    if "@" not in email or len(email) > 254:
        raise ValidationError("E-mail: not a valid address.", field="email")
    if session.scalar(sa.select(User.id).where(User.username == username)) is not None:
        raise ValidationError("Username: already taken.", field="username")
    password = sec.one_time_password()
    user = User(
        username=username,
        display_name=display_name.strip(),
        email=email.strip(),
        phone=(phone or "").strip() or None,
        organisation=organisation.strip(),
        role=role,
        password_hash=settings.hasher.hash(password),
        password_must_change=True,
        failed_logins=0,
        active=True,
        created_at=now,
    )
    session.add(user)
    session.flush()
    _administration(
        session,
        "account.create",
        actor=actor,
        origin=origin or Origin(),
        now=now,
        user=user,
        details={"role": role},
    )
    return user, password


def get_user_by_username(session: Session, actor: Actor, username: str) -> User:
    """An account by its username, for account administration (accounts.manage)."""
    policy.require_permission(actor, "accounts.manage")
    user = session.scalar(sa.select(User).where(User.username == normalise_username(username)))
    if user is None:
        raise NotFoundError(f"No user named {username!r}.", field="username")
    return user


def list_users(session: Session, actor: Actor) -> list[User]:
    """Every account (names, roles, organisations, lock and login state): audited
    "account.list" (consultation) with the count."""
    policy.require_permission(actor, "accounts.manage")
    users = list(session.scalars(sa.select(User).order_by(User.username)))
    record_event(
        session,
        actor,
        "account.list",
        category="consultation",
        object_type="user",
        details={"accounts": len(users)},
    )
    return users


def _revoke_all_sessions(session: Session, user: User, now: datetime, reason: str) -> int:
    result = session.execute(
        sa.update(UserSession)
        .where(UserSession.user_id == user.id, UserSession.revoked_at.is_(None))
        .values(revoked_at=now, revoked_reason=reason)
    )
    return _rowcount(result)


def _revoke_api_tokens(session: Session, user: User, now: datetime) -> int:
    """A reset credential must not leave a bearer token working behind it."""
    from caseflow.api.models import ApiToken

    result = session.execute(
        sa.update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    return _rowcount(result)


def _rowcount(result: sa.Result[Any]) -> int:
    """Rows an UPDATE changed (a CursorResult's count; 0 when the driver does not say)."""
    return getattr(result, "rowcount", 0) or 0


def deactivate_user(
    session: Session, actor: Actor, user_id: int, *, now: datetime, origin: Origin | None = None
) -> User:
    """Disable an account and end all its sessions at once."""
    policy.require_permission(actor, "accounts.manage")
    user = _get(session, user_id)
    if actor.user_id == user.id:
        raise ValidationError("You cannot deactivate your own account.")
    user.active = False
    ended = _revoke_all_sessions(session, user, now, "deactivated")
    _administration(
        session,
        "account.deactivate",
        actor=actor,
        origin=origin or Origin(),
        now=now,
        user=user,
        details={"sessions_ended": ended},
    )
    return user


def unlock_user(
    session: Session, actor: Actor, user_id: int, *, now: datetime, origin: Origin | None = None
) -> User:
    policy.require_permission(actor, "accounts.manage")
    user = _get(session, user_id)
    user.failed_logins = 0
    user.locked_until = None
    _administration(
        session,
        "account.unlock",
        actor=actor,
        origin=origin or Origin(),
        now=now,
        user=user,
    )
    return user


def reset_second_factor(
    session: Session,
    actor: Actor,
    user_id: int,
    *,
    settings: AuthSettings,
    now: datetime,
    origin: Origin | None = None,
) -> tuple[User, str]:
    """Drop the user's TOTP seed and recovery codes and issue a new one-time password.

    The user must then change the password and enrol a new authenticator; every session ends.
    """
    policy.require_permission(actor, "accounts.manage")
    user = _get(session, user_id)
    password = sec.one_time_password()
    user.password_hash = settings.hasher.hash(password)
    user.password_must_change = True
    user.totp_secret_enc = None
    user.totp_enrolled_at = None
    user.last_totp_step = None
    session.execute(
        sa.update(RecoveryCode)
        .where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
        .values(used_at=now)
    )
    _revoke_all_sessions(session, user, now, "2fa-reset")
    tokens = _revoke_api_tokens(session, user, now)
    _administration(
        session,
        "account.reset_2fa",
        actor=actor,
        origin=origin or Origin(),
        now=now,
        user=user,
        details={"api_tokens_revoked": tokens},
    )
    return user, password


def _get(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFoundError("No such user.")
    return user


# --- login, step 1: password -----------------------------------------------------------------


@dataclass(frozen=True)
class PasswordStep:
    user_id: int
    next_stage: str  # "change_password", "enrol" or "totp"


def _is_locked(user: User, now: datetime) -> bool:
    return user.locked_until is not None and as_utc(user.locked_until) > now


def _failures_so_far(user: User, now: datetime) -> int:
    """Consecutive failures that still count: none once a lock has expired (the lock was the
    answer to them), so one failure after an expired lock does not lock again."""
    if user.locked_until is not None and not _is_locked(user, now):
        return 0
    return user.failed_logins


def _register_failure(
    session: Session, user_id: int, settings: AuthSettings, now: datetime, origin: Origin, why: str
) -> None:
    """Count one failed factor (and lock the account at the threshold), with its audit."""
    user = session.get(User, user_id)
    assert user is not None
    if user.locked_until is not None and not _is_locked(user, now):
        user.locked_until = None  # the expired lock ends its count
        user.failed_logins = 0
    user.failed_logins += 1
    _security(
        session,
        f"login.{why}",
        actor=actor_for(user, origin),
        origin=origin,
        now=now,
        outcome="failure",
        user=user,
        details={"consecutive_failures": user.failed_logins},
    )
    if user.failed_logins >= settings.lockout_threshold:
        user.locked_until = now + timedelta(minutes=settings.lockout_minutes)
        _security(
            session,
            "account.lockout",
            actor=actor_for(user, origin),
            origin=origin,
            now=now,
            user=user,
            details={"until": user.locked_until.isoformat()},
        )


def _fail(
    session: Session,
    user: User,
    settings: AuthSettings,
    now: datetime,
    origin: Origin,
    why: str,
    error: CaseFlowError,
    *,
    say_locked: bool = True,
) -> NoReturn:
    """Refuse a failed factor: the failure is counted and audited after the caller's unit of
    work rolls back (caseflow.uow.after_rollback); locked if this was one too many. With
    `say_locked` False (the password step) the answer is `error` even then: whether an
    account exists or is locked never shows before its password is proven."""
    user_id = user.id
    uow.after_rollback(session, lambda s: _register_failure(s, user_id, settings, now, origin, why))
    if say_locked and _failures_so_far(user, now) + 1 >= settings.lockout_threshold:
        raise AccountLocked(LOCKED_ERROR)
    raise error


def _refuse(
    session: Session,
    error: CaseFlowError,
    action: str,
    *,
    user_id: int | None = None,
    **audit: Any,
) -> NoReturn:
    """Refuse a login step with an audit record (about the account `user_id`, if known)
    kept after the rollback."""

    def write(s: Session) -> None:
        _security(s, action, user=s.get(User, user_id) if user_id else None, **audit)

    uow.after_rollback(session, write)
    raise error


def check_password(
    session: Session,
    username: str,
    password: str,
    *,
    settings: AuthSettings,
    now: datetime,
    origin: Origin,
) -> PasswordStep:
    """First login step. Unknown user and wrong password give the same error (and cost)."""
    user = session.scalar(sa.select(User).where(User.username == normalise_username(username)))
    if user is None or not user.active:
        # Spend the same time as a real check so response time does not reveal accounts.
        settings.hasher.verify(_DUMMY_HASH.get(settings), password)
        _refuse(
            session,
            AuthenticationError(GENERIC_LOGIN_ERROR),
            "login.password_failed",
            actor=None,
            origin=origin,
            now=now,
            outcome="failure",
            details={"username": username[:64], "reason": "unknown or inactive"},
        )
    if _is_locked(user, now):
        # The same answer at the same cost as a wrong password: a locked account is not told
        # apart from any failure (nor is a right password during the lock).
        settings.hasher.verify(user.password_hash, password)
        _refuse(
            session,
            AuthenticationError(GENERIC_LOGIN_ERROR),
            "login.refused_locked",
            actor=actor_for(user, origin),
            origin=origin,
            now=now,
            outcome="denied",
            user_id=user.id,
        )
    if not settings.hasher.verify(user.password_hash, password):
        _fail(
            session,
            user,
            settings,
            now,
            origin,
            "password_failed",
            AuthenticationError(GENERIC_LOGIN_ERROR),
            say_locked=False,
        )
    if settings.hasher.needs_rehash(user.password_hash):
        user.password_hash = settings.hasher.hash(password)
    _security(
        session,
        "login.password_ok",
        actor=actor_for(user, origin),
        origin=origin,
        now=now,
        user=user,
    )
    return PasswordStep(user.id, _next_stage(user))


class _DummyHashes:
    """One throw-away hash per hasher configuration, computed on first use."""

    def __init__(self) -> None:
        self._cache: dict[int, str] = {}

    def get(self, settings: AuthSettings) -> str:
        key = id(settings.hasher)
        if key not in self._cache:
            self._cache[key] = settings.hasher.hash(sec.one_time_password())
        return self._cache[key]


_DUMMY_HASH = _DummyHashes()


def _next_stage(user: User) -> str:
    if user.password_must_change:
        return "change_password"
    if user.totp_enrolled_at is None:
        return "enrol"
    return "totp"


def pending_user(session: Session, user_id: int, now: datetime) -> User:
    """The user in the middle of logging in; refused if disabled or locked meanwhile."""
    user = session.get(User, user_id)
    if user is None or not user.active:
        raise AuthenticationError(GENERIC_LOGIN_ERROR)
    if _is_locked(user, now):
        raise AccountLocked(LOCKED_ERROR)
    return user


def set_initial_password(
    session: Session,
    user: User,
    new_password: str,
    confirm: str,
    *,
    settings: AuthSettings,
    now: datetime,
    origin: Origin,
) -> str:
    """Replace the one-time password chosen by an admin; returns the next login stage."""
    if not user.password_must_change:
        raise ValidationError("Your password does not need to be changed here.")
    if new_password != confirm:
        raise ValidationError("Confirm password: does not match the new password.", field="confirm")
    try:
        sec.check_password_policy(new_password, username=user.username)
    except sec.PasswordRejected as exc:
        raise ValidationError(f"New password: {exc}.", field="password") from exc
    if settings.hasher.verify(user.password_hash, new_password):
        raise ValidationError(
            "New password: must differ from the one-time password.", field="password"
        )
    user.password_hash = settings.hasher.hash(new_password)
    user.password_must_change = False
    _security(
        session,
        "account.password_changed",
        actor=actor_for(user, origin),
        origin=origin,
        now=now,
        user=user,
    )
    return _next_stage(user)


# --- TOTP enrolment and verification ----------------------------------------------------------


def issue_enrolment_seed(session: Session, user: User, *, settings: AuthSettings) -> str:
    """The seed to enrol: created (encrypted on the user row, in the caller's unit of work)
    on the first call, the same one afterwards until enrolment is confirmed."""
    if user.totp_enrolled_at is not None:
        raise ValidationError("An authenticator is already enrolled for this account.")
    if user.totp_secret_enc is None:
        seed = sec.new_totp_seed()
        user.totp_secret_enc = sec.encrypt_seed(seed, settings.totp_key, user_id=user.id)
        session.flush()
        return seed
    return sec.decrypt_seed(user.totp_secret_enc, settings.totp_key, user_id=user.id)


def confirm_enrolment(
    session: Session,
    user: User,
    code: str,
    *,
    settings: AuthSettings,
    now: datetime,
    origin: Origin,
) -> list[str]:
    """Confirm the authenticator with a valid code; returns the ten recovery codes (once)."""
    seed = issue_enrolment_seed(session, user, settings=settings)
    step = sec.match_totp(seed, code, now.timestamp())
    if step is None:
        _fail(
            session,
            user,
            settings,
            now,
            origin,
            "enrol_code_failed",
            ValidationError(BAD_CODE_ERROR, field="code"),
        )
    user.totp_enrolled_at = now
    user.last_totp_step = step
    user.failed_logins = 0
    codes = sec.new_recovery_codes()
    session.execute(
        sa.update(RecoveryCode)
        .where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
        .values(used_at=now)
    )
    for code_text in codes:
        session.add(
            RecoveryCode(
                user_id=user.id, code_hash=sec.recovery_code_hash(code_text), created_at=now
            )
        )
    _security(
        session,
        "account.totp_enrolled",
        actor=actor_for(user, origin),
        origin=origin,
        now=now,
        user=user,
    )
    return codes


def verify_totp(
    session: Session,
    user: User,
    code: str,
    *,
    settings: AuthSettings,
    now: datetime,
    origin: Origin,
) -> None:
    """Second login step. A code whose step was already accepted is refused and audited."""
    if _is_locked(user, now):
        raise AccountLocked(LOCKED_ERROR)
    if user.totp_secret_enc is None or user.totp_enrolled_at is None:
        raise ValidationError("No authenticator is enrolled for this account.")
    seed = sec.decrypt_seed(user.totp_secret_enc, settings.totp_key, user_id=user.id)
    step = sec.match_totp(seed, code, now.timestamp())
    if step is not None and user.last_totp_step is not None and step <= user.last_totp_step:
        _fail(
            session,
            user,
            settings,
            now,
            origin,
            "totp_replay",
            AuthenticationError(
                "Code: already used. Wait for the next code from your authenticator."
            ),
        )
    if step is None:
        _fail(
            session, user, settings, now, origin, "totp_failed", AuthenticationError(BAD_CODE_ERROR)
        )
    user.last_totp_step = step
    session.flush()


def use_recovery_code(
    session: Session,
    user: User,
    code: str,
    *,
    settings: AuthSettings,
    now: datetime,
    origin: Origin,
) -> int:
    """Accept an unused recovery code once; returns how many remain."""
    if _is_locked(user, now):
        raise AccountLocked(LOCKED_ERROR)
    row = session.scalar(
        sa.select(RecoveryCode).where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == sec.recovery_code_hash(code),
            RecoveryCode.used_at.is_(None),
        )
    )
    if row is None:
        _fail(
            session,
            user,
            settings,
            now,
            origin,
            "recovery_code_failed",
            AuthenticationError(BAD_RECOVERY_CODE_ERROR),
        )
    row.used_at = now
    remaining = (
        session.scalar(
            sa.select(sa.func.count(RecoveryCode.id)).where(
                RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)
            )
        )
        or 0
    )
    _security(
        session,
        "login.recovery_code_used",
        actor=actor_for(user, origin),
        origin=origin,
        now=now,
        user=user,
        details={"remaining": remaining},
    )
    session.flush()
    return remaining


# --- server-side sessions ---------------------------------------------------------------------


def open_session(session: Session, user: User, *, now: datetime, origin: Origin) -> str:
    """Finish a login: reset failures, create a fresh session row, return its cookie token."""
    token, digest = sec.session_token()
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    session.add(
        UserSession(
            token_hash=digest,
            user_id=user.id,
            created_at=now,
            last_seen_at=now,
            ip=origin.ip,
            user_agent=(origin.user_agent or "")[:256] or None,
        )
    )
    _security(
        session, "login.success", actor=actor_for(user, origin), origin=origin, now=now, user=user
    )
    return token


# Refresh last_seen_at at most this often, so each page view does not write.
_TOUCH_INTERVAL = timedelta(seconds=60)


def resume_session(
    session: Session, token: str, *, settings: AuthSettings, now: datetime
) -> User | None:
    """The user behind a session token, or None if revoked, idle too long or too old."""
    row = session.scalar(
        sa.select(UserSession).where(UserSession.token_hash == sec.token_hash(token))
    )
    if row is None or row.revoked_at is not None:
        return None
    reason = None
    if now - as_utc(row.last_seen_at) > timedelta(minutes=settings.idle_minutes):
        reason = "idle-timeout"
    elif now - as_utc(row.created_at) > timedelta(hours=settings.absolute_hours):
        reason = "absolute-timeout"
    elif not row.user.active:
        reason = "deactivated"
    if reason:
        row.revoked_at = now
        row.revoked_reason = reason
        return None
    if now - as_utc(row.last_seen_at) > _TOUCH_INTERVAL:
        row.last_seen_at = now
    return row.user


def close_session(session: Session, token: str, *, now: datetime, origin: Origin) -> None:
    row = session.scalar(
        sa.select(UserSession).where(UserSession.token_hash == sec.token_hash(token))
    )
    if row is None or row.revoked_at is not None:
        return
    row.revoked_at = now
    row.revoked_reason = "logout"
    _security(
        session, "logout", actor=actor_for(row.user, origin), origin=origin, now=now, user=row.user
    )
