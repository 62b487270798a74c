"""The installation's federation key (Ed25519) and partners' public keys. Must not import flask.

A separate key from the ledger's tree-head key: one signs court records, this one signs protocol
messages to partners, so each can be rotated or revoked without touching the other.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from caseflow.errors import ValidationError
from exports.merkle import (
    generate_signing_key,
    load_private_key_pem,
    load_public_key_pem,
    public_key_bytes,
    public_key_pem,
    save_private_key_pem,
)

KEY_FILE = "federation_ed25519.pem"


def key_id(public_key: bytes) -> str:
    """The key's identifier in messages: SHA-256 of the raw 32-byte public key, lower-case hex."""
    return hashlib.sha256(public_key).hexdigest()


def fingerprint(public_key: bytes) -> str:
    """The key id in groups of four (`ab12:cd34:...`), to read out over the phone when
    partners exchange keys out of band. Same form as the ledger key's fingerprint."""
    digest = key_id(public_key)
    return ":".join(digest[i : i + 4] for i in range(0, 64, 4))


def verify(public_key: bytes, signature: bytes, data: bytes) -> bool:
    """Whether `signature` is an Ed25519 signature of `data` by `public_key` (raw 32 bytes)."""
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, data)
    except (InvalidSignature, ValueError):
        return False
    return True


@dataclass(frozen=True)
class InstallationKey:
    """This installation's federation signing key."""

    private_key: Ed25519PrivateKey

    @property
    def public_key(self) -> bytes:
        return public_key_bytes(self.private_key)

    @property
    def key_id(self) -> str:
        return key_id(self.public_key)

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.public_key)

    def public_pem(self) -> str:
        """The public key to give partners (SubjectPublicKeyInfo PEM)."""
        return public_key_pem(self.private_key).decode()

    def sign(self, data: bytes) -> bytes:
        return self.private_key.sign(data)

    @classmethod
    def generate(cls) -> InstallationKey:
        return cls(generate_signing_key())


def load_or_create_key(instance_path: Path) -> InstallationKey:
    """Load the federation key from the instance folder, generating it (0600) at first run.

    Two processes starting together race safely: the file is created with O_EXCL and the
    loser loads the winner's key.
    """
    path = Path(instance_path) / KEY_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        with contextlib.suppress(FileExistsError):
            save_private_key_pem(generate_signing_key(), path)
    return InstallationKey(load_private_key_pem(path))


_BASE64 = re.compile(r"[A-Za-z0-9+/=_-]+")


def parse_public_key(text: str, *, field: str = "public_key") -> bytes:
    """A partner's Ed25519 public key as pasted by an admin: SubjectPublicKeyInfo PEM, or the
    raw 32 bytes in base64 or hex. Returns the raw key; ValidationError naming `field`."""
    text = text.strip()
    if text.startswith("-----BEGIN"):
        try:
            return load_public_key_pem(text.encode())
        except (TypeError, ValueError):
            raise ValidationError(
                "Public key: not an Ed25519 public key in PEM form.", field=field
            ) from None
    raw: bytes | None = None
    if re.fullmatch(r"[0-9a-fA-F]{64}", text):
        raw = bytes.fromhex(text)
    elif _BASE64.fullmatch(text):
        with contextlib.suppress(binascii.Error, ValueError):
            padded = text + "=" * (-len(text) % 4)
            raw = base64.urlsafe_b64decode(padded.replace("+", "-").replace("/", "_"))
    if raw is None or len(raw) != 32:
        raise ValidationError(
            "Public key: give the partner's Ed25519 public key as PEM, or its 32 bytes in "
            "base64 or hex.",
            field=field,
        )
    try:
        Ed25519PublicKey.from_public_bytes(raw)
    except ValueError:
        raise ValidationError("Public key: not a valid Ed25519 key.", field=field) from None
    return raw
