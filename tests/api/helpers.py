"""API test helpers: issue tokens, open cases, add members directly through the services."""

from __future__ import annotations

from caseflow.auth.models import User
from caseflow.auth.services import actor_for


def _session(app):
    from caseflow.extensions import db_session

    return db_session()


def issue_token(app, user, *, scope: str = "write", days: int = 30, name: str = "script") -> str:
    from caseflow.api.services import create_token

    with app.app_context():
        session = _session(app)
        actor = actor_for(session.get(User, user.id))
        _token, secret = create_token(
            session,
            actor,
            user_id=user.id,
            name=name,
            scope=scope,
            days=days,
            now=app.config["CLOCK"](),
        )
        return secret


def bearer(secret: str, **extra: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}", **extra}


def open_case(app, user, title: str = "Case", lead: str = "GB") -> int:
    from caseflow.cases import services

    with app.app_context():
        session = _session(app)
        case = services.open_case(
            session,
            actor_for(session.get(User, user.id)),
            title=title,
            summary="Fictional.",
            lead_jurisdiction=lead,
            now=app.config["CLOCK"](),
        )
        return case.id


def add_member(app, owner, case_id: int, member, role: str = "investigator") -> int:
    from caseflow.cases import services

    with app.app_context():
        session = _session(app)
        row = services.add_member(
            session,
            actor_for(session.get(User, owner.id)),
            case_id,
            username=member.username,
            role=role,
            now=app.config["CLOCK"](),
        )
        return row.id


def add_entity(app, user, case_id: int, kind: str, value: str, **fields: str) -> int:
    from caseflow.entities import services

    with app.app_context():
        session = _session(app)
        result = services.add_entity(
            session,
            actor_for(session.get(User, user.id)),
            case_id,
            kind,
            {"value": value, **fields},
            now=app.config["CLOCK"](),
        )
        return result.entity.id


def link_entities(app, user, case_id: int, source_id: int, target_id: int, type: str) -> int:
    from caseflow.entities import services

    with app.app_context():
        session = _session(app)
        link = services.link_entities(
            session,
            actor_for(session.get(User, user.id)),
            case_id,
            source_id=source_id,
            target_id=target_id,
            type=type,
            now=app.config["CLOCK"](),
        )
        return link.id
