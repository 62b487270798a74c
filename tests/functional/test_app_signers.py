"""Each app signs with its own keys: the ledger signer is passed in from the app's extensions,
never read from a module global that the last app created would own."""

from __future__ import annotations

import sqlalchemy as sa

from caseflow import create_app
from caseflow.ledger import LedgerTreeHead
from tests.factories import make_case, make_user
from tests.helpers import app_config, csrf_token


def test_two_apps_in_one_process_sign_with_their_own_keys(
    app, auth, client, db, tmp_path, database_url
):
    mine = app.extensions["caseflow.ledger_signer"]
    other = create_app(
        app_config(
            database_url,
            tmp_path / "other",
            SECRET_KEY="other-secret-key-0123456789abcdefghijklmno",
            TOTP_KEY="other-totp-key-0123456789abcdefghijklmnopq",
        )
    )
    try:
        theirs = other.extensions["caseflow.ledger_signer"]
        assert theirs.public_key != mine.public_key

        # In the first app, after the second was created: its audit page signs tree heads.
        supervisor = make_user(app, "supervisor")
        owner = make_user(app, "officer")
        case_id = make_case(app, owner, members=[supervisor]).id
        auth.login(supervisor)
        token = csrf_token(client, f"/cases/{case_id}/custody-audit")
        response = client.post(
            f"/cases/{case_id}/custody-audit/checkpoint", data={"csrf_token": token}
        )
        assert response.status_code == 302
        keys = db.scalars(sa.select(LedgerTreeHead.public_key)).all()
        assert keys and set(keys) == {mine.public_key_b64}

        # The second app's command signs with the second app's key.
        result = other.test_cli_runner().invoke(args=["custody", "checkpoint"])
        assert result.exit_code == 0, result.output
        db.rollback()
        latest = db.scalars(
            sa.select(LedgerTreeHead.public_key).order_by(LedgerTreeHead.id.desc()).limit(2)
        ).all()
        assert set(latest) == {theirs.public_key_b64}
    finally:
        other.extensions["caseflow.engine"].dispose()
