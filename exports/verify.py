"""Offline verification of CaseFlow ledgers and packets: canonical bytes, chains, Merkle proofs.

This file is shipped as-is inside every packet as `verify.py`; it needs only the standard
library (plus `cryptography` for signatures). It must not import flask, sqlalchemy or caseflow,
and nothing outside the standard library and `cryptography`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

GENESIS_HASH = "0" * 64


class VerificationError(Exception):
    """A check failed; the message names what failed and where."""


def canonical_bytes(record: Mapping[str, Any]) -> bytes:
    """Serialize a record to CaseFlow's canonical bytes: RFC 8785 (JCS), UTF-8.

    UTF-8 JSON, keys sorted by UTF-16 code units (as JCS requires; this differs from Python's
    code-point order only for keys mixing astral characters such as emoji with U+E000-U+FFFF),
    no insignificant whitespace, non-ASCII kept as is. Only strings, integers within +-(2**53-1),
    booleans, null, lists and objects are allowed: with those, the bytes equal JCS, so anyone
    can recompute them. Floats are refused (TypeError) because their text form is not
    canonical across implementations; so are larger integers, which JCS cannot represent.
    """
    return json.dumps(_canonical_value(record), separators=(",", ":"), ensure_ascii=False).encode()


MAX_SAFE_INTEGER = 2**53 - 1


def _utf16_order(key: str) -> bytes:
    return key.encode("utf-16-be", "surrogatepass")


def _canonical_value(value: Any) -> Any:
    """Validate a value for canonical JSON and return it with objects in JCS key order."""
    if value is None or isinstance(value, str | bool):
        return value
    if isinstance(value, int):
        if -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
            return value
        raise TypeError(f"canonical records may not contain integers beyond 2**53-1: {value}")
    if isinstance(value, float):
        raise TypeError("canonical records may not contain floats")
    if isinstance(value, Mapping):
        if not all(isinstance(key, str) for key in value):
            raise TypeError("canonical record keys must be strings")
        if all(key.isascii() for key in value):
            keys = sorted(value)
        else:
            keys = sorted(value, key=_utf16_order)
        return {key: _canonical_value(value[key]) for key in keys}
    if isinstance(value, list | tuple):
        return [_canonical_value(item) for item in value]
    raise TypeError(f"canonical records may not contain {type(value).__name__}")


def entry_hash(record: Mapping[str, Any]) -> str:
    """Hex SHA-256 of the canonical bytes of a ledger record (which includes `prev_hash`)."""
    return hashlib.sha256(canonical_bytes(record)).hexdigest()


def first_chain_break(entries: Iterable[tuple[Mapping[str, Any], str]]) -> int | None:
    """Return the 0-based index of the first entry whose chain does not hold, or None.

    `entries` yields (record, stored_entry_hash) in ledger order; each record carries `seq`
    (1, 2, 3, ... without gaps) and `prev_hash` (the previous entry's hash, GENESIS_HASH first).
    """
    previous = GENESIS_HASH
    for index, (record, stored_hash) in enumerate(entries):
        if record.get("seq") != index + 1 or record.get("prev_hash") != previous:
            return index
        if entry_hash(record) != stored_hash:
            return index
        previous = stored_hash
    return None


def sha256_hex(data: bytes) -> str:
    """Hex SHA-256 of `data`."""
    return hashlib.sha256(data).hexdigest()


# --- Merkle tree (RFC 9162 §2.1, identical to RFC 6962 and C2SP merkle-tree) -------------------

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()
_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"


def leaf_hash(entry_bytes: bytes) -> bytes:
    """SHA-256(0x00 || entry_bytes): the Merkle leaf of one ledger entry's canonical bytes.

    Reproducible with coreutils: `printf '\\x00abc' | sha256sum` is the leaf of b"abc".
    """
    return hashlib.sha256(_LEAF_PREFIX + entry_bytes).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 || left || right): an interior Merkle node."""
    return hashlib.sha256(_NODE_PREFIX + left + right).digest()


def largest_power_of_two_below(n: int) -> int:
    """The RFC 9162 split point k for n > 1 leaves: the largest power of two strictly below n."""
    if n < 2:
        raise ValueError("a split needs at least two leaves")
    return 1 << ((n - 1).bit_length() - 1)


def root_from_leaves(leaf_hashes: Iterable[bytes]) -> bytes:
    """Merkle tree hash (MTH) of a sequence of leaf hashes; EMPTY_ROOT for none.

    Computed level by level, pairing neighbours and carrying an odd last node up unchanged,
    which yields exactly the RFC 9162 tree (split at the largest power of two below n) in
    O(n) hashes without recursion.
    """
    level = list(leaf_hashes)
    if not level:
        return EMPTY_ROOT
    sha256 = hashlib.sha256
    prefix = _NODE_PREFIX
    while len(level) > 1:
        carry = level[-1] if len(level) % 2 else None
        level = [
            sha256(prefix + a + b).digest() for a, b in zip(level[0::2], level[1::2], strict=False)
        ]
        if carry is not None:
            level.append(carry)
    return level[0]


def _proof_is_well_formed(proof: Sequence[bytes]) -> bool:
    return all(isinstance(p, bytes) and len(p) == HASH_SIZE for p in proof)


def verify_inclusion(
    leaf_hash: bytes, index: int, tree_size: int, proof: Sequence[bytes], root: bytes
) -> bool:
    """True iff `proof` shows the leaf with hash `leaf_hash` at 0-based `index` in the tree of
    `tree_size` leaves whose root is `root` (RFC 9162 §2.1.3.2). Never raises on bad input."""
    if not (isinstance(index, int) and isinstance(tree_size, int)) or not 0 <= index < tree_size:
        return False
    if len(leaf_hash) != HASH_SIZE or len(root) != HASH_SIZE or not _proof_is_well_formed(proof):
        return False
    fn, sn = index, tree_size - 1
    r = leaf_hash
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(
    size1: int, size2: int, root1: bytes, root2: bytes, proof: Sequence[bytes]
) -> bool:
    """True iff `proof` shows the tree of `size1` leaves (root `root1`) is a prefix of the tree of
    `size2` leaves (root `root2`) (RFC 9162 §2.1.4.2). Equal sizes need an empty proof and equal
    roots; size 0 needs an empty proof and root1 == EMPTY_ROOT. Never raises on bad input."""
    if not (isinstance(size1, int) and isinstance(size2, int)) or not 0 <= size1 <= size2:
        return False
    if len(root1) != HASH_SIZE or len(root2) != HASH_SIZE or not _proof_is_well_formed(proof):
        return False
    if size1 == 0:
        return not proof and root1 == EMPTY_ROOT
    if size1 == size2:
        return not proof and root1 == root2
    if not proof:
        return False
    path = list(proof)
    if size1 & (size1 - 1) == 0:  # size1 is a power of two: its root is a node of the big tree
        path.insert(0, root1)
    fn, sn = size1 - 1, size2 - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == root1 and sr == root2


# --- Signed tree heads: C2SP tlog-checkpoint inside a C2SP signed note ---------------------------

SIGNATURE_DASH = "\u2014"  # em dash, as the signed-note spec requires
ED25519_ALGORITHM = 0x01  # signed-note signature type byte for Ed25519
_DECIMAL = re.compile(r"0|[1-9][0-9]*")  # ASCII only, no leading zeros


@dataclass(frozen=True)
class NoteSignature:
    """One signature line: `— <key_name> base64(key_hash || signature)`."""

    key_name: str
    key_hash: bytes
    signature: bytes


@dataclass(frozen=True)
class Checkpoint:
    """A parsed tlog-checkpoint. `body_text` is the exact signed text (ends with a newline)."""

    origin: str
    size: int
    root: bytes
    body_text: str
    signatures: tuple[NoteSignature, ...]
    extensions: tuple[str, ...] = ()


def _check_key_name(key_name: str) -> None:
    if not key_name or "+" in key_name or any(ch.isspace() for ch in key_name):
        raise VerificationError(f"invalid key name {key_name!r}: empty, '+' or whitespace")


def note_key_hash(key_name: str, public_key_bytes: bytes) -> bytes:
    """The 4-byte key hash of an Ed25519 signed-note key:
    SHA-256(key_name || 0x0A || 0x01 || public_key)[:4]."""
    _check_key_name(key_name)
    material = key_name.encode() + b"\n" + bytes([ED25519_ALGORITHM]) + public_key_bytes
    return hashlib.sha256(material).digest()[:4]


def encode_verifier_key(key_name: str, public_key_bytes: bytes) -> str:
    """The signed-note verifier key string `<name>+<hash hex>+<base64(0x01 || pubkey)>`."""
    key_hash = note_key_hash(key_name, public_key_bytes).hex()
    encoded = base64.b64encode(bytes([ED25519_ALGORITHM]) + public_key_bytes).decode()
    return f"{key_name}+{key_hash}+{encoded}"


def decode_verifier_key(vkey: str) -> tuple[str, bytes]:
    """Parse a verifier key string into (key_name, 32-byte Ed25519 public key); checks its hash."""
    name, _, rest = vkey.partition("+")
    hash_hex, _, encoded = rest.partition("+")
    try:
        raw = base64.b64decode(encoded, validate=True)
        expected = bytes.fromhex(hash_hex)
    except (binascii.Error, ValueError) as exc:
        raise VerificationError(f"malformed verifier key {vkey!r}") from exc
    if len(raw) != 33 or raw[0] != ED25519_ALGORITHM or len(expected) != 4:
        raise VerificationError(f"verifier key {vkey!r} is not an Ed25519 signed-note key")
    if note_key_hash(name, raw[1:]) != expected:
        raise VerificationError(f"verifier key {vkey!r}: key hash does not match the key")
    return name, raw[1:]


def checkpoint_body(origin: str, size: int, root: bytes, extensions: Sequence[str] = ()) -> str:
    """The text a checkpoint signs: origin, decimal size, base64 root, extension lines, each
    ending in a newline."""
    if not origin or "\n" in origin:
        raise ValueError("checkpoint origin must be one non-empty line")
    if not isinstance(size, int) or size < 0:
        raise ValueError("checkpoint size must be a non-negative integer")
    if len(root) != HASH_SIZE:
        raise ValueError("checkpoint root must be 32 bytes")
    lines = [origin, str(size), base64.b64encode(root).decode(), *extensions]
    if any(not line or "\n" in line for line in lines[3:]):
        raise ValueError("checkpoint extension lines must be non-empty single lines")
    return "".join(line + "\n" for line in lines)


def signature_line(key_name: str, key_hash: bytes, signature: bytes) -> str:
    """One signed-note signature line, newline included."""
    _check_key_name(key_name)
    return f"{SIGNATURE_DASH} {key_name} {base64.b64encode(key_hash + signature).decode()}\n"


def _parse_signature_line(line: str) -> NoteSignature:
    prefix = SIGNATURE_DASH + " "
    if not line.startswith(prefix):
        raise VerificationError(f"malformed signed note: signature line {line!r} lacks '— '")
    name, sep, encoded = line[len(prefix) :].partition(" ")
    if not sep or " " in encoded:
        raise VerificationError(f"malformed signed note: signature line {line!r}")
    _check_key_name(name)
    try:
        raw = base64.b64decode(encoded, validate=True)
    except binascii.Error as exc:
        raise VerificationError(
            f"malformed signed note: signature by {name} is not base64"
        ) from exc
    if len(raw) < 5:
        raise VerificationError(f"malformed signed note: signature by {name} is too short")
    return NoteSignature(key_name=name, key_hash=raw[:4], signature=raw[4:])


def parse_note(text: str) -> tuple[str, tuple[NoteSignature, ...]]:
    """Split a C2SP signed note into (signed body text, signatures) without checking them.

    Raises VerificationError naming the first rule broken: the note ends with a newline, has no
    control characters other than newline, and its body is followed by a blank line and at
    least one well-formed signature line.
    """
    if not text.endswith("\n"):
        raise VerificationError("malformed signed note: does not end with a newline")
    if any((ord(ch) < 0x20 and ch != "\n") or ch == "\x7f" for ch in text):
        raise VerificationError("malformed signed note: contains control characters")
    split = text.rfind("\n\n")
    if split < 0:
        raise VerificationError("malformed signed note: no blank line before the signatures")
    body, sig_block = text[: split + 1], text[split + 2 :]
    if not sig_block:
        raise VerificationError("malformed signed note: no signature lines")
    signatures = tuple(_parse_signature_line(line) for line in sig_block[:-1].split("\n"))
    return body, signatures


def verify_note(text: str, public_key_bytes: bytes, key_name: str) -> str:
    """Check a signed note's Ed25519 signature by (`key_name`, `public_key_bytes`); return the
    signed body text.

    Signatures by other keys are ignored (witness cosignatures); every signature line that
    names this key and carries its key hash must verify, and there must be at least one.
    Raises VerificationError naming what failed. Needs the `cryptography` package.
    """
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    body, signatures = parse_note(text)
    key_hash = note_key_hash(key_name, public_key_bytes)
    try:
        public_key = Ed25519PublicKey.from_public_bytes(public_key_bytes)
    except ValueError as exc:
        raise VerificationError("signing key is not a 32-byte Ed25519 public key") from exc
    mine = [s for s in signatures if s.key_name == key_name and s.key_hash == key_hash]
    if not mine:
        raise VerificationError(f"no signature by key {key_name} ({key_hash.hex()})")
    for sig in mine:
        try:
            public_key.verify(sig.signature, body.encode())
        except InvalidSignature as exc:
            raise VerificationError(f"signature by key {key_name} does not verify") from exc
    return body


def parse_checkpoint(text: str) -> Checkpoint:
    """Parse a signed tlog-checkpoint without checking its signatures.

    The body is origin, tree size (ASCII decimal, no leading zeros, below 2**64) and the base64
    32-byte root, then optional non-empty extension lines. Raises VerificationError naming the
    first rule broken.
    """
    body, signatures = parse_note(text)
    lines = body[:-1].split("\n")
    if len(lines) < 3:
        raise VerificationError("malformed checkpoint: body needs origin, size and root lines")
    origin, size_text, root_text, *extensions = lines
    if not origin:
        raise VerificationError("malformed checkpoint: empty origin line")
    if not _DECIMAL.fullmatch(size_text) or int(size_text) >= 1 << 64:
        raise VerificationError(f"malformed checkpoint: tree size {size_text!r}")
    try:
        root = base64.b64decode(root_text, validate=True)
    except binascii.Error as exc:
        raise VerificationError("malformed checkpoint: root hash is not base64") from exc
    if len(root) != HASH_SIZE:
        raise VerificationError("malformed checkpoint: root hash is not 32 bytes")
    if any(not line for line in extensions):
        raise VerificationError("malformed checkpoint: empty line inside the body")
    return Checkpoint(
        origin=origin,
        size=int(size_text),
        root=root,
        body_text=body,
        signatures=signatures,
        extensions=tuple(extensions),
    )


def verify_checkpoint(text: str, public_key_bytes: bytes, key_name: str) -> Checkpoint:
    """Parse a checkpoint and check its Ed25519 signature by (`key_name`, `public_key_bytes`).

    Same signature rules as verify_note. Raises VerificationError naming what failed (format,
    missing signature, bad signature); the caller still compares origin, size and root with
    what it expects.
    """
    checkpoint = parse_checkpoint(text)
    try:
        verify_note(text, public_key_bytes, key_name)
    except VerificationError as exc:
        raise VerificationError(f"checkpoint {checkpoint.origin}: {exc}") from exc
    return checkpoint


__all__: Sequence[str] = (
    "EMPTY_ROOT",
    "GENESIS_HASH",
    "HASH_SIZE",
    "MAX_SAFE_INTEGER",
    "Checkpoint",
    "NoteSignature",
    "VerificationError",
    "canonical_bytes",
    "checkpoint_body",
    "decode_verifier_key",
    "encode_verifier_key",
    "entry_hash",
    "first_chain_break",
    "largest_power_of_two_below",
    "leaf_hash",
    "node_hash",
    "note_key_hash",
    "parse_checkpoint",
    "parse_note",
    "root_from_leaves",
    "sha256_hex",
    "signature_line",
    "verify_checkpoint",
    "verify_consistency",
    "verify_inclusion",
    "verify_note",
)
