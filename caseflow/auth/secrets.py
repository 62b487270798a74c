"""Password hashing and policy, TOTP seeds and codes, recovery codes. Must not import flask.

Passwords: Argon2id (argon2-cffi). TOTP: RFC 6238, SHA-1, 6 digits, 30-second steps, the
current step and one step back only (see docs/security.md for why one step back).
Seeds: 160 random bits, encrypted at rest with AES-256-GCM under the installation's TOTP key.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from argon2.profiles import CHEAPEST, RFC_9106_LOW_MEMORY
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

TOTP_STEP_SECONDS = 30
MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 256
RECOVERY_CODE_COUNT = 10

# Frequently used and context-specific passwords refused outright (NIST 800-63B §3.1.1.2).
# Compared case-insensitively after removing digits and symbols at the ends.
_BLOCKLIST = frozenset(
    {
        "password",
        "passw0rd",
        "password123",
        "qwerty",
        "qwertyuiop",
        "letmein",
        "welcome",
        "iloveyou",
        "administrator",
        "admin",
        "changeme",
        "trustno1",
        "abc123",
        "123456789012",
        "111111111111",
        "caseflow",
        "investigator",
        "police",
        "interpol",
        "europol",
        "correcthorsebatterystaple",
        "monkey",
        "dragon",
        "football",
        "baseball",
        "sunshine",
        "princess",
        "superman",
        "master",
        "secret",
    }
)


class PasswordRejected(ValueError):
    """The chosen password breaks a rule; the message says which."""


def check_password_policy(password: str, *, username: str = "") -> None:
    """Length 12-256, not a common or context-derived password. No composition rules."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise PasswordRejected(f"must be at least {MIN_PASSWORD_LENGTH} characters long")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise PasswordRejected(f"must be at most {MAX_PASSWORD_LENGTH} characters long")
    core = password.strip("0123456789!@#$%^&*()_-+=.?~ ").lower()
    if core in _BLOCKLIST or password.lower() in _BLOCKLIST:
        raise PasswordRejected("is a commonly used password; choose another")
    if username and username.lower() in password.lower():
        raise PasswordRejected("must not contain your username")
    if len(set(password)) < 4:
        raise PasswordRejected("uses too few different characters")


@dataclass(frozen=True)
class Hasher:
    """Argon2id hashing; tests choose the cheapest parameters, installations the RFC 9106 ones."""

    hasher: PasswordHasher

    @classmethod
    def for_profile(cls, profile: str = "default") -> Hasher:
        params = CHEAPEST if profile == "test" else RFC_9106_LOW_MEMORY
        return cls(PasswordHasher.from_parameters(params))

    def hash(self, password: str) -> str:
        return self.hasher.hash(password)

    def verify(self, stored: str, password: str) -> bool:
        try:
            return self.hasher.verify(stored, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, stored: str) -> bool:
        return self.hasher.check_needs_rehash(stored)


def one_time_password() -> str:
    """A password an admin hands over once; the user must replace it at first login."""
    return "-".join(secrets.token_urlsafe(6) for _ in range(3))


# --- TOTP -----------------------------------------------------------------------------------


def new_totp_seed() -> str:
    """160 random bits, base32, as authenticator apps expect."""
    return pyotp.random_base32(32)


def _seed_cipher(totp_key: str) -> AESGCM:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"caseflow totp seed v1")
    return AESGCM(key.derive(totp_key.encode()))


def encrypt_seed(seed: str, totp_key: str, *, user_id: int) -> str:
    nonce = secrets.token_bytes(12)
    sealed = _seed_cipher(totp_key).encrypt(nonce, seed.encode(), f"user:{user_id}".encode())
    return "v1:" + base64.b64encode(nonce + sealed).decode()


def decrypt_seed(stored: str, totp_key: str, *, user_id: int) -> str:
    if not stored.startswith("v1:"):
        raise ValueError("unknown TOTP seed format")
    raw = base64.b64decode(stored[3:])
    return _seed_cipher(totp_key).decrypt(raw[:12], raw[12:], f"user:{user_id}".encode()).decode()


def totp_step(unix_time: float) -> int:
    return int(unix_time // TOTP_STEP_SECONDS)


def totp_code(seed: str, step: int) -> str:
    return pyotp.TOTP(seed).at(step * TOTP_STEP_SECONDS)


def match_totp(seed: str, code: str, unix_time: float) -> int | None:
    """Return the step the code belongs to (current or previous), or None.

    pyotp's `valid_window` is symmetric and would also accept the next step's code; RFC 6238
    §5.2 only requires tolerance for transmission delay, so we look one step back only.
    """
    code = code.strip().replace(" ", "")
    if not (code.isdigit() and len(code) == 6):
        return None
    now_step = totp_step(unix_time)
    for step in (now_step, now_step - 1):
        if hmac.compare_digest(totp_code(seed, step), code):
            return step
    return None


def provisioning_uri(seed: str, username: str, issuer: str) -> str:
    return pyotp.TOTP(seed).provisioning_uri(name=username, issuer_name=issuer)


# --- recovery codes --------------------------------------------------------------------------


def new_recovery_codes() -> list[str]:
    """Ten codes of 80 random bits each, grouped for reading aloud."""
    codes = []
    for _ in range(RECOVERY_CODE_COUNT):
        raw = base64.b32encode(secrets.token_bytes(10)).decode().lower()
        codes.append("-".join(raw[i : i + 4] for i in range(0, 16, 4)))
    return codes


def recovery_code_hash(code: str) -> str:
    """SHA-256 of the normalised code. 80 random bits need no slow hash to resist guessing."""
    normalised = code.strip().lower().replace("-", "").replace(" ", "")
    return hashlib.sha256(normalised.encode()).hexdigest()


def session_token() -> tuple[str, str]:
    """A new random session token and the hash stored server-side."""
    token = secrets.token_urlsafe(32)
    return token, token_hash(token)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
