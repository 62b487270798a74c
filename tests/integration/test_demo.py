"""`caseflow demo load`: the fictional cross-border case, built through the real services."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from datetime import timedelta

import pytest
import sqlalchemy as sa

from caseflow.auth.models import User
from caseflow.auth.services import actor_for
from caseflow.cases import services as case_services
from caseflow.cases.models import Case, CaseTask
from caseflow.entities import services as entity_services
from caseflow.entities.models import CaseEntity, Entity
from caseflow.entities.normalize import normalize
from caseflow.errors import NotFoundError
from caseflow.evidence.models import CustodyEvent, EvidenceItem
from caseflow.mla import services as mla_services
from caseflow.mla.models import MlaRequest

ALLOWED_DOMAINS = ("example.com", "example.org", "example.net", ".invalid")
DOC_NETWORKS = tuple(
    ipaddress.ip_network(n) for n in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24")
)


@dataclass
class DemoUser:
    username: str
    password: str
    seed: str


def load(runner) -> dict[str, DemoUser]:
    """Run `demo load --if-empty`; return the printed credentials by username."""
    result = runner.invoke(args=["demo", "load", "--if-empty"])
    assert result.exit_code == 0, result.output
    found = re.findall(r"username: (\S+)\s+password: (\S+)\n\s+TOTP secret: (\S+)", result.output)
    return {name: DemoUser(name, password, seed) for name, password, seed in found}


def user(db, username: str) -> User:
    return db.scalar(sa.select(User).where(User.username == username))


def case_owned_by(db, username: str) -> Case:
    return db.scalar(
        sa.select(Case).join(User, User.id == Case.owner_id).where(User.username == username)
    )


def test_demo_load_opens_a_case_per_officer_once_and_prints_the_reference(runner, db):
    result = runner.invoke(args=["demo", "load", "--if-empty"])
    assert result.exit_code == 0, result.output
    mine, theirs = case_owned_by(db, "officer.demo"), case_owned_by(db, "officer2.demo")
    assert mine.reference.endswith("-0001") and theirs.reference.endswith("-0002")
    assert f"Demo case {mine.reference}" in result.output
    assert "QR code for officer.demo:" in result.output
    members = {m.user.username: m.role for m in mine.members}
    assert members == {"officer.demo": "owner", "liaison.demo": "liaison"}
    kinds = set(
        db.scalars(
            sa.select(Entity.kind)
            .join(CaseEntity, CaseEntity.entity_id == Entity.id)
            .where(CaseEntity.case_id == mine.id)
        )
    )
    assert {"ad", "phone", "wallet", "account", "person", "bank_account", "email"} <= kinds
    roles = set(db.scalars(sa.select(CaseEntity.role).where(CaseEntity.case_id == mine.id)))
    assert {"victim", "suspect"} <= roles
    db.rollback()
    again = runner.invoke(args=["demo", "load", "--if-empty"])
    assert again.exit_code == 0, again.output
    assert "DEMO ACCOUNTS" in again.output and f"Demo case {mine.reference}" in again.output
    # The second run prints the stored secrets, not QR codes: it must not promise any.
    assert "QR code" not in again.output
    assert db.scalar(sa.select(sa.func.count(Case.id))) == 2  # nothing loaded twice
    db.rollback()


def test_officer_demo_sees_a_hit_on_case_2_with_its_reference_and_owner_only(runner, db, clock):
    load(runner)
    officer = actor_for(user(db, "officer.demo"))
    mine, theirs = case_owned_by(db, "officer.demo"), case_owned_by(db, "officer2.demo")
    hits = entity_services.cross_case_hits(db, officer, mine.id, now=clock())
    assert hits, "the shared wallet should produce a hit"
    assert {h.case_reference for h in hits} == {theirs.reference}
    assert {h.owner_name for h in hits} == {"Omar Officer (demo)"}
    assert {h.entity_kind for h in hits} <= {"wallet", "phone", "email", "account"}
    with pytest.raises(NotFoundError):  # the hit does not open the other case
        case_services.view_case(db, officer, theirs.id)
    db.rollback()


def test_evidence_has_custody_histories_and_the_chain_verifies(runner, db):
    load(runner)
    mine = case_owned_by(db, "officer.demo")
    items = list(db.scalars(sa.select(EvidenceItem).where(EvidenceItem.case_id == mine.id)))
    assert sorted(i.kind for i in items) == ["external", "file", "file", "physical"]
    counts = {
        i.kind + ":" + (i.filename or i.reference): db.scalar(
            sa.select(sa.func.count(CustodyEvent.seq)).where(CustodyEvent.item_id == i.id)
        )
        for i in items
    }
    assert all(n >= 1 for n in counts.values())
    handset = next(i for i in items if i.kind == "physical")
    actions = list(
        db.scalars(
            sa.select(CustodyEvent.action)
            .where(CustodyEvent.item_id == handset.id)
            .order_by(CustodyEvent.seq)
        )
    )
    assert actions[0] == "acquired" and "unsealed" in actions and "sealed" in actions
    png = next(i for i in items if i.media_type == "image/png")
    assert png.size and png.size > 100
    db.rollback()
    verified = runner.invoke(args=["custody", "verify"])
    assert verified.exit_code == 0, verified.output
    assert "custody OK" in verified.output


def test_the_mla_request_awaits_approval_with_nothing_missing(runner, db):
    load(runner)
    mine = case_owned_by(db, "officer.demo")
    req = db.scalar(sa.select(MlaRequest).where(MlaRequest.case_id == mine.id))
    assert req.status == "submitted"
    assert req.author.username == "liaison.demo"
    assert [item.label for item in mla_services.checklist(req) if not item.ok] == []
    assert req.identifiers and req.offences and req.annexes
    db.rollback()


def test_officer_demo_dashboard_shows_the_preservation_expiring_within_14_days(
    runner, db, auth, clock, client
):
    creds = load(runner)
    today = clock().date()
    task = db.scalar(sa.select(CaseTask).where(CaseTask.kind == "preservation-expiry"))
    assert today <= task.due_on <= today + timedelta(days=14)
    due = db.scalars(sa.select(CaseTask.due_on).where(CaseTask.due_on.is_not(None))).all()
    assert all(today <= d <= today + timedelta(days=14) for d in due)  # relative to now
    db.rollback()
    auth.login(creds["officer.demo"])
    page = client.get("/").get_data(as_text=True)
    assert task.due_on.isoformat() in page
    assert "preservation expiry" in page
    assert case_owned_by(db, "officer.demo").reference in page
    db.rollback()


def _domains(text: str) -> list[str]:
    hosts = re.findall(r"[\w.+-]+@([\w.-]+)", text)
    hosts += re.findall(r"https?://([^/\s:?#]+)", text)
    return [h.lower().rstrip(".") for h in hosts]


def test_every_demo_identifier_is_fictional_or_reserved(runner, db):
    load(runner)
    texts: list[str] = []
    for entity in db.scalars(sa.select(Entity)):
        texts += [entity.value, entity.label, *map(str, (entity.attributes or {}).values())]
        if entity.kind == "phone":
            assert entity.attributes.get("fictional") == "true", entity.value
        if entity.kind == "ip_address":
            address = ipaddress.ip_address(entity.value)
            assert any(address in net for net in DOC_NETWORKS), entity.value
        if entity.kind in ("email", "domain", "url", "ad"):
            assert _domains(entity.value) or entity.kind == "domain", entity.value
        if entity.kind == "wallet":  # generated, and valid by the normalizer's checksums
            assert normalize("wallet", entity.value).value == entity.value
        if entity.kind == "bank_account":
            assert entity.value.startswith("iban:GB") and "XMPL" in entity.value
    for account in db.scalars(sa.select(User)):
        texts.append(account.email)
        assert normalize("phone", account.phone).attributes.get("fictional") == "true"
    for req in db.scalars(sa.select(MlaRequest)):
        texts += [req.contact_email, req.summary_of_facts]
        for number in (req.contact_phone, req.contact_24_7):
            assert normalize("phone", number).attributes.get("fictional") == "true"
    db.rollback()
    domains = [d for text in texts for d in _domains(text)]
    assert domains, "the demo should hold e-mail addresses and URLs"
    outside = sorted({d for d in domains if not d.endswith(ALLOWED_DOMAINS)})
    assert outside == []
