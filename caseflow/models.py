"""Imports every feature's models so Base.metadata knows all tables (migrations, tests)."""

from caseflow.audit.models import AuditEvent
from caseflow.auth.models import RecoveryCode, User, UserSession

__all__ = ["AuditEvent", "RecoveryCode", "User", "UserSession"]
