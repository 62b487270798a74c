"""The investigator's journey in a real browser, one step per test: open a case, paste an ad,
upload evidence and hand it over, the supervisor's custody audit, an MLA request filled with
the keyboard alone, four-eyes approval with TOTP, the signed packet downloaded and verified.

Each test arranges what came before through the services and drives only its own step through
the pages. Every key page is checked with axe-core (no serious or critical violation) and
photographed (test-artifacts/screenshots/<run id>/).
"""

from __future__ import annotations

import re
import struct
import zlib

from caseflow.entities import services as entity_services
from caseflow.mla import services as mla_services
from exports.verify import verify_packet
from tests.browser.conftest import axe_violations, enrol, login, screenshot, totp_code
from tests.factories import (
    COMPLETE_FIELDS,
    actor_of,
    approve,
    arrange,
    make_case,
    make_evidence_item,
    make_request,
)

PHONE = "+44 7700 900123"
EMAIL = "seller@example.com"
WALLET = "0x52908400098527886E0F7030069857D2E4169EE7"  # EIP-55 test vector, nobody's wallet
AD_TEXT = f"""New girls in town, discreet. Call or WhatsApp {PHONE}
or write to {EMAIL}. Deposit first: {WALLET}
"""


def tiny_png() -> bytes:
    """A valid 2x2 grey PNG, made here (no image library needed)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    raw = b"".join(b"\x00" + b"\x80\x80" for _ in range(2))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 0, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def no_serious_violations(page) -> None:
    violations = axe_violations(page)
    assert violations == [], violations


def test_an_officer_opens_a_case(page, live_app):
    seed = enrol(live_app, "olivia.officer", "officer", "Olivia Officer")
    login(page, "olivia.officer", seed)
    page.get_by_role("link", name="Cases", exact=True).first.click()
    page.get_by_role("button", name="Open a new case").click()
    page.get_by_role("heading", level=1).wait_for()
    no_serious_violations(page)

    page.get_by_role("button", name="Open case").click()  # nothing filled in
    assert page.get_by_text("Title: required.").first.is_visible()
    # The summary has focus; its entry leads to the field.
    assert page.evaluate("document.activeElement.className") == "error-summary"
    page.locator(".error-summary").get_by_role("link", name="Title: required.").click()
    assert page.evaluate("document.activeElement.id") == "title"
    no_serious_violations(page)
    screenshot(page, "j1-new-case-errors")

    page.get_by_label("Title").fill("Ads ring on a classifieds site (fictional)")
    page.get_by_label("Lead jurisdiction (ISO code, e.g. GB)").fill("GB")
    page.get_by_label("Other jurisdictions involved (codes, comma-separated)").fill("TH, DE")
    page.get_by_label("Priority").select_option("high")
    page.get_by_role("button", name="Open case").click()

    page.get_by_role("heading", level=1, name=re.compile("Ads ring")).wait_for()
    assert page.get_by_text(re.compile(r"Case CF-\d{4}-\d+ opened\.")).is_visible()
    no_serious_violations(page)
    screenshot(page, "j1-case-page")


def test_an_officer_pastes_an_ad_and_confirms_its_identifiers(page, live_app):
    seed = enrol(live_app, "olivia.officer", "officer")
    case_id = make_case(live_app, "olivia.officer").id
    login(page, "olivia.officer", seed)
    page.goto(f"/cases/{case_id}")
    page.get_by_role("link", name="Add an ad (paste its text)").click()
    page.get_by_role("heading", name=re.compile("Add an online ad")).wait_for()
    no_serious_violations(page)

    page.get_by_label("Ad URL or id").fill("https://classifieds.example.com/ad/4711")
    page.get_by_label("Text of the ad").fill(AD_TEXT)
    page.get_by_role("button", name="Find identifiers").click()

    page.get_by_role("heading", name="Confirm the identifiers found in the ad").wait_for()
    table = page.get_by_role("table", name="Candidates, in the order they appear")
    text = table.inner_text()
    for shown in (PHONE, EMAIL, WALLET):
        assert shown in text, text
    # Each box is named by kind and value, so a screen reader can tell two phones apart.
    for name in (f"Phone {PHONE}", f"E-mail {EMAIL}", f"Wallet {WALLET}"):
        assert page.get_by_role("checkbox", name=name).is_checked(), name
    no_serious_violations(page)
    screenshot(page, "j2-confirm-identifiers")

    page.get_by_role("button", name="Create the ad and the ticked identifiers").click()
    flash = page.get_by_text(re.compile(r"Ad added with \d+ identifier\(s\)"))
    flash.wait_for()
    assert int(re.search(r"with (\d+) identifier", flash.inner_text())[1]) >= 3
    no_serious_violations(page)
    screenshot(page, "j2-ad-added")


def test_an_officer_uploads_evidence_and_records_a_transfer(page, live_app, tmp_path):
    seed = enrol(live_app, "olivia.officer", "officer")
    case = make_case(live_app, "olivia.officer")
    case_id, case_ref = case.id, case.reference
    png = tmp_path / "ad-screenshot.png"
    png.write_bytes(tiny_png())
    login(page, "olivia.officer", seed)
    page.goto(f"/cases/{case_id}")
    page.get_by_role("link", name="Upload a file").click()
    page.get_by_role("heading", name=f"Upload evidence to {case_ref}").wait_for()
    no_serious_violations(page)

    page.get_by_label("Description").fill("Screenshot of the ad page")
    page.get_by_label("Acquisition method").fill("browser screenshot")
    page.get_by_label("Acquired by").fill("DS Alex Example")
    page.get_by_label("Acquired at (UTC)").fill("2026-11-01T10:30")
    page.get_by_label("File").set_input_files(str(png))
    screenshot(page, "j4-upload-form")
    page.get_by_role("button", name="Upload").click()

    page.get_by_text(re.compile(r"Evidence item .+ stored \(SHA-256 [0-9a-f]{64}\)")).wait_for()
    assert page.get_by_text("ad-screenshot.png (image/png)").is_visible()
    no_serious_violations(page)

    page.get_by_label("Action").select_option("transferred")
    page.get_by_label("Released by (transfers)").fill("DS Alex Example")
    page.get_by_label("Received by (transfers)").fill("Digital Forensics Lab (fictional)")
    page.get_by_label("Location").fill("Evidence store, room 2")
    page.get_by_role("button", name="Record event").click()

    page.get_by_text("Custody event recorded.").wait_for()
    timeline = page.get_by_role("table", name=re.compile("Custody events of this item"))
    rows = timeline.locator("tbody tr")
    assert rows.count() == 2
    assert "transferred" in rows.nth(1).inner_text()
    assert "Digital Forensics Lab (fictional)" in rows.nth(1).inner_text()
    no_serious_violations(page)
    screenshot(page, "j4-custody-timeline")


def test_a_supervisor_states_a_purpose_then_audits_custody(page, live_app):
    enrol(live_app, "olivia.officer", "officer")
    seed = enrol(live_app, "sofia.supervisor", "supervisor", "Sofia Supervisor")
    case = make_case(live_app, "olivia.officer")
    case_id, case_ref = case.id, case.reference
    make_evidence_item(live_app, "olivia.officer", case_id)
    login(page, "sofia.supervisor", seed)

    page.goto(f"/cases/{case_id}/custody-audit")
    page.get_by_role("heading", name="Why are you opening this case?").wait_for()
    no_serious_violations(page)
    page.get_by_role("button", name="Open the case").click()  # no purpose given
    assert page.get_by_role("alert").first.is_visible()
    no_serious_violations(page)
    screenshot(page, "j5-purpose-required")
    page.get_by_label("Purpose").fill("Monthly custody audit (test).")
    page.get_by_role("button", name="Open the case").click()

    page.get_by_role("heading", name=f"Custody audit: {case_ref}").wait_for()
    assert page.get_by_text("1 evidence item, 1 custody ledger entry in this case.").is_visible()
    assert page.get_by_text("Never verified.").is_visible()
    page.get_by_role("button", name="Verify now").click()
    page.get_by_text("Custody verified: chain, tree, signatures and files intact.").wait_for()
    status = page.locator("#status").inner_text()
    assert re.search(r"Last verified .* by sofia.supervisor:\s+intact", status), status
    no_serious_violations(page)
    screenshot(page, "j5-custody-audit")


def test_a_liaison_prepares_a_request_with_the_keyboard_until_the_checklist_is_green(
    page, live_app
):
    seed = enrol(live_app, "liam.liaison", "liaison", "Liam Liaison")
    case = make_case(live_app, "liam.liaison")
    case_id, case_ref = case.id, case.reference
    item = make_evidence_item(live_app, "liam.liaison", case_id)
    item_id, item_ref = item.id, item.reference

    def entities(session, now):
        me = actor_of(session, "liam.liaison")
        return entity_services.add_entity(session, me, case_id, "email", EMAIL, now=now).entity.id

    arrange(live_app, entities)
    login(page, "liam.liaison", seed)
    page.goto(f"/cases/{case_id}")
    page.get_by_role("link", name="Draft an MLA request").click()
    page.get_by_role("heading", name=f"New MLA request · {case_ref}").wait_for()
    no_serious_violations(page)
    screenshot(page, "j6-request-form")

    # Keyboard only from the first field to the Save button: every field is reached in order.
    page.get_by_label("Requested state").focus()
    order = fill_by_keyboard(page)
    assert order[:3] == ["requested_state", "measure", "data_categories-0"]
    assert {"summary_of_facts", "necessity", "language", "contact_email"} <= set(order)
    assert {"transnational-0", "organised_group-0", "holder_eu_presence"} <= set(order)
    page.get_by_text(re.compile(r"Request R-01 drafted\.")).wait_for()
    no_serious_violations(page)

    checklist = page.locator("#checklist")
    assert "required items missing" in checklist.inner_text()
    assert "Offences" in checklist.locator("li.missing").first.inner_text() or (
        checklist.locator("li.missing").count() >= 1
    )
    screenshot(page, "j6-request-checklist-missing")

    offences = page.locator("#offences")
    offences.get_by_label("Offence", exact=True).fill("Trafficking in children")
    offences.get_by_label("Statutory provision").fill("s. 2 Modern Slavery Act 2015")
    offences.get_by_label("Maximum penalty").fill("life imprisonment")
    offences.get_by_role("button", name="Add offence").click()
    page.get_by_text("Offence added.").wait_for()
    identifiers = page.locator("#identifiers")
    identifiers.get_by_label("Identifier (from this case)").select_option(label=f"email: {EMAIL}")
    identifiers.get_by_label(re.compile("relevance|Link to the offence", re.I)).fill(
        "Contact address printed in the ads."
    )
    identifiers.get_by_role("button", name="Add identifier").click()
    page.get_by_text("Identifier added.").wait_for()
    page.get_by_role("link", name="Edit the request").click()
    page.get_by_label("Time range from (UTC)").fill("2026-10-01T00:00")
    page.get_by_label("Time range to (UTC)").fill("2026-10-31T23:59")
    page.get_by_role("button", name="Save").click()
    page.get_by_text("Request saved.").wait_for()
    page.locator("#annexes").get_by_label("Evidence item").select_option(str(item_id))
    page.locator("#annexes").get_by_role("button", name="Attach").click()
    page.get_by_text("Evidence annex added.").wait_for()
    assert item_ref in page.locator("#annexes li").first.inner_text()

    missing = checklist.locator("li.missing").all_inner_texts()
    assert re.search(r"All \d+ required items are filled in\.", checklist.inner_text()), missing
    no_serious_violations(page)
    screenshot(page, "j6-request-checklist-green")
    page.get_by_role("button", name="Submit for approval").click()
    page.get_by_text("Submitted for approval.").wait_for()
    assert page.locator(".badge", has_text="submitted").first.is_visible()


def fill_by_keyboard(page) -> list[str]:
    """Tab through the request form typing each value; Enter on Save. Returns the ids met."""
    values = {
        **{k: v for k, v in COMPLETE_FIELDS.items() if isinstance(v, str)},
        "requested_state": "TH",
        "summary_of_facts": COMPLETE_FIELDS["summary_of_facts"],
    }
    # Lists chosen by typing the option's first letter; radio answers with the arrow keys
    # (how many steps down from "Not known yet").
    letters = {"measure": "o", "holder_kind": "s", "issuing_authority_type": "p"}
    arrows = {
        "transnational-0": 1,  # yes
        "organised_group-0": 1,  # yes
        "child_exploitation-0": 1,  # yes
    }
    met: list[str] = []
    for _ in range(200):
        focused = page.evaluate(
            "() => ({id: document.activeElement.id, tag: document.activeElement.tagName,"
            " type: document.activeElement.type || '', text: document.activeElement.innerText})"
        )
        if focused["tag"] == "BUTTON":
            assert focused["text"].strip() == "Save"
            page.keyboard.press("Enter")
            return met
        first = not met or met[-1] != focused["id"]
        met.append(focused["id"])
        if focused["id"] == "data_categories-0":
            page.keyboard.press("Space")  # tick "subscriber data"
        elif focused["id"] in letters and first:
            page.keyboard.type(letters[focused["id"]])
        elif focused["id"] in arrows and first:
            for _ in range(arrows[focused["id"]]):
                page.keyboard.press("ArrowDown")
        elif focused["id"] in values and focused["tag"] in ("INPUT", "TEXTAREA"):
            page.keyboard.type(values[focused["id"]])
        page.keyboard.press("Tab")
    raise AssertionError(f"the Save button was never reached; focus went through {met}")


def submitted_request(app, author, case_id, item_id):
    """A complete request (its identifier is the case's e-mail address, see make_request) with
    the evidence item annexed, submitted."""
    request_id = make_request(app, author, case_id).id

    def go(session, now):
        me = actor_of(session, author)
        mla_services.add_annex(session, me, request_id, item_id, now=now)
        mla_services.submit_request(session, me, request_id, now=now)
        return request_id

    return arrange(app, go)


def request_ready_for_approval(app):
    """A submitted, complete request; returns (request id, seeds by username, case reference)."""
    liaison_seed = enrol(app, "liam.liaison", "liaison", "Liam Liaison")
    sup_seed = enrol(app, "sofia.supervisor", "supervisor", "Sofia Supervisor")
    case = make_case(app, "liam.liaison", members=[("sofia.supervisor", "investigator")])
    case_id, case_ref = case.id, case.reference
    item_id = make_evidence_item(app, "liam.liaison", case_id).id
    request_id = submitted_request(app, "liam.liaison", case_id, item_id)
    return request_id, {"liam.liaison": liaison_seed, "sofia.supervisor": sup_seed}, case_ref


def test_a_supervisor_approves_a_request_by_re_entering_a_code(page, live_app):
    request_id, seeds, case_ref = request_ready_for_approval(live_app)
    sup_seed = seeds["sofia.supervisor"]
    login(page, "sofia.supervisor", sup_seed)
    page.goto(f"/requests/{request_id}")
    page.get_by_role("link", name="Approval page").click()
    page.get_by_role("heading", name=f"Approve or return {case_ref}/R-01").wait_for()
    assert re.search(r"All \d+ required items", page.locator("#checklist").inner_text())
    no_serious_violations(page)
    screenshot(page, "j7-approval")

    page.get_by_label("Decision").select_option("approve")
    page.get_by_label("Issuing authority: type").select_option("prosecutor")
    page.get_by_label("Issuing authority: name of the signatory").fill("Jane Example")
    page.get_by_label("Issuing authority: post").fill("Senior Crown Prosecutor")
    page.get_by_label("Place of issue").fill("London")
    page.locator("#code").fill("000000")
    page.get_by_role("button", name="Confirm").click()
    page.locator(".error-summary").wait_for()
    no_serious_violations(page)
    screenshot(page, "j7-approval-wrong-code")

    page.locator("#code").fill(totp_code(sup_seed))  # the login used the previous step
    # Approval renders and signs the document (the first render loads the fonts): slow.
    page.get_by_role("button", name="Confirm").click(timeout=90_000)
    page.get_by_text("Request approved.").wait_for(timeout=90_000)
    assert page.locator(".badge", has_text="approved").first.is_visible()
    assert page.get_by_text(re.compile("Approved .* by Sofia Supervisor")).is_visible()
    no_serious_violations(page)


def test_the_liaison_exports_and_downloads_a_packet_that_verifies(page, live_app, tmp_path):
    request_id, seeds, case_ref = request_ready_for_approval(live_app)
    sup_seed = seeds["sofia.supervisor"]

    approve(live_app, "sofia.supervisor", request_id, totp_code(sup_seed))
    login(page, "liam.liaison", seeds["liam.liaison"])
    page.goto(f"/requests/{request_id}")
    export = page.locator("#export")
    assert export.get_by_label(re.compile("Recipient", re.I)).input_value()
    no_serious_violations(page)
    # While the server works, the page says so: status text, a progress bar, button disabled.
    # (This submission is stopped in the page, so the state can be read before the response.)
    page.evaluate(
        "document.querySelector('#export form').addEventListener("
        "'submit', (e) => e.preventDefault())"
    )
    export.get_by_role("button", name="Export signed packet").click()
    status = export.get_by_role("status")
    assert status.inner_text().startswith("Exporting and signing the packet")
    assert status.get_by_role("progressbar").is_visible()
    page.wait_for_function("document.querySelector('#export button[type=submit]').disabled")
    screenshot(page, "j8-exporting")
    page.reload()
    export.get_by_role("button", name="Export signed packet").click()
    page.get_by_text(re.compile(r"Packet exported \(SHA-256 [0-9a-f]{64}\)")).wait_for()
    assert page.locator(".badge", has_text="exported").first.is_visible()
    no_serious_violations(page)
    screenshot(page, "j8-exported")

    with page.expect_download() as started:
        page.get_by_role("link", name="Download the packet (ZIP)").click()
    download = started.value
    assert download.suggested_filename == f"{case_ref}_R-01.zip"
    packet = tmp_path / download.suggested_filename
    download.save_as(packet)
    checks = verify_packet(str(packet))
    assert checks and all(c.ok for c in checks), [c for c in checks if not c.ok]
