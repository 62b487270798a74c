"""Imports every feature's models so Base.metadata knows all tables (migrations, tests)."""

from caseflow.api.models import ApiToken
from caseflow.audit.models import AuditEvent
from caseflow.auth.models import RecoveryCode, User, UserSession
from caseflow.cases.models import Case, CaseCounter, CaseJurisdiction, CaseMember, CaseTask
from caseflow.entities.models import (
    AdCapture,
    CaseEntity,
    Entity,
    EntityMatchKey,
    Link,
    Observation,
)
from caseflow.evidence.models import CustodyEvent, EvidenceItem, IntegrityAlarm
from caseflow.graphsync.models import OutboxRow
from caseflow.ledger import LedgerTreeHead
from caseflow.mla.models import MlaAnnex, MlaIdentifier, MlaOffence, MlaRequest

__all__ = [
    "AdCapture",
    "ApiToken",
    "AuditEvent",
    "Case",
    "CaseCounter",
    "CaseEntity",
    "CaseJurisdiction",
    "CaseMember",
    "CaseTask",
    "CustodyEvent",
    "Entity",
    "EntityMatchKey",
    "EvidenceItem",
    "IntegrityAlarm",
    "LedgerTreeHead",
    "Link",
    "MlaAnnex",
    "MlaIdentifier",
    "MlaOffence",
    "MlaRequest",
    "Observation",
    "OutboxRow",
    "RecoveryCode",
    "User",
    "UserSession",
]
