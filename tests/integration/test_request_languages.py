"""Languages: a document in a language the requested state has not declared it accepts for
the instrument is refused at approval (so never exported) without a certified translation
into one it accepts or a recorded reason; a translation becomes a signed member of the
packet, listed in request.json and on the document."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
import zipfile

import pytest
import sqlalchemy as sa
from reportlab.pdfgen import canvas

from caseflow.errors import ValidationError
from caseflow.mla import services
from caseflow.mla.models import MlaApproval, MlaRequest
from tests.factories import actor_of, approve, arrange, make_user
from tests.helpers import totp_now
from tests.integration.test_frozen_packet import export, submit_linked_request


@pytest.fixture
def liaison(app):
    return make_user(app, "liaison")


@pytest.fixture
def supervisor(app):
    return make_user(app, "supervisor")


@pytest.fixture
def eio_to_germany(app, clock, liaison, supervisor):
    """A submitted request, then (as a test shortcut) made an EIO to Germany, whose declared
    EIO language list is German only."""
    ids = submit_linked_request(app, clock, liaison, supervisor)

    def retarget(session, now):
        req = session.get(MlaRequest, ids["request"])
        req.requested_state, req.legal_basis = "DE", "EIO"

    arrange(app, retarget)
    return ids


def translation_pdf() -> bytes:
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer)
    page.drawString(72, 750, "Europaeische Ermittlungsanordnung - beglaubigte Uebersetzung")
    page.save()
    return buffer.getvalue()


def add_translation(app, user, request_id, **overrides):
    fields = {
        "language": "de",
        "translator_name": "Erika Beispiel",
        "certification": "Sworn translator, Landgericht Example register no. 123 (fictional)",
        "filename": "eio-de.pdf",
        "data": translation_pdf(),
        **overrides,
    }
    return arrange(
        app,
        lambda session, now: services.add_translation(
            session, actor_of(session, user), request_id, now=now, **fields
        ),
    )


def test_untranslated_eio_to_a_state_that_does_not_accept_english_is_refused(
    app, clock, supervisor, eio_to_germany, db
):
    with pytest.raises(ValidationError) as err:
        approve(app, supervisor, eio_to_germany["request"], totp_now(supervisor.seed, clock))
    assert err.value.field == "translation"
    assert "Germany does not accept documents in en; it accepts de" in err.value.message
    assert db.get(MlaRequest, eio_to_germany["request"]).status == "submitted"
    assert db.scalars(sa.select(MlaApproval)).all() == []


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"language": "xx"}, "language"),
        ({"translator_name": "  "}, "translator_name"),
        ({"certification": ""}, "certification"),
        ({"data": b"not a pdf"}, "file"),
        ({"data": b"%PDF-1.7\nbroken"}, "file"),
    ],
)
def test_a_translation_needs_language_translator_certification_and_a_pdf(
    app, liaison, eio_to_germany, overrides, field
):
    with pytest.raises(ValidationError) as err:
        add_translation(app, liaison, eio_to_germany["request"], **overrides)
    assert err.value.field == field


def test_a_certified_translation_is_a_signed_member_of_the_packet(
    app, clock, liaison, supervisor, eio_to_germany, tmp_path
):
    add_translation(app, liaison, eio_to_germany["request"])
    approve(app, supervisor, eio_to_germany["request"], totp_now(supervisor.seed, clock))
    packet = export(app, liaison, eio_to_germany["request"], tmp_path / "out")
    folder = tmp_path / "p"
    with zipfile.ZipFile(packet) as zf:
        zf.extractall(folder)
    listed = json.loads((folder / "request.json").read_text())["translations"]
    assert [(t["language"], t["translator"], t["file"]) for t in listed] == [
        ("de", "Erika Beispiel", "translations/de.pdf")
    ]
    sig = subprocess.run(
        ["pdfsig", str(folder / "translations" / "de.pdf")], capture_output=True, text=True
    ).stdout
    assert "Signature is Valid" in sig and "Total document signed" in sig
    text = subprocess.run(
        ["pdftotext", "-layout", str(folder / "request.pdf"), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    flat = re.sub(r"\s+", " ", text)
    assert "accepted by Germany: de" in flat
    assert "Certified translation attached: de by Erika Beispiel" in flat
    run = subprocess.run(
        [sys.executable, "verify.py", "."], cwd=folder, capture_output=True, text=True
    )
    assert run.returncode == 0, run.stdout


def test_a_recorded_reason_lets_the_document_go_untranslated(
    app, clock, liaison, supervisor, eio_to_germany
):
    with pytest.raises(ValidationError) as err:
        arrange(
            app,
            lambda session, now: services.record_language_reason(
                session, actor_of(session, liaison), eio_to_germany["request"], reason=" ", now=now
            ),
        )
    assert err.value.field == "language_reason"
    arrange(
        app,
        lambda session, now: services.record_language_reason(
            session,
            actor_of(session, liaison),
            eio_to_germany["request"],
            reason="The Bundesamt fuer Justiz agreed by phone to accept English (fictional).",
            now=now,
        ),
    )
    approved = approve(app, supervisor, eio_to_germany["request"], totp_now(supervisor.seed, clock))
    assert approved.status == "approved"


def test_a_translation_into_a_language_the_state_does_not_accept_does_not_count(
    app, clock, liaison, supervisor, eio_to_germany
):
    add_translation(app, liaison, eio_to_germany["request"], language="fr")
    with pytest.raises(ValidationError) as err:
        approve(app, supervisor, eio_to_germany["request"], totp_now(supervisor.seed, clock))
    assert err.value.field == "translation"
