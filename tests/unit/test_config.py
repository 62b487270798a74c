"""Settings: generated secrets in development, refusal of weak production settings."""

from __future__ import annotations

import pytest

from caseflow import create_app
from caseflow.config import ConfigError, load_settings


def test_development_generates_secrets_once_into_the_instance_folder(tmp_path):
    first = load_settings({}, tmp_path)
    second = load_settings({}, tmp_path)
    assert len(first["SECRET_KEY"]) >= 32
    assert first["SECRET_KEY"] == second["SECRET_KEY"]
    assert first["TOTP_KEY"] != first["SECRET_KEY"]
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_production_refuses_to_start_without_secrets(tmp_path):
    with pytest.raises(ConfigError, match="CASEFLOW_SECRET_KEY: required in production"):
        load_settings({"CASEFLOW_ENV": "production"}, tmp_path)


# A PostgreSQL URL nobody listens on: create_app makes the engine without connecting.
PG_NOWHERE = "postgresql+psycopg://caseflow:unused@127.0.0.1:9/caseflow"
STRONG_SECRET = "s3cr3t-k9Xq2Lm7Pw4Zr8Tv6Yb1Nc5Hd3Jf0Ga"
STRONG_TOTP = "t0tp-Qw8Er7Ty6Ui5Op4As3Df2Gh1Jk0LzXc"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"CASEFLOW_SECRET_KEY": "changeme"}, "CASEFLOW_SECRET_KEY: too weak"),
        ({"CASEFLOW_DEBUG": "1"}, "debug mode is not allowed"),
        # Long enough and many distinct characters, but a pattern: low estimated entropy.
        ({"CASEFLOW_SECRET_KEY": "abcdefghijklmnop" * 4}, "CASEFLOW_SECRET_KEY: too weak"),
        ({"CASEFLOW_TOTP_KEY": "Password1" * 4}, "CASEFLOW_TOTP_KEY: too weak"),
        ({"CASEFLOW_TOTP_KEY": "qwertyuiopasdfghjklzxcvbnm1234567890"}, "TOTP_KEY: too weak"),
        ({"CASEFLOW_TOTP_KEY": STRONG_SECRET}, "CASEFLOW_TOTP_KEY: must differ"),
        ({"CASEFLOW_DATABASE_URL": "sqlite:///x.db"}, "SQLite is for development and tests"),
    ],
)
def test_production_refuses_weak_secrets_and_debug(tmp_path, monkeypatch, env, message):
    good = {
        "CASEFLOW_ENV": "production",
        "CASEFLOW_SECRET_KEY": STRONG_SECRET,
        "CASEFLOW_TOTP_KEY": STRONG_TOTP,
        "CASEFLOW_DATABASE_URL": PG_NOWHERE,
    }
    for key, value in {**good, **env}.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(ConfigError, match=message):
        create_app({"INSTANCE_PATH": str(tmp_path), "SESSION_COOKIE_SECURE": True})


def test_production_with_strong_settings_uses_host_prefixed_secure_cookie(tmp_path, monkeypatch):
    monkeypatch.setenv("CASEFLOW_ENV", "production")
    monkeypatch.setenv("CASEFLOW_SECRET_KEY", STRONG_SECRET)
    monkeypatch.setenv("CASEFLOW_TOTP_KEY", STRONG_TOTP)
    monkeypatch.setenv("CASEFLOW_DATABASE_URL", PG_NOWHERE)
    app = create_app({"INSTANCE_PATH": str(tmp_path), "GRAPH_SYNC": "off"})
    assert app.config["SESSION_COOKIE_NAME"] == "__Host-caseflow"
    assert app.config["SESSION_COOKIE_SECURE"] is True
    app.extensions["caseflow.engine"].dispose()


def test_behind_a_proxy_external_urls_are_https_and_client_ip_is_forwarded(tmp_path):
    from flask import request, url_for

    app = create_app(
        {
            "INSTANCE_PATH": str(tmp_path),
            "DATABASE_URL": f"sqlite:///{tmp_path}/x.db",
            "PROXY_COUNT": 1,
            "GRAPH_SYNC": "off",
        }
    )
    seen = {}

    @app.route("/probe")
    def probe():
        seen["url"] = url_for("auth.login", _external=True)
        seen["ip"] = request.remote_addr
        return "ok"

    app.view_functions["probe"].caseflow_access = "public"
    app.test_client().get(
        "/probe",
        headers={
            "X-Forwarded-Proto": "https",
            "X-Forwarded-For": "203.0.113.9",
            "X-Forwarded-Host": "caseflow.example.org",
        },
    )
    assert seen == {"url": "https://caseflow.example.org/login", "ip": "203.0.113.9"}
    app.extensions["caseflow.engine"].dispose()


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("MAX_UPLOAD_BYTES", "2GB", "CASEFLOW_MAX_UPLOAD_BYTES: a whole number, not '2GB'"),
        ("PROXY_COUNT", "-1", "CASEFLOW_PROXY_COUNT: zero or more, not -1"),
        ("CUSTODY_GAP_DAYS", "thirty", "CASEFLOW_CUSTODY_GAP_DAYS: a whole number"),
    ],
)
def test_a_number_setting_that_is_not_a_number_is_named_not_a_traceback(
    tmp_path, name, value, message
):
    with pytest.raises(ConfigError, match=message):
        load_settings({f"CASEFLOW_{name}": value}, tmp_path)
    assert load_settings({f"CASEFLOW_{name}": ""}, tmp_path)["CUSTODY_GAP_DAYS"] == 30


def test_random_keys_pass_the_entropy_estimate_and_patterns_do_not():
    import secrets

    from caseflow.config import MIN_SECRET_BITS, estimated_secret_bits

    for _ in range(20):
        assert estimated_secret_bits(secrets.token_urlsafe(32)) > MIN_SECRET_BITS
        assert estimated_secret_bits(secrets.token_hex(32)) > MIN_SECRET_BITS
    for weak in ("a" * 64, "0123456789" * 4, "k3y!" * 12, "correct horse battery staple horse"):
        assert estimated_secret_bits(weak) < MIN_SECRET_BITS, weak
