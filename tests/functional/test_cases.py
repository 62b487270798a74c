"""Cases: references, need-to-know, supervisors' purpose, members, tasks, dashboard."""

from __future__ import annotations

import re
import threading

import sqlalchemy as sa

from caseflow.audit.models import AuditEvent
from caseflow.cases.models import Case
from tests.conftest import AuthActions
from tests.factories import make_case, make_user
from tests.helpers import csrf_token


def open_case_via_web(client, title="Ads ring", lead="GB", involved="DE, RO"):
    token = csrf_token(client, "/cases/new")
    return client.post(
        "/cases/new",
        data={
            "title": title,
            "summary": "Fictional summary.",
            "lead_jurisdiction": lead,
            "involved": involved,
            "priority": "high",
            "csrf_token": token,
        },
    )


def test_officer_opens_a_case_with_a_yearly_reference(auth, client, officer, clock):
    auth.login(officer)
    response = open_case_via_web(client)
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"CF-{clock.now.year}-0001" in page
    assert "DE, GB, RO" in page
    second = open_case_via_web(client, title="Second")
    page = client.get(second.headers["Location"]).get_data(as_text=True)
    assert f"CF-{clock.now.year}-0002" in page


def test_an_unknown_jurisdiction_is_refused_next_to_its_field(auth, client, officer):
    auth.login(officer)
    response = open_case_via_web(client, lead="GB", involved="DE, QQ")
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert "Involved jurisdictions: unknown ISO 3166-1 country code" in text
    assert 'id="involved-error"' in text


def test_a_non_member_officer_gets_not_found_and_learns_nothing(app, auth, client, officer):
    other = make_user(app, "officer")
    case = make_case(app, other, title="Secret title")
    case_id, reference = case.id, case.reference
    auth.login(officer)
    response = client.get(f"/cases/{case_id}")
    assert response.status_code == 404
    assert "Secret title" not in response.get_data(as_text=True)
    assert reference not in response.get_data(as_text=True)


def test_admins_see_no_case_content(app, auth, client, admin, officer):
    case_id = make_case(app, officer).id
    auth.login(admin)
    assert client.get(f"/cases/{case_id}").status_code == 403
    assert client.get("/cases/").status_code == 403


def test_a_supervisor_must_state_a_purpose_which_is_audited(app, auth, client, db, officer):
    supervisor = make_user(app, "supervisor")
    case_id = make_case(app, officer, title="Audited case").id
    auth.login(supervisor)
    response = client.get(f"/cases/{case_id}")
    assert response.status_code == 302 and "/purpose" in response.headers["Location"]
    token = csrf_token(client, f"/cases/{case_id}/purpose")
    short = client.post(f"/cases/{case_id}/purpose", data={"purpose": "audit", "csrf_token": token})
    assert short.status_code == 400 and "at least 10 characters" in short.get_data(as_text=True)
    client.post(
        f"/cases/{case_id}/purpose",
        data={"purpose": "Quarterly custody audit", "csrf_token": token},
    )
    page = client.get(f"/cases/{case_id}")
    assert page.status_code == 200
    assert "Read-only" in page.get_data(as_text=True)
    views = db.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "case.view", AuditEvent.case_id == case_id)
    ).all()
    db.rollback()
    assert views and views[-1].purpose == "Quarterly custody audit"
    assert views[-1].actor_id == supervisor.id
    # read-only: a supervisor with a purpose still cannot change the case
    token = csrf_token(client, f"/cases/{case_id}")
    response = client.post(
        f"/cases/{case_id}/tasks", data={"title": "x", "kind": "task", "csrf_token": token}
    )
    assert response.status_code == 403


def test_every_case_view_is_audited_as_a_consultation(auth, client, db, officer):
    auth.login(officer)
    location = open_case_via_web(client).headers["Location"]
    client.get(location)
    client.get(location)
    rows = db.scalars(sa.select(AuditEvent.category).where(AuditEvent.action == "case.view")).all()
    db.rollback()
    assert rows == ["consultation", "consultation"]


def test_a_removed_member_loses_access_on_the_next_request(app, auth, client, clock, officer):
    colleague = make_user(app, "officer")
    auth.login(officer)
    location = open_case_via_web(client).headers["Location"]
    case_id = int(location.rsplit("/", 1)[1])
    token = csrf_token(client, location)
    client.post(
        f"/cases/{case_id}/members",
        data={"username": colleague.username, "role": "investigator", "csrf_token": token},
    )

    other = app.test_client()
    AuthActions(other, clock).login(colleague)
    assert other.get(location).status_code == 200

    page = client.get(location).get_data(as_text=True)
    member_id = re.search(rf"/cases/{case_id}/members/(\d+)/remove", page).group(1)
    client.post(f"/cases/{case_id}/members/{member_id}/remove", data={"csrf_token": token})
    assert other.get(location).status_code == 404


def test_dashboard_lists_due_items_by_date_with_overdue_marked(app, auth, client, clock, officer):
    auth.login(officer)
    location = open_case_via_web(client).headers["Location"]
    case_id = int(location.rsplit("/", 1)[1])
    token = csrf_token(client, location)
    today = clock.now.date()
    for title, kind, days in [
        ("Later deadline", "deadline", 5),
        ("Preservation expires", "preservation-expiry", -1),
        ("Far away", "deadline", 60),
    ]:
        client.post(
            f"/cases/{case_id}/tasks",
            data={
                "title": title,
                "kind": kind,
                "csrf_token": token,
                "due_on": (today + __import__("datetime").timedelta(days=days)).isoformat(),
            },
        )
    page = client.get("/").get_data(as_text=True)
    assert page.index("Preservation expires") < page.index("Later deadline")
    assert "Far away" not in page
    assert "overdue" in page


def test_deadline_without_a_date_is_refused(auth, client, officer):
    auth.login(officer)
    location = open_case_via_web(client).headers["Location"]
    case_id = int(location.rsplit("/", 1)[1])
    token = csrf_token(client, location)
    response = client.post(
        f"/cases/{case_id}/tasks",
        data={"title": "No date", "kind": "deadline", "csrf_token": token},
        follow_redirects=True,
    )
    assert "Due date: required for deadlines." in response.get_data(as_text=True)


def test_concurrent_case_creation_gives_gap_free_unique_references(app, officer):
    errors = []

    def create(n):
        try:
            make_case(app, officer, title=f"Parallel {n}")
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=create, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    session = app.extensions["caseflow.sessionmaker"]()
    refs = sorted(session.scalars(sa.select(Case.reference)))
    session.close()
    year = app.config["CLOCK"]().year
    assert refs == [f"CF-{year}-{n:04d}" for n in range(1, 9)]


def test_an_id_beyond_the_database_range_is_not_found_not_an_error(auth, client, officer):
    auth.login(officer)
    assert client.get("/cases/99999999999999999999").status_code == 404
    assert client.get("/cases/2147483648").status_code == 404
