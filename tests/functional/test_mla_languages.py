"""The request page shows the languages the requested state accepts and takes a certified
translation (multipart upload) or a reason; bad input comes back naming the field."""

from __future__ import annotations

import io

import pytest
import sqlalchemy as sa

from caseflow.mla.models import MlaLanguageRecord, MlaRequest
from tests.factories import arrange, make_user
from tests.helpers import csrf_token
from tests.integration.test_frozen_packet import submit_linked_request
from tests.integration.test_request_languages import translation_pdf


@pytest.fixture
def liaison(app):
    return make_user(app, "liaison")


@pytest.fixture
def supervisor(app):
    return make_user(app, "supervisor")


def test_the_page_lists_accepted_languages_and_takes_a_translation(
    app, auth, client, db, clock, liaison, supervisor
):
    ids = submit_linked_request(app, clock, liaison, supervisor)

    def retarget(session, now):
        req = session.get(MlaRequest, ids["request"])
        req.requested_state, req.legal_basis = "DE", "EIO"

    arrange(app, retarget)
    auth.login(liaison)
    page = f"/requests/{ids['request']}"
    html = client.get(page).get_data(as_text=True)
    assert "accepts for this instrument: <strong>de</strong>" in html
    assert "Germany does not accept documents in en" in html

    token = csrf_token(client, page)
    bad = client.post(
        f"{page}/translations",
        data={
            "csrf_token": token,
            "language": "de",
            "translator_name": "Erika Beispiel",
            "certification": "",
            "file": (io.BytesIO(translation_pdf()), "eio-de.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert bad.status_code == 302
    assert "Certification: state the translator" in client.get(page).get_data(as_text=True)
    assert db.scalars(sa.select(MlaLanguageRecord)).all() == []
    db.rollback()

    token = csrf_token(client, page)
    good = client.post(
        f"{page}/translations",
        data={
            "csrf_token": token,
            "language": "de",
            "translator_name": "Erika Beispiel",
            "certification": "Sworn translator (fictional)",
            "file": (io.BytesIO(translation_pdf()), "eio-de.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert good.status_code == 302
    html = client.get(page).get_data(as_text=True)
    assert "Certified translation (de) by Erika Beispiel" in html
    assert "does not accept documents in en" not in html
