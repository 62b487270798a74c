"""Each case's own capture of a shared ad (need-to-know), and hits listed at intake.

Case A and case B (owned by officers who are not members of each other's case) take in the
same ad URL: the ad entity is shared, what each saw is not."""

from __future__ import annotations

import re

import sqlalchemy as sa

from caseflow.audit.models import AuditEvent
from caseflow.entities import services
from caseflow.entities.models import AdCapture, Entity
from tests.api.helpers import bearer, issue_token
from tests.factories import actor_of, arrange, make_case, make_user
from tests.helpers import csrf_token

AD_URL = "https://ads.example.org/listing/4410"
A_TITLE = "Nightjar original headline"
A_TEXT = "Nightjar copy: Bella new in town, 19 yo, $200/hr, Bellevue WA. Call 425-555-0114."
B_TITLE = "Edited headline seen later"
B_TEXT = (
    "Edited copy: Bella, 21 years old, in Seattle WA, 300 dollars. "
    "Text 206 555 0188 or 425-555-0114."
)


def ingest(app, user, case_id, *, title, text, selected=None):
    def work(session, now):
        me = actor_of(session, user)
        preview = services.preview_ad(session, me, case_id, text, site=AD_URL)
        keys = [services.candidate_key(c) for c in preview.candidates if c.normalized]
        result = services.ingest_ad(
            session,
            me,
            case_id,
            ad={"value": AD_URL, "title": title, "posted_at": "2026-11-20T22:00:00-08:00"},
            text=text,
            selected=keys if selected is None else selected,
            now=now,
        )
        return result.ad.id, [e.value for e in result.entities]

    return arrange(app, work)


def test_case_b_never_sees_case_a_capture_of_the_same_ad(app, auth, client, db, officer):
    other = make_user(app, "officer")
    case_a = make_case(app, other, title="Operation Nightjar", lead="US").id
    ad_id, _ = ingest(app, other, case_a, title=A_TITLE, text=A_TEXT)
    case_b = make_case(app, officer, title="Mine", lead="US").id
    same_ad, _ = ingest(app, officer, case_b, title=B_TITLE, text=B_TEXT)
    assert same_ad == ad_id  # one shared ad entity, by its canonical URL

    entity = db.get(Entity, ad_id)
    assert entity is not None
    assert not {"title", "text", "posted_at"} & set(entity.attributes)
    stored = db.execute(
        sa.select(AdCapture.case_id, AdCapture.title, AdCapture.text).order_by(AdCapture.id)
    ).all()
    db.rollback()
    assert stored == [(case_a, A_TITLE, A_TEXT), (case_b, B_TITLE, B_TEXT)]

    auth.login(officer)
    page = client.get(f"/cases/{case_b}/entities/{ad_id}").get_data(as_text=True)
    assert B_TITLE in page and "Edited copy: Bella, 21 years old" in page
    for secret in ("Nightjar", "$200", "19 yo"):
        assert secret not in page
    assert "21" in page and "Seattle" in page  # B's own stated age and place, read from B's text

    headers = bearer(issue_token(app, officer))
    response = client.get(f"/api/v1/cases/{case_b}/entities/{ad_id}", headers=headers)
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "Nightjar" not in body
    captures = response.get_json()["captures"]
    assert [(c["title"], c["text"]) for c in captures] == [(B_TITLE, B_TEXT)]
    assert captures[0]["stated_age"] == 21 and captures[0]["captured_by"] == officer.username
    assert captures[0]["posted_at"].startswith("2026-11-21T06:00:00")

    # and A, in its own case, still sees exactly what A captured
    def a_view(session, now):
        return services.view_entity(session, actor_of(session, other), case_a, ad_id, now=now)

    view = arrange(app, a_view)
    assert [(c.title, c.text, c.stated_age) for c in view.captures] == [(A_TITLE, A_TEXT, 19)]
    assert str(view.captures[0].price_amount) == "200.00"
    assert view.captures[0].price_currency == "USD"


def test_a_manually_added_ad_keeps_its_text_in_the_case_capture(app, db, officer):
    first = make_case(app, officer).id
    other = make_user(app, "officer")
    second = make_case(app, other).id

    def add(user, case_id, title):
        def work(session, now):
            fields = {"value": AD_URL, "title": title, "text": f"{title} text"}
            me = actor_of(session, user)
            return services.add_entity(session, me, case_id, "ad", fields, now=now).entity.id

        return arrange(app, work)

    ad_id = add(officer, first, "First title")
    assert add(other, second, "Second title") == ad_id
    rows = db.execute(sa.select(AdCapture.case_id, AdCapture.title).order_by(AdCapture.id)).all()
    attributes = db.get(Entity, ad_id).attributes
    db.rollback()
    assert rows == [(first, "First title"), (second, "Second title")]
    assert "title" not in attributes and "text" not in attributes


def test_the_intake_confirmation_lists_identifiers_other_cases_hold(app, auth, client, db, officer):
    other = make_user(app, "officer")
    theirs = make_case(app, other, title="Operation Heron", lead="GB")
    ingest(
        app,
        other,
        theirs.id,
        title="Their ad",
        text="Call 07700 900217 or mail heron.secret@example.org",
    )
    mine = make_case(app, officer, title="Mine", lead="GB").id
    auth.login(officer)
    token = csrf_token(client, f"/cases/{mine}/ads/new")
    text = "Outcalls only 07700 900217 24/7, new number 07700 900218"
    ad = {"value": "https://ads.example.org/listing/9", "platform": "", "posted_at": "",
          "title": "Mine", "posted_by": "", "csrf_token": token}  # fmt: skip
    confirm = client.post(f"/cases/{mine}/ads/new", data={**ad, "text": text})
    keys = re.findall(r'name="selected" value="([^"]+)"', confirm.get_data(as_text=True))
    assert set(keys) == {"phone:+447700900217", "phone:+447700900218"}
    response = client.post(f"/cases/{mine}/ads/create", data={**ad, "text": text, "selected": keys})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Ad added with 2 identifier(s)" in page
    hits = page[page.index("Cross-case hits") : page.index("</aside>")]
    assert theirs.reference in hits and f"Officer {other.username} (test)" in hits
    assert "+44 7700 900217" in hits and "900218" not in hits
    for secret in ("Operation Heron", "heron.secret", "Their ad"):
        assert secret not in page
    shown = db.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "hit.shown", AuditEvent.case_id == mine)
    ).all()
    db.rollback()
    assert [e.details["other_case_id"] for e in shown] == [theirs.id]


def test_a_possible_match_is_shown_with_its_reason_and_audited(app, auth, client, db, officer):
    other = make_user(app, "officer")
    theirs = make_case(app, other, title="Operation Kestrel")

    def add(user, case_id, kind, value, **fields):
        def work(session, now):
            me = actor_of(session, user)
            raw = {"value": value, **fields}
            return services.add_entity(session, me, case_id, kind, raw, now=now).entity.id

        return arrange(app, work)

    add(other, theirs.id, "email", "kestrel.booking+ads@gmail.com")
    add(other, theirs.id, "url", "http://www.example.org/kestrel/?utm_source=ad")
    add(other, theirs.id, "phone", "+447700900321")
    mine = make_case(app, officer, title="Mine").id
    email = add(officer, mine, "email", "KestrelBooking@googlemail.com")
    add(officer, mine, "url", "https://example.org/kestrel")
    add(officer, mine, "account", "07700 900321", platform="whatsapp")
    add(officer, mine, "email", "somebody.else@example.org")

    def hits_of(session, now):
        return services.cross_case_hits(session, actor_of(session, officer), mine, now=now)

    hits = arrange(app, hits_of)
    assert {h.match for h in hits} == {"probable"}
    by_kind = {h.entity_kind: h for h in hits}
    assert set(by_kind) == {"email", "url", "account"}
    assert "Gmail" in by_kind["email"].reason and by_kind["email"].entity_id == email
    assert "tracking parameters" in by_kind["url"].reason
    assert "messaging account" in by_kind["account"].reason
    assert all(h.case_reference == theirs.reference for h in hits)

    auth.login(officer)
    page = client.get(f"/cases/{mine}").get_data(as_text=True)
    block = page[page.index("Cross-case hits") : page.index("</aside>")]
    assert block.count("Possible match") == 3 and "Gmail ignores dots" in block
    for secret in ("kestrel.booking+ads", "utm_source", "Operation Kestrel"):
        assert secret not in page
    shown = db.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "hit.shown", AuditEvent.case_id == mine)
    ).all()
    db.rollback()
    assert shown and all(e.details["match"] == "probable" and e.details["reason"] for e in shown)


def test_the_case_page_filters_ads_by_what_this_case_captured(app, auth, client, officer):
    case_id = make_case(app, officer, lead="US").id
    ads = [
        ("young-one", "Lexi new in town, 19 yo, $250/hr, Bellevue WA. Call 425-555-0114."),
        ("older-one", "Maria, 32 years old, 150 dollars per hour, Seattle WA. 206-555-0188"),
        ("london-one", "Sophie 25 yrs, £180 per hour, in London. 07700 900219"),
    ]
    for slug, text in ads:

        def work(session, now, slug=slug, text=text):
            services.ingest_ad(
                session,
                actor_of(session, officer),
                case_id,
                ad={"value": f"https://ads.example.org/{slug}", "title": f"Title {slug}"},
                text=text,
                selected=[],
                now=now,
            )

        arrange(app, work)
    auth.login(officer)

    def listed(query):
        response = client.get(f"/cases/{case_id}?{query}")
        assert response.status_code == 200
        page = response.get_data(as_text=True)
        section = page[page.index('class="ad-filters"') :]
        return {slug for slug, _ in ads if f"Title {slug}" in section}, section

    assert listed("")[0] == {"young-one", "older-one", "london-one"}
    assert listed("ad_max_age=19")[0] == {"young-one"}
    assert listed("ad_currency=usd&ad_max_price=200")[0] == {"older-one"}
    assert listed("ad_location=US-WA")[0] == {"young-one", "older-one"}
    assert listed("ad_location=seattle")[0] == {"older-one"}
    assert listed("ad_indicators=y")[0] == {"young-one"}
    found, section = listed("ad_max_age=old&ad_min_price=lots")
    assert found == {"young-one", "older-one", "london-one"}  # bad filters left out, named
    assert "Stated age at most: a whole number of years from 0 to 150." in section
    assert "Price from: an amount such as 150 or 99.50." in section
