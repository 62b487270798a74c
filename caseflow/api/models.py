"""Personal access tokens for the JSON API; only a SHA-256 of each secret is stored."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from caseflow.auth.models import User
from caseflow.db import Base, intpk

SCOPES = ("read", "write")


class ApiToken(Base):
    """A bearer token of one user: scoped, expiring, revocable.

    `scopes` is a space-separated list ("read" or "read write"); `token_hash` is the hex
    SHA-256 of the whole secret ("cfp_..."), which is shown once and never stored.
    """

    __tablename__ = "api_tokens"

    id: Mapped[intpk]
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(64))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    scopes: Mapped[str] = mapped_column(sa.String(32))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()

    __table_args__ = (sa.CheckConstraint("scopes IN ('read', 'read write')", name="scopes"),)

    @property
    def scope_set(self) -> frozenset[str]:
        return frozenset(self.scopes.split())

    @property
    def can_write(self) -> bool:
        return "write" in self.scope_set
