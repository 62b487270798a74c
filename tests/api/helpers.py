"""API test helpers: issue tokens and arrange entities through the services (tests.factories
opens cases and adds members)."""

from __future__ import annotations

from tests.factories import actor_of, arrange


def issue_token(app, user, *, scope: str = "write", days: int = 30, name: str = "script") -> str:
    from caseflow.api.services import create_token

    def work(session, now):
        _token, secret = create_token(
            session,
            actor_of(session, user),
            user_id=user.id,
            name=name,
            scope=scope,
            days=days,
            now=now,
        )
        return secret

    return arrange(app, work)


def bearer(secret: str, **extra: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}", **extra}


def add_entity(app, user, case_id: int, kind: str, value: str, **fields: str) -> int:
    from caseflow.entities import services

    def work(session, now):
        result = services.add_entity(
            session, actor_of(session, user), case_id, kind, {"value": value, **fields}, now=now
        )
        return result.entity.id

    return arrange(app, work)


def link_entities(app, user, case_id: int, source_id: int, target_id: int, type: str) -> int:
    from caseflow.entities import services

    def work(session, now):
        link = services.link_entities(
            session,
            actor_of(session, user),
            case_id,
            source_id=source_id,
            target_id=target_id,
            type=type,
            now=now,
        )
        return link.id

    return arrange(app, work)
