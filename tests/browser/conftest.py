"""Browser tests: the app served by a real HTTP server, driven in Debian's headless Chromium.

Playwright talks to /usr/bin/chromium; it never downloads a browser. Screenshots of key pages
go to test-artifacts/screenshots/<run id>/ for review.
"""

from __future__ import annotations

import os
import shutil
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from caseflow import create_app
from caseflow.clock import utcnow
from tests.factories import arrange
from tests.helpers import app_config

CHROMIUM = os.environ.get("CASEFLOW_CHROMIUM", "/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "tests" / "functional" / "vendor" / "axe-core" / "axe.min.js"
RUN_ID = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
SHOTS = ROOT / "test-artifacts" / "screenshots" / RUN_ID

CHROMIUM_ARGS = [
    "--no-sandbox",  # CI runs as root in a container without user namespaces
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]


def pytest_collection_modifyitems(items):
    if shutil.which(CHROMIUM) is None and not Path(CHROMIUM).exists():
        skip = pytest.mark.skip(reason=f"no Chromium at {CHROMIUM}")
        for item in items:
            if "tests/browser" in str(item.fspath):
                item.add_marker(skip)


@pytest.fixture
def live_app(database_url, tmp_path):
    """The app on a real server in a thread, on a free loopback port, with the real clock."""
    app = create_app(app_config(database_url, tmp_path, TESTING=False, CLOCK=utcnow))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    app.config["LIVE_URL"] = f"http://127.0.0.1:{server.server_port}"
    yield app
    server.shutdown()
    thread.join(5)
    app.extensions["caseflow.engine"].dispose()


@pytest.fixture(scope="module")
def browser():
    # Module scope: Playwright's sync API keeps an asyncio loop running in this thread while
    # it is open, which would break libraries that call asyncio.run (pyHanko) in later tests.
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_app):
    context = browser.new_context(base_url=live_app.config["LIVE_URL"])
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def screenshot(page, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def axe_violations(page, impacts=("serious", "critical")) -> list[dict]:
    """Run axe-core (vendored) on the current page; return serious and critical violations."""
    page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result["violations"]
        if v["impact"] in impacts
    ]


def enrol(app, username: str, role: str, display_name: str | None = None) -> str:
    """An enrolled account (password "<username> passphrase"); returns its TOTP seed."""
    import pyotp

    from caseflow.demo import create_enrolled_user

    seed = pyotp.random_base32(32)
    arrange(
        app,
        lambda session, now: create_enrolled_user(
            session,
            app.extensions["caseflow.auth"],
            username=username,
            display_name=display_name or username.replace(".", " ").title(),
            role=role,
            organisation="Test Agency",
            password=f"{username} passphrase",
            seed=seed,
            now=now,
        ),
    )
    return seed


def totp_code(seed: str, steps_back: int = 0) -> str:
    """The code of the current 30-s step, or of an earlier one (the server accepts one back)."""
    import pyotp

    return pyotp.TOTP(seed).at(time.time() - 30 * steps_back)


def login(page, username: str, seed: str) -> None:
    """Log in through the pages with the PREVIOUS step's code, which the server still accepts,
    so that a later re-entry (approval) can use the current step without waiting 30 s."""
    page.goto("/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(f"{username} passphrase")
    page.get_by_label("I have read the notice above").check()
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("heading", name="Enter your code").wait_for()
    if time.time() % 30 > 29:  # the previous step would expire in flight
        time.sleep(1.5)
    page.locator("#code").fill(totp_code(seed, steps_back=1))
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="Dashboard").wait_for()
