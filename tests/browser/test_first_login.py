"""A new officer's first login, in a real browser: password change, TOTP enrolment from the
secret shown on the page, recovery codes, dashboard. Accessibility checked with axe-core."""

from __future__ import annotations

import re

import pyotp

from caseflow.actor import Actor
from caseflow.auth import services
from tests.browser.conftest import axe_violations, screenshot
from tests.factories import arrange


def create_account(app, username="first.timer"):
    _, password = arrange(
        app,
        lambda session, now: services.create_user(
            session,
            Actor.system("test"),
            username=username,
            display_name="First Timer",
            email=f"{username}@example.org",
            role="officer",
            organisation="Test Agency",
            settings=app.extensions["caseflow.auth"],
            now=now,
        ),
    )
    return password


def test_a_new_officer_logs_in_for_the_first_time(page, live_app):
    one_time = create_account(live_app)
    page.goto("/login")
    assert page.get_by_role("heading", name="System-use notice").is_visible()
    assert axe_violations(page) == []
    screenshot(page, "01-login")

    page.get_by_label("Username").fill("first.timer")
    page.get_by_label("Password").fill(one_time)
    page.get_by_label("I have read the notice above").check()
    page.get_by_role("button", name="Continue").click()

    page.get_by_role("heading", name="Choose your password").wait_for()
    page.get_by_label("New password", exact=True).fill("short")
    page.get_by_label("Confirm new password").fill("short")
    page.get_by_role("button", name="Save password").click()
    assert page.get_by_text("New password: must be at least 12 characters long.").first.is_visible()
    assert axe_violations(page) == []

    page.get_by_label("New password", exact=True).fill("a long and private passphrase")
    page.get_by_label("Confirm new password").fill("a long and private passphrase")
    page.get_by_role("button", name="Save password").click()

    page.get_by_role("heading", name="Set up your authenticator").wait_for()
    assert page.get_by_role("img", name=re.compile("QR code")).is_visible()
    assert axe_violations(page) == []
    screenshot(page, "02-enrol")
    secret = page.locator("#totp-secret").inner_text().replace(" ", "")
    page.get_by_label("6-digit code").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Confirm").click()

    page.get_by_role("heading", name="Your recovery codes").wait_for()
    codes = page.locator("#recovery-codes li").all_inner_texts()
    assert len(codes) == 10
    screenshot(page, "03-recovery-codes")
    page.get_by_role("button", name=re.compile("continue")).click()

    page.get_by_role("heading", name="Dashboard").wait_for()
    assert page.get_by_text("First Timer").first.is_visible()
    assert axe_violations(page) == []
    screenshot(page, "04-dashboard")


def test_login_works_with_the_keyboard_alone(page, live_app):
    from caseflow.demo import create_enrolled_user

    seed = pyotp.random_base32(32)
    arrange(
        live_app,
        lambda session, now: create_enrolled_user(
            session,
            live_app.extensions["caseflow.auth"],
            username="keys.only",
            display_name="Keys Only",
            role="liaison",
            organisation="Test Agency",
            password="keyboard only passphrase",
            seed=seed,
            now=now,
        ),
    )
    page.goto("/login")
    page.keyboard.press("Tab")  # skip link
    page.keyboard.press("Tab")  # brand link
    page.keyboard.press("Tab")
    page.keyboard.type("keys.only")
    page.keyboard.press("Tab")
    page.keyboard.type("keyboard only passphrase")
    page.keyboard.press("Tab")
    page.keyboard.press("Space")
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="Enter your code").wait_for()
    # The code field has focus on arrival: the user just types.
    assert page.evaluate("document.activeElement.id") == "code"
    page.keyboard.type(pyotp.TOTP(seed).now())
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="Dashboard").wait_for()
