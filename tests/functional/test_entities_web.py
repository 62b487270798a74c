"""Entity pages: add form, ad intake, links, CSV import and CLI, hits, audit, query count."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy import event

from caseflow.audit.models import AuditEvent
from caseflow.auth.models import User
from caseflow.entities import services
from caseflow.entities.models import CaseEntity, Entity, Link
from tests.factories import actor_of, arrange, make_case, make_evidence_item, make_user
from tests.helpers import csrf_token

WALLET = "0x52908400098527886E0F7030069857D2E4169EE7"


def add_via_web(client, case_id, **data):
    token = csrf_token(client, f"/cases/{case_id}/entities/new")
    return client.post(f"/cases/{case_id}/entities/new", data={"csrf_token": token, **data})


def add_via_service(app, user, case_id, kind, value, **kw):
    return arrange(
        app,
        lambda session, now: (
            services.add_entity(
                session, actor_of(session, user), case_id, kind, value, now=now, **kw
            ).entity.id
        ),
    )


def test_adding_a_phone_shows_its_page_and_audits_the_consultation(app, auth, client, db, officer):
    case_id = make_case(app, officer).id
    auth.login(officer)
    response = add_via_web(client, case_id, kind="phone", value="07700 900123")
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "+44 7700 900123" in page and "+447700900123" in page
    actions = db.scalars(sa.select(AuditEvent.action).order_by(AuditEvent.seq)).all()
    db.rollback()
    assert actions[-2:] == ["entity.add", "entity.view"]


def test_a_bad_value_is_shown_next_to_its_field_not_a_500(app, auth, client, officer):
    case_id = make_case(app, officer).id
    auth.login(officer)
    response = add_via_web(client, case_id, kind="account", value="someone")
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert "Platform: required for accounts." in text
    assert 'id="platform-error"' in text
    response = add_via_web(
        client, case_id, kind="wallet", value="0x52908400098527886e0F7030069857D2E4169EE7"
    )
    assert response.status_code == 400
    assert "Wallet: Ethereum address checksum does not match" in response.get_data(as_text=True)


def test_ad_intake_confirms_candidates_and_creates_everything_at_once(
    app, auth, client, db, officer
):
    case_id = make_case(app, officer).id
    auth.login(officer)
    token = csrf_token(client, f"/cases/{case_id}/ads/new")
    text = f"New in town. Call 07700 900123, mail book [at] example.com, pay {WALLET}. bad 0x1234"
    ad = {
        "value": "https://ads.example.com/listing/77",
        "platform": "",
        "posted_at": "2026-10-30T21:00:00+01:00",
        "title": "Fictional ad",
        "posted_by": "",
        "csrf_token": token,
    }
    confirm = client.post(f"/cases/{case_id}/ads/new", data={**ad, "text": text})
    assert confirm.status_code == 200
    page = confirm.get_data(as_text=True)
    keys = re.findall(r'name="selected" value="([^"]+)"', page)
    assert set(keys) == {
        "phone:+447700900123",
        "email:book@example.com",
        f"wallet:eth:{WALLET.lower()}",
    }
    # untick the e-mail
    chosen = [k for k in keys if not k.startswith("email:")]
    response = client.post(
        f"/cases/{case_id}/ads/create", data={**ad, "text": text, "selected": chosen}
    )
    assert response.status_code == 200
    assert "Ad added with 2 identifier(s)" in response.get_data(as_text=True)
    kinds = db.scalars(sa.select(Entity.kind).order_by(Entity.id)).all()
    links = db.scalars(sa.select(Link.type)).all()
    db.rollback()
    assert kinds == ["ad", "phone", "wallet"]
    assert links == ["CONTACT", "CONTACT"]


def test_links_are_recorded_with_provenance_and_retracted_on_their_page(
    app, auth, client, db, officer
):
    case_id = make_case(app, officer).id
    phone = add_via_service(app, officer, case_id, "phone", "+447700900123")
    wallet = add_via_service(app, officer, case_id, "wallet", WALLET)
    item_id = make_evidence_item(app, officer, case_id).id  # links cite their own case's items
    auth.login(officer)
    token = csrf_token(client, f"/cases/{case_id}/links/new?source={phone}")
    response = client.post(
        f"/cases/{case_id}/links/new",
        data={
            "source_id": phone,
            "target_id": wallet,
            "type": "CONTROLS",
            "confidence": "possible",
            "assessment": "assessment",
            "evidence_item_id": str(item_id),
            "note": "Same handset seen paying.",
            "csrf_token": token,
        },
    )
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Assessment (an opinion)" in page and "possible" in page
    link_path = response.headers["Location"]
    client.post(link_path + "/retract", data={"csrf_token": token})
    page = client.get(link_path).get_data(as_text=True)
    assert "retracted" in page
    views = db.scalars(
        sa.select(AuditEvent.action)
        .where(AuditEvent.action.like("link.%"))
        .order_by(AuditEvent.seq)
    ).all()
    db.rollback()
    assert views == ["link.form", "link.create", "link.view", "link.retract", "link.view"]


def test_csv_upload_lists_bad_rows_and_imports_nothing_until_clean(app, auth, client, db, officer):
    case_id = make_case(app, officer).id
    auth.login(officer)
    token = csrf_token(client, f"/cases/{case_id}/entities/import")
    body = (
        b"kind,value,role\nphone,07700 900123,\nemail,not-an-email,\nperson,Alex Example,victim\n"
    )
    response = client.post(
        f"/cases/{case_id}/entities/import",
        data={"csrf_token": token, "file": (io.BytesIO(body), "ids.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Nothing was imported" in page and "<td>3</td>" in page
    assert db.scalar(sa.select(sa.func.count()).select_from(Entity)) == 0
    db.rollback()
    response = client.post(
        f"/cases/{case_id}/entities/import",
        data={"csrf_token": token, "file": (io.BytesIO(body), "ids.csv"), "skip_bad": "y"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200 and "Imported 2 of 3" in response.get_data(as_text=True)


def test_cli_import_reports_bad_lines_and_exits_non_zero(app, runner, db, officer, tmp_path):
    reference = make_case(app, officer).reference
    path = tmp_path / "ids.csv"
    path.write_text("kind,value\nphone,+447700900123\nphone,nope\nwallet,bc1qnotvalid\n")
    result = runner.invoke(args=["entities", "import", reference, str(path)])
    assert result.exit_code == 1
    assert "line 3: Phone:" in result.output and "line 4: Wallet" in result.output
    assert db.scalar(sa.select(sa.func.count()).select_from(Entity)) == 0
    db.rollback()
    result = runner.invoke(args=["entities", "import", reference, str(path), "--skip-bad"])
    assert result.exit_code == 0, result.output
    assert "Imported 1 identifier(s)" in result.output
    result = runner.invoke(args=["entities", "import", "CF-1999-0001", str(path)])
    assert result.exit_code == 1 and "No case" in result.output


def test_a_cross_case_hit_reveals_only_reference_and_owner_contact(app, auth, client, db, officer):
    other = make_user(app, "officer")
    case = make_case(app, other, title="Secret operation title")
    their_id, their_ref = case.id, case.reference
    for kind, value, role in [
        ("phone", "+447700900123", None),
        ("email", "hidden.selector@example.com", None),
        ("person", "Victim Fictional-Name", "victim"),
        ("person", "Suspect Fictional-Name", "suspect"),
    ]:
        add_via_service(app, other, their_id, kind, value, role=role)
    victim_org = add_via_service(
        app, other, their_id, "organization", "Victim Org Ltd", role="victim"
    )
    my_id = make_case(app, officer, title="Mine").id
    add_via_service(app, officer, my_id, "phone", "07700 900123")
    ref = db.scalar(sa.select(Entity.value).where(Entity.id == victim_org))
    db.rollback()
    add_via_service(app, officer, my_id, "organization", {"ref": ref}, role="other")
    auth.login(officer)
    page = client.get(f"/cases/{my_id}").get_data(as_text=True)
    hits = page[page.index("Cross-case hits") : page.index("</aside>")]
    owner = db.get(User, other.id)
    db.rollback()
    assert their_ref in hits and owner.display_name in hits and owner.email in hits
    assert owner.phone in hits
    for secret in (
        "Secret operation title",
        "hidden.selector@example.com",
        "Victim Fictional-Name",
        "Suspect Fictional-Name",
    ):
        assert secret not in page
    # the organization is in both cases, but as a victim in theirs: no hit
    assert "Victim Org Ltd" not in hits and hits.count("<li>") == 1
    shown = db.scalars(sa.select(AuditEvent).where(AuditEvent.action == "hit.shown")).all()
    db.rollback()
    assert [(e.actor_id, e.case_id, e.category) for e in shown][-1] == (
        officer.id,
        my_id,
        "consultation",
    )


def test_victims_are_masked_for_a_supervisor_reading_with_a_purpose(app, auth, client, officer):
    supervisor = make_user(app, "supervisor")
    case_id = make_case(app, officer).id
    victim = add_via_service(
        app, officer, case_id, "person", "Victim Fictional-Name", role="victim"
    )
    auth.login(supervisor)
    token = csrf_token(client, f"/cases/{case_id}/purpose")
    client.post(
        f"/cases/{case_id}/purpose",
        data={"purpose": "Quarterly quality review", "csrf_token": token},
    )
    page = client.get(f"/cases/{case_id}").get_data(as_text=True)
    assert "Victim Fictional-Name" not in page and "restricted to case members" in page
    page = client.get(f"/cases/{case_id}/entities/{victim}").get_data(as_text=True)
    assert "Victim Fictional-Name" not in page
    assert client.get(f"/cases/{case_id}/entities/new").status_code == 403


def _bulk_entities(app, case_id, user_id, start, count):
    session = app.extensions["caseflow.sessionmaker"]()
    when = datetime(2026, 11, 1, tzinfo=UTC)
    entities = [
        Entity(
            kind="email",
            value=f"user{n}@example.com",
            label=f"user{n}@example.com",
            attributes={},
            created_at=when,
        )
        for n in range(start, start + count)
    ]
    session.add_all(entities)
    session.flush()
    session.add_all(
        CaseEntity(
            case_id=case_id, entity_id=e.id, source="csv", added_at=when, added_by_id=user_id
        )
        for e in entities
    )
    session.commit()
    session.close()


def test_case_page_query_count_does_not_grow_with_its_entities(app, auth, client, officer):
    case_id = make_case(app, officer).id
    auth.login(officer)
    engine = app.extensions["caseflow.engine"]
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    def page_queries() -> int:
        statements.clear()
        event.listen(engine, "before_cursor_execute", count)
        try:
            response = client.get(f"/cases/{case_id}")
        finally:
            event.remove(engine, "before_cursor_execute", count)
        assert response.status_code == 200
        return len(statements), response.get_data(as_text=True)

    _bulk_entities(app, case_id, officer.id, 0, 10)
    small, _ = page_queries()
    _bulk_entities(app, case_id, officer.id, 10, 990)
    large, page = page_queries()
    assert small == large
    assert "Page 1 of 40 (1000 identifiers)" in page
    assert page.count("@example.com</a>") == 25


def test_probable_candidates_are_shown_with_their_reason_and_left_unticked(
    app, auth, client, officer
):
    case_id = make_case(app, officer).id  # a GB case
    auth.login(officer)
    token = csrf_token(client, f"/cases/{case_id}/ads/new")
    text = "Nouvelle! appelle 06 39 98 12 26 ou 07700 900123"
    ad = {"value": "https://ads.example.com/listing/78", "platform": "", "posted_at": "",
          "title": "", "posted_by": "", "csrf_token": token}  # fmt: skip
    page = client.post(f"/cases/{case_id}/ads/new", data={**ad, "text": text}).get_data(
        as_text=True
    )
    ticked = re.findall(r'name="selected" value="([^"]+)" id="[^"]+" checked>', page)
    offered = re.findall(r'name="selected" value="([^"]+)"', page)
    assert set(offered) == {"phone:+33639981226", "phone:+447700900123"}
    assert ticked == ["phone:+447700900123"]
    assert "Check: valid only as a number of FR, not of GB" in page
