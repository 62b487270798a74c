"""The outbox reaches the real Neo4j: after commit, through outages, by rebuild; and
`caseflow graph check` compares the two stores."""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa

from caseflow import create_app
from caseflow.graphsync.models import OutboxRow
from caseflow.graphsync.projector import backlog, drain
from tests.factories import actor_of, arrange, make_case, make_user
from tests.integration.neo4j_fixtures import SERVER, neo4j_sh

pytestmark = pytest.mark.neo4j


@pytest.fixture
def graph_app(database_url, tmp_path, clock, graph_store):
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": database_url,
            "INSTANCE_PATH": str(tmp_path / "instance"),
            "SECRET_KEY": "graph-secret-key-0123456789abcdefghijklmnop",
            "TOTP_KEY": "graph-totp-key-0123456789abcdefghijklmnopqr",
            "PASSWORD_HASH_PROFILE": "test",
            "CLOCK": clock,
            "GRAPH_SYNC": "inline",
            "NEO4J_URI": SERVER["uri"],
            "NEO4J_USER": SERVER["user"],
            "NEO4J_PASSWORD": SERVER["password"],
        }
    )
    yield app
    app.extensions["caseflow.graph"].close()
    app.extensions["caseflow.engine"].dispose()


def test_a_committed_change_reaches_neo4j_and_its_row_is_marked_applied(graph_app, graph_store):
    officer = make_user(graph_app, "officer")
    case_id = make_case(graph_app, officer).id
    assert case_id in graph_store.inventory().case_ids
    with graph_app.extensions["caseflow.sessionmaker"]() as session:
        assert backlog(session) == 0
        row = session.scalar(sa.select(OutboxRow))
        assert row.applied_at is not None and row.attempts == 1


def test_graph_check_passes_then_names_what_neo4j_lost_and_rebuild_repairs_it(
    graph_app, graph_store
):
    officer = make_user(graph_app, "officer")
    ids = [make_case(graph_app, officer, title=f"Case {n}").id for n in range(3)]
    runner = graph_app.test_cli_runner()
    result = runner.invoke(args=["graph", "check"])
    assert result.exit_code == 0, result.output
    assert "3 cases" in result.output

    graph_store.clear()
    result = runner.invoke(args=["graph", "check"])
    assert result.exit_code == 1
    assert "cases: 3 missing in Neo4j" in result.output
    assert str(ids[0]) in result.output

    result = runner.invoke(args=["graph", "rebuild"])
    assert result.exit_code == 0, result.output
    assert runner.invoke(args=["graph", "check"]).exit_code == 0


@pytest.mark.skipif(
    bool(__import__("os").environ.get("CASEFLOW_TEST_NEO4J_URI")),
    reason="stops and restarts the server: only the suite's own Neo4j",
)
def test_writes_succeed_while_neo4j_is_down_and_nothing_is_lost(graph_app, graph_store):
    officer = make_user(graph_app, "officer")
    before = [make_case(graph_app, officer, title=f"Case {n}").id for n in range(5)]
    stopped = neo4j_sh("stop")
    assert stopped.returncode == 0, stopped.stderr
    try:
        # every write still commits
        during = [make_case(graph_app, officer, title=f"Case {n}").id for n in range(5, 15)]
        with graph_app.extensions["caseflow.sessionmaker"]() as session:
            assert backlog(session) == 10
            failed = session.scalars(
                sa.select(OutboxRow).where(OutboxRow.applied_at.is_(None))
            ).all()
            assert all(r.attempts >= 1 and r.last_error for r in failed)
    finally:
        started = neo4j_sh("start")
        assert started.returncode == 0, started.stderr
    # the next commit drains the backlog
    after = [make_case(graph_app, officer, title=f"Case {n}").id for n in range(15, 17)]
    factory = graph_app.extensions["caseflow.sessionmaker"]
    store = graph_app.extensions["caseflow.graph"].store()
    drain(factory, store)
    with factory() as session:
        assert backlog(session) == 0
    assert set(before + during + after) <= graph_store.inventory().case_ids
    result = graph_app.test_cli_runner().invoke(args=["graph", "check"])
    assert result.exit_code == 0, result.output


def add(app, user, case_id, kind, raw):
    from caseflow.entities import services as entities

    return arrange(
        app,
        lambda session, now: (
            entities.add_entity(
                session, actor_of(session, user), case_id, kind, raw, now=now
            ).entity.id
        ),
    )


def link(app, user, case_id, source_id, target_id, type_="CONTACTED"):
    from caseflow.entities import services as entities

    return arrange(
        app,
        lambda session, now: (
            entities.link_entities(
                session,
                actor_of(session, user),
                case_id,
                source_id=source_id,
                target_id=target_id,
                type=type_,
                now=now,
            ).id
        ),
    )


def test_the_graph_page_shows_my_entities_and_only_a_stub_for_a_hidden_case(graph_app, graph_store):
    from tests.conftest import AuthActions

    mine, theirs = make_user(graph_app, "officer"), make_user(graph_app, "officer")
    case_a = make_case(graph_app, mine).id
    case_b = make_case(graph_app, theirs).id
    phone = add(graph_app, mine, case_a, "phone", "+44 7700 900123")
    email = add(graph_app, mine, case_a, "email", "seller@example.com")
    link(graph_app, mine, case_a, phone, email)
    add(graph_app, theirs, case_b, "phone", "07700900123")
    secret = add(graph_app, theirs, case_b, "email", "hidden.contact@example.org")
    link(graph_app, theirs, case_b, phone, secret)

    client = graph_app.test_client()
    AuthActions(client, graph_app.config["CLOCK"]).login(mine)
    page = client.get(f"/cases/{case_a}/graph/")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "+447700900123" in text and "seller@example.com" in text, text[text.find("<table") :][
        :3000
    ]
    with graph_app.extensions["caseflow.sessionmaker"]() as session:
        theirs_ref = session.get(
            __import__("caseflow.cases.models", fromlist=["Case"]).Case, case_b
        ).reference
    assert f"Hit: {theirs_ref}" in text
    assert "hidden.contact@example.org" not in text
    expanded = client.get(f"/cases/{case_a}/graph/expand/{phone}.json").get_json()
    assert not any(
        n["data"].get("value") == "hidden.contact@example.org" for n in expanded["nodes"]
    )
    assert any(n["data"]["kind"] == "hit" for n in expanded["nodes"])
    result = graph_app.test_cli_runner().invoke(args=["graph", "check"])
    assert result.exit_code == 0, result.output
    assert "4 entities" in result.output or "3 entities" in result.output


def test_an_entity_page_links_to_its_neighbourhood_and_the_case_graph_lists_ad_clusters(
    graph_app, graph_store
):
    from tests.conftest import AuthActions

    officer = make_user(graph_app, "officer")
    case_id = make_case(graph_app, officer).id
    phone = add(graph_app, officer, case_id, "phone", "+44 7700 900555")
    ad1 = add(
        graph_app,
        officer,
        case_id,
        "ad",
        {"value": "https://classifieds.example.com/ad/1", "platform": "classifieds"},
    )
    ad2 = add(
        graph_app,
        officer,
        case_id,
        "ad",
        {"value": "https://classifieds.example.com/ad/2", "platform": "classifieds"},
    )
    link(graph_app, officer, case_id, ad1, phone, "CONTACT")
    link(graph_app, officer, case_id, ad2, phone, "CONTACT")
    client = graph_app.test_client()
    AuthActions(client, graph_app.config["CLOCK"]).login(officer)
    whole = client.get(f"/cases/{case_id}/graph/").get_data(as_text=True)
    assert "Cluster 1: 2 ads sharing 1 identifiers" in whole
    around = client.get(f"/cases/{case_id}/graph/?focus={phone}&depth=1")
    assert around.status_code == 200
    assert "around one identifier" in around.get_data(as_text=True)
    assert f'data-focus="e{phone}"' in around.get_data(as_text=True)


def test_a_serving_app_drains_what_waited_in_the_outbox_without_a_new_write(
    database_url, tmp_path, clock, graph_app, graph_store
):
    """Changes made while the app did not project (sync off, as when Neo4j was at another
    address) reach Neo4j once a process serves its first request, with no further write."""
    settings = {key: graph_app.config[key] for key in _SETTINGS}

    def app_with(mode: str):
        instance = str(tmp_path / "instance")
        return create_app(
            {**settings, "INSTANCE_PATH": instance, "CLOCK": clock, "GRAPH_SYNC": mode}
        )

    quiet = app_with("off")
    officer = make_user(quiet, "officer")
    case_id = make_case(quiet, officer).id
    with quiet.extensions["caseflow.sessionmaker"]() as session:
        assert backlog(session) > 0
    quiet.extensions["caseflow.engine"].dispose()
    assert case_id not in graph_store.inventory().case_ids

    app = app_with("thread")
    try:
        assert app.test_client().get("/login").status_code == 200
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and case_id not in graph_store.inventory().case_ids:
            time.sleep(0.2)
        assert case_id in graph_store.inventory().case_ids
        with app.extensions["caseflow.sessionmaker"]() as session:
            assert backlog(session) == 0
    finally:
        app.extensions["caseflow.projector"].stop()
        app.extensions["caseflow.graph"].close()
        app.extensions["caseflow.engine"].dispose()


_SETTINGS = (
    "TESTING",
    "DATABASE_URL",
    "SECRET_KEY",
    "TOTP_KEY",
    "PASSWORD_HASH_PROFILE",
    "NEO4J_URI",
    "NEO4J_USER",
    "NEO4J_PASSWORD",
)
