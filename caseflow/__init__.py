"""CaseFlow: case coordination and evidence chain for investigators.

`create_app` only wires things together: settings, extensions, blueprints, CLI. It runs no
migration and opens no network connection.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

from flask import Flask
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.routing import IntegerConverter

from caseflow import uow
from caseflow.auth.secrets import Hasher
from caseflow.auth.services import AuthSettings
from caseflow.clock import utcnow
from caseflow.config import check_production, load_settings
from caseflow.db import make_engine, make_sessionmaker
from caseflow.extensions import close_db_session, csrf, end_request_unit, login_manager


class DatabaseId(IntegerConverter):
    """`<int:...>` bounded to a 32-bit signed integer, the range of our primary keys."""

    def __init__(self, url_map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(url_map, *args, **kwargs)


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    config = dict(config or {})
    instance_path = Path(
        config.pop("INSTANCE_PATH", None)
        or os.environ.get("CASEFLOW_INSTANCE_PATH")
        or Path.cwd() / "instance"
    ).resolve()
    app = Flask(__name__, instance_path=str(instance_path), instance_relative_config=False)
    settings = load_settings(os.environ, instance_path)
    settings.update(config)
    app.config.update(settings)
    production = app.config["ENV_NAME"] == "production"
    app.config.setdefault("CLOCK", utcnow)
    app.config.setdefault("PASSWORD_HASH_PROFILE", "default")
    app.config.update(
        SESSION_COOKIE_NAME="__Host-caseflow" if production else "caseflow_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=config.get("SESSION_COOKIE_SECURE", production),
        SESSION_COOKIE_PATH="/",
        WTF_CSRF_TIME_LIMIT=None,  # bound to the session, which expires on its own
    )
    check_production(app.config)
    if app.config.get("PROXY_COUNT"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]

    # Ids in URLs are database integers: larger numbers are "not found", never a 500.
    app.url_map.converters["int"] = DatabaseId

    engine = make_engine(app.config["DATABASE_URL"])
    factory = make_sessionmaker(engine)
    uow.install(factory)
    app.extensions["caseflow.engine"] = engine
    app.extensions["caseflow.sessionmaker"] = factory
    app.extensions["caseflow.auth"] = AuthSettings(
        totp_key=app.config["TOTP_KEY"],
        hasher=Hasher.for_profile(app.config["PASSWORD_HASH_PROFILE"]),
        issuer=app.config.get("TOTP_ISSUER", "CaseFlow"),
    )
    # Each request's unit of work: committed once before the response leaves, or rolled back.
    app.after_request(end_request_unit)
    app.teardown_appcontext(close_db_session)

    _init_evidence(app, instance_path)
    _init_packet_signing(app, instance_path)

    csrf.init_app(app)
    login_manager.init_app(app)

    from caseflow import graphsync

    graphsync.init_app(app)
    for feature in features():
        feature.init_app(app)
    from caseflow import cli

    cli.init_app(app)
    return app


class Feature(Protocol):
    def init_app(self, app: Flask) -> None: ...


def features() -> tuple[Feature, ...]:
    """The feature packages, registered in this order by `create_app`: each one's `init_app`
    registers its blueprints, page panels and its part of the graph rebuild. A new feature is
    added here, and nowhere else."""
    from caseflow import admin, analysis, api, auth, cases, entities, evidence, mla, web

    return (web, auth, admin, cases, analysis, api, entities, evidence, mla)


def _init_packet_signing(app: Flask, instance_path: Path) -> None:
    """The certificate packet PDFs are signed with (PKCS#12 in production, else generated)."""
    from caseflow.mla.signing import AuthoritySigners, load_or_create_signer

    app.extensions["caseflow.packet_signer"] = load_or_create_signer(
        instance_path,
        organisation=app.config["ORGANISATION"],
        p12_path=app.config["SIGNING_P12"],
        p12_password=app.config["SIGNING_P12_PASSWORD"],
    )
    app.extensions["caseflow.authority_signers"] = AuthoritySigners.configure(
        instance_path,
        organisation=app.config["ORGANISATION"],
        p12_dir=app.config["AUTHORITY_P12_DIR"],
        password=app.config["AUTHORITY_P12_PASSWORD"],
        crl_files=app.config["AUTHORITY_CRL_FILES"],
    )


def install_ledger_heads(app: Flask, factory: sessionmaker[Session]) -> None:
    """Every write transaction of `factory`'s sessions that appends to a ledger signs its
    head with the app's key and logs it beside the data (docs/ledger.md, "No unsigned tail")."""
    from caseflow import ledger

    timestamper = None
    if app.config.get("TSA_URL"):
        from caseflow.evidence.timestamp import TimestampAuthority

        timestamper = TimestampAuthority(app.config["TSA_URL"])
    ledger.install_auto_heads(
        factory,
        app.extensions["caseflow.ledger_signer"],
        Path(app.config["DATA_DIR"]) / ledger.HEAD_LOG_FILE,
        app.config["CLOCK"],
        timestamper=timestamper,
        tsa_interval=float(app.config.get("LEDGER_TSA_INTERVAL_SECONDS", 300)),
    )


def _init_evidence(app: Flask, instance_path: Path) -> None:
    """The evidence store (stale upload temp files removed) and the ledgers' signing key."""
    from caseflow import ledger
    from caseflow.evidence.blobstore import BlobStore

    store = BlobStore(
        Path(app.config["DATA_DIR"]), reserve_bytes=app.config.get("EVIDENCE_RESERVE_BYTES", 0)
    )
    store.clean_temp(app.config["UPLOAD_TEMP_GRACE_SECONDS"])
    app.extensions["caseflow.blobstore"] = store
    # The tree-head key is this app's: services get it passed in, never from a module global.
    origin = app.config["LEDGER_ORIGIN"]
    app.extensions["caseflow.ledger_signer"] = ledger.load_or_create_signer(
        instance_path, origin, origin
    )
    install_ledger_heads(app, app.extensions["caseflow.sessionmaker"])
