"""The sealed part of result and close messages: match count and case references, encrypted.

PSI messages are safe to carry in the open, but a list of matched selectors keyed by their
hashes is not: anyone holding the file could hash a phone-number range and read which numbers
matched. So each run agrees a key by ephemeral X25519 (both public halves are inside signed
headers, so no one in between can swap them) and seals this part with AES-256-GCM. The keys
exist for one run only. Must not import flask.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from exports.verify import canonical_bytes

_INFO = b"caseflow-psi/1 "
# A report names at most MAX_LABELS selectors with at most MAX_REFERENCES case references each
# (short printable ASCII): a lead needs a reference to quote, not a case list, and this keeps
# the largest message of a run within the transports' ceiling.
MAX_LABELS = 20_000
MAX_REFERENCES = 5
_REFERENCE = re.compile(r"[\x21-\x7e][\x20-\x7e]{0,39}")
_LABEL = re.compile(r"[0-9a-f]{32}")


class SealError(ValueError):
    """A sealed part that cannot be opened or does not have the documented form."""


def new_exchange_key() -> tuple[bytes, bytes]:
    """A fresh X25519 key pair for one run: (private, public), raw 32 bytes each."""
    private = X25519PrivateKey.generate()
    return private.private_bytes_raw(), private.public_key().public_bytes_raw()


def shared_secret(private: bytes, peer_public: bytes, run_id: str) -> bytes:
    """The run's secret, from our ephemeral private key and the partner's public key."""
    try:
        raw = X25519PrivateKey.from_private_bytes(private).exchange(
            X25519PublicKey.from_public_bytes(peer_public)
        )
    except ValueError:  # an all-zero result: a low-order public key
        raise SealError("the partner's exchange key is not usable") from None
    return _derive(raw, run_id, b"secret")


def _derive(secret: bytes, run_id: str, label: bytes) -> bytes:
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=run_id.encode(), info=_INFO + label
    ).derive(secret)


def label_key(secret: bytes, run_id: str, element: str) -> str:
    """The name both sides give a matched element inside sealed parts: HMAC-SHA256 under a
    key of the run, truncated to 128 bits (hex)."""
    key = _derive(secret, run_id, b"labels")
    return hmac.new(key, element.encode(), hashlib.sha256).hexdigest()[:32]


@dataclass(frozen=True)
class Sealed:
    """What one side tells the other after learning the intersection."""

    matched: int
    references: Mapping[str, tuple[str, ...]]  # label key -> case references


def seal(secret: bytes, run_id: str, sender: str, step: int, content: Sealed) -> bytes:
    record = {
        "matched": content.matched,
        "labels": [
            {"key": key, "references": list(refs)}
            for key, refs in sorted(content.references.items())
        ],
    }
    key = _derive(secret, run_id, b"seal " + sender.encode())
    nonce = os.urandom(12)
    aad = f"{run_id}:{step}:{sender}".encode()
    return nonce + AESGCM(key).encrypt(nonce, canonical_bytes(record), aad)


def open_sealed(secret: bytes, run_id: str, sender: str, step: int, data: bytes) -> Sealed:
    """Decrypt and validate a partner's sealed part; SealError if altered or ill-formed."""
    key = _derive(secret, run_id, b"seal " + sender.encode())
    aad = f"{run_id}:{step}:{sender}".encode()
    try:
        plain = AESGCM(key).decrypt(data[:12], data[12:], aad)
        record = json.loads(plain)
    except (InvalidTag, ValueError):
        raise SealError("the sealed part does not open with this run's key") from None
    if not isinstance(record, dict) or set(record) != {"matched", "labels"}:
        raise SealError("the sealed part names matched and labels")
    matched, labels = record["matched"], record["labels"]
    if not isinstance(matched, int) or isinstance(matched, bool) or matched < 0:
        raise SealError("matched is not a count")
    if not isinstance(labels, list) or len(labels) > min(matched, MAX_LABELS):
        raise SealError(f"labels is not a list of at most `matched` and {MAX_LABELS} entries")
    references: dict[str, tuple[str, ...]] = {}
    for label in labels:
        if (
            not isinstance(label, dict)
            or set(label) != {"key", "references"}
            or not isinstance(label["key"], str)
            or not _LABEL.fullmatch(label["key"])
            or label["key"] in references
            or not _valid_references(label["references"])
        ):
            raise SealError("a label is not a key with a list of case references")
        references[label["key"]] = tuple(label["references"])
    return Sealed(matched, references)


def _valid_references(refs: object) -> bool:
    return (
        isinstance(refs, list)
        and 0 < len(refs) <= MAX_REFERENCES
        and all(isinstance(r, str) and _REFERENCE.fullmatch(r) for r in refs)
    )


def clean_references(refs: Sequence[str]) -> tuple[str, ...]:
    """Our own case references as they may travel: printable ASCII, at most 40 characters,
    at most MAX_REFERENCES (the first in sorted order)."""
    kept = sorted({r for r in refs if _REFERENCE.fullmatch(r)})
    return tuple(kept[:MAX_REFERENCES])
