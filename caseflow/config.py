"""Settings: every CASEFLOW_* environment variable is read here, once.

Must not import flask. `load_settings` returns a plain dict the app factory copies into
`app.config`; tests pass their own mapping on top.
"""

from __future__ import annotations

import math
import os
import secrets
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from caseflow.files import private_dir

# Secrets shorter than this, or with less estimated entropy than MIN_SECRET_BITS (see
# `estimated_secret_bits`), are refused in production.
MIN_SECRET_LENGTH = 32
MIN_SECRET_BITS = 128  # pessimistic estimate: a random 32-byte key scores ~200
KNOWN_WEAK_SECRETS = {"dev", "secret", "changeme", "change-me", "development", "caseflow"}


class ConfigError(RuntimeError):
    """The configuration cannot be used; the message says which setting and why."""


def _env(environ: Mapping[str, str], name: str) -> str | None:
    """CASEFLOW_<name>, or None when unset or empty."""
    value = environ.get(f"CASEFLOW_{name}")
    return value if value else None


def _str(environ: Mapping[str, str], name: str, default: str) -> str:
    value = _env(environ, name)
    return default if value is None else value


def _int(environ: Mapping[str, str], name: str, default: int) -> int:
    """A whole number of zero or more; anything else is a ConfigError naming the variable."""
    value = _env(environ, name)
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        raise ConfigError(f"CASEFLOW_{name}: a whole number, not {value!r}") from None
    if number < 0:
        raise ConfigError(f"CASEFLOW_{name}: zero or more, not {number}")
    return number


def load_settings(environ: Mapping[str, str], instance_path: Path) -> dict[str, Any]:
    """Map the environment to settings. Secrets missing in development are generated once."""
    env_name = _str(environ, "ENV", "development")
    if env_name not in {"development", "production"}:
        raise ConfigError(f"CASEFLOW_ENV: must be 'development' or 'production', not {env_name!r}")
    production = env_name == "production"
    data_dir = Path(_str(environ, "DATA_DIR", str(Path.cwd() / "var")))
    return {
        "ENV_NAME": env_name,
        # The system of record. SQLite by default; PostgreSQL (psycopg 3) in production.
        "DATABASE_URL": _str(environ, "DATABASE_URL", f"sqlite:///{data_dir / 'caseflow.db'}"),
        # PostgreSQL: the owner role `caseflow db upgrade` connects as; the application then
        # connects (DATABASE_URL) as a runtime role that may only INSERT and SELECT on the
        # ledger tables (docs/security.md, "Database roles"). Unset: DATABASE_URL for both.
        "MIGRATION_DATABASE_URL": _env(environ, "MIGRATION_DATABASE_URL"),
        # Where evidence blobs and other runtime files live.
        "DATA_DIR": str(data_dir),
        # Neo4j holding the link-analysis projection (see graph/ and deploy/neo4j/).
        "NEO4J_URI": _str(environ, "NEO4J_URI", "bolt://127.0.0.1:7687"),
        "NEO4J_USER": _str(environ, "NEO4J_USER", "neo4j"),
        # The local server's generated password (deploy/neo4j/neo4j.sh) is used when unset.
        "NEO4J_PASSWORD": _env(environ, "NEO4J_PASSWORD")
        or _read(instance_path / "neo4j-password"),
        # How the outbox reaches Neo4j: "thread" (background, retries), "inline", or "off".
        "GRAPH_SYNC": _str(environ, "GRAPH_SYNC", "thread"),
        # Signs the session cookie. Generated into the instance folder in development.
        "SECRET_KEY": _secret(environ, "SECRET_KEY", instance_path, production),
        # Encrypts TOTP seeds at rest (AES-256-GCM). Generated like SECRET_KEY.
        "TOTP_KEY": _secret(environ, "TOTP_KEY", instance_path, production),
        # Organisation name shown in the system-use notice and on packets.
        "ORGANISATION": _str(environ, "ORGANISATION", "CaseFlow demo agency"),
        # Largest upload accepted, in bytes (evidence files).
        "MAX_CONTENT_LENGTH": _int(environ, "MAX_UPLOAD_BYTES", 2 * 1024**3),
        "DEBUG": _str(environ, "DEBUG", "0") == "1",
        # Number of reverse proxies in front (their X-Forwarded-* headers are trusted).
        "PROXY_COUNT": _int(environ, "PROXY_COUNT", 0),
        # Signs packet PDFs: a PKCS#12 file and its password in production; unset, a
        # self-signed certificate is generated into the instance folder at first use.
        "SIGNING_P12": _env(environ, "SIGNING_P12"),
        "SIGNING_P12_PASSWORD": _env(environ, "SIGNING_P12_PASSWORD"),
        # Issuing and validating authorities sign with their own certificates: a folder of
        # PKCS#12 files named after the signatory (jane-example.p12), one password, and the
        # CRLs (DER or PEM files, ";"-separated) embedded with B-LT signatures. Unset, a test
        # CA generated into the instance folder at first start issues them (development).
        "AUTHORITY_P12_DIR": _env(environ, "AUTHORITY_P12_DIR"),
        "AUTHORITY_P12_PASSWORD": _env(environ, "AUTHORITY_P12_PASSWORD"),
        "AUTHORITY_CRL_FILES": _env(environ, "AUTHORITY_CRL_FILES"),
        # The TSA's CRLs (";"-separated files) embedded with B-LT signatures of packet PDFs.
        "TSA_CRL_FILES": _env(environ, "TSA_CRL_FILES"),
        # Bilateral MLA treaties the agency has, for the legal-basis resolver:
        # "GB-US=UK-US MLAT 1994;DE-US=Germany-US MLAT 2003" (either order of the pair).
        "BILATERAL_TREATIES": _treaties(_str(environ, "BILATERAL_TREATIES", "")),
        # Custody ledger: checkpoint origin prefix and signed-note key name of this install.
        "LEDGER_ORIGIN": _str(environ, "LEDGER_ORIGIN", "caseflow.invalid"),
        # Optional RFC 3161 TSA that timestamps every signed tree head, and its certificates
        # (PEM) for checking the tokens in `caseflow custody verify`.
        "TSA_URL": _env(environ, "TSA_URL"),
        "TSA_CA_FILE": _env(environ, "TSA_CA_FILE"),
        "TSA_CERT_FILE": _env(environ, "TSA_CERT_FILE"),
        # Custody gaps: an item with no custody event for this many days is reported.
        "CUSTODY_GAP_DAYS": _int(environ, "CUSTODY_GAP_DAYS", 30),
        # Upload temp files older than this are removed at start (other workers may still be
        # writing younger ones); 0 when a single process serves the app.
        "UPLOAD_TEMP_GRACE_SECONDS": _int(environ, "UPLOAD_TEMP_GRACE_SECONDS", 3600),
        # Space kept free on the evidence store's filesystem: an upload that would leave less
        # is refused ("the evidence store is full") before a byte is stored, so the database
        # (by default on the same disk) can still commit. docs/operations.md.
        "EVIDENCE_RESERVE_BYTES": _int(environ, "EVIDENCE_RESERVE_BYTES", 256 * 1024**2),
    }


def _read(path: Path) -> str | None:
    return path.read_text(encoding="utf-8").strip() if path.exists() else None


def _treaties(text: str) -> dict[str, str]:
    out = {}
    for item in text.split(";"):
        pair, _, name = item.partition("=")
        if pair.strip() and name.strip():
            out[pair.strip().upper()] = name.strip()
    return out


def _secret(environ: Mapping[str, str], name: str, instance_path: Path, production: bool) -> str:
    value = _env(environ, name)
    stored = instance_path / name.lower()
    if value is None and stored.exists():
        value = stored.read_text(encoding="utf-8").strip()
    if value is None and not production:
        value = secrets.token_urlsafe(48)
        private_dir(instance_path)
        fd = os.open(stored, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(value)
    if value is None:
        raise ConfigError(f"CASEFLOW_{name}: required in production")
    return value


def estimated_secret_bits(value: str) -> float:
    """A deliberately pessimistic estimate of a secret's entropy, in bits.

    Characters a guesser predicts for free are not counted: the next one of a run (`aaaa`,
    `abcd`, `4321`) and every character of a repeat (three or more characters seen earlier in
    the value: `k3y!k3y!`). Each remaining character counts the Shannon entropy per character
    of the whole value. A random 43-character `secrets.token_urlsafe(32)` scores about 200
    bits; 64 hex digits about 190; a word, a keyboard walk or a pattern stays far below.
    """
    if not value:
        return 0.0
    counts = Counter(value)
    n = len(value)
    per_char = -sum(c / n * math.log2(c / n) for c in counts.values())
    novel = 0
    i = 0
    while i < n:
        repeat = 0
        for k in range(min(n - i, i), 2, -1):  # the longest earlier repeat of 3+ characters
            if value[i : i + k] in value[:i]:
                repeat = k
                break
        if repeat:
            i += repeat
            continue
        if i == 0 or abs(ord(value[i]) - ord(value[i - 1])) > 1:
            novel += 1
        i += 1
    return novel * per_char


def check_production(config: Mapping[str, Any]) -> None:
    """Refuse to run in production with a weak or shared secret, debug on, insecure cookies,
    or SQLite as the database (one file, no runtime role separation, no concurrent writers)."""
    if config.get("ENV_NAME") != "production":
        return
    if config.get("DEBUG"):
        raise ConfigError("CASEFLOW_DEBUG: debug mode is not allowed in production")
    for name in ("SECRET_KEY", "TOTP_KEY"):
        value = str(config.get(name) or "")
        if (
            len(value) < MIN_SECRET_LENGTH
            or value.lower() in KNOWN_WEAK_SECRETS
            or estimated_secret_bits(value) < MIN_SECRET_BITS
        ):
            raise ConfigError(
                f"CASEFLOW_{name}: too weak for production (at least {MIN_SECRET_LENGTH} random "
                f"characters and an estimated {MIN_SECRET_BITS} bits; generate one with "
                "python3 -c 'import secrets; print(secrets.token_urlsafe(48))')"
            )
    if str(config.get("SECRET_KEY")) == str(config.get("TOTP_KEY")):
        raise ConfigError(
            "CASEFLOW_TOTP_KEY: must differ from CASEFLOW_SECRET_KEY in production "
            "(one key per purpose: a leaked cookie key must not decrypt the TOTP seeds)"
        )
    if str(config.get("DATABASE_URL") or "").startswith("sqlite"):
        raise ConfigError(
            "CASEFLOW_DATABASE_URL: SQLite is for development and tests; production needs "
            "PostgreSQL (postgresql+psycopg://...)"
        )
    if not config.get("SESSION_COOKIE_SECURE"):
        raise ConfigError("session cookies must be Secure in production (serve over HTTPS)")
