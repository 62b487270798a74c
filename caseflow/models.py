"""Imports every feature's models so Base.metadata knows all tables (migrations, tests)."""

from caseflow.audit.models import AuditEvent
from caseflow.auth.models import RecoveryCode, User, UserSession
from caseflow.cases.models import Case, CaseCounter, CaseJurisdiction, CaseMember, CaseTask
from caseflow.evidence.models import CustodyEvent, EvidenceItem, IntegrityAlarm
from caseflow.graphsync.models import OutboxRow
from caseflow.ledger import LedgerTreeHead

__all__ = [
    "AuditEvent",
    "Case",
    "CaseCounter",
    "CaseJurisdiction",
    "CaseMember",
    "CaseTask",
    "CustodyEvent",
    "EvidenceItem",
    "IntegrityAlarm",
    "LedgerTreeHead",
    "OutboxRow",
    "RecoveryCode",
    "User",
    "UserSession",
]
