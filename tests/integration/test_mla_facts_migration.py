"""The request-facts migration keeps what officers stated and turns the old form's assumed
defaults into "unknown"."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import command
from alembic.script import ScriptDirectory

from caseflow.db import alembic_config, make_engine, upgrade
from tests.factories import make_case, make_user

FACTS_REVISION = next(
    s
    for s in ScriptDirectory.from_config(alembic_config()).walk_revisions()
    if "mla_request_facts" in (s.path or "")
)


def _old_row(number: int, **values: object) -> dict[str, object]:
    now = datetime(2026, 11, 1, tzinfo=UTC)
    row: dict[str, object] = {
        "number": number,
        "status": "draft",
        "created_at": now,
        "updated_at": now,
        "requesting_state": "GB",
        "requested_state": "TH",
        "request_types": "",
        "holder_kind": "service-provider",
        "production_to_follow": False,
        "child_offence": True,
        "proceedings_stage": "investigation",
        "urgency": "normal",
    }
    for name in (
        "requesting_authority",
        "authority_address",
        "contact_person",
        "contact_phone",
        "contact_email",
        "contact_24_7",
        "time_zone",
        "central_authority",
        "holder_name",
        "summary_of_facts",
        "necessity",
        "urgency_reason",
        "confidentiality",
        "use_limits",
        "earlier_requests",
        "language",
        "legal_basis",
        "proposed_basis",
        "basis_explanation",
        "override_reason",
        "return_reason",
        "sent_to",
        "foreign_reference",
        "outcome_note",
    ):
        row[name] = ""
    row.update(values)
    return row


def test_old_rows_keep_statements_and_lose_assumed_defaults(app, database_url, clock):
    user = make_user(app, "liaison")
    with app.app_context():
        from caseflow.extensions import db_session

        session = db_session()
        case = make_case(session, user, now=clock())
        session.commit()
        case_id = case.id
    app.extensions["caseflow.engine"].dispose()
    engine = make_engine(database_url)
    try:
        with engine.begin() as conn:
            command.downgrade(alembic_config(conn), FACTS_REVISION.down_revision)
        table = sa.Table("mla_requests", sa.MetaData(), autoload_with=engine)
        assert "request_types" in table.c and "measure" not in table.c
        with engine.begin() as conn:
            for row in (
                _old_row(1, request_types="preservation,traffic-data", production_to_follow=True),
                _old_row(2, request_types="search-or-testimony", holder_kind="financial"),
                _old_row(3, request_types="subscriber-data", child_offence=False),
            ):
                conn.execute(table.insert().values(case_id=case_id, author_id=user.id, **row))
            # Rows that reference a request survive: no table is rebuilt.
            first = conn.execute(sa.text("SELECT min(id) FROM mla_requests")).scalar_one()
            conn.execute(
                sa.text(
                    "INSERT INTO mla_offences (request_id, name, provision, maximum_penalty) "
                    "VALUES (:r, 'Fraud', 's. 1', '10 years')"
                ),
                {"r": first},
            )
        upgrade(engine)
        with engine.connect() as conn:
            rows = conn.execute(
                sa.text(
                    "SELECT number, measure, data_categories, holder_kind, child_exploitation, "
                    "production_to_follow, transnational, organised_group "
                    "FROM mla_requests ORDER BY number"
                )
            ).all()
            offences = conn.execute(
                sa.text("SELECT name, tags, by_information_system FROM mla_offences")
            ).all()
    finally:
        engine.dispose()
    assert [tuple(r) for r in rows] == [
        (1, "preserve", "traffic", "unknown", "unknown", "yes", "unknown", "unknown"),
        (2, "obtain", "search,hearing", "financial", "unknown", "unknown", "unknown", "unknown"),
        (3, "obtain", "subscriber", "unknown", "no", "unknown", "unknown", "unknown"),
    ]
    assert [tuple(o) for o in offences] == [("Fraud", "", "unknown")]
