"""Attacker tests from the security review: each acts as the attacker the review describes and
must fail on the code the review found (SQLite and PostgreSQL)."""

from __future__ import annotations

import sqlalchemy as sa

from caseflow.entities.models import Link
from tests.api.helpers import add_entity, bearer, issue_token
from tests.factories import make_case, make_evidence_item, make_user
from tests.helpers import csrf_token

# --- Finding 2: a link cites evidence of another case, or none -------------------------------


def test_a_link_cannot_cite_another_cases_evidence_or_one_that_does_not_exist(
    app, client, db, officer
):
    other = make_user(app, "officer")
    case_a = make_case(app, other).id
    foreign_item = make_evidence_item(app, other, case_a).id
    case_b = make_case(app, officer).id
    own_item = make_evidence_item(app, officer, case_b).id
    phone = add_entity(app, officer, case_b, "phone", "+44 7700 900201")
    email = add_entity(app, officer, case_b, "email", "seller@example.com")
    headers = bearer(issue_token(app, officer))
    body = {"source_id": phone, "target_id": email, "type": "CONTACT"}
    for item in (foreign_item, 2_000_000_000):
        response = client.post(
            f"/api/v1/cases/{case_b}/links",
            json={**body, "evidence_item_id": item},
            headers=headers,
        )
        assert response.status_code == 400, response.get_json()
        error = response.get_json()["error"]
        assert error["field"] == "evidence_item_id"
        assert error["message"] == f"Evidence item: no item {item} in this case."
    assert db.scalar(sa.select(sa.func.count()).select_from(Link)) == 0
    db.rollback()
    made = client.post(
        f"/api/v1/cases/{case_b}/links",
        json={**body, "evidence_item_id": own_item},
        headers=headers,
    )
    assert made.status_code == 201 and made.get_json()["evidence_item_id"] == own_item


def test_the_link_form_refuses_another_cases_evidence_item(app, auth, client, db, officer):
    other = make_user(app, "officer")
    foreign_item = make_evidence_item(app, other, make_case(app, other).id).id
    case_b = make_case(app, officer).id
    phone = add_entity(app, officer, case_b, "phone", "+44 7700 900202")
    email = add_entity(app, officer, case_b, "email", "buyer@example.com")
    auth.login(officer)
    path = f"/cases/{case_b}/links/new"
    response = client.post(
        path,
        data={
            "source_id": phone,
            "target_id": email,
            "type": "CONTACT",
            "confidence": "confirmed",
            "assessment": "fact",
            "evidence_item_id": foreign_item,
            "csrf_token": csrf_token(client, path),
        },
    )
    assert response.status_code == 400
    assert f"Evidence item: no item {foreign_item} in this case." in response.get_data(as_text=True)
    assert db.scalar(sa.select(sa.func.count()).select_from(Link)) == 0
    db.rollback()


def test_the_database_refuses_a_link_to_another_cases_item(app, db, officer):
    """The composite foreign key holds even for a writer that skips the service."""
    import pytest
    from sqlalchemy.exc import IntegrityError

    other = make_user(app, "officer")
    foreign_item = make_evidence_item(app, other, make_case(app, other).id).id
    case_b = make_case(app, officer).id
    phone = add_entity(app, officer, case_b, "phone", "+44 7700 900203")
    email = add_entity(app, officer, case_b, "email", "third@example.com")
    from caseflow.clock import utcnow

    db.add(
        Link(
            case_id=case_b,
            type="CONTACT",
            source_id=phone,
            target_id=email,
            confidence="confirmed",
            assessment=False,
            evidence_item_id=foreign_item,
            created_at=utcnow(),
        )
    )
    with pytest.raises(IntegrityError):
        db.flush()
    db.rollback()


# --- Finding 6: lockout details ----------------------------------------------------------------


def test_one_failure_after_an_expired_lock_does_not_lock_again(auth, client, clock, officer, db):
    from caseflow.auth.models import User

    for _ in range(5):
        auth.password_step(officer.username, "not the password at all")
    assert db.get(User, officer.id).locked_until is not None
    db.rollback()
    clock.advance(minutes=16)
    auth.password_step(officer.username, "still not the password")
    user = db.get(User, officer.id)
    assert user.failed_logins == 1 and user.locked_until is None  # counting starts afresh
    db.rollback()
    auth.login(officer)
    assert client.get("/").status_code == 200


def test_a_locked_account_answers_like_any_failure_at_the_same_cost(
    app, auth, officer, monkeypatch
):
    """Same message, same status and one password-hash verification, whether the account is
    unknown, the password wrong, or the account locked (even given its right password)."""
    from caseflow.auth import secrets as sec

    calls: list[str] = []
    real_verify = sec.Hasher.verify

    def counting_verify(self, stored, password):
        calls.append(stored)
        return real_verify(self, stored, password)

    monkeypatch.setattr(sec.Hasher, "verify", counting_verify)

    def answer(username, password):
        calls.clear()
        response = auth.password_step(username, password)
        return response.status_code, _login_error(response.get_data(as_text=True)), len(calls)

    unknown = answer("nobody.here", "not the password at all")
    wrong = answer(officer.username, "not the password at all")
    for _ in range(4):  # the fifth failure in all locks the account...
        locking = answer(officer.username, "not the password at all")
    assert locking == wrong  # ...and says nothing about it
    locked_wrong = answer(officer.username, "not the password at all")
    locked_right = answer(officer.username, officer.password)
    assert unknown == wrong == locked_wrong == locked_right
    assert wrong == (400, "Invalid username or password.", 1)


def _login_error(html: str) -> str:
    import re

    found = re.search(r'class="error-summary".*?<ul>(.*?)</ul>', html, re.S)
    assert found, html
    return re.sub(r"<[^>]+>", "", found.group(1)).strip()


# --- Finding 5: production refusals, private data files ----------------------------------------


def test_demo_load_is_refused_in_production(app, runner, db):
    from caseflow.auth.models import User

    app.config["ENV_NAME"] = "production"
    result = runner.invoke(args=["demo", "load"])
    assert result.exit_code == 1
    assert "refused in production" in result.output
    assert db.scalar(sa.select(sa.func.count()).select_from(User)) == 0
    db.rollback()


def test_the_sqlite_file_and_data_folders_are_private(tmp_path):
    import os
    import stat

    from caseflow import create_app
    from tests.helpers import app_config

    data = tmp_path / "fresh" / "data"
    app = create_app(
        {
            **app_config(f"sqlite:///{tmp_path}/fresh/db/caseflow.db", tmp_path),
            "DATA_DIR": str(data),
            "INSTANCE_PATH": str(tmp_path / "fresh" / "instance"),
        }
    )
    try:
        from caseflow.db import upgrade

        upgrade(app.extensions["caseflow.engine"])
        blob = app.extensions["caseflow.blobstore"].ingest(_stream(b"synthetic evidence"), 1000)
    finally:
        app.extensions["caseflow.engine"].dispose()

    def mode(path):
        return stat.S_IMODE(os.stat(path).st_mode)

    assert mode(tmp_path / "fresh" / "db" / "caseflow.db") == 0o600
    for folder in ("fresh", "fresh/db", "fresh/data", "fresh/data/blobs", "fresh/data/tmp"):
        assert mode(tmp_path / folder) == 0o700, folder
    assert mode(blob.path) & 0o077 == 0
    assert mode(blob.path.parent) == 0o700


def _stream(data: bytes):
    import io

    return io.BytesIO(data)


# --- Finding 3: bad input gives a clear 400, never a 500, and stores nothing --------------------


def _multipart(path: str, fields: dict) -> tuple[bytes, str]:
    from werkzeug.test import EnvironBuilder

    environ = EnvironBuilder(path=path, method="POST", data=fields).get_environ()
    return environ["wsgi.input"].read(), environ["CONTENT_TYPE"]


def test_a_csv_field_over_128_kib_is_a_clear_400_and_imports_nothing(
    app, auth, client, db, officer
):
    import io

    from caseflow.entities.models import CaseEntity

    case_id = make_case(app, officer).id
    auth.login(officer)
    path = f"/cases/{case_id}/entities/import"
    huge = (
        b'kind,value,note\nphone,+447700900123,ok\nemail,a@example.com,"' + b"x" * 140_000 + b'"\n'
    )
    response = client.post(
        path,
        data={"csrf_token": csrf_token(client, path), "file": (io.BytesIO(huge), "big.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert "File: line 3: a field is longer than 131,072 characters (128 KiB)" in text
    assert db.scalar(sa.select(sa.func.count()).select_from(CaseEntity)) == 0
    db.rollback()


def test_an_upload_shorter_than_its_content_length_is_a_clear_400_and_stores_nothing(
    app, auth, client, db, officer
):
    import io

    from caseflow.evidence.models import EvidenceItem

    case_id = make_case(app, officer).id
    auth.login(officer)
    path = f"/cases/{case_id}/evidence/upload"
    body, content_type = _multipart(
        path,
        {
            "csrf_token": csrf_token(client, path),
            "description": "Screenshot of a fictional advert",
            "acquired_by": "DC Example",
            "acquired_at": "2026-11-01T08:30",
            "file": (io.BytesIO(b"synthetic evidence " * 20_000), "ad.txt", "text/plain"),
        },
    )
    # As behind gunicorn (input terminated: the app reads to the end of what arrives) and as
    # under a server that enforces the length itself.
    for terminated in (True, False):
        response = client.post(
            path,
            input_stream=io.BytesIO(body[: len(body) // 2]),
            headers={"Content-Type": content_type, "Content-Length": str(len(body))},
            environ_overrides={"wsgi.input_terminated": terminated},
        )
        assert response.status_code == 400, terminated
        text = response.get_data(as_text=True)
        assert "nothing was stored" in text and "Content-Length" in text, text
    assert db.scalar(sa.select(sa.func.count()).select_from(EvidenceItem)) == 0
    db.rollback()
    store = app.extensions["caseflow.blobstore"]
    assert not any(store.blob_dir.rglob("*")) or not any(
        p.is_file() for p in store.blob_dir.rglob("*")
    )
    assert not any(store.tmp_dir.iterdir())


# --- Finding 8: reading forms and lists is a consultation, audited -----------------------------


def test_the_case_edit_form_the_link_form_and_the_user_list_are_audited_as_consultations(
    app, auth, client, db, officer, admin
):
    from caseflow.audit.models import AuditEvent

    case_id = make_case(app, officer).id
    add_entity(app, officer, case_id, "phone", "+44 7700 900205")
    add_entity(app, officer, case_id, "email", "listed@example.com")

    def consultations(action):
        found = [
            (e.actor_id, e.case_id, e.details)
            for e in db.scalars(
                sa.select(AuditEvent).where(
                    AuditEvent.action == action, AuditEvent.category == "consultation"
                )
            )
        ]
        db.rollback()  # values taken first: no read transaction stays open
        return found

    auth.login(officer)
    assert client.get(f"/cases/{case_id}/edit").status_code == 200
    [(actor_id, case, _)] = consultations("case.edit_form")
    assert (actor_id, case) == (officer.id, case_id)
    assert client.get(f"/cases/{case_id}/links/new").status_code == 200
    assert consultations("link.form") == [(officer.id, case_id, {"identifiers": 2})]
    auth.logout()

    auth.login(admin)
    assert client.get("/admin/users").status_code == 200
    [(actor_id, _, details)] = consultations("account.list")
    assert actor_id == admin.id and details["accounts"] >= 2


# --- Finding 9: a supervisor reading with a purpose sees metadata and custody, not the file ----


def test_a_supervisor_with_a_purpose_sees_an_items_custody_but_cannot_open_its_file(
    app, auth, client, db, officer
):
    from caseflow.evidence.models import CustodyEvent
    from tests.factories import EVIDENCE_BYTES, add_member

    supervisor = make_user(app, "supervisor")
    case_id = make_case(app, officer).id
    item_id = make_evidence_item(app, officer, case_id).id
    auth.login(supervisor)
    path = f"/cases/{case_id}/purpose"
    stated = client.post(
        path, data={"purpose": "Quarterly custody review", "csrf_token": csrf_token(client, path)}
    )
    assert stated.status_code == 302
    page = client.get(f"/evidence/{item_id}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Custody timeline" in text and "members of the case only" in text
    assert f"/evidence/{item_id}/download" not in text
    token = csrf_token(client, f"/evidence/{item_id}")
    for how in ("open", "download"):
        response = client.post(
            f"/evidence/{item_id}/{how}",
            data={"purpose": "Check the capture matches the report", "csrf_token": token},
        )
        assert response.status_code == 403, how
        assert EVIDENCE_BYTES not in response.get_data()
    accessed = db.scalars(sa.select(CustodyEvent).where(CustodyEvent.action == "accessed")).all()
    assert accessed == []
    db.rollback()

    # The case owner's grant: membership. Then the file opens, with its own recorded purpose.
    add_member(app, officer, case_id, supervisor)
    response = client.post(
        f"/evidence/{item_id}/download",
        data={"purpose": "Check the capture matches the report", "csrf_token": token},
    )
    assert response.status_code == 200 and response.get_data() == EVIDENCE_BYTES


# --- Finding 4: large imports are refused on the web above a documented cap; the CLI takes them --


def test_a_web_import_above_the_row_cap_is_refused_and_the_cli_imports_it_all(
    app, auth, client, db, officer, runner, monkeypatch
):
    import io

    from caseflow.cases.models import Case
    from caseflow.entities.models import CaseEntity
    from caseflow.entities.services import MAX_WEB_IMPORT_ROWS, csv_import

    assert MAX_WEB_IMPORT_ROWS == 5_000  # the documented cap (docs/security.md)
    # A lower cap keeps the CLI half quick on a busy machine; the rule is the same.
    monkeypatch.setattr(csv_import, "MAX_WEB_IMPORT_ROWS", 40)
    case_id = make_case(app, officer).id
    rows = 41
    data = "kind,value\n" + "".join(f"email,user{n}@example.com\n" for n in range(rows))
    auth.login(officer)
    path = f"/cases/{case_id}/entities/import"
    response = client.post(
        path,
        data={
            "csrf_token": csrf_token(client, path),
            "file": (io.BytesIO(data.encode()), "big.csv"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert f"File: {rows:,} rows; the web import takes at most 40" in text
    assert "caseflow entities import" in text
    assert db.scalar(sa.select(sa.func.count()).select_from(CaseEntity)) == 0
    reference = db.get(Case, case_id).reference
    db.rollback()

    csv_file = app.config["DATA_DIR"] + "/big.csv"
    with open(csv_file, "w", encoding="utf-8") as handle:
        handle.write(data)
    result = runner.invoke(args=["entities", "import", reference, csv_file])
    assert result.exit_code == 0, result.output
    assert db.scalar(sa.select(sa.func.count()).select_from(CaseEntity)) == rows
    db.rollback()
