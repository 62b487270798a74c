"""Arrange MLA requests through the services (fictional agencies, example.com contacts)."""

from __future__ import annotations

from caseflow.auth.models import User
from caseflow.auth.services import actor_for
from caseflow.cases import services as case_services
from caseflow.mla import services

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
    "proceedings_stage": "investigation",
    "summary_of_facts": "Online ads offered children for sexual exploitation.",
    "necessity": "To identify who posted the ads.",
    "confidentiality": "Do not inform the account holder.",
    "use_limits": "Only for the stated proceedings.",
    "earlier_requests": "None.",
    "language": "en",
}


def actor(session, user):
    return actor_for(session.get(User, user.id))


def open_case(session, user, now, lead="GB"):
    return case_services.open_case(
        session, actor(session, user), title="Ads ring", summary="", lead_jurisdiction=lead, now=now
    )


def add_member(session, owner, case_id, member, now, role="investigator"):
    case_services.add_member(
        session, actor(session, owner), case_id, username=member.username, role=role, now=now
    )


def complete_request(session, user, case_id, now, requested_state="TH", **extra):
    """A request whose legal basis (UNTOC Art. 18 for GB->TH) has every item filled."""
    fields = {**COMPLETE_FIELDS, **extra}
    req = services.create_request(
        session,
        actor(session, user),
        case_id,
        requested_state=requested_state,
        request_types=["subscriber-data"],
        now=now,
        **fields,
    )
    services.add_offence(
        session,
        actor(session, user),
        req.id,
        name="Trafficking in children",
        provision="s. 2 Modern Slavery Act 2015",
        maximum_penalty="life imprisonment",
        now=now,
    )
    return req
