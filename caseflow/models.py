"""Imports every feature's models so Base.metadata knows all tables (migrations, tests)."""

from caseflow.audit.models import AuditEvent
from caseflow.auth.models import RecoveryCode, User, UserSession
from caseflow.cases.models import Case, CaseCounter, CaseJurisdiction, CaseMember, CaseTask

__all__ = [
    "AuditEvent",
    "Case",
    "CaseCounter",
    "CaseJurisdiction",
    "CaseMember",
    "CaseTask",
    "RecoveryCode",
    "User",
    "UserSession",
]
