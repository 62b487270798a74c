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

import itertools  # noqa: E402
import os  # noqa: E402 - kept with the packet section so the primitives above stay standalone
import sys  # noqa: E402
import zipfile  # noqa: E402

PACKET_DIGEST_SCHEMA = "caseflow.packet-digest/1"
NOT_IN_PACKET_DIGEST = frozenset({"request.pdf", "manifest.json", "SHA256SUMS"})
_SUMS_LINE = re.compile(r"([0-9a-f]{64}) [ *](.+)")
_OID_MESSAGE_DIGEST = "1.2.840.113549.1.9.4"
_OID_SHA256 = "2.16.840.1.101.3.4.2.1"
_OID_SIGNED_DATA = "1.2.840.113549.1.7.2"


@dataclass(frozen=True)
class Check:
    """One verification step: `name` says what was checked (member names included)."""

    name: str
    ok: bool
    detail: str


class _Packet:
    """Read-only access to the members of a packet ZIP or of its unpacked folder."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._zip = None if os.path.isdir(path) else zipfile.ZipFile(path)

    def names(self) -> list[str]:
        if self._zip is not None:
            return [i.filename for i in self._zip.infolist() if not i.is_dir()]
        found = []
        for folder, _, files in os.walk(self.path):
            for name in files:
                full = os.path.join(folder, name)
                found.append(os.path.relpath(full, self.path).replace(os.sep, "/"))
        return found

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


def verify_packet(path: str) -> list[Check]:
    """Check a packet offline and return every check made, failures named.

    Covers: every SHA256SUMS line and that no member is left out of it; manifest.json against
    the actual members and the packet digest; custody.json (checkpoint signature with the
    bundled key, each entry's hash, leaf, inclusion proof and chain link); request.pdf (the
    packet digest it carries, the signed byte range's SHA-256 against the CMS messageDigest,
    the CMS signature with certs/signer.pem, the signer certificate issued by certs/root.pem).
    """
    checks: list[Check] = []
    try:
        packet = _Packet(path)
    except (OSError, zipfile.BadZipFile) as exc:
        return [Check("open packet", False, f"{path}: {exc}")]
    try:
        actual = _stage("SHA256SUMS", _check_sums, checks, packet, checks) or {}
        manifest = _stage("manifest.json", _check_manifest, checks, packet, actual, checks)
        _stage("custody.json", _check_custody, checks, packet, checks)
        _stage("request.pdf", _check_pdf, checks, packet, manifest, checks)
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


def _check_sums(packet: _Packet, checks: list[Check]) -> dict[str, dict[str, Any]]:
    """Verify SHA256SUMS; return {name: {"sha256", "size"}} of the members that matched."""
    names = set(packet.names())
    actual: dict[str, dict[str, Any]] = {}
    if "SHA256SUMS" not in names:
        checks.append(Check("SHA256SUMS", False, "missing"))
        return actual
    try:
        lines = packet.read("SHA256SUMS").decode("utf-8").splitlines()
    except (OSError, UnicodeDecodeError, zipfile.BadZipFile, ValueError) as exc:
        checks.append(Check("SHA256SUMS", False, f"unreadable: {exc}"))
        return actual
    listed: set[str] = set()
    for number, line in enumerate(lines, start=1):
        match = _SUMS_LINE.fullmatch(line)
        if match is None:
            checks.append(Check(f"SHA256SUMS line {number}", False, f"malformed: {line!r}"))
            continue
        expected, name = match.groups()
        listed.add(name)
        if not _safe_member_name(name) or name not in names:
            checks.append(Check(f"sha256 {name}", False, "listed in SHA256SUMS but missing"))
            continue
        try:
            got, size = _hash_member(packet, name)
        except Exception as exc:  # a corrupt ZIP member raises from zlib or the CRC check
            checks.append(Check(f"sha256 {name}", False, f"unreadable: {exc}"))
            continue
        ok = got == expected
        checks.append(
            Check(f"sha256 {name}", ok, got if ok else f"is {got}, SHA256SUMS says {expected}")
        )
        if ok:
            actual[name] = {"sha256": got, "size": size}
    for name in sorted(names - listed - {"SHA256SUMS"}):
        checks.append(Check(f"sha256 {name}", False, "member not listed in SHA256SUMS"))
    return actual


def _load_json(packet: _Packet, name: str, checks: list[Check]) -> Any:
    try:
        return json.loads(packet.read(name).decode("utf-8"))
    except KeyError:
        checks.append(Check(name, False, "missing"))
    except Exception as exc:
        checks.append(Check(name, False, f"unreadable: {exc}"))
    return None


def _check_manifest(
    packet: _Packet, actual: Mapping[str, Mapping[str, Any]], checks: list[Check]
) -> dict[str, Any] | None:
    manifest = _load_json(packet, "manifest.json", checks)
    if not isinstance(manifest, dict) or not isinstance(manifest.get("files"), dict):
        if manifest is not None:
            checks.append(Check("manifest.json", False, "no files table"))
        return None
    files = manifest["files"]
    wrong = sorted(
        name
        for name, f in files.items()
        if name not in actual
        or f.get("sha256") != actual[name]["sha256"]
        or f.get("size") != actual[name]["size"]
    )
    unlisted = sorted(set(actual) - set(files) - {"manifest.json"})
    ok = not wrong and not unlisted
    detail = f"{len(files)} files match" if ok else f"mismatch: {', '.join(wrong + unlisted)}"
    checks.append(Check("manifest.json files", ok, detail))
    for item in manifest.get("evidence", []):
        member = item.get("member")
        if member is None:
            continue
        same = member in files and files[member].get("sha256") == item.get("sha256")
        if not same:
            checks.append(
                Check(f"manifest evidence {item.get('number')}", False, f"{member} differs")
            )
    digest = packet_digest_of(files)
    ok = digest == manifest.get("packet_digest")
    checks.append(
        Check("packet digest", ok, digest if ok else f"is {digest}, manifest says otherwise")
    )
    return manifest


def _check_custody(packet: _Packet, checks: list[Check]) -> None:
    custody = _load_json(packet, "custody.json", checks)
    if not isinstance(custody, dict):
        return
    try:
        public_key = base64.b64decode(custody["public_key"], validate=True)
        checkpoint = verify_checkpoint(custody["checkpoint"], public_key, custody["key_name"])
    except (KeyError, TypeError, ValueError, VerificationError) as exc:
        checks.append(Check("custody checkpoint signature", False, str(exc)))
        return
    vkey = encode_verifier_key(custody["key_name"], public_key)
    checks.append(
        Check(
            "custody checkpoint signature",
            True,
            f"{checkpoint.origin} size {checkpoint.size}, signed by {vkey} (bundled key: compare "
            "it with the key given out of band)",
        )
    )
    if custody.get("tree_size") != checkpoint.size:
        checks.append(Check("custody tree size", False, "custody.json and checkpoint disagree"))
    bad = 0
    previous: tuple[int, str] | None = None
    entries = custody.get("entries") or []
    for entry in entries:
        index = entry.get("index")
        problem = _custody_entry_problem(entry, checkpoint.size, checkpoint.root)
        starts_run = previous is None or previous[0] + 1 != index
        linked = previous is not None and entry["record"].get("prev_hash") == previous[1]
        if problem is None and not starts_run and not linked:
            problem = "prev_hash does not link to the previous entry"
        if problem is not None:
            bad += 1
            checks.append(Check(f"custody entry {index}", False, problem))
        previous = (index, entry.get("entry_hash")) if isinstance(index, int) else None
    checks.append(
        Check(
            "custody entries",
            bad == 0 and bool(entries),
            f"{len(entries) - bad} of {len(entries)} entries: entry hash, leaf, inclusion proof, "
            "chain link",
        )
    )


def _custody_entry_problem(entry: Mapping[str, Any], size: int, root: bytes) -> str | None:
    try:
        data = canonical_bytes(entry["record"])
        if hashlib.sha256(data).hexdigest() != entry["entry_hash"]:
            return "entry_hash does not match the record's canonical bytes"
        proof = [bytes.fromhex(p) for p in entry["inclusion_proof"]]
    except (KeyError, TypeError, ValueError) as exc:
        return f"malformed entry: {exc}"
    if not verify_inclusion(leaf_hash(data), entry["index"], size, proof, root):
        return "inclusion proof does not lead to the signed root"
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


def _check_pdf(packet: _Packet, manifest: Mapping[str, Any] | None, checks: list[Check]) -> None:
    try:
        pdf = packet.read("request.pdf")
    except KeyError:
        checks.append(Check("request.pdf", False, "missing"))
        return
    except Exception as exc:
        checks.append(Check("request.pdf", False, f"unreadable: {exc}"))
        return
    if manifest is not None:
        digest = str(manifest.get("packet_digest", ""))
        ok = len(digest) == 64 and digest.encode() in pdf
        checks.append(Check("request.pdf carries packet digest", ok, digest or "no digest"))
    ranges = _BYTE_RANGE.findall(pdf)
    if not ranges:
        checks.append(Check("request.pdf signature", False, "no signature byte range"))
        return
    a, b, c, d = (int(x) for x in ranges[-1])
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
    checks.append(_check_cms_signature(packet, info))


def _check_cms_signature(packet: _Packet, info: _SignerInfo) -> Check:
    name = "request.pdf CMS signature"
    try:
        from cryptography import x509
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
    except ImportError:
        return Check(name, False, "needs the cryptography package (pip install cryptography)")
    try:
        signer = x509.load_pem_x509_certificate(packet.read("certs/signer.pem"))
    except Exception as exc:
        return Check(name, False, f"certs/signer.pem unreadable: {exc}")
    from cryptography.hazmat.primitives.serialization import Encoding

    if signer.public_bytes(Encoding.DER) not in info.certificates:
        return Check(name, False, "certs/signer.pem is not the certificate in the signature")
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
    for extra in sorted(n for n in names if n.startswith("certs/chain-")):
        chain.append(x509.load_pem_x509_certificate(packet.read(extra)))
    if "certs/root.pem" in names:
        chain.append(x509.load_pem_x509_certificate(packet.read("certs/root.pem")))
        for child, parent in itertools.pairwise(chain):
            problem = _issued_by(child, parent)
            if problem:
                return Check(name, False, f"certificate chain to certs/root.pem broken: {problem}")
        detail += "; issued by certs/root.pem (compare its fingerprint out of band)"
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


def main(argv: Sequence[str] | None = None) -> int:
    """`python3 verify.py PACKET.zip|FOLDER`: print each check; exit 1 naming what failed."""
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 1 or args[0] in {"-h", "--help"}:
        print("usage: python3 verify.py PACKET.zip|UNPACKED_FOLDER", file=sys.stderr)
        return 2
    checks = verify_packet(args[0])
    for check in checks:
        print(f"{'OK  ' if check.ok else 'FAIL'} {check.name}: {check.detail}")
    failed = [c.name for c in checks if not c.ok]
    if failed:
        print(f"\nFAILED ({len(failed)}): {'; '.join(failed)}")
        return 1
    print(f"\nAll {len(checks)} checks passed.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
