"""Case, its members, jurisdictions, tasks, and the per-year reference counter."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from caseflow.auth.models import User
from caseflow.db import Base, intpk

CASE_STATUSES = ("open", "active", "awaiting-assistance", "closed", "archived")
PRIORITIES = ("low", "normal", "high", "urgent")
# The role a user plays in one case; the account role (officer, liaison...) is separate.
MEMBER_ROLES = ("owner", "investigator", "liaison", "analyst")
TASK_KINDS = ("task", "deadline", "preservation-expiry")
TASK_STATUSES = ("open", "done", "cancelled")


class CaseCounter(Base):
    """Last reference number issued per year; incremented under a row lock, so gap-free."""

    __tablename__ = "case_counters"

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last_number: Mapped[int] = mapped_column(default=0)


class Case(Base):
    __tablename__ = "cases"

    id: Mapped[intpk]
    reference: Mapped[str] = mapped_column(sa.String(16), unique=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    summary: Mapped[str] = mapped_column(sa.Text, default="")
    status: Mapped[str] = mapped_column(sa.String(24), default="open")
    priority: Mapped[str] = mapped_column(sa.String(12), default="normal")
    lead_jurisdiction: Mapped[str] = mapped_column(sa.String(8))
    owner_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    owner: Mapped[User] = relationship(foreign_keys=[owner_id])
    members: Mapped[list[CaseMember]] = relationship(
        back_populates="case", order_by="CaseMember.id"
    )
    jurisdictions: Mapped[list[CaseJurisdiction]] = relationship(
        back_populates="case", order_by="CaseJurisdiction.code"
    )
    tasks: Mapped[list[CaseTask]] = relationship(back_populates="case", order_by="CaseTask.due_on")

    __table_args__ = (
        sa.CheckConstraint(f"status IN {CASE_STATUSES!r}", name="status"),
        sa.CheckConstraint(f"priority IN {PRIORITIES!r}", name="priority"),
    )

    @property
    def involved_codes(self) -> list[str]:
        return [j.code for j in self.jurisdictions]


class CaseJurisdiction(Base):
    """A jurisdiction involved in a case besides (or including) the lead one."""

    __tablename__ = "case_jurisdictions"

    id: Mapped[intpk]
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id"), index=True)
    code: Mapped[str] = mapped_column(sa.String(8))

    case: Mapped[Case] = relationship(back_populates="jurisdictions")

    __table_args__ = (sa.UniqueConstraint("case_id", "code", name="case_code"),)


class CaseMember(Base):
    __tablename__ = "case_members"

    id: Mapped[intpk]
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    role: Mapped[str] = mapped_column(sa.String(16))
    added_at: Mapped[datetime]
    added_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    removed_at: Mapped[datetime | None]

    case: Mapped[Case] = relationship(back_populates="members")
    user: Mapped[User] = relationship(foreign_keys=[user_id])

    __table_args__ = (sa.CheckConstraint(f"role IN {MEMBER_ROLES!r}", name="role"),)


class CaseTask(Base):
    __tablename__ = "case_tasks"

    id: Mapped[intpk]
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id"), index=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    kind: Mapped[str] = mapped_column(sa.String(24), default="task")
    assignee_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    due_on: Mapped[date | None] = mapped_column(sa.Date, index=True)
    status: Mapped[str] = mapped_column(sa.String(12), default="open")
    created_at: Mapped[datetime]
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    done_at: Mapped[datetime | None]

    case: Mapped[Case] = relationship(back_populates="tasks")
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id])

    __table_args__ = (
        sa.CheckConstraint(f"kind IN {TASK_KINDS!r}", name="kind"),
        sa.CheckConstraint(f"status IN {TASK_STATUSES!r}", name="status"),
    )
