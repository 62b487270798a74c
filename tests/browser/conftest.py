"""Browser tests: the app served by a real HTTP server, driven in Debian's headless Chromium.

Playwright talks to /usr/bin/chromium; it never downloads a browser. Screenshots of key pages
go to test-artifacts/screenshots/<run id>/ for review.
"""

from __future__ import annotations

import os
import shutil
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from caseflow import create_app
from caseflow.clock import utcnow

CHROMIUM = os.environ.get("CASEFLOW_CHROMIUM", "/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "tests" / "functional" / "vendor" / "axe-core" / "axe.min.js"
RUN_ID = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
SHOTS = ROOT / "test-artifacts" / "screenshots" / RUN_ID

pytestmark = pytest.mark.browser

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
    app = create_app(
        {
            "DATABASE_URL": database_url,
            "INSTANCE_PATH": str(tmp_path / "instance"),
            "DATA_DIR": str(tmp_path / "data"),
            "SECRET_KEY": "browser-secret-key-0123456789abcdefghijklmn",
            "TOTP_KEY": "browser-totp-key-0123456789abcdefghijklmnop",
            "PASSWORD_HASH_PROFILE": "test",
            "CLOCK": utcnow,
            "GRAPH_SYNC": "off",
            "NEO4J_PASSWORD": None,
        }
    )
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
