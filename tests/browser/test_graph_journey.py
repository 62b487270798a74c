"""The graph view in a real browser, against the suite's real Neo4j (GRAPH_SYNC inline): my
entities and links as nodes, a stub for a case I may not see, and the accessible tables."""

from __future__ import annotations

import re
import threading

import pytest
from werkzeug.serving import make_server

from caseflow import create_app
from caseflow.clock import utcnow
from caseflow.entities import services as entity_services
from tests.browser.conftest import axe_violations, enrol, login, screenshot
from tests.factories import actor_of, arrange, make_case
from tests.helpers import app_config
from tests.integration.neo4j_fixtures import SERVER, graph_store, neo4j_driver, neo4j_store

__all__ = ["graph_store", "neo4j_driver", "neo4j_store"]

pytestmark = pytest.mark.neo4j


@pytest.fixture
def live_app(database_url, tmp_path, graph_store):
    """The live app of conftest.py, projecting every commit into the suite's Neo4j at once."""
    app = create_app(
        app_config(
            database_url,
            tmp_path,
            TESTING=False,
            CLOCK=utcnow,
            GRAPH_SYNC="inline",
            NEO4J_URI=SERVER["uri"],
            NEO4J_USER=SERVER["user"],
            NEO4J_PASSWORD=SERVER["password"],
        )
    )
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    app.config["LIVE_URL"] = f"http://127.0.0.1:{server.server_port}"
    yield app
    server.shutdown()
    thread.join(5)
    app.extensions["caseflow.graph"].close()
    app.extensions["caseflow.engine"].dispose()


def add(app, username, case_id, kind, value):
    def go(session, now):
        me = actor_of(session, username)
        return entity_services.add_entity(session, me, case_id, kind, value, now=now).entity.id

    return arrange(app, go)


def link(app, username, case_id, source_id, target_id):
    def go(session, now):
        entity_services.link_entities(
            session,
            actor_of(session, username),
            case_id,
            source_id=source_id,
            target_id=target_id,
            type="ASSOCIATED_WITH",
            now=now,
        )

    arrange(app, go)


def test_the_graph_shows_my_entities_and_a_hit_stub_for_a_case_i_cannot_see(page, live_app):
    seed = enrol(live_app, "olivia.officer", "officer", "Olivia Officer")
    enrol(live_app, "omar.other", "officer", "Omar Other")
    mine = make_case(live_app, "olivia.officer", title="Ads ring (fictional)").id
    theirs_case = make_case(live_app, "omar.other", title="Another unit's case")
    theirs, theirs_ref = theirs_case.id, theirs_case.reference
    phone = add(live_app, "olivia.officer", mine, "phone", "+44 7700 900123")
    email = add(live_app, "olivia.officer", mine, "email", "seller@example.com")
    link(live_app, "olivia.officer", mine, phone, email)
    add(live_app, "omar.other", theirs, "phone", "07700900123")
    hidden = add(live_app, "omar.other", theirs, "email", "hidden.contact@example.org")
    link(live_app, "omar.other", theirs, phone, hidden)

    login(page, "olivia.officer", seed)
    page.goto(f"/cases/{mine}")
    page.get_by_role("link", name="Graph", exact=True).click()
    page.get_by_role("heading", name=re.compile("Link graph")).wait_for()
    page.locator("#graph canvas").first.wait_for(state="attached")
    assert page.locator("#graph").get_attribute("aria-hidden") == "true"

    nodes = page.get_by_role("table", name=re.compile(r"Entities \(2\)"))
    rows = [r.split("\t") for r in nodes.locator("tbody tr").all_inner_texts()]
    assert sorted(r[0] for r in rows) == ["email", "phone"]
    assert "+447700900123" in nodes.inner_text() and "seller@example.com" in nodes.inner_text()
    links = page.get_by_role("table", name=re.compile(r"Links \(1\)"))
    assert "ASSOCIATED_WITH" in links.inner_text()
    hits = page.get_by_role("table", name=re.compile(r"Cross-case hits \(1\)"))
    hit = hits.locator("tbody tr").first.inner_text()
    assert theirs_ref in hit and "Omar Other" in hit
    assert "hidden.contact@example.org" not in page.content()
    violations = axe_violations(page)
    assert violations == [], violations
    screenshot(page, "j3-graph")
