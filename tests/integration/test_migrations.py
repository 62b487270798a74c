"""Migrations and models describe the same schema."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

import caseflow.models  # noqa: F401
from caseflow.db import Base, make_engine


def test_migrations_at_head_match_the_models(database_url):
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    finally:
        engine.dispose()
    assert diff == []


def _revision_of(doc_start: str) -> tuple[str, str]:
    """(revision, down_revision) of the migration whose doc starts with `doc_start`."""
    from alembic.script import ScriptDirectory

    from caseflow.db import alembic_config

    scripts = ScriptDirectory.from_config(alembic_config())
    found = [s for s in scripts.walk_revisions() if (s.doc or "").startswith(doc_start)]
    assert len(found) == 1
    down = found[0].down_revision
    assert isinstance(down, str)
    return found[0].revision, down


def test_ad_text_moves_from_the_shared_entity_to_the_first_case_capture(app, database_url):
    """Before captures, an ad entity kept the title and text of the first case to take it in
    (first writer wins). The migration gives them to that case's capture, none to the case
    that came later (its copy was never stored; the first case's is not its to read), and
    leaves the shared entity only its URL and platform."""
    import sqlalchemy as sa
    from alembic import command

    from caseflow.db import alembic_config
    from caseflow.entities import services
    from caseflow.entities.models import AdCapture, Entity
    from tests.factories import actor_of, arrange, make_case, make_user

    first_user, later_user = make_user(app, "officer"), make_user(app, "officer")
    first, later = make_case(app, first_user).id, make_case(app, later_user).id

    def add(user, case_id, title):
        def work(session, now):
            fields = {"value": "https://ads.example.org/ad/5", "title": title, "text": "Old copy"}
            me = actor_of(session, user)
            return services.add_entity(session, me, case_id, "ad", fields, now=now).entity.id

        return arrange(app, work)

    ad_id = add(first_user, first, "First case's title")
    add(later_user, later, "Later case's title")
    _, down = _revision_of("ad captures")
    engine = make_engine(database_url)
    try:
        with engine.begin() as connection:
            command.downgrade(alembic_config(connection), down)
        with engine.connect() as connection:
            attributes = connection.execute(
                sa.text("SELECT attributes FROM entities WHERE id = :id"), {"id": ad_id}
            ).scalar_one()
        assert "First case's title" in str(attributes)  # as the old schema kept it
        with engine.begin() as connection:
            command.upgrade(alembic_config(connection), "head")
        with engine.connect() as connection:
            rows = connection.execute(
                sa.select(AdCapture.case_id, AdCapture.title, AdCapture.text)
            ).all()
            entity = connection.execute(
                sa.select(Entity.attributes).where(Entity.id == ad_id)
            ).scalar_one()
    finally:
        engine.dispose()
    assert [tuple(r) for r in rows] == [(first, "First case's title", "Old copy")]
    assert entity == {"url": "https://ads.example.org/ad/5", "platform": "ads.example.org"}


def test_existing_entities_get_their_probable_match_keys(app, database_url):
    import sqlalchemy as sa
    from alembic import command

    from caseflow.db import alembic_config
    from caseflow.entities.models import EntityMatchKey
    from tests.api.helpers import add_entity
    from tests.factories import make_case, make_user

    user = make_user(app, "officer")
    case_id = make_case(app, user).id
    email = add_entity(app, user, case_id, "email", "Kestrel.Booking+ads@gmail.com")
    _, down = _revision_of("entity match keys")
    engine = make_engine(database_url)
    try:
        with engine.begin() as connection:
            command.downgrade(alembic_config(connection), down)
            command.upgrade(alembic_config(connection), "head")
        with engine.connect() as connection:
            keys = connection.execute(
                sa.select(EntityMatchKey.key).where(EntityMatchKey.entity_id == email)
            ).all()
    finally:
        engine.dispose()
    assert [k for (k,) in keys] == ["mailbox:kestrelbooking@gmail.com"]


def test_old_tron_wallets_and_national_signal_numbers_become_one_entity(app, database_url, db):
    """`tron:T...` was another wallet than `trx:T...`, `signal:07700900123` another account
    than `signal:+447700900123`. The migration renames the first kind in place and merges
    the second into the entity that already has the canonical value, moving involvements
    and links; the merged row stays, marked."""
    import sqlalchemy as sa
    from alembic import command

    from caseflow.db import alembic_config
    from caseflow.entities.models import CaseEntity, Entity, Link
    from caseflow.graphsync.models import OutboxRow
    from tests.factories import arrange, make_case, make_user

    tron = "TRGVL45GjPudA3vH7SPLEcbFVFQ4MjHBCk"  # generated (sha256 of a test string)
    user = make_user(app, "officer")
    first = make_case(app, user, lead="GB").id
    second = make_case(app, user, lead="GB").id

    def legacy(session, now):
        made = {}
        for key, kind, value in [
            ("old_signal", "account", "signal:07700900123"),
            ("signal", "account", "signal:+447700900123"),
            ("tron", "wallet", f"tron:{tron}"),
        ]:
            entity = Entity(kind=kind, value=value, label=value, attributes={}, created_at=now)
            session.add(entity)
            session.flush()
            made[key] = entity.id
        for case_id, key in [(first, "old_signal"), (first, "tron"), (second, "signal")]:
            session.add(
                CaseEntity(case_id=case_id, entity_id=made[key], source="manual", added_at=now)
            )
        link = Link(
            case_id=first,
            type="CONTROLS",
            source_id=made["old_signal"],
            target_id=made["tron"],
            confidence="probable",
            assessment=True,
            created_at=now,
        )
        session.add(link)
        session.flush()
        made["link"] = link.id
        return made

    made = arrange(app, legacy)
    _, down = _revision_of("renormalise handles and chains")
    engine = make_engine(database_url)
    try:
        with engine.begin() as connection:
            command.downgrade(alembic_config(connection), down)
            command.upgrade(alembic_config(connection), "head")
    finally:
        engine.dispose()
    values = dict(db.execute(sa.select(Entity.id, Entity.value)).all())
    assert values[made["tron"]] == f"trx:{tron}"  # renamed in place
    assert values[made["old_signal"]] == "signal:07700900123"  # kept, merged
    assert db.get(Entity, made["old_signal"]).attributes["merged_into"] == made["signal"]
    held = db.execute(
        sa.select(CaseEntity.case_id, CaseEntity.entity_id).where(CaseEntity.removed_at.is_(None))
    ).all()
    assert sorted(held) == sorted(
        [(first, made["signal"]), (first, made["tron"]), (second, made["signal"])]
    )
    link = db.get(Link, made["link"])
    assert (link.source_id, link.target_id) == (made["signal"], made["tron"])
    ops = db.scalars(sa.select(OutboxRow.op)).all()
    db.rollback()
    assert {"upsert_entity", "add_membership", "remove_membership", "upsert_link"} <= set(ops)
