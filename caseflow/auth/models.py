"""Users, their server-side sessions and their single-use recovery codes."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from caseflow.db import Base, intpk

ROLES = ("officer", "liaison", "supervisor", "admin")
ROLE_LABELS = {
    "officer": "Officer",
    "liaison": "Liaison officer",
    "supervisor": "Supervisor",
    "admin": "Administrator",
}


class User(Base):
    __tablename__ = "users"

    id: Mapped[intpk]
    username: Mapped[str] = mapped_column(sa.String(64), unique=True)
    display_name: Mapped[str] = mapped_column(sa.String(128))
    email: Mapped[str] = mapped_column(sa.String(254))
    phone: Mapped[str | None] = mapped_column(sa.String(32))
    organisation: Mapped[str] = mapped_column(sa.String(128))
    role: Mapped[str] = mapped_column(sa.String(16))
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    # Set when an admin issued a one-time password: the next login must choose a new one.
    password_must_change: Mapped[bool] = mapped_column(default=True)
    # AES-256-GCM ciphertext of the base32 TOTP seed; the seed itself is never stored.
    totp_secret_enc: Mapped[str | None] = mapped_column(sa.String(255))
    totp_enrolled_at: Mapped[datetime | None]
    # The last accepted 30-second step: a code for this step or an earlier one is a replay.
    last_totp_step: Mapped[int | None] = mapped_column(sa.BigInteger)
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None]
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime]
    last_login_at: Mapped[datetime | None]

    sessions: Mapped[list[UserSession]] = relationship(back_populates="user")

    __table_args__ = (sa.CheckConstraint(f"role IN {ROLES!r}".replace(",)", ")"), name="role"),)

    # Flask-Login protocol; the session row, not this object, decides authentication.
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return str(self.id)

    @property
    def role_label(self) -> str:
        return ROLE_LABELS.get(self.role, self.role)


class UserSession(Base):
    """A server-side login session; the cookie carries only a random token for it."""

    __tablename__ = "user_sessions"

    id: Mapped[intpk]
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    ip: Mapped[str | None] = mapped_column(sa.String(64))
    user_agent: Mapped[str | None] = mapped_column(sa.String(256))
    revoked_at: Mapped[datetime | None]
    revoked_reason: Mapped[str | None] = mapped_column(sa.String(64))

    user: Mapped[User] = relationship(back_populates="sessions")


class RecoveryCode(Base):
    __tablename__ = "recovery_codes"

    id: Mapped[intpk]
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    code_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
