"""Building side of the ledgers' Merkle tree: incremental tree, RFC 9162 proofs, signed checkpoints.

Pure library (standard library + `cryptography`); exports.verify holds the matching checks.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Iterable, Sequence
from hashlib import sha256
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from exports.verify import (
    ED25519_ALGORITHM,
    EMPTY_ROOT,
    HASH_SIZE,
    checkpoint_body,
    largest_power_of_two_below,
    leaf_hash,
    node_hash,
    note_key_hash,
    signature_line,
)


class MerkleTree:
    """An append-only RFC 9162 Merkle tree over leaf hashes, kept as one array per level.

    `levels[k][i]` is the hash of the complete subtree of 2**k leaves starting at leaf
    i * 2**k, so appends are amortised O(1) and any root or proof for any earlier size is
    O(log n) lookups plus O(log n) hashes along the tree's right edge. Memory is about two
    32-byte hashes per leaf (some 130 MB for 10**6 leaves).
    """

    def __init__(self, leaf_hashes: Iterable[bytes] = ()) -> None:
        self._levels: list[list[bytes]] = [[]]
        self.extend(leaf_hashes)

    def __len__(self) -> int:
        return len(self._levels[0])

    def append(self, leaf: bytes) -> int:
        """Append one leaf hash (32 bytes, see exports.verify.leaf_hash); return its index."""
        if len(leaf) != HASH_SIZE:
            raise ValueError("a leaf hash is 32 bytes; hash entries with leaf_hash() first")
        levels = self._levels
        levels[0].append(leaf)
        level = 0
        # Each time a level gets an even length, its last two nodes complete a parent.
        while len(levels[level]) % 2 == 0:
            parent = node_hash(levels[level][-2], levels[level][-1])
            if level + 1 == len(levels):
                levels.append([])
            levels[level + 1].append(parent)
            level += 1
        return len(levels[0]) - 1

    def append_entry(self, entry_bytes: bytes) -> int:
        """Append the leaf for an entry's canonical bytes; return its index."""
        return self.append(leaf_hash(entry_bytes))

    def extend(self, leaf_hashes: Iterable[bytes]) -> None:
        """Append many leaf hashes; bulk-builds the levels when the tree is empty (fast path)."""
        if len(self) == 0:
            self._bulk_build(list(leaf_hashes))
            return
        for leaf in leaf_hashes:
            self.append(leaf)

    def _bulk_build(self, leaves: list[bytes]) -> None:
        if any(len(leaf) != HASH_SIZE for leaf in leaves):
            raise ValueError("a leaf hash is 32 bytes; hash entries with leaf_hash() first")
        levels = [leaves]
        while len(levels[-1]) > 1:
            below = levels[-1]
            levels.append(
                [
                    sha256(b"\x01" + a + b).digest()
                    for a, b in zip(below[0::2], below[1::2], strict=False)
                ]
            )
        self._levels = levels

    def leaf(self, index: int) -> bytes:
        """The leaf hash at `index`."""
        return self._levels[0][index]

    def _size(self, size: int | None) -> int:
        if size is None:
            return len(self)
        if not 0 <= size <= len(self):
            raise ValueError(f"tree size {size} outside 0..{len(self)}")
        return size

    def _subtree(self, start: int, end: int) -> bytes:
        """MTH of leaves[start:end] for a range arising in RFC 9162's recursion: the left part
        of every split is a complete, aligned subtree found in the level arrays."""
        n = end - start
        if n & (n - 1) == 0:
            level = n.bit_length() - 1
            return self._levels[level][start >> level]
        k = largest_power_of_two_below(n)
        return node_hash(self._subtree(start, start + k), self._subtree(start + k, end))

    def root(self, size: int | None = None) -> bytes:
        """Root hash of the first `size` leaves (all by default); EMPTY_ROOT for size 0."""
        size = self._size(size)
        return self._subtree(0, size) if size else EMPTY_ROOT

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        """Audit path for leaf `index` in the tree of the first `size` leaves (RFC 9162 PATH),
        leaf to root, as exports.verify.verify_inclusion expects."""
        size = self._size(size)
        if not 0 <= index < size:
            raise ValueError(f"leaf index {index} outside 0..{size - 1}")
        proof: list[bytes] = []
        start, end = 0, size
        while end - start > 1:
            k = largest_power_of_two_below(end - start)
            if index < start + k:
                proof.append(self._subtree(start + k, end))
                end = start + k
            else:
                proof.append(self._subtree(start, start + k))
                start += k
        proof.reverse()
        return proof

    def consistency_proof(self, size1: int, size2: int | None = None) -> list[bytes]:
        """Proof that the first `size1` leaves are a prefix of the first `size2` (RFC 9162
        PROOF); empty when size1 is 0 or equals size2."""
        size2 = self._size(size2)
        if not 0 <= size1 <= size2:
            raise ValueError(f"consistency needs 0 <= size1 <= size2, got {size1}, {size2}")
        if size1 in (0, size2):
            return []
        proof: list[bytes] = []
        start, end, m, complete = 0, size2, size1, True
        while m != end - start:
            k = largest_power_of_two_below(end - start)
            if m <= k:
                proof.append(self._subtree(start + k, end))
                end = start + k
            else:
                proof.append(self._subtree(start, start + k))
                start, m, complete = start + k, m - k, False
        if not complete:
            proof.append(self._subtree(start, end))
        proof.reverse()
        return proof


# --- signing ------------------------------------------------------------------------------------


def sign_note(text: str, private_key: Ed25519PrivateKey, key_name: str) -> str:
    """Sign `text` (ending in a newline) as a C2SP signed note with one Ed25519 signature."""
    if not text.endswith("\n"):
        raise ValueError("signed-note text must end with a newline")
    public = public_key_bytes(private_key)
    signature = private_key.sign(text.encode())
    return text + "\n" + signature_line(key_name, note_key_hash(key_name, public), signature)


def sign_checkpoint(
    origin: str,
    size: int,
    root: bytes,
    private_key: Ed25519PrivateKey,
    key_name: str,
    extensions: Sequence[str] = (),
) -> str:
    """A C2SP tlog-checkpoint for (origin, size, root), signed by `private_key` as `key_name`.

    Verify with exports.verify.verify_checkpoint(text, public_key_bytes(key), key_name).
    """
    return sign_note(checkpoint_body(origin, size, root, extensions), private_key, key_name)


# --- keys ---------------------------------------------------------------------------------------


def generate_signing_key() -> Ed25519PrivateKey:
    """A fresh Ed25519 key for signing tree heads."""
    return Ed25519PrivateKey.generate()


def public_key_bytes(key: Ed25519PrivateKey | Ed25519PublicKey) -> bytes:
    """The raw 32-byte Ed25519 public key (what verify_checkpoint takes)."""
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return public.public_bytes_raw()


def private_key_pem(key: Ed25519PrivateKey, password: bytes | None = None) -> bytes:
    """PKCS#8 PEM of the key, encrypted when a password is given."""
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(password)
        if password
        else serialization.NoEncryption()
    )
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
    )


def save_private_key_pem(key: Ed25519PrivateKey, path: Path, password: bytes | None = None) -> None:
    """Write the key as PKCS#8 PEM, readable by the owner only (0600).

    Refuses to overwrite an existing file: replacing a log's signing key is a deliberate act.
    """
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(private_key_pem(key, password))
        handle.flush()
        os.fsync(handle.fileno())


def load_private_key_pem(data: bytes | Path, password: bytes | None = None) -> Ed25519PrivateKey:
    """Load an Ed25519 private key from PEM bytes or a PEM file; TypeError for other key types."""
    pem = data.read_bytes() if isinstance(data, Path) else data
    key = serialization.load_pem_private_key(pem, password=password)
    if not isinstance(key, Ed25519PrivateKey):
        raise TypeError(f"expected an Ed25519 private key, got {type(key).__name__}")
    return key


def public_key_pem(key: Ed25519PrivateKey | Ed25519PublicKey) -> bytes:
    """SubjectPublicKeyInfo PEM of the public key (for certs/ and READMEs)."""
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def load_public_key_pem(data: bytes) -> bytes:
    """Raw 32-byte Ed25519 public key from SubjectPublicKeyInfo PEM; TypeError for others."""
    key = serialization.load_pem_public_key(data)
    if not isinstance(key, Ed25519PublicKey):
        raise TypeError(f"expected an Ed25519 public key, got {type(key).__name__}")
    return key.public_bytes_raw()


def encode_signer_key(key_name: str, private_key: Ed25519PrivateKey) -> str:
    """Go signed-note signer key string `PRIVATE+KEY+<name>+<hash>+<base64(0x01||seed)>`."""
    seed = private_key.private_bytes_raw()
    key_hash = note_key_hash(key_name, public_key_bytes(private_key)).hex()
    encoded = base64.b64encode(bytes([ED25519_ALGORITHM]) + seed).decode()
    return f"PRIVATE+KEY+{key_name}+{key_hash}+{encoded}"


def decode_signer_key(skey: str) -> tuple[str, Ed25519PrivateKey]:
    """Parse a Go signed-note signer key string into (key_name, private key); checks its hash."""
    parts = skey.split("+", 4)  # the base64 part may itself contain "+"
    if len(parts) != 5 or parts[:2] != ["PRIVATE", "KEY"]:
        raise ValueError("not a signed-note signer key")
    name, hash_hex, encoded = parts[2:]
    raw = base64.b64decode(encoded, validate=True)
    if len(raw) != 33 or raw[0] != ED25519_ALGORITHM:
        raise ValueError("not an Ed25519 signed-note signer key")
    key = Ed25519PrivateKey.from_private_bytes(raw[1:])
    if note_key_hash(name, public_key_bytes(key)).hex() != hash_hex:
        raise ValueError("signer key hash does not match the key")
    return name, key


__all__: Sequence[str] = (
    "MerkleTree",
    "decode_signer_key",
    "encode_signer_key",
    "generate_signing_key",
    "load_private_key_pem",
    "load_public_key_pem",
    "private_key_pem",
    "public_key_bytes",
    "public_key_pem",
    "save_private_key_pem",
    "sign_checkpoint",
    "sign_note",
)
