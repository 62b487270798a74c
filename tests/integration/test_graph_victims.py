"""A supervisor reading a case with a purpose sees that a victim is involved, never who: every
graph payload (the expand JSON, the page's embedded JSON, its entity table, paths) goes
through the same masking policy as the case page (caseflow.policy)."""

from __future__ import annotations

import pytest

from caseflow.entities.services import VICTIM_MASK
from tests.conftest import AuthActions
from tests.factories import make_case, make_user
from tests.helpers import csrf_token
from tests.integration.test_graph_projection import add, graph_app, link

pytestmark = pytest.mark.neo4j
__all__ = ["graph_app"]

VICTIM = "Victim Fictional-Person"


def _victim_case(app):
    officer = make_user(app, "officer")
    case_id = make_case(app, officer).id
    phone = add(app, officer, case_id, "phone", "+44 7700 900188")

    from caseflow.entities import services as entities
    from tests.factories import actor_of, arrange

    victim = arrange(
        app,
        lambda session, now: (
            entities.add_entity(
                session,
                actor_of(session, officer),
                case_id,
                "person",
                VICTIM,
                role="victim",
                now=now,
            ).entity.id
        ),
    )
    link(app, officer, case_id, phone, victim, "CONTACTED")
    return officer, case_id, phone, victim


def _login_with_purpose(app, user, case_id):
    client = app.test_client()
    AuthActions(client, app.config["CLOCK"]).login(user)
    token = csrf_token(client, f"/cases/{case_id}/purpose")
    stated = client.post(
        f"/cases/{case_id}/purpose",
        data={"purpose": "Quarterly quality review", "csrf_token": token},
    )
    assert stated.status_code == 302
    return client


def test_a_supervisor_with_a_purpose_never_sees_the_victim_in_any_graph_payload(
    graph_app, graph_store
):
    _officer, case_id, phone, victim = _victim_case(graph_app)
    supervisor = make_user(graph_app, "supervisor")
    client = _login_with_purpose(graph_app, supervisor, case_id)

    expanded = client.get(f"/cases/{case_id}/graph/expand/{victim}.json")
    assert expanded.status_code == 200
    assert VICTIM not in expanded.get_data(as_text=True)
    nodes = {n["data"].get("entity_id"): n["data"] for n in expanded.get_json()["nodes"]}
    assert nodes[victim]["kind"] == "person"  # that a victim is involved...
    assert nodes[victim]["label"] == VICTIM_MASK and nodes[victim]["value"] == ""  # ...not who

    around = client.get(f"/cases/{case_id}/graph/expand/{phone}.json?depth=2")
    assert VICTIM not in around.get_data(as_text=True)

    page = client.get(f"/cases/{case_id}/graph/")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert VICTIM not in text  # neither the JSON island nor the entity table
    assert VICTIM_MASK in text

    focused = client.get(f"/cases/{case_id}/graph/?focus={victim}&depth=1")
    assert VICTIM not in focused.get_data(as_text=True)

    path = client.get(f"/cases/{case_id}/graph/path/{phone}/{victim}.json")
    assert path.status_code == 200 and VICTIM not in path.get_data(as_text=True)


def test_members_still_see_their_victim_in_the_graph(graph_app, graph_store):
    officer, case_id, _phone, victim = _victim_case(graph_app)
    client = graph_app.test_client()
    AuthActions(client, graph_app.config["CLOCK"]).login(officer)
    expanded = client.get(f"/cases/{case_id}/graph/expand/{victim}.json").get_json()
    nodes = {n["data"].get("entity_id"): n["data"] for n in expanded["nodes"]}
    assert nodes[victim]["label"] == VICTIM
    assert VICTIM in client.get(f"/cases/{case_id}/graph/").get_data(as_text=True)
