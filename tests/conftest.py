"""Fixtures shared by every test: app, client, runner, auth, a fresh database per test."""

from __future__ import annotations

from pathlib import Path

import pytest

from caseflow import create_app, install_ledger_heads
from caseflow.db import make_engine, make_sessionmaker
from tests.dbs import BACKENDS, PG_URL, PostgresTemplates, SqliteTemplates
from tests.factories import make_user
from tests.helpers import FakeClock, app_config, csrf_token, form_inputs, totp_now

BROWSER_TESTS = Path(__file__).parent / "browser"


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items):
    """Marks by place and parameter, before `-m` selects: `pytestmark` in a conftest is
    ignored by pytest, so the browser tests are marked here, and every test run against
    PostgreSQL carries the `postgres` mark."""
    for item in items:
        if BROWSER_TESTS in item.path.parents:
            item.add_marker(pytest.mark.browser)
        callspec = getattr(item, "callspec", None)
        if callspec is not None and callspec.params.get("database_url") == "postgresql":
            item.add_marker(pytest.mark.postgres)


@pytest.fixture(scope="session")
def _templates(tmp_path_factory):
    found = {"sqlite": SqliteTemplates(tmp_path_factory.mktemp("sqlite-template"))}
    if PG_URL:
        found["postgresql"] = PostgresTemplates(PG_URL)
    yield found
    if PG_URL:
        found["postgresql"].close()


@pytest.fixture(params=BACKENDS)
def database_url(request, _templates, tmp_path):
    templates = _templates[request.param]
    url = templates.new(tmp_path)
    yield url
    templates.drop(url)


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def app(database_url, tmp_path, clock):
    app = create_app(app_config(database_url, tmp_path, CLOCK=clock))
    yield app
    app.extensions["caseflow.engine"].dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def db(app):
    """A SQL session of its own, for arranging and asserting.

    No app context stays pushed: the test client's requests must get their own `g`. Its
    SQLite transactions are deferred, so a test that reads does not block the app's writes.
    """
    engine = make_engine(app.config["DATABASE_URL"], sqlite_immediate=False)
    factory = make_sessionmaker(engine)
    install_ledger_heads(app, factory)  # its ledger writes are signed as the app's are
    session = factory()
    yield session
    session.close()
    engine.dispose()


class AuthActions:
    def __init__(self, client, clock):
        self.client = client
        self.clock = clock

    def password_step(self, username, password, ack=True, follow=False):
        token = csrf_token(self.client, "/login")
        data = {"username": username, "password": password, "csrf_token": token}
        if ack:
            data["ack"] = "y"
        return self.client.post("/login", data=data, follow_redirects=follow)

    def code_step(self, code, path="/login/verify"):
        token = csrf_token(self.client, path)
        return self.client.post(path, data={"code": code, "csrf_token": token})

    def login(self, user):
        """Both steps, with a fresh TOTP step so codes are never replays."""
        response = self.password_step(user.username, user.password)
        assert response.status_code == 302, response.get_data(as_text=True)
        assert response.headers["Location"].endswith("/login/verify")
        self.clock.advance(seconds=30)
        response = self.code_step(totp_now(user.seed, self.clock))
        assert response.status_code == 302, response.get_data(as_text=True)
        return response

    def logout(self):
        page = self.client.get("/")
        token = form_inputs(page.get_data(as_text=True))["csrf_token"]
        return self.client.post("/logout", data={"csrf_token": token})


@pytest.fixture
def auth(client, clock):
    return AuthActions(client, clock)


@pytest.fixture
def officer(app):
    return make_user(app, "officer")


@pytest.fixture
def admin(app):
    return make_user(app, "admin")
