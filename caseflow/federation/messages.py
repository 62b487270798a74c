"""The federation wire format: one signed message, the same bytes over HTTPS and in files.

    CASEFLOW-FEDERATION/1\\n            magic line
    <header>\\n                         canonical JSON (RFC 8785), one line
    <signature>\\n                      base64 of the 64-byte Ed25519 signature
    <payload>                          the parts named in the header, back to back

The signature covers the first two lines exactly (magic and header, with their newlines); the
header holds the payload's SHA-256 and size, so the payload is covered too. docs/federation.md
shows how to check a message with openssl and sha256sum. Must not import flask.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from caseflow.clock import rfc3339
from caseflow.federation.errors import MessageRefused
from caseflow.federation.keys import InstallationKey
from caseflow.federation.keys import verify as verify_signature
from exports.verify import canonical_bytes

MAGIC = b"CASEFLOW-FEDERATION/1\n"
PROTOCOL = "caseflow-psi/1"
# How selectors become PSI elements: "<kind>:<canonical value>" with CaseFlow's normalizers.
# A change to a normalizer that alters canonical values must change this name.
SELECTOR_FORMAT = "caseflow-selectors/1"
MAX_HEADER_BYTES = 16 * 1024

# The five steps of a run and the payload parts each carries, in order.
STEP_TYPES = {1: "open", 2: "request", 3: "answer", 4: "result", 5: "close"}
PARTS = {
    "open": ("request",),
    "request": ("request",),
    "answer": ("setup", "response"),
    "result": ("setup", "response", "sealed"),
    "close": ("sealed",),
    "refusal": (),
}
HEADER_FIELDS = frozenset(
    {
        "protocol",
        "selector_format",
        "type",
        "run",
        "step",
        "sender",
        "recipient",
        "created_at",
        "expires_at",
        "prev",
        "set_sizes",
        "kinds",
        "exchange_key",
        "payload",
        "refusal",
    }
)
_HEX64 = re.compile(r"[0-9a-f]{64}")
_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z")
_KIND = re.compile(r"[a-z_]{1,32}")
_REASON = re.compile(r"[a-z_]{1,40}")


@dataclass(frozen=True)
class Header:
    """What a message says about itself; all of it is signed."""

    type: str
    run: str
    step: int
    sender: str
    recipient: str
    created_at: datetime
    expires_at: datetime
    prev: str | None
    set_sizes: Mapping[str, int | None]
    kinds: tuple[str, ...]
    exchange_key: bytes | None
    parts: tuple[tuple[str, int], ...]
    payload_sha256: str
    refusal: tuple[str, str] | None = None

    def record(self) -> dict[str, Any]:
        return {
            "protocol": PROTOCOL,
            "selector_format": SELECTOR_FORMAT,
            "type": self.type,
            "run": self.run,
            "step": self.step,
            "sender": self.sender,
            "recipient": self.recipient,
            "created_at": rfc3339(self.created_at),
            "expires_at": rfc3339(self.expires_at),
            "prev": self.prev,
            "set_sizes": {
                "initiator": self.set_sizes.get("initiator"),
                "responder": self.set_sizes.get("responder"),
            },
            "kinds": list(self.kinds),
            "exchange_key": (
                base64.urlsafe_b64encode(self.exchange_key).decode()
                if self.exchange_key is not None
                else None
            ),
            "payload": {
                "sha256": self.payload_sha256,
                "size": sum(size for _, size in self.parts),
                "parts": [{"name": name, "size": size} for name, size in self.parts],
            },
            "refusal": (
                {"reason": self.refusal[0], "message": self.refusal[1]} if self.refusal else None
            ),
        }


@dataclass(frozen=True)
class Message:
    """A parsed message. `signed` is the exact signed bytes; `digest` (SHA-256 of them, hex)
    identifies the message and is what the next message's `prev` names."""

    header: Header
    signature: bytes
    payload: bytes
    signed: bytes

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.signed).hexdigest()

    @property
    def header_json(self) -> str:
        return self.signed[len(MAGIC) : -1].decode()

    def part(self, name: str) -> bytes:
        offset = 0
        for part_name, size in self.header.parts:
            if part_name == name:
                return self.payload[offset : offset + size]
            offset += size
        raise KeyError(name)

    def verify(self, public_key: bytes) -> bool:
        return verify_signature(public_key, self.signature, self.signed)


def build_message(
    key: InstallationKey,
    *,
    type: str,
    run: str,
    step: int,
    recipient: str,
    created_at: datetime,
    expires_at: datetime,
    prev: str | None,
    set_sizes: Mapping[str, int | None],
    kinds: Sequence[str] = (),
    exchange_key: bytes | None = None,
    parts: Mapping[str, bytes] | None = None,
    refusal: tuple[str, str] | None = None,
) -> bytes:
    """Sign and frame a message. `parts` must hold exactly the parts PARTS names for `type`."""
    parts = dict(parts or {})
    names = PARTS[type]
    if tuple(parts) != names:
        raise ValueError(f"a {type} message carries the parts {names}, got {tuple(parts)}")
    payload = b"".join(parts[name] for name in names)
    header = Header(
        type=type,
        run=run,
        step=step,
        sender=key.key_id,
        recipient=recipient,
        created_at=created_at,
        expires_at=expires_at,
        prev=prev,
        set_sizes=dict(set_sizes),
        kinds=tuple(sorted(kinds)),
        exchange_key=exchange_key,
        parts=tuple((name, len(parts[name])) for name in names),
        payload_sha256=hashlib.sha256(payload).hexdigest(),
        refusal=refusal,
    )
    # Validate our own header with the receiver's rules: we never send what a partner refuses.
    header_bytes = canonical_bytes(header.record())
    parse_header(json.loads(header_bytes))
    signed = MAGIC + header_bytes + b"\n"
    signature = base64.b64encode(key.sign(signed))
    return signed + signature + b"\n" + payload


def parse_message(data: bytes) -> Message:
    """Split and check the framing, the header and the payload digest. The signature is NOT
    checked here (that needs the partner's key: see Message.verify)."""
    if not data.startswith(MAGIC):
        raise _malformed("not a CaseFlow federation message (bad first line)")
    end_header = data.find(b"\n", len(MAGIC), len(MAGIC) + MAX_HEADER_BYTES + 1)
    if end_header < 0:
        raise _malformed("header line missing or longer than 16 KiB")
    end_signature = data.find(b"\n", end_header + 1, end_header + 100)
    if end_signature < 0:
        raise _malformed("signature line missing", field="signature")
    header_bytes = data[len(MAGIC) : end_header]
    try:
        signature = base64.b64decode(data[end_header + 1 : end_signature], validate=True)
    except (binascii.Error, ValueError):
        raise _malformed("signature is not base64", field="signature") from None
    if len(signature) != 64:
        raise _malformed("signature is not 64 bytes", field="signature")
    try:
        record = json.loads(header_bytes.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise _malformed("header is not UTF-8 JSON", field="header") from None
    header = parse_header(record)
    try:
        canonical = canonical_bytes(record)
    except (TypeError, ValueError):
        canonical = b""
    if canonical != header_bytes:
        raise _malformed("header is not in canonical form", field="header")
    payload = data[end_signature + 1 :]
    expected = sum(size for _, size in header.parts)
    if len(payload) != expected:
        raise MessageRefused(
            "payload_mismatch",
            f"payload is {len(payload)} bytes, the header says {expected}",
            field="payload.size",
        )
    if hashlib.sha256(payload).hexdigest() != header.payload_sha256:
        raise MessageRefused(
            "payload_mismatch",
            "payload does not match the SHA-256 in the signed header (altered in transit)",
            field="payload.sha256",
        )
    return Message(header, signature, payload, data[: end_header + 1])


def _malformed(message: str, *, field: str | None = None) -> MessageRefused:
    return MessageRefused("malformed", message, field=field)


def _require(record: Mapping[str, Any], name: str, kind: type | tuple[type, ...]) -> Any:
    value = record.get(name)
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise _malformed(f"header field {name} is missing or invalid", field=name)
    return value


def _time(record: Mapping[str, Any], name: str) -> datetime:
    text = _require(record, name, str)
    if not _TIME.fullmatch(text):
        raise _malformed(f"{name} is not an RFC 3339 UTC time", field=name)
    try:
        return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    except ValueError:
        raise _malformed(f"{name} is not a valid time", field=name) from None


def _size(value: Any, name: str) -> int | None:
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 10**9:
        raise _malformed(f"{name} is not a set size", field=name)
    return value


def parse_header(record: Any) -> Header:
    """Validate a header record strictly: known fields only, each of its type and form."""
    if not isinstance(record, dict):
        raise _malformed("header is not a JSON object", field="header")
    extra = sorted(set(record) - HEADER_FIELDS)
    missing = sorted(HEADER_FIELDS - set(record))
    if extra or missing:
        which = ", ".join(extra or missing)
        raise _malformed(f"header has {'unknown' if extra else 'missing'} field(s) {which}")
    if record["protocol"] != PROTOCOL:
        raise MessageRefused(
            "unsupported_protocol",
            f"protocol {record['protocol']!r}; this installation speaks {PROTOCOL}",
            field="protocol",
        )
    if record["selector_format"] != SELECTOR_FORMAT:
        raise MessageRefused(
            "unsupported_protocol",
            f"selector format {record['selector_format']!r}; this installation uses "
            f"{SELECTOR_FORMAT} (both sides must normalize selectors alike)",
            field="selector_format",
        )
    kind = _require(record, "type", str)
    if kind not in PARTS:
        raise _malformed(f"unknown message type {kind!r}", field="type")
    step = _require(record, "step", int)
    if not 1 <= step <= len(STEP_TYPES) or (kind != "refusal" and STEP_TYPES[step] != kind):
        raise _malformed(f"a {kind} message cannot be step {step}", field="step")
    run = _require(record, "run", str)
    try:
        canonical_run = str(uuid.UUID(run))
    except ValueError:
        canonical_run = ""
    if canonical_run != run:
        raise _malformed("run is not a canonical UUID", field="run")
    for name in ("sender", "recipient"):
        if not _HEX64.fullmatch(_require(record, name, str)):
            raise _malformed(f"{name} is not a key id", field=name)
    prev = record["prev"]
    well_formed = prev is None or (isinstance(prev, str) and _HEX64.fullmatch(prev))
    if (step == 1) != (prev is None) or not well_formed:
        raise _malformed("prev must be null on step 1 and a SHA-256 after", field="prev")
    sizes = _require(record, "set_sizes", dict)
    if set(sizes) != {"initiator", "responder"}:
        raise _malformed("set_sizes names initiator and responder", field="set_sizes")
    set_sizes = {name: _size(sizes[name], f"set_sizes.{name}") for name in sizes}
    kinds = _require(record, "kinds", list)
    if len(kinds) > 32 or not all(isinstance(k, str) and _KIND.fullmatch(k) for k in kinds):
        raise _malformed("kinds is not a list of selector kinds", field="kinds")
    if kinds != sorted(set(kinds)):
        raise _malformed("kinds must be sorted and unique", field="kinds")
    exchange_key = None
    if record["exchange_key"] is not None:
        try:
            exchange_key = base64.urlsafe_b64decode(_require(record, "exchange_key", str))
        except (binascii.Error, ValueError):
            exchange_key = b""
        if len(exchange_key) != 32:
            raise _malformed("exchange_key is not 32 bytes", field="exchange_key")
    if (exchange_key is not None) != (kind in ("open", "request")):
        raise _malformed("exchange_key belongs to open and request messages", field="exchange_key")
    payload = _require(record, "payload", dict)
    if set(payload) != {"sha256", "size", "parts"}:
        raise _malformed("payload names sha256, size and parts", field="payload")
    if not isinstance(payload["sha256"], str) or not _HEX64.fullmatch(payload["sha256"]):
        raise _malformed("payload.sha256 is not a SHA-256", field="payload.sha256")
    parts = payload["parts"]
    if not isinstance(parts, list) or not all(
        isinstance(p, dict) and set(p) == {"name", "size"} for p in parts
    ):
        raise _malformed("payload.parts is not a list of parts", field="payload")
    names = tuple(p["name"] for p in parts)
    if names != PARTS[kind]:
        raise _malformed(f"a {kind} message carries the parts {PARTS[kind]}", field="payload.parts")
    part_sizes = []
    for part in parts:
        size = part["size"]
        if not isinstance(size, int) or isinstance(size, bool) or not 0 <= size < 2**40:
            raise _malformed("payload part size invalid", field="payload.parts")
        part_sizes.append((part["name"], size))
    if payload["size"] != sum(size for _, size in part_sizes):
        raise _malformed("payload.size is not the sum of its parts", field="payload")
    refusal = record["refusal"]
    if (refusal is not None) != (kind == "refusal"):
        raise _malformed("refusal belongs to refusal messages", field="refusal")
    refusal_pair = None
    if refusal is not None:
        if (
            not isinstance(refusal, dict)
            or set(refusal) != {"reason", "message"}
            or not isinstance(refusal["reason"], str)
            or not _REASON.fullmatch(refusal["reason"])
            or not isinstance(refusal["message"], str)
            or len(refusal["message"]) > 500
        ):
            raise _malformed("refusal needs a reason code and a message", field="refusal")
        refusal_pair = (refusal["reason"], refusal["message"])
    return Header(
        type=kind,
        run=run,
        step=step,
        sender=record["sender"],
        recipient=record["recipient"],
        created_at=_time(record, "created_at"),
        expires_at=_time(record, "expires_at"),
        prev=prev,
        set_sizes=set_sizes,
        kinds=tuple(kinds),
        exchange_key=exchange_key,
        parts=tuple(part_sizes),
        payload_sha256=payload["sha256"],
        refusal=refusal_pair,
    )
