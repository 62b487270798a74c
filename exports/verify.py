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


def first_chain_break(
    entries: Iterable[tuple[Mapping[str, Any], str]], genesis: str = GENESIS_HASH
) -> int | None:
    """Return the 0-based index of the first entry whose chain does not hold, or None.

    `entries` yields (record, stored_entry_hash) in ledger order; each record carries `seq`
    (1, 2, 3, ... without gaps) and `prev_hash` (the previous entry's hash, `genesis` first).
    """
    previous = genesis
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


# --- Whole ledgers: chain and Merkle root in one pass ---------------------------------------


class ChainBreak(VerificationError):
    """The hash chain fails at entry `index` (0-based); the message says how."""

    def __init__(self, index: int, reason: str) -> None:
        super().__init__(f"ledger entry {index} (seq {index + 1}): {reason}")
        self.index = index


@dataclass(frozen=True)
class LedgerSummary:
    """What a verified run of ledger entries commits to: entry count, the last entry's hash
    (the chain head) and the Merkle root over all entries (compare with a checkpoint)."""

    size: int
    head_hash: str
    root: bytes


def verify_chain_lines(lines: Iterable[bytes], genesis: str = GENESIS_HASH) -> LedgerSummary:
    """Check a ledger given as each entry's exact hashed bytes, in order (e.g. custody.jsonl
    lines; one trailing newline per line is ignored).

    Each line must be a JSON object with `seq` = index + 1 and `prev_hash` = SHA-256 hex of
    the previous line (`genesis` for the first). Hashes are taken over the bytes as given,
    so any change to them shows. Raises ChainBreak naming the first bad entry; otherwise
    returns the chain head and the Merkle root, computed in the same pass.
    """
    sha256 = hashlib.sha256
    # A decoder's decode() on str skips json.loads's per-call argument and encoding checks:
    # about twice as fast for small records, and the parse dominates this loop.
    decode = json.JSONDecoder().decode
    leaf_start = sha256(_LEAF_PREFIX)  # copying a primed hash is cheaper than concatenating
    leaves: list[bytes] = []
    append = leaves.append
    previous = genesis
    for index, raw in enumerate(lines):
        line = raw[:-1] if raw.endswith(b"\n") else raw
        try:
            record = decode(line.decode())
        except ValueError:
            raise ChainBreak(index, "is not valid UTF-8 JSON") from None
        if type(record) is not dict:
            raise ChainBreak(index, "is not a JSON object")
        seq = record.get("seq")
        if type(seq) is not int or seq != index + 1:
            raise ChainBreak(index, f"seq is {seq!r}, expected {index + 1}")
        if record.get("prev_hash") != previous:
            raise ChainBreak(index, "prev_hash is not the previous entry's hash")
        previous = sha256(line).hexdigest()
        leaf = leaf_start.copy()
        leaf.update(line)
        append(leaf.digest())
    return LedgerSummary(size=len(leaves), head_hash=previous, root=root_from_leaves(leaves))


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
    "ChainBreak",
    "Checkpoint",
    "LedgerSummary",
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
    "verify_chain_lines",
    "verify_checkpoint",
    "verify_consistency",
    "verify_inclusion",
    "verify_note",
)


# ---- packet verification ----
# Everything below checks a whole MLA packet (a ZIP or its unpacked folder). It is what
# `python3 verify.py packet.zip` runs; the names it prints are the packet's member names.
#
# Trust runs one way: the CMS signature of request.pdf (needs `cryptography`) covers the packet
# digest the PDF carries; the digest covers every member but request.pdf, manifest.json and
# SHA256SUMS (recomputed here from the members themselves); request.json is one of the covered
# members, so its values are the signed truth, and manifest.json and the PDF's metadata are
# compared with it field by field. SHA256SUMS is a convenience for `sha256sum -c` only.

import argparse  # noqa: E402
import itertools  # noqa: E402
import os  # noqa: E402 - kept with the packet section so the primitives above stay standalone
import sys  # noqa: E402
import zipfile  # noqa: E402

PACKET_DIGEST_SCHEMA = "caseflow.packet-digest/1"
MANIFEST_SCHEMA = "caseflow.manifest/1"
REQUEST_SCHEMA = "caseflow.request/2"
NOT_IN_PACKET_DIGEST = frozenset({"request.pdf", "manifest.json", "SHA256SUMS"})
# Members every packet has; evidence files (named in request.json), certs/root.pem and
# certs/chain-N.pem (N = 1, 2, ... without gaps) come on top. Anything else is refused.
REQUIRED_MEMBERS = frozenset(
    {
        "request.pdf",
        "request.json",
        "identifiers.csv",
        "custody.json",
        "custody.jsonld",
        "certs/signer.pem",
        "verify.py",
        "VERIFY.txt",
        "manifest.json",
        "SHA256SUMS",
    }
)
MANIFEST_KEYS = frozenset(
    {
        "schema",
        "reference",
        "generated_at",
        "packet_digest",
        "files",
        "evidence",
        "includes_evidence_files",
    }
)
_CHAIN_MEMBER = re.compile(r"certs/chain-([1-9][0-9]*)\.pem")
# The issuing and validating authorities' certificates, for their signatures that precede
# the installation's on request.pdf: certs/issuer.pem, certs/issuer-chain-N.pem,
# certs/issuer-root.pem (and the same for validator).
AUTHORITY_ROLES = ("issuer", "validator")
_AUTHORITY_MEMBER = re.compile(r"certs/(issuer|validator)(-root|-chain-[1-9][0-9]*)?\.pem")
_SUMS_LINE = re.compile(r"([0-9a-f]{64}) [ *](.+)")
_OID_MESSAGE_DIGEST = "1.2.840.113549.1.9.4"
_OID_SHA256 = "2.16.840.1.101.3.4.2.1"
_OID_SIGNED_DATA = "1.2.840.113549.1.7.2"
_SIGNATURES_NEED = (
    "NOT CHECKED: signature checks need the Python package `cryptography`, which this Python "
    "does not have (pip install cryptography, or apt-get install python3-cryptography)"
)
_SKIPPED = "NOT CHECKED (--no-signatures): who made this packet is not established"


@dataclass(frozen=True)
class Check:
    """One verification step: `name` says what was checked (member names included).

    `skipped` marks a signature check the user chose not to make (`--no-signatures`, when
    `cryptography` is missing): it is printed as SKIP and never counts as passed."""

    name: str
    ok: bool
    detail: str
    skipped: bool = False


@dataclass(frozen=True)
class Expectations:
    """What the recipient was told out of band: the SHA-256 fingerprint of the root
    certificate (hex, colons and case ignored) and the custody ledger's verifier key(s)
    (`name+hash+base64` as verify.py prints it, or the raw Ed25519 key in base64). With
    `skip_signatures` a missing `cryptography` package is accepted (the signature checks are
    reported as SKIP); without it, a missing package fails the verification."""

    root_sha256: str | None = None
    ledger_keys: tuple[str, ...] = ()
    skip_signatures: bool = False


def _have_cryptography() -> bool:
    try:
        import cryptography.hazmat.primitives.asymmetric.ed25519
        import cryptography.x509  # noqa: F401
    except ImportError:
        return False
    return True


def _unsigned(name: str, expect: Expectations) -> Check:
    """The check `name` could not be made because `cryptography` is missing."""
    if expect.skip_signatures:
        return Check(name, True, _SKIPPED, skipped=True)
    return Check(name, False, _SIGNATURES_NEED + "; or pass --no-signatures to accept that")


class _Packet:
    """Read-only access to the members of a packet ZIP or of its unpacked folder."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._zip = None if os.path.isdir(path) else zipfile.ZipFile(path)

    def names(self) -> list[str]:
        """Every file member name, duplicates included (a ZIP may repeat a name)."""
        if self._zip is not None:
            return [i.filename for i in self._zip.infolist() if not i.is_dir()]
        found = []
        for folder, _, files in os.walk(self.path):
            for name in files:
                full = os.path.join(folder, name)
                found.append(os.path.relpath(full, self.path).replace(os.sep, "/"))
        return found

    def folders(self) -> list[str]:
        """Directory entries of a ZIP (`zip -r` adds them); a folder has none to report."""
        if self._zip is None:
            return []
        return [i.filename for i in self._zip.infolist() if i.is_dir()]

    def open(self, name: str) -> Any:
        if not _safe_member_name(name):
            raise VerificationError(f"unsafe member name {name!r}")
        if self._zip is not None:
            return self._zip.open(name)
        return open(os.path.join(self.path, *name.split("/")), "rb")

    def read(self, name: str) -> bytes:
        with self.open(name) as stream:
            data: bytes = stream.read()
            return data

    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()


def _safe_member_name(name: str) -> bool:
    parts = name.split("/")
    return bool(name) and not name.startswith("/") and "\\" not in name and ".." not in parts


def _hash_member(packet: _Packet, name: str) -> tuple[str, int]:
    sha, size = hashlib.sha256(), 0
    with packet.open(name) as stream:
        while chunk := stream.read(1 << 20):
            sha.update(chunk)
            size += len(chunk)
    return sha.hexdigest(), size


def packet_digest_of(files: Mapping[str, Mapping[str, Any]]) -> str:
    """The packet digest: SHA-256 of the canonical JSON of {"members": {name: {"sha256",
    "size"}}, "schema": "caseflow.packet-digest/1"} over every member but request.pdf,
    manifest.json and SHA256SUMS."""
    covered = {
        name: {"sha256": f["sha256"], "size": f["size"]}
        for name, f in files.items()
        if name not in NOT_IN_PACKET_DIGEST
    }
    body = {"schema": PACKET_DIGEST_SCHEMA, "members": covered}
    return hashlib.sha256(canonical_bytes(body)).hexdigest()


def verify_packet(path: str, expect: Expectations | None = None) -> list[Check]:
    """Check a packet offline and return every check made, failures named.

    Covers: the member list (no duplicate names, nothing missing, nothing unexpected); every
    member's SHA-256 against SHA256SUMS; the packet digest recomputed from the members and
    compared with the one the signed PDF carries; manifest.json field by field against the
    signed request.json (files, reference, generated_at, every evidence field); each evidence
    file against request.json's SHA-256 and size; custody.json (checkpoint signature, the
    expected ledger key, each entry's hash, leaf, inclusion proof and chain link); request.pdf
    (the digest and reference in its signed metadata, the signed byte range's SHA-256 against
    the CMS messageDigest, the CMS signature with certs/signer.pem, the chain to
    certs/root.pem and its fingerprint). Hash, chain and proof checks need only the standard
    library; the signature checks need `cryptography` and fail, saying so, without it (unless
    `expect.skip_signatures`).
    """
    expect = expect or Expectations()
    checks: list[Check] = []
    try:
        packet = _Packet(path)
    except (OSError, zipfile.BadZipFile) as exc:
        return [Check("open packet", False, f"{path}: {exc}")]
    try:
        names = packet.names()
        hashes = _stage("members", _hash_members, checks, packet, names, checks) or {}
        _stage("SHA256SUMS", _check_sums, checks, packet, names, hashes, checks)
        request = _stage("request.json", _load_request, checks, packet, checks)
        _stage("members", _check_member_list, checks, packet, names, request, checks)
        pdf = _stage("request.pdf", _read_pdf, checks, packet, checks)
        digest = packet_digest_of(hashes)
        _stage("packet digest", _check_digest, checks, digest, pdf, request, checks)
        _stage("manifest.json", _check_manifest, checks, packet, hashes, request, digest, checks)
        _stage("evidence", _check_evidence_files, checks, hashes, request, checks)
        _stage("custody.json", _check_custody, checks, packet, expect, checks)
        if pdf is not None:
            _stage("request.pdf", _check_pdf_signature, checks, packet, pdf, expect, checks)
    finally:
        packet.close()
    return checks


def _stage(name: str, step: Any, checks: list[Check], *args: Any) -> Any:
    """Run one group of checks; an unexpected error becomes a failed check naming the member."""
    try:
        return step(*args)
    except Exception as exc:
        checks.append(Check(name, False, f"could not be checked: {type(exc).__name__}: {exc}"))
        return None


def _hash_members(
    packet: _Packet, names: Sequence[str], checks: list[Check]
) -> dict[str, dict[str, Any]]:
    """{name: {"sha256", "size"}} of every readable member (a repeated name: the copy a ZIP
    library returns, which is why repeated names fail on their own)."""
    hashes: dict[str, dict[str, Any]] = {}
    for name in dict.fromkeys(names):
        try:
            sha, size = _hash_member(packet, name)
        except Exception as exc:  # a corrupt ZIP member raises from zlib or the CRC check
            checks.append(Check(f"sha256 {name}", False, f"unreadable: {exc}"))
            continue
        hashes[name] = {"sha256": sha, "size": size}
    return hashes


def _check_sums(
    packet: _Packet,
    names: Sequence[str],
    hashes: Mapping[str, Mapping[str, Any]],
    checks: list[Check],
) -> None:
    """Every SHA256SUMS line against the member it names; every member listed."""
    present = set(names)
    if "SHA256SUMS" not in present:
        checks.append(Check("SHA256SUMS", False, "missing"))
        return
    try:
        lines = packet.read("SHA256SUMS").decode("utf-8").splitlines()
    except (OSError, UnicodeDecodeError, zipfile.BadZipFile, ValueError) as exc:
        checks.append(Check("SHA256SUMS", False, f"unreadable: {exc}"))
        return
    listed: set[str] = set()
    for number, line in enumerate(lines, start=1):
        match = _SUMS_LINE.fullmatch(line)
        if match is None:
            checks.append(Check(f"SHA256SUMS line {number}", False, f"malformed: {line!r}"))
            continue
        expected, name = match.groups()
        if name in listed:
            checks.append(Check(f"sha256 {name}", False, "listed twice in SHA256SUMS"))
            continue
        listed.add(name)
        if not _safe_member_name(name) or name not in present:
            checks.append(Check(f"sha256 {name}", False, "listed in SHA256SUMS but missing"))
            continue
        if name not in hashes:
            continue  # unreadable: already reported
        got = hashes[name]["sha256"]
        ok = got == expected
        checks.append(
            Check(f"sha256 {name}", ok, got if ok else f"is {got}, SHA256SUMS says {expected}")
        )
    for name in sorted(present - listed - {"SHA256SUMS"}):
        checks.append(Check(f"sha256 {name}", False, "member not listed in SHA256SUMS"))


def _load_json(packet: _Packet, name: str, checks: list[Check]) -> Any:
    try:
        return json.loads(packet.read(name).decode("utf-8"))
    except KeyError:
        checks.append(Check(name, False, "missing"))
    except Exception as exc:
        checks.append(Check(name, False, f"unreadable: {exc}"))
    return None


def _load_request(packet: _Packet, checks: list[Check]) -> dict[str, Any] | None:
    """request.json, the signed truth the other members are compared with (None if absent or
    not a request: everything compared with it then fails)."""
    if "request.json" not in packet.names():
        return None  # reported by the member list
    request = _load_json(packet, "request.json", checks)
    if request is None:
        return None
    evidence = request.get("evidence") if isinstance(request, dict) else None
    if (
        not isinstance(request, dict)
        or request.get("schema") != REQUEST_SCHEMA
        or not isinstance(evidence, list)
        or not all(isinstance(e, dict) for e in evidence)
    ):
        checks.append(
            Check("request.json", False, f"not a {REQUEST_SCHEMA} document with an evidence list")
        )
        return None
    return request


def _evidence_members(request: Mapping[str, Any] | None) -> dict[str, str]:
    """{member name: item number} of the evidence files request.json says are included."""
    if request is None:
        return {}
    return {
        e["member"]: str(e.get("number"))
        for e in request["evidence"]
        if isinstance(e.get("member"), str)
    }


def _check_member_list(
    packet: _Packet,
    names: Sequence[str],
    request: Mapping[str, Any] | None,
    checks: list[Check],
) -> None:
    """No name twice (tools disagree on which copy they keep: `unzip` keeps the last, a ZIP
    library may return either); every required member present; nothing that is not part of a
    packet of this request."""
    counts: dict[str, int] = {}
    for name in names:
        counts[name] = counts.get(name, 0) + 1
    for name, count in counts.items():
        if count > 1:
            checks.append(
                Check(
                    f"member {name}",
                    False,
                    f"appears {count} times in the ZIP: tools disagree on which copy they "
                    "extract, so a forged copy can hide behind the genuine one",
                )
            )
    present = set(counts)
    evidence = _evidence_members(request)
    chain = sorted(int(m.group(1)) for n in present if (m := _CHAIN_MEMBER.fullmatch(n)))
    allowed = REQUIRED_MEMBERS | set(evidence) | {"certs/root.pem"}
    allowed |= {f"certs/chain-{n}.pem" for n in range(1, len(chain) + 1)}
    allowed |= {n for n in present if _AUTHORITY_MEMBER.fullmatch(n)}
    translations = request.get("translations") if isinstance(request, dict) else None
    if isinstance(translations, list):
        allowed |= {
            name
            for t in translations
            if isinstance(t, dict)
            and (name := str(t.get("file", ""))).startswith("translations/")
            and name.endswith(".pdf")
        }
    missing = (REQUIRED_MEMBERS | set(evidence)) - present
    for name in sorted(missing):
        what = f"evidence file of {evidence[name]}, " if name in evidence else ""
        checks.append(Check(f"member {name}", False, f"missing ({what}every packet has it)"))
    for name in sorted(present - allowed):
        checks.append(
            Check(f"member {name}", False, "unexpected: not a member of a packet of this request")
        )
    parents = {name.rsplit("/", 1)[0] + "/" for name in present if "/" in name}
    for folder in packet.folders():
        if folder not in parents:
            checks.append(Check(f"member {folder}", False, "unexpected folder entry"))
    if not missing and not present - allowed and all(c == 1 for c in counts.values()):
        checks.append(
            Check(
                "members",
                True,
                f"{len(present)} members, each once, none missing or unexpected "
                f"({len(evidence)} evidence files)",
            )
        )


def _read_pdf(packet: _Packet, checks: list[Check]) -> bytes | None:
    if "request.pdf" not in packet.names():
        return None  # reported by the member list
    try:
        return packet.read("request.pdf")
    except Exception as exc:
        checks.append(Check("request.pdf", False, f"unreadable: {exc}"))
        return None


def _check_digest(
    digest: str, pdf: bytes | None, request: Mapping[str, Any] | None, checks: list[Check]
) -> None:
    """The digest recomputed from the members equals the one in the signed PDF's metadata;
    the PDF's title names request.json's reference."""
    facts = _signed_pdf_facts(pdf) if pdf is not None else None
    if facts is None:
        checks.append(
            Check("packet digest", False, f"is {digest}; request.pdf carries no signed digest")
        )
        return
    signed_digest, title = facts
    ok = signed_digest == digest
    checks.append(
        Check(
            "packet digest",
            ok,
            f"{digest}, as the signed request.pdf carries"
            if ok
            else f"is {digest}, the signed request.pdf carries {signed_digest or 'none'}: a "
            "member covered by the digest was changed, added or removed",
        )
    )
    if request is not None:
        reference = str(request.get("reference"))
        ok = title is not None and title.endswith(" " + reference)
        checks.append(
            Check(
                "request.pdf reference",
                ok,
                f"the signed title names {reference}"
                if ok
                else f"the signed title {title!r} does not name request.json's {reference}",
            )
        )


def _check_manifest(
    packet: _Packet,
    hashes: Mapping[str, Mapping[str, Any]],
    request: Mapping[str, Any] | None,
    digest: str,
    checks: list[Check],
) -> None:
    """manifest.json against the members and, field by field, against request.json."""
    if "manifest.json" not in hashes:
        return  # reported by the member list
    manifest = _load_json(packet, "manifest.json", checks)
    if not isinstance(manifest, dict) or not isinstance(manifest.get("files"), dict):
        checks.append(Check("manifest.json", False, "not a manifest with a files table"))
        return
    failures_before = sum(not c.ok for c in checks)
    for key in sorted(set(manifest) - MANIFEST_KEYS):
        checks.append(Check(f"manifest.json {key}", False, "unexpected key"))
    for key in sorted(MANIFEST_KEYS - set(manifest)):
        checks.append(Check(f"manifest.json {key}", False, "missing key"))
    if manifest.get("schema") != MANIFEST_SCHEMA:
        checks.append(
            Check(
                "manifest.json schema",
                False,
                f"is {manifest.get('schema')!r}, not {MANIFEST_SCHEMA}",
            )
        )
    files = manifest["files"]
    expected_files = {n: h for n, h in hashes.items() if n not in {"manifest.json", "SHA256SUMS"}}
    wrong = sorted(
        name
        for name, f in files.items()
        if name not in expected_files
        or not isinstance(f, dict)
        or f.get("sha256") != expected_files[name]["sha256"]
        or f.get("size") != expected_files[name]["size"]
    )
    unlisted = sorted(set(expected_files) - set(files))
    if wrong or unlisted:
        checks.append(
            Check(
                "manifest.json files",
                False,
                "; ".join(
                    [f"{n} differs from the member" for n in wrong]
                    + [f"{n} not listed" for n in unlisted]
                ),
            )
        )
    if manifest.get("packet_digest") != digest:
        checks.append(
            Check(
                "manifest.json packet_digest",
                False,
                f"is {manifest.get('packet_digest')}, the members give {digest}",
            )
        )
    if request is not None:
        _compare_manifest_with_request(manifest, request, checks)
    if sum(not c.ok for c in checks) == failures_before:
        checks.append(
            Check(
                "manifest.json",
                True,
                f"{len(files)} files match the members; reference, generated_at and "
                f"{len(request['evidence']) if request else 0} evidence entries equal the "
                "signed request.json",
            )
        )


def _compare_manifest_with_request(
    manifest: Mapping[str, Any], request: Mapping[str, Any], checks: list[Check]
) -> None:
    def differs(name: str, got: Any, want: Any) -> None:
        checks.append(Check(name, False, f"is {got!r}, the signed request.json says {want!r}"))

    for key in ("reference", "generated_at"):
        if key in manifest and manifest[key] != request.get(key):
            differs(f"manifest.json {key}", manifest[key], request.get(key))
    wanted = request["evidence"]
    if "includes_evidence_files" in manifest and wanted:
        included = any(e.get("member") is not None for e in wanted)
        if manifest["includes_evidence_files"] is not included:
            differs(
                "manifest.json includes_evidence_files",
                manifest["includes_evidence_files"],
                f"{'some' if included else 'no'} evidence files (so {included})",
            )
    got = manifest.get("evidence")
    if not isinstance(got, list) or not all(isinstance(e, dict) for e in got):
        checks.append(Check("manifest.json evidence", False, "not a list of evidence entries"))
        return
    got_numbers = [e.get("number") for e in got]
    want_numbers = [e.get("number") for e in wanted]
    if got_numbers != want_numbers:
        missing = [n for n in want_numbers if n not in got_numbers]
        extra = [n for n in got_numbers if n not in want_numbers]
        detail = "; ".join(
            [f"{n} missing (the signed request.json lists it)" for n in missing]
            + [f"{n} is not in the signed request.json" for n in extra]
        )
        checks.append(
            Check(
                "manifest.json evidence",
                False,
                detail or f"items in another order than request.json's {want_numbers}",
            )
        )
        return
    for index, (mine, signed) in enumerate(zip(got, wanted, strict=True)):
        for key in sorted(set(mine) | set(signed)):
            if key not in signed:
                checks.append(
                    Check(f"manifest.json evidence[{index}].{key}", False, "unexpected key")
                )
            elif mine.get(key, "(absent)") != signed[key] or key not in mine:
                differs(
                    f"manifest.json evidence[{index}].{key}", mine.get(key, "(absent)"), signed[key]
                )


def _check_evidence_files(
    hashes: Mapping[str, Mapping[str, Any]], request: Mapping[str, Any] | None, checks: list[Check]
) -> None:
    """Each included evidence file has the SHA-256 and size the signed request.json states."""
    if request is None:
        return
    evidence = request["evidence"]
    included = 0
    for item in evidence:
        member = item.get("member")
        if member is None:
            continue
        included += 1
        name = f"evidence {item.get('number')}"
        if member not in hashes:
            checks.append(Check(name, False, f"{member} is missing or unreadable"))
            continue
        got = hashes[member]
        ok = got["sha256"] == item.get("sha256") and got["size"] == item.get("size")
        checks.append(
            Check(
                name,
                ok,
                f"{member}: SHA-256 and size as request.json states"
                if ok
                else f"{member} is {got['sha256']} ({got['size']} bytes), request.json says "
                f"{item.get('sha256')} ({item.get('size')} bytes)",
            )
        )
    checks.append(
        Check(
            "evidence files",
            True,
            f"{included} of {len(evidence)} evidence items have their file in this packet"
            if evidence
            else "this packet annexes no evidence (nothing to check, nothing absent)",
        )
    )


def _check_custody(packet: _Packet, expect: Expectations, checks: list[Check]) -> None:
    if "custody.json" not in packet.names():
        return  # reported by the member list
    custody = _load_json(packet, "custody.json", checks)
    if not isinstance(custody, dict):
        return
    try:
        public_key = base64.b64decode(custody["public_key"], validate=True)
        key_name = custody["key_name"]
        vkey = encode_verifier_key(key_name, public_key)
        checkpoint = parse_checkpoint(custody["checkpoint"])
    except (KeyError, TypeError, ValueError, VerificationError) as exc:
        checks.append(Check("custody checkpoint", False, f"malformed: {exc}"))
        return
    checks.append(_checkpoint_signature(custody["checkpoint"], public_key, key_name, expect))
    checks.append(_ledger_key_check(key_name, public_key, vkey, expect))
    if custody.get("tree_size") != checkpoint.size:
        checks.append(Check("custody tree size", False, "custody.json and checkpoint disagree"))
    bad = 0
    previous: tuple[int, str] | None = None
    entries = custody.get("entries")
    if not isinstance(entries, list):
        checks.append(Check("custody entries", False, "no entries list"))
        return
    for entry in entries:
        index = entry.get("index") if isinstance(entry, dict) else None
        problem = _custody_entry_problem(entry, checkpoint.size, checkpoint.root)
        starts_run = previous is None or previous[0] + 1 != index
        linked = previous is not None and entry["record"].get("prev_hash") == previous[1]
        if problem is None and not starts_run and not linked:
            problem = "prev_hash does not link to the previous entry"
        if problem is not None:
            bad += 1
            checks.append(Check(f"custody entry {index}", False, problem))
        previous = (index, entry.get("entry_hash")) if isinstance(index, int) else None
    if entries:
        detail = (
            f"{len(entries) - bad} of {len(entries)} entries: entry hash, leaf, inclusion "
            f"proof to the root of {checkpoint.origin} size {checkpoint.size}, chain link"
        )
    else:
        detail = "this packet discloses no custody entries (nothing to check, nothing absent)"
    checks.append(Check("custody entries", bad == 0, detail))


def _checkpoint_signature(
    text: str, public_key: bytes, key_name: str, expect: Expectations
) -> Check:
    name = "custody checkpoint signature"
    if not _have_cryptography():
        return _unsigned(name, expect)
    try:
        checkpoint = verify_checkpoint(text, public_key, key_name)
    except VerificationError as exc:
        return Check(name, False, str(exc))
    return Check(name, True, f"{checkpoint.origin} size {checkpoint.size}, Ed25519 signature valid")


def _ledger_key_check(key_name: str, public_key: bytes, vkey: str, expect: Expectations) -> Check:
    name = "custody ledger key"
    if not expect.ledger_keys:
        return Check(
            name,
            True,
            f"trusted as bundled: {vkey} (NOT compared with a key given out of band: pass "
            "--expect-ledger-key)",
        )
    for wanted in expect.ledger_keys:
        if _same_ledger_key(wanted, key_name, public_key):
            return Check(name, True, f"{vkey}, as expected (--expect-ledger-key)")
    return Check(
        name,
        False,
        f"the checkpoint is signed by {vkey}, not by the expected {', '.join(expect.ledger_keys)}",
    )


def _same_ledger_key(wanted: str, key_name: str, public_key: bytes) -> bool:
    """`wanted` is a signed-note verifier key (name and key must match) or a raw base64 key."""
    wanted = wanted.strip()
    try:
        name, key = decode_verifier_key(wanted)
    except VerificationError:
        try:
            return base64.b64decode(wanted, validate=True) == public_key
        except (binascii.Error, ValueError):
            return False
    return name == key_name and key == public_key


def _custody_entry_problem(entry: Any, size: int, root: bytes) -> str | None:
    try:
        data = canonical_bytes(entry["record"])
        if hashlib.sha256(data).hexdigest() != entry["entry_hash"]:
            return "entry_hash does not match the record's canonical bytes"
        proof = [bytes.fromhex(p) for p in entry["inclusion_proof"]]
    except (KeyError, TypeError, ValueError) as exc:
        return f"malformed entry: {exc}"
    if not verify_inclusion(leaf_hash(data), entry["index"], size, proof, root):
        return "inclusion proof does not lead to the signed root"
    openings = entry.get("openings") or {}
    if not isinstance(openings, dict):
        return "openings are malformed"
    for name, opening in sorted(openings.items()):
        # A disclosed personal value must open the salted commitment the record chains.
        try:
            digest = hashlib.sha256(
                bytes.fromhex(opening["salt"])
                + json.dumps(opening["value"], ensure_ascii=False).encode()
            ).hexdigest()
        except (KeyError, TypeError, ValueError):
            return f"opening of {name} is malformed"
        if digest != entry["record"].get(name):
            return f"disclosed {name} does not match the commitment in the record"
    return None


# Minimal DER reader: enough of CMS SignedData to find the signed attributes.


def _der(data: bytes, pos: int) -> tuple[int, int, int, int]:
    """Return (tag, header_start, content_start, end) of the DER element at `pos`."""
    if pos + 2 > len(data):
        raise VerificationError("truncated DER")
    tag, length = data[pos], data[pos + 1]
    start = pos + 2
    if length & 0x80:
        count = length & 0x7F
        if count == 0 or count > 4:
            raise VerificationError("unsupported DER length")
        length = int.from_bytes(data[start : start + count], "big")
        start += count
    if start + length > len(data):
        raise VerificationError("truncated DER")
    return tag, pos, start, start + length


def _children(data: bytes, start: int, end: int) -> list[tuple[int, int, int, int]]:
    out = []
    while start < end:
        element = _der(data, start)
        out.append(element)
        start = element[3]
    return out


def _oid(data: bytes) -> str:
    first = data[0]
    parts = [min(first // 40, 2), first - 40 * min(first // 40, 2)]
    value = 0
    for byte in data[1:]:
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            parts.append(value)
            value = 0
    return ".".join(str(p) for p in parts)


@dataclass(frozen=True)
class _SignerInfo:
    certificates: tuple[bytes, ...]
    digest_oid: str
    signed_attrs: bytes  # re-tagged as SET OF (0x31), as the signature covers it
    message_digest: bytes
    signature_oid: str
    signature: bytes


def _parse_cms(cms: bytes) -> _SignerInfo:
    _, _, start, end = _der(cms, 0)
    content_type, explicit = _children(cms, start, end)[:2]
    if _oid(cms[content_type[2] : content_type[3]]) != _OID_SIGNED_DATA:
        raise VerificationError("CMS is not SignedData")
    signed_data = _children(cms, explicit[2], explicit[3])[0]
    parts = _children(cms, signed_data[2], signed_data[3])
    certificates = tuple(
        cms[c[1] : c[3]] for p in parts if p[0] == 0xA0 for c in _children(cms, p[2], p[3])
    )
    signer_infos = parts[-1]
    infos = _children(cms, signer_infos[2], signer_infos[3])
    if len(infos) != 1:
        raise VerificationError(f"expected one SignerInfo, found {len(infos)}")
    fields = _children(cms, infos[0][2], infos[0][3])
    digest_alg = fields[2]
    digest_oid = _oid(cms[_der(cms, digest_alg[2])[2] : _der(cms, digest_alg[2])[3]])
    attrs = fields[3]
    if attrs[0] != 0xA0:
        raise VerificationError("SignerInfo has no signed attributes")
    message_digest = b""
    for attribute in _children(cms, attrs[2], attrs[3]):
        oid_el, values = _children(cms, attribute[2], attribute[3])[:2]
        if _oid(cms[oid_el[2] : oid_el[3]]) == _OID_MESSAGE_DIGEST:
            octets = _children(cms, values[2], values[3])[0]
            message_digest = cms[octets[2] : octets[3]]
    sig_alg, sig = fields[4], fields[5]
    signature_oid = _oid(cms[_der(cms, sig_alg[2])[2] : _der(cms, sig_alg[2])[3]])
    return _SignerInfo(
        certificates=certificates,
        digest_oid=digest_oid,
        signed_attrs=b"\x31" + cms[attrs[1] + 1 : attrs[3]],
        message_digest=message_digest,
        signature_oid=signature_oid,
        signature=cms[sig[2] : sig[3]],
    )


_BYTE_RANGE = re.compile(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]")
_INFO_KEY = re.compile(rb"/(Subject|Title)\s*(?=[(<])")
_DIGEST_SUBJECT = re.compile(r"packet-digest sha256:([0-9a-f]{64})")


def _signed_ranges(pdf: bytes) -> tuple[int, int, int, int] | None:
    ranges = _BYTE_RANGE.findall(pdf)
    if not ranges:
        return None
    a, b, c, d = (int(x) for x in ranges[-1])
    return a, b, c, d


def _signed_pdf_facts(pdf: bytes) -> tuple[str | None, str | None] | None:
    """(packet digest, title) from the last /Subject and /Title in the PDF's signed bytes
    (the document information the signature covers); None when the PDF has no signature."""
    ranges = _signed_ranges(pdf)
    if ranges is None:
        return None
    a, b, c, d = ranges
    signed = pdf[a : a + b] + pdf[c : c + d]
    found: dict[str, str] = {}
    for match in _INFO_KEY.finditer(signed):
        try:
            found[match.group(1).decode()] = _pdf_string(signed, match.end())
        except (ValueError, IndexError):
            continue
    subject = _DIGEST_SUBJECT.fullmatch(found.get("Subject", ""))
    return (subject.group(1) if subject else None), found.get("Title")


_ESCAPES = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}


def _pdf_string(data: bytes, pos: int) -> str:
    """Decode the PDF string object (literal or hex) starting at `pos` (ISO 32000-1 7.3.4):
    UTF-16BE with a byte order mark, else PDFDocEncoding (read as Latin-1)."""
    if data[pos : pos + 1] == b"<":
        end = data.index(b">", pos)
        hex_text = re.sub(rb"\s", b"", data[pos + 1 : end]).decode("ascii")
        raw = bytes.fromhex(hex_text + "0" * (len(hex_text) % 2))
    else:
        out = bytearray()
        depth, i = 0, pos
        while True:
            ch = data[i : i + 1]
            if not ch:
                raise ValueError("unterminated PDF string")
            i += 1
            if ch == b"\\":
                nxt = data[i : i + 1]
                i += 1
                if nxt in _ESCAPES:
                    out += _ESCAPES[nxt]
                elif nxt.isdigit():
                    digits = nxt
                    while len(digits) < 3 and data[i : i + 1].isdigit():
                        digits += data[i : i + 1]
                        i += 1
                    out.append(int(digits, 8) & 0xFF)
                elif nxt == b"\r":
                    if data[i : i + 1] == b"\n":
                        i += 1
                elif nxt != b"\n":
                    out += nxt
                continue
            if ch == b"(":
                depth += 1
                if depth == 1:
                    continue
            elif ch == b")":
                depth -= 1
                if depth == 0:
                    break
            out += ch
        raw = bytes(out)
    if raw.startswith(b"\xfe\xff"):
        return raw[2:].decode("utf-16-be")
    return raw.decode("latin-1")


def _pem_der(pem: bytes) -> bytes:
    """The DER bytes of the first certificate in a PEM file (standard library only)."""
    text = pem.decode("ascii")
    begin, end = "-----BEGIN CERTIFICATE-----", "-----END CERTIFICATE-----"
    start = text.index(begin) + len(begin)
    return base64.b64decode("".join(text[start : text.index(end, start)].split()))


def _fingerprint(der: bytes) -> str:
    digest = hashlib.sha256(der).hexdigest().upper()
    return ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))


def _normalise_fingerprint(text: str) -> str:
    return re.sub(r"[\s:]", "", text).lower()


def _check_root(packet: _Packet, expect: Expectations, checks: list[Check]) -> None:
    name = "certs/root.pem fingerprint"
    if "certs/root.pem" not in packet.names():
        if expect.root_sha256:
            checks.append(Check(name, False, "certs/root.pem is missing: nothing to compare"))
        return
    try:
        fingerprint = _fingerprint(_pem_der(packet.read("certs/root.pem")))
    except (ValueError, UnicodeDecodeError) as exc:
        checks.append(Check(name, False, f"unreadable: {exc}"))
        return
    if not expect.root_sha256:
        checks.append(
            Check(
                name,
                True,
                f"SHA-256 {fingerprint} trusted as bundled (NOT compared with a fingerprint "
                "given out of band: pass --expect-root)",
            )
        )
        return
    wanted = _normalise_fingerprint(expect.root_sha256)
    ok = _normalise_fingerprint(fingerprint) == wanted
    checks.append(
        Check(
            name,
            ok,
            f"SHA-256 {fingerprint}, as expected (--expect-root)"
            if ok
            else f"is SHA-256 {fingerprint}, not the expected {expect.root_sha256}",
        )
    )


def _check_pdf_signature(
    packet: _Packet, pdf: bytes, expect: Expectations, checks: list[Check]
) -> None:
    ranges = _signed_ranges(pdf)
    if ranges is None:
        checks.append(Check("request.pdf signature", False, "no signature byte range"))
        return
    a, b, c, d = ranges
    whole = a == 0 and b <= c and c + d == len(pdf) and pdf[b : b + 1] == b"<"
    checks.append(
        Check(
            "request.pdf signature covers whole file",
            whole,
            "signed range covers every byte but the signature"
            if whole
            else f"byte range {[a, b, c, d]} does not cover the {len(pdf)}-byte file",
        )
    )
    if not whole:
        return
    try:
        cms = bytes.fromhex(pdf[b + 1 : c - 1].decode("ascii"))
        info = _parse_cms(cms)
    except (ValueError, IndexError, VerificationError) as exc:
        checks.append(Check("request.pdf signature", False, f"unreadable CMS: {exc}"))
        return
    signed = hashlib.sha256(pdf[a : a + b] + pdf[c : c + d]).digest()
    ok = info.digest_oid == _OID_SHA256 and info.message_digest == signed
    checks.append(
        Check(
            "request.pdf signed digest",
            ok,
            "SHA-256 of the signed bytes equals the CMS messageDigest"
            if ok
            else "the PDF's bytes differ from what was signed",
        )
    )
    _check_root(packet, expect, checks)
    if not _have_cryptography():
        checks.append(_unsigned("request.pdf CMS signature", expect))
    else:
        checks.append(_check_cms_signature(packet, info))
    _check_earlier_signatures(packet, pdf, expect, checks)


def _check_earlier_signatures(
    packet: _Packet, pdf: bytes, expect: Expectations, checks: list[Check]
) -> None:
    """Signatures before the last one (the issuing and validating authorities'): each covers
    the file as it was when it was signed (an earlier revision: later incremental updates,
    the later signatures, are covered by the last one, which covers the whole file); its
    digest and CMS signature are checked with the authority's certificate under certs/."""
    ranges = [tuple(int(x) for x in r) for r in _BYTE_RANGE.findall(pdf)]
    total = len(ranges)
    for number, (a, b, c, d) in enumerate(ranges[:-1], start=1):
        label = f"request.pdf signature {number} of {total}"
        later = ranges[number][2] + ranges[number][3]
        ok = a == 0 and b <= c and c + d <= later and pdf[b : b + 1] == b"<"
        checks.append(
            Check(
                f"{label} covers its revision",
                ok,
                f"signed range covers the first {c + d} bytes (the document when it was "
                f"signed); signature {total} covers the whole file"
                if ok
                else f"byte range {[a, b, c, d]} is not a revision of the file",
            )
        )
        if not ok:
            continue
        try:
            info = _parse_cms(bytes.fromhex(pdf[b + 1 : c - 1].decode("ascii")))
        except (ValueError, IndexError, VerificationError) as exc:
            checks.append(Check(label, False, f"unreadable CMS: {exc}"))
            continue
        signed = hashlib.sha256(pdf[a : a + b] + pdf[c : c + d]).digest()
        ok = info.digest_oid == _OID_SHA256 and info.message_digest == signed
        checks.append(
            Check(
                f"{label} signed digest",
                ok,
                "SHA-256 of its signed bytes equals the CMS messageDigest"
                if ok
                else "the PDF's bytes differ from what was signed",
            )
        )
        if not _have_cryptography():
            checks.append(_unsigned(f"{label} CMS signature", expect))
            continue
        role = _authority_role(packet, info)
        if role is None:
            checks.append(
                Check(
                    f"{label} CMS signature",
                    False,
                    "its certificate is none of certs/issuer.pem, certs/validator.pem",
                )
            )
            continue
        checks.append(
            _check_cms_signature(
                packet,
                info,
                name=f"{label} CMS signature ({role})",
                leaf=f"certs/{role}.pem",
                chain_prefix=f"certs/{role}-chain-",
                root=f"certs/{role}-root.pem",
            )
        )


def _authority_role(packet: _Packet, info: _SignerInfo) -> str | None:
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding

    names = packet.names()
    for role in AUTHORITY_ROLES:
        member = f"certs/{role}.pem"
        if member not in names:
            continue
        try:
            cert = x509.load_pem_x509_certificate(packet.read(member))
        except ValueError:  # unreadable: the signature check names it as not found
            cert = None
        if cert is not None and cert.public_bytes(Encoding.DER) in info.certificates:
            return role
    return None


def _check_cms_signature(
    packet: _Packet,
    info: _SignerInfo,
    *,
    name: str = "request.pdf CMS signature",
    leaf: str = "certs/signer.pem",
    chain_prefix: str = "certs/chain-",
    root: str = "certs/root.pem",
) -> Check:
    from cryptography import x509
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
    from cryptography.hazmat.primitives.serialization import Encoding

    try:
        signer = x509.load_pem_x509_certificate(packet.read(leaf))
    except Exception as exc:
        return Check(name, False, f"{leaf} unreadable: {exc}")
    if signer.public_bytes(Encoding.DER) not in info.certificates:
        return Check(name, False, f"{leaf} is not the certificate in the signature")
    key = signer.public_key()
    try:
        if isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(info.signature, info.signed_attrs, ec.ECDSA(hashes.SHA256()))
        elif isinstance(key, rsa.RSAPublicKey) and info.signature_oid.endswith(("1.1", "1.11")):
            key.verify(info.signature, info.signed_attrs, padding.PKCS1v15(), hashes.SHA256())
        else:
            return Check(
                name,
                False,
                f"signature algorithm {info.signature_oid} not checked here: use pyhanko or "
                "pdfsig as VERIFY.txt shows",
            )
    except InvalidSignature:
        return Check(name, False, "the signature over the signed attributes is invalid")
    detail = f"valid, by {signer.subject.rfc4514_string()}"
    chain = [signer]
    names = packet.names()
    chain_member = re.compile(re.escape(chain_prefix) + r"([1-9][0-9]*)\.pem")
    for extra in sorted(
        (n for n in names if chain_member.fullmatch(n)),
        key=lambda n: int(n[len(chain_prefix) : -len(".pem")]),
    ):
        try:
            chain.append(x509.load_pem_x509_certificate(packet.read(extra)))
        except Exception as exc:
            return Check(name, False, f"{extra} unreadable: {exc}")
    if root in names:
        try:
            chain.append(x509.load_pem_x509_certificate(packet.read(root)))
        except Exception as exc:
            return Check(name, False, f"{root} unreadable: {exc}")
        for child, parent in itertools.pairwise(chain):
            problem = _issued_by(child, parent)
            if problem:
                return Check(name, False, f"certificate chain to {root} broken: {problem}")
        detail += f"; issued by {root}"
    detail += ". Full PAdES validation: pdfsig or pyhanko, see VERIFY.txt"
    return Check(name, True, detail)


def _issued_by(child: Any, parent: Any) -> str | None:
    """Check that `parent` signed `child` (written out so older `cryptography` releases, such
    as a Linux distribution's, work too)."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

    if child.issuer != parent.subject:
        return (
            f"{child.subject.rfc4514_string()} was not issued by {parent.subject.rfc4514_string()}"
        )
    key = parent.public_key()
    try:
        if isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(
                child.signature,
                child.tbs_certificate_bytes,
                ec.ECDSA(child.signature_hash_algorithm),
            )
        elif isinstance(key, rsa.RSAPublicKey):
            key.verify(
                child.signature,
                child.tbs_certificate_bytes,
                padding.PKCS1v15(),
                child.signature_hash_algorithm,
            )
        else:
            return f"unsupported issuer key type {type(key).__name__}"
    except InvalidSignature:
        return f"bad issuer signature on {child.subject.rfc4514_string()}"
    return None


def _argument_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="verify.py",
        description="Check a CaseFlow MLA packet offline; exit 1 naming every failed check.",
    )
    parser.add_argument("packet", help="the packet ZIP or its unpacked folder")
    parser.add_argument(
        "--expect-root",
        metavar="SHA256",
        help="SHA-256 fingerprint of the root certificate, as given to you out of band "
        "(colons optional); certs/root.pem must have it",
    )
    parser.add_argument(
        "--expect-ledger-key",
        metavar="KEY",
        action="append",
        default=[],
        help="the custody ledger's verifier key (name+hash+base64, as printed) or raw Ed25519 "
        "key (base64), as given to you out of band; repeat for several",
    )
    parser.add_argument(
        "--no-signatures",
        action="store_true",
        help="accept that signatures cannot be checked (no `cryptography` package): hashes, "
        "chains and proofs are still checked, signature checks are reported as SKIP",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """`python3 verify.py PACKET.zip|FOLDER [--expect-root SHA256] [--expect-ledger-key KEY]
    [--no-signatures]`: print each check; exit 1 naming what failed, 2 on usage errors."""
    parser = _argument_parser()
    try:
        args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    except SystemExit as exc:  # argparse has printed the usage
        return int(exc.code or 0)
    expect = Expectations(
        root_sha256=args.expect_root,
        ledger_keys=tuple(args.expect_ledger_key),
        skip_signatures=args.no_signatures,
    )
    checks = verify_packet(args.packet, expect)
    for check in checks:
        status = "SKIP" if check.skipped else "OK  " if check.ok else "FAIL"
        print(f"{status} {check.name}: {check.detail}")
    failed = [c.name for c in checks if not c.ok]
    skipped = [c.name for c in checks if c.skipped]
    if not _have_cryptography() and not args.no_signatures:
        print(
            "\nThe Python package `cryptography` is missing, so NO SIGNATURE WAS CHECKED: "
            "install it (pip install cryptography), or pass --no-signatures to check hashes, "
            "chains and proofs only.",
            file=sys.stderr,
        )
    if failed:
        print(f"\nFAILED ({len(failed)}): {'; '.join(failed)}")
        return 1
    if skipped:
        warning = (
            f"\nWARNING: {len(skipped)} signature checks were NOT made (--no-signatures): "
            f"{'; '.join(skipped)}. Hashes, chains and proofs passed, but who made this packet "
            "is not established."
        )
        print(warning)
        print(warning.strip(), file=sys.stderr)
        print(f"{len(checks) - len(skipped)} checks passed, {len(skipped)} NOT made.")
        return 0
    print(f"\nAll {len(checks)} checks passed.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
