"""Entity services against the real database: uniqueness, roles, links, hits, ad, CSV."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from caseflow.actor import Actor
from caseflow.audit.models import AuditEvent
from caseflow.cases import services as case_services
from caseflow.entities import services
from caseflow.entities.inputs import read_csv
from caseflow.entities.models import CaseEntity, Entity, Link
from caseflow.errors import NotFoundError, ValidationError
from caseflow.graphsync.models import OutboxRow
from tests.factories import make_case, make_evidence_item, make_user

WALLET = "0x52908400098527886E0F7030069857D2E4169EE7"  # EIP-55 test vector


@pytest.fixture
def session(app):
    session = app.extensions["caseflow.sessionmaker"]()
    yield session
    session.close()


def actor_of(user) -> Actor:
    return Actor(user.id, user.username, user.role)


def test_one_phone_in_three_spellings_is_one_entity(app, session, officer, clock):
    case_id = make_case(session, officer, now=clock()).id
    me = actor_of(officer)
    first = services.add_entity(session, me, case_id, "phone", "+44 7700 900123", now=clock())
    second = services.add_entity(session, me, case_id, "phone", "07700900123", now=clock())
    third = services.add_entity(session, me, case_id, "phone", "+447700900123", now=clock())
    assert first.created and not second.created and not third.created
    assert first.entity.id == second.entity.id == third.entity.id
    assert second.already_in_case
    assert session.scalar(sa.select(sa.func.count()).select_from(Entity)) == 1
    ops = session.scalars(sa.select(OutboxRow.op).order_by(OutboxRow.id)).all()
    assert ops == ["upsert_case", "upsert_entity", "add_membership"]


def test_a_bad_value_names_the_field_and_the_rule(app, session, officer, clock):
    case_id = make_case(session, officer, now=clock()).id
    me = actor_of(officer)
    with pytest.raises(ValidationError) as bad_phone:
        services.add_entity(session, me, case_id, "phone", "12", now=clock())
    assert bad_phone.value.field == "value"
    assert bad_phone.value.message.startswith("Phone: ")
    with pytest.raises(ValidationError) as no_platform:
        services.add_entity(session, me, case_id, "account", {"value": "somebody"}, now=clock())
    assert no_platform.value.field == "platform"
    assert no_platform.value.message == "Platform: required for accounts."
    with pytest.raises(ValidationError) as no_role:
        services.add_entity(session, me, case_id, "person", "Fictional Name", now=clock())
    assert no_role.value.field == "role"


def test_a_person_role_belongs_to_the_involvement(app, session, officer, clock):
    case_id = make_case(session, officer, now=clock()).id
    me = actor_of(officer)
    added = services.add_entity(
        session, me, case_id, "person", "Alex Example", role="victim", now=clock()
    )
    involvement = session.scalars(sa.select(CaseEntity)).one()
    assert involvement.role == "victim"
    assert "role" not in added.entity.attributes
    with pytest.raises(ValidationError) as wrong:
        services.add_entity(
            session, me, case_id, "email", "a@example.com", role="victim", now=clock()
        )
    assert wrong.value.field == "role"


def test_ip_observations_keep_port_and_time_out_of_the_identity(app, session, officer, clock):
    case_id = make_case(session, officer, now=clock()).id
    me = actor_of(officer)
    for port, when in (("4444", "2026-10-01T10:00:00+02:00"), ("5555", "2026-10-02T10:00:00Z")):
        services.add_entity(
            session,
            me,
            case_id,
            "ip_address",
            {"value": "192.0.2.7", "port": port, "observed_at": when},
            now=clock(),
        )
    view = services.view_entity(session, me, case_id, session.scalar(sa.select(Entity.id)))
    assert [(o.port, o.observed_at.hour) for o in view.observations] == [(4444, 8), (5555, 10)]
    assert "port" not in view.attributes


def test_links_carry_provenance_and_are_retracted_not_deleted(app, session, officer, clock):
    case_id = make_case(session, officer, now=clock()).id
    me = actor_of(officer)
    phone = services.add_entity(session, me, case_id, "phone", "+447700900123", now=clock())
    wallet = services.add_entity(session, me, case_id, "wallet", WALLET, now=clock())
    with app.app_context():  # the evidence store comes from the app
        item_id = make_evidence_item(session, officer, case_id, now=clock()).id
    link = services.link_entities(
        session,
        me,
        case_id,
        source_id=phone.entity.id,
        target_id=wallet.entity.id,
        type="controls",
        confidence="probable",
        assessment=True,
        evidence_item_id=item_id,
        now=clock(),
    )
    assert (link.type, link.confidence, link.assessment, link.evidence_item_id) == (
        "CONTROLS",
        "probable",
        True,
        item_id,
    )
    audit = session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "link.create")).one()
    assert audit.category == "combination"
    services.retract_link(session, me, case_id, link.id, now=clock())
    assert session.get(Link, link.id).retracted_at is not None
    ops = session.scalars(sa.select(OutboxRow.op).order_by(OutboxRow.id)).all()
    assert ops[-2:] == ["upsert_link", "delete_link"]
    with pytest.raises(ValidationError) as bad:
        services.link_entities(
            session,
            me,
            case_id,
            source_id=phone.entity.id,
            target_id=wallet.entity.id,
            type="LIKES",
            now=clock(),
        )
    assert bad.value.field == "type"


def test_an_entity_of_another_case_cannot_be_linked(app, session, officer, clock):
    mine = make_case(session, officer, now=clock()).id
    theirs = make_case(session, officer, now=clock(), title="Other").id
    me = actor_of(officer)
    a = services.add_entity(session, me, mine, "email", "a@example.com", now=clock())
    b = services.add_entity(session, me, theirs, "email", "b@example.com", now=clock())
    with pytest.raises(ValidationError) as bad:
        services.link_entities(
            session,
            me,
            mine,
            source_id=a.entity.id,
            target_id=b.entity.id,
            type="SAME_AS",
            now=clock(),
        )
    assert bad.value.field == "target_id"


def test_cross_case_hits_show_reference_and_owner_only(app, session, officer, clock):
    other = make_user(app, "officer")
    mine = make_case(session, officer, now=clock()).id
    theirs = make_case(session, other, now=clock(), title="Their case").id
    me, them = actor_of(officer), actor_of(other)
    services.add_entity(session, them, theirs, "phone", "+447700900123", now=clock())
    services.add_entity(session, them, theirs, "email", "victim@example.com", now=clock())
    services.add_entity(
        session, them, theirs, "person", "Alex Example", role="suspect", now=clock()
    )
    victim_org = services.add_entity(
        session, them, theirs, "organization", "Example Ltd", role="victim", now=clock()
    )
    added = services.add_entity(session, me, mine, "phone", "07700 900123", now=clock())
    assert [h.case_reference for h in added.hits] == [
        session.get(case_services.Case, theirs).reference
    ]
    services.add_entity(
        session,
        me,
        mine,
        "organization",
        {"ref": victim_org.entity.value},
        role="other",
        now=clock(),
    )
    hits = services.cross_case_hits(session, me, mine)
    assert len(hits) == 1
    hit = hits[0]
    assert hit.entity_kind == "phone" and hit.owner_name.startswith("Officer")
    assert hit.owner_contact == f"Test Agency · {other.username}@example.org · +44 20 7946 0000"
    shown = session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "hit.shown", AuditEvent.case_id == mine)
    ).all()
    assert len(shown) == 2  # once when added, once on the list
    assert shown[-1].details == {"other_case_id": theirs}
    # the other owner learns of my case the same way; once a member of both, no hit
    assert len(services.cross_case_hits(session, them, theirs)) == 1
    case_services.add_member(
        session, me, mine, username=other.username, role="investigator", now=clock()
    )
    assert services.cross_case_hits(session, them, theirs) == []


def test_outsiders_get_not_found(app, session, officer, clock):
    stranger = make_user(app, "officer")
    case_id = make_case(session, officer, now=clock()).id
    with pytest.raises(NotFoundError):
        services.list_case_entities(session, actor_of(stranger), case_id)


def test_ad_intake_creates_entities_and_links_in_one_step(app, session, officer, clock):
    case_id = make_case(session, officer, now=clock()).id
    me = actor_of(officer)
    text = f"Call 07700 900123 or mail book [at] example.com. Pay to {WALLET}. Tg: @fictional_agent"
    preview = services.preview_ad(session, me, case_id, text, platform="telegram")
    keys = [services.candidate_key(c) for c in preview.candidates if c.normalized]
    assert "phone:+447700900123" in keys and "email:book@example.com" in keys
    result = services.ingest_ad(
        session,
        me,
        case_id,
        ad={"value": "https://ads.example.com/listing/991", "posted_at": "2026-10-30T20:00Z"},
        text=text,
        selected=keys,
        posted_by="fictional_poster",
        now=clock(),
    )
    types = sorted(link.type for link in result.links)
    assert types.count("POSTED") == 1 and types.count("CONTACT") == len(keys)
    assert "text" not in result.ad.attributes
    assert result.capture is not None and result.capture.text == text
    with pytest.raises(ValidationError):
        services.ingest_ad(
            session,
            me,
            case_id,
            ad={"value": "https://ads.example.com/2"},
            text=text,
            selected=["phone:+447700900999"],
            now=clock(),
        )
    assert (
        session.scalar(
            sa.select(sa.func.count())
            .select_from(Entity)
            .where(Entity.value.like("%ads.example.com/2"))
        )
        == 0
    )


def test_csv_import_reports_every_bad_row_and_imports_nothing(app, session, officer, clock):
    case_id = make_case(session, officer, now=clock()).id
    me = actor_of(officer)
    rows = read_csv(
        "kind,value,platform,role\n"
        "phone,07700 900123,,\n"
        "phone,12,,\n"
        "account,someone,,\n"
        "person,Alex Example,,witness\n"
        "fax,123,,\n"
    )
    report = services.import_csv(session, me, case_id, rows, now=clock())
    assert not report.imported and report.ok_count == 0
    assert [(e.line, e.field) for e in report.errors] == [
        (3, "value"),
        (4, "platform"),
        (6, "kind"),
    ]
    assert session.scalar(sa.select(sa.func.count()).select_from(Entity)) == 0
    seen = []
    report = services.import_csv(
        session, me, case_id, rows, skip_bad=True, now=clock(), progress=lambda d, t: seen.append(d)
    )
    assert report.imported and report.ok_count == 2 and seen == [1, 2]
    page = services.list_case_entities(session, me, case_id, per_page=1)
    assert page.total == 2 and page.pages == 2 and len(page.rows) == 1
