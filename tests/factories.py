"""Test-data factories (fictional people, example.org addresses, synthetic evidence bytes).

Each factory arranges data through the real services, as one unit of work that it commits: a
test's arrangement is a boundary like a request or a CLI command. `target` is either the
Flask app (the factory opens its own app context and session) or a SQL session the test
holds (then `now` defaults to the app clock when an app context is pushed).

The names differ from tests/unit/packet_factory.py's (`make_evidence`, `make_packet`...),
which build exports dataclasses without a database.
"""

from __future__ import annotations

import io
import itertools
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, BinaryIO, TypeVar

import pyotp
import sqlalchemy as sa
from flask import Flask, current_app, has_app_context
from sqlalchemy.orm import Session

from caseflow import uow
from caseflow.actor import Actor
from caseflow.auth.models import User
from caseflow.auth.services import actor_for
from caseflow.cases.models import Case, CaseMember
from caseflow.clock import utcnow
from caseflow.demo import create_enrolled_user
from caseflow.evidence.models import EvidenceItem
from caseflow.mla.models import MlaRequest
from caseflow.uow import Transactions

_counter = itertools.count(1)
T = TypeVar("T")

# Every item a UNTOC Art. 18 request (GB -> TH) needs, filled with fictional values.
COMPLETE_FIELDS = {
    "requesting_authority": "National Crime Unit (fictional)",
    "authority_address": "1 Example Street, London",
    "contact_person": "DS Alex Example",
    "contact_phone": "+44 7700 900123",
    "contact_email": "alex.example@police.example.com",
    "contact_24_7": "+44 7700 900999",
    "time_zone": "Europe/London",
    "central_authority": "Office of the Attorney General (fictional)",
    "holder_name": "Example Hosting Co.",
    "holder_kind": "service-provider",
    "issuing_authority_type": "prosecutor",
    "proceedings_stage": "investigation",
    "persons_concerned": "The account holder is to be identified.",
    "transnational": "yes",
    "organised_group": "yes",
    "child_exploitation": "yes",
    "formalities": "A custodian certificate and SHA-256 hashes of the records.",
    "conducting_authority": "National Crime Unit (fictional), investigating the offences",
    "time_from": datetime(2026, 10, 1, tzinfo=UTC),
    "time_to": datetime(2026, 11, 1, tzinfo=UTC),
    "summary_of_facts": "Online ads offered children for sexual exploitation.",
    "necessity": "To identify who posted the ads.",
    "confidentiality": "Do not inform the account holder.",
    "use_limits": "Only for the stated proceedings.",
    "earlier_requests": "None.",
    "language": "en",
}
# The issuing authority's block a supervisor records when approving (fictional).
AUTHORITY_FIELDS = {
    "issuer_kind": "prosecutor",
    "issuer_name": "Jane Example",
    "issuer_post": "Senior Crown Prosecutor",
    "issuer_place": "London",
    "issuer_seal": "Crown Prosecution Service (fictional), seal no. 0042",
}
EVIDENCE_BYTES = b"Ad page capture (synthetic test bytes)\n" * 20


@dataclass
class TestUser:
    id: int
    username: str
    password: str
    seed: str
    role: str


def arrange(target: Flask | Session, work: Callable[[Session, datetime], T], now=None) -> T:
    """Run `work(session, now)` as one unit of work and commit it (caseflow.uow.commit: work
    to take back on rollback, such as a stored blob, is forgotten once committed, so a later
    rollback in the same session cannot remove it)."""
    if isinstance(target, Session):
        if now is None:
            now = current_app.config["CLOCK"]() if has_app_context() else utcnow()
        result = work(target, now)
        uow.commit(target)
        return result
    from caseflow.extensions import db_session

    with target.app_context():
        session = db_session()
        result = work(session, now or target.config["CLOCK"]())
        uow.commit(session)
        return result


def actor_of(session: Session, user: TestUser | User | str) -> Actor:
    """The Actor a request of `user` (or of the account of that username) would carry."""
    if isinstance(user, str):
        return actor_for(session.scalars(sa.select(User).where(User.username == user)).one())
    return actor_for(session.get(User, user.id))


def make_user(app, role: str = "officer", username: str | None = None) -> TestUser:
    """An enrolled account with a known password and TOTP seed."""
    username = username or f"{role}{next(_counter)}"
    password = f"correct horse {username} staple"
    seed = pyotp.random_base32(32)

    def work(session: Session, now: datetime) -> TestUser:
        user = create_enrolled_user(
            session,
            app.extensions["caseflow.auth"],
            username=username,
            display_name=f"{role.title()} {username} (test)",
            role=role,
            organisation="Test Agency",
            password=password,
            seed=seed,
            now=now,
        )
        return TestUser(user.id, username, password, seed, role)

    return arrange(app, work)


def make_case(
    target: Flask | Session,
    owner: TestUser | str,
    *,
    title: str = "Ads ring (fictional)",
    summary: str = "",
    lead: str = "GB",
    involved: Iterable[str] = (),
    priority: str = "normal",
    members: Iterable[TestUser | tuple[TestUser | str, str]] = (),
    now: datetime | None = None,
) -> Case:
    """A case opened by `owner`, with `members` added by them (a user, or (user or
    username, role in case); the role defaults to investigator)."""
    from caseflow.cases import services

    def work(session: Session, now: datetime) -> Case:
        me = actor_of(session, owner)
        case = services.open_case(
            session,
            me,
            title=title,
            summary=summary,
            lead_jurisdiction=lead,
            involved_jurisdictions=tuple(involved),
            priority=priority,
            now=now,
        )
        for member in members:
            who, role = member if isinstance(member, tuple) else (member, "investigator")
            username = who if isinstance(who, str) else who.username
            services.add_member(session, me, case.id, username=username, role=role, now=now)
        return case

    return arrange(target, work, now)


def approve(
    target: Flask | Session,
    approver: TestUser | str,
    request_id: int,
    code: str,
    *,
    now: datetime | None = None,
    tsa: Any = None,
    **authority: str,
) -> MlaRequest:
    """Approve a submitted request with `code` (a current TOTP code of `approver`) and the
    issuing authority block AUTHORITY_FIELDS (overridden by `authority`); `tsa`
    (exports.signing.Timestamping) makes the PDF's signatures PAdES B-LT."""
    from caseflow.auth.services import Origin
    from caseflow.mla import services

    def work(session: Session, now: datetime) -> MlaRequest:
        return services.approve_request(
            session,
            actor_of(session, approver),
            request_id,
            totp_code=code,
            settings=current_app.extensions["caseflow.auth"],
            origin=Origin(ip="127.0.0.1"),
            authority=services.AuthorityBlock(**{**AUTHORITY_FIELDS, **authority}),
            ledger_signer=current_app.extensions["caseflow.ledger_signer"],
            signer=current_app.extensions["caseflow.packet_signer"],
            authorities=current_app.extensions["caseflow.authority_signers"],
            tsa=tsa,
            now=now,
        )

    return arrange(target, work, now)


def add_member(
    target: Flask | Session,
    owner: TestUser | str,
    case_id: int,
    member: TestUser,
    *,
    role: str = "investigator",
    now: datetime | None = None,
) -> CaseMember:
    """`owner` adds `member` to their case."""
    from caseflow.cases import services

    def work(session: Session, now: datetime) -> CaseMember:
        return services.add_member(
            session, actor_of(session, owner), case_id, username=member.username, role=role, now=now
        )

    return arrange(target, work, now)


def make_evidence_item(
    target: Flask | Session,
    owner: TestUser | str,
    case_id: int,
    *,
    data: bytes | BinaryIO | None = EVIDENCE_BYTES,
    filename: str = "ad-page.txt",
    media_type: str | None = "text/plain",
    kind: str = "file",
    description: str = "Ad page capture",
    acquired_by: str = "DS Alex Example",
    acquired_at: datetime | None = None,
    now: datetime | None = None,
    **details: Any,
) -> EvidenceItem:
    """An exhibit of the case: an uploaded file (`data`: bytes or a stream), or a physical or
    external item registered without bytes (`kind`; an external one needs `sha256=`).
    `details` are the other ItemDetails fields (source, acquisition_method, location...)."""
    from caseflow.evidence import services

    hashes = {k: details.pop(k) for k in ("sha256", "sha1", "md5", "size") if k in details}

    def work(session: Session, now: datetime) -> EvidenceItem:
        item_details = services.ItemDetails(
            description=description,
            acquired_by=acquired_by,
            acquired_at=acquired_at or now,
            **details,
        )
        me = actor_of(session, owner)
        if kind != "file":
            return services.register_item(
                session, me, case_id, kind=kind, details=item_details, now=now, **hashes
            )
        app = target if isinstance(target, Flask) else current_app
        return services.upload_file(
            Transactions(session),
            me,
            case_id,
            data if hasattr(data, "read") else io.BytesIO(data or b""),
            store=app.extensions["caseflow.blobstore"],
            max_bytes=app.config["MAX_CONTENT_LENGTH"],
            filename=filename,
            media_type=media_type,
            details=item_details,
            now=now,
        )

    return arrange(target, work, now)


def make_request(
    target: Flask | Session,
    author: TestUser | str,
    case_id: int,
    *,
    requested_state: str = "TH",
    request_types: Iterable[str] = ("subscriber-data",),
    complete: bool = True,
    now: datetime | None = None,
    **fields: Any,
) -> MlaRequest:
    """A draft MLA request; with `complete` (default) every item its legal basis needs is
    filled (UNTOC Art. 18 for GB -> TH), one offence and one identifier (the case's e-mail
    address poster@example.com, added to the case if needed) are added, so it can be
    submitted. `fields` override or add request fields."""
    from caseflow.entities.services import add_entity
    from caseflow.mla import services

    def work(session: Session, now: datetime) -> MlaRequest:
        me = actor_of(session, author)
        req = services.create_request(
            session,
            me,
            case_id,
            requested_state=requested_state,
            request_types=list(request_types),
            now=now,
            **({**COMPLETE_FIELDS, **fields} if complete else fields),
        )
        if complete:
            services.add_offence(
                session,
                me,
                req.id,
                name="Trafficking in children",
                provision="s. 2 Modern Slavery Act 2015",
                maximum_penalty="life imprisonment",
                now=now,
            )
            entity = add_entity(session, me, case_id, "email", "poster@example.com", now=now)
            services.add_identifier(
                session,
                me,
                req.id,
                entity.entity.id,
                relevance="The account posted the ads.",
                now=now,
            )
        return req

    return arrange(target, work, now)
