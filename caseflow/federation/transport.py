"""The two transports of federation messages: files carried by hand, and HTTPS.

Both carry the very same signed bytes (caseflow.federation.messages), so a run may even
switch transport half-way. Files: `export_bundle` writes one message per file, `read_bundle`
reads one back for `Federation.receive(..., transport="file")`. HTTPS: `HttpPeer` is the
client, `Exchange` is what the /federation/v1 endpoints do (the Flask blueprint only
authenticates the partner's token and calls it), `drive_run` runs a whole run as initiator.
Must not import flask.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import os
import re
import ssl
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from caseflow.errors import ValidationError
from caseflow.federation.errors import FederationError, MessageRefused, RunRefused
from caseflow.federation.messages import parse_message
from caseflow.federation.protocol import Federation, Holdings, RunState

# Ceiling on one message before it is even parsed. The largest is a result at the largest set
# an agreement may allow (policy.FEDERATION_MAX_SET_SIZE, 1,000,000): a raw setup and a
# response of 35-byte entries (70 MB) plus a sealed report of at most about 6 MB.
MAX_MESSAGE_BYTES = 96 * 1024 * 1024
MEDIA_TYPE = "application/vnd.caseflow.federation"
BUNDLE_SUFFIX = ".cff"
API_PREFIX = "/federation/v1"


# --- files -------------------------------------------------------------------------------------


def bundle_name(data: bytes) -> str:
    """`caseflow-<run>-<step>-<type>.cff`: sorts by run and step in a folder listing."""
    header = parse_message(data).header
    return f"caseflow-{header.run}-{header.step}-{header.type}{BUNDLE_SUFFIX}"


def export_bundle(data: bytes, folder: Path) -> Path:
    """Write one message as a bundle file (0600, never over an existing file)."""
    path = Path(folder) / bundle_name(data)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    return path


def read_bundle(path: Path) -> bytes:
    """Read a bundle file for import; refuses files over MAX_MESSAGE_BYTES before reading."""
    path = Path(path)
    size = path.stat().st_size
    if size > MAX_MESSAGE_BYTES:
        raise MessageRefused(
            "malformed",
            f"{path.name} is {size} bytes; a message is at most {MAX_MESSAGE_BYTES}",
            field="file",
        )
    return path.read_bytes()


# --- HTTPS: the server side ------------------------------------------------------------------


@dataclass(frozen=True)
class Reply:
    """An HTTP answer, independent of the web framework."""

    status: int
    body: bytes
    content_type: str = "application/json"
    headers: tuple[tuple[str, str], ...] = ()

    @classmethod
    def json(cls, status: int, record: dict[str, Any], **kwargs: Any) -> Reply:
        return cls(status, json.dumps(record).encode(), **kwargs)


def message_path(run_id: str, step: int) -> str:
    return f"{API_PREFIX}/runs/{run_id}/messages/{step}"


def _error(exc: FederationError, reply: str | None = None) -> Reply:
    record: dict[str, Any] = {
        "error": {
            "code": exc.code,
            "reason": exc.reason,
            "message": exc.message,
            "field": exc.field,
        }
    }
    if reply:
        record["reply"] = reply
    return Reply.json(exc.status, record)


class Exchange:
    """POST /federation/v1/messages and GET /federation/v1/runs/<run>/messages/<step>.

    The caller has authenticated the partner (bearer token; mutual TLS in deployment) and
    passes its key id: a message signed by anyone else is refused. Processing is done within
    the POST here; the GET answers 202 while a reply is not ready, so a later version may
    move the work to a background job without changing the wire.
    """

    def __init__(self, engine: Federation, holdings: Holdings) -> None:
        self.engine = engine
        self.holdings = holdings

    def post_message(self, body: bytes, *, partner_id: str) -> Reply:
        if len(body) > MAX_MESSAGE_BYTES:
            return _error(MessageRefused("malformed", "message too large", field="body"))
        try:
            outcome = self.engine.receive(
                body, self.holdings, transport="https", partner_id=partner_id
            )
        except RunRefused as exc:
            header = parse_message(exc.reply).header if exc.reply else None
            where = message_path(header.run, header.step) if header else None
            return _error(exc, where)
        except FederationError as exc:
            return _error(exc)
        run = outcome.run
        reply = message_path(run.run_id, run.step) if outcome.reply else None
        return Reply.json(202, {"run": run.run_id, "step": run.step, "reply": reply})

    def get_message(self, run_id: str, step: int, *, partner_id: str) -> Reply:
        run = self.engine.runs.get(run_id)
        if run is None or run.partner_id != partner_id:
            return Reply.json(404, {"error": {"code": "not_found", "message": "No such run."}})
        data = self.engine.runs.outgoing(run_id, step)
        if data is not None:
            return Reply(200, data, MEDIA_TYPE)
        if run.status == "open" and step == run.step + 1:
            return Reply.json(202, {"status": "pending"}, headers=(("Retry-After", "2"),))
        return Reply.json(404, {"error": {"code": "not_found", "message": "No such message."}})


# --- HTTPS: the client side ------------------------------------------------------------------


class PartnerError(FederationError):
    """The partner's installation answered with an error (or could not be reached)."""

    code = "partner_error"

    def __init__(
        self, reason: str, message: str, *, status: int = 502, reply: str | None = None
    ) -> None:
        super().__init__(reason, message)
        self.status = status
        self.reply = reply


_LOOPBACK_NAMES = {"localhost"}


def check_endpoint(url: str, *, field: str = "endpoint") -> str:
    """A partner endpoint: https://host[:port][/prefix]; plain http only on loopback (tests,
    a local proxy). Returns it without a trailing slash; ValidationError naming `field`."""
    parts = urlsplit(url.strip())
    host = parts.hostname or ""
    loopback = host in _LOOPBACK_NAMES
    with contextlib.suppress(ValueError):
        loopback = loopback or ipaddress.ip_address(host).is_loopback
    if parts.scheme != "https" and not (parts.scheme == "http" and loopback):
        raise ValidationError("Endpoint: must be an https:// URL.", field=field)
    if not host or parts.query or parts.fragment or parts.username or parts.password:
        raise ValidationError(
            "Endpoint: give scheme, host, optional port and path only.", field=field
        )
    return url.strip().rstrip("/")


class HttpPeer:
    """A partner's /federation/v1 over HTTPS, with our bearer token for it. `endpoint` is the
    base URL of the partner's CaseFlow (https://caseflow.partner.example.org).

    `ssl_context` carries the CA to trust and, for mutual TLS, our client certificate
    (see `client_tls_context`).
    """

    def __init__(
        self,
        endpoint: str,
        token: str,
        *,
        ssl_context: ssl.SSLContext | None = None,
        timeout: float = 300.0,
    ) -> None:
        self.endpoint = check_endpoint(endpoint)
        self.token = token
        self.ssl_context = ssl_context
        self.timeout = timeout

    def _url(self, path: str) -> str:
        # Paths the partner gives are relative to its installation's base URL (our endpoint).
        if not path.startswith(API_PREFIX + "/") or not re.fullmatch(r"[A-Za-z0-9/_-]+", path):
            raise PartnerError("bad_reply", f"the partner gave an unexpected path {path!r}")
        return self.endpoint + path

    def _call(self, method: str, url: str, body: bytes | None = None) -> tuple[int, bytes, str]:
        request = urllib.request.Request(url, data=body, method=method)  # noqa: S310 (checked)
        request.add_header("Authorization", f"Bearer {self.token}")
        if body is not None:
            request.add_header("Content-Type", MEDIA_TYPE)
        try:
            with urllib.request.urlopen(  # noqa: S310 (https, or http on loopback only)
                request, timeout=self.timeout, context=self.ssl_context
            ) as response:
                data = response.read(MAX_MESSAGE_BYTES + 1)
                return response.status, data, response.headers.get("Content-Type", "")
        except urllib.error.HTTPError as exc:
            data = exc.read(64 * 1024)
            return exc.code, data, exc.headers.get("Content-Type", "")
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise PartnerError("unreachable", f"partner unreachable: {reason}") from None

    def post(self, data: bytes) -> str | None:
        """Send a message; returns the path of the partner's reply, or None if none is due."""
        status, body, _ = self._call("POST", self._url(f"{API_PREFIX}/messages"), data)
        record = _json(body)
        if status != 202:
            found = record.get("error")
            error: dict[str, Any] = found if isinstance(found, dict) else {}
            raise PartnerError(
                str(error.get("reason") or error.get("code") or "error"),
                f"the partner refused: {error.get('message') or f'HTTP {status}'}",
                status=status,
                reply=record.get("reply") if isinstance(record.get("reply"), str) else None,
            )
        reply = record.get("reply")
        return reply if isinstance(reply, str) else None

    def fetch(self, path: str) -> bytes | None:
        """A message the partner has for us, or None while it is still being prepared."""
        status, body, content_type = self._call("GET", self._url(path))
        if status == 202:
            return None
        if status != 200 or not content_type.startswith(MEDIA_TYPE):
            raise PartnerError("bad_reply", f"the partner answered HTTP {status}", status=status)
        if len(body) > MAX_MESSAGE_BYTES:
            raise PartnerError("bad_reply", "the partner's message is too large")
        return body


def _json(body: bytes) -> dict[str, Any]:
    try:
        record = json.loads(body)
    except ValueError:
        return {}
    return record if isinstance(record, dict) else {}


def client_tls_context(
    cafile: str | Path, certfile: str | Path | None = None, keyfile: str | Path | None = None
) -> ssl.SSLContext:
    """TLS for calling a partner: trust `cafile` only; present our certificate for mutual TLS."""
    context = ssl.create_default_context(cafile=str(cafile))
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    if certfile:
        context.load_cert_chain(str(certfile), str(keyfile) if keyfile else None)
    return context


def drive_run(
    engine: Federation,
    peer: HttpPeer,
    partner_id: str,
    holdings: Holdings,
    *,
    poll_every: float = 2.0,
    give_up_after: float = 900.0,
    sleep: Callable[[float], None] = time.sleep,
) -> RunState:
    """Run a whole matching run with a partner over HTTPS, as its initiator.

    Returns our run record (complete, or refused by either side); raises PartnerError when
    the partner cannot be reached or answers outside the protocol.
    """
    outcome = engine.start(partner_id, holdings, transport="https")
    data = outcome.reply
    run = outcome.run
    while data is not None:
        try:
            reply_path = peer.post(data)
        except PartnerError as exc:
            if exc.reply:  # the partner refused the run and signed why: keep its refusal
                refusal = _poll(peer, exc.reply, poll_every, give_up_after, sleep)
                return engine.receive(
                    refusal, holdings, transport="https", partner_id=partner_id
                ).run
            raise
        if reply_path is None:
            break
        incoming = _poll(peer, reply_path, poll_every, give_up_after, sleep)
        try:
            outcome = engine.receive(incoming, holdings, transport="https", partner_id=partner_id)
        except RunRefused as exc:
            if exc.reply:
                with contextlib.suppress(PartnerError):
                    peer.post(exc.reply)
            raise
        data, run = outcome.reply, outcome.run
    return engine.runs.get(run.run_id) or run


def _poll(
    peer: HttpPeer, path: str, every: float, give_up_after: float, sleep: Callable[[float], None]
) -> bytes:
    waited = 0.0
    while (data := peer.fetch(path)) is None:
        if waited >= give_up_after:
            raise PartnerError("timeout", f"no reply from the partner after {waited:.0f} s")
        sleep(every)
        waited += every
    return data
