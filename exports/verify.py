"""Offline verification of CaseFlow ledgers and packets: canonical bytes, chains, Merkle proofs.

This file is shipped as-is inside every packet as `verify.py`; it needs only the standard
library (plus `cryptography` for signatures). It must not import flask, sqlalchemy or caseflow,
and nothing outside the standard library and `cryptography`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

GENESIS_HASH = "0" * 64


class VerificationError(Exception):
    """A check failed; the message names what failed and where."""


def canonical_bytes(record: Mapping[str, Any]) -> bytes:
    """Serialize a record to CaseFlow's canonical bytes.

    UTF-8 JSON, keys sorted, no insignificant whitespace, non-ASCII kept as is. Only strings,
    integers, booleans, null, lists and objects are allowed: with those, the bytes equal RFC 8785
    (JCS), so anyone can recompute them. Floats are refused because their text form is not
    canonical across implementations.
    """
    _refuse_floats(record)
    return json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _refuse_floats(value: Any) -> None:
    if isinstance(value, float):
        raise TypeError("canonical records may not contain floats")
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError("canonical record keys must be strings")
            _refuse_floats(item)
    elif isinstance(value, list | tuple):
        for item in value:
            _refuse_floats(item)


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
    return hashlib.sha256(data).hexdigest()


__all__: Sequence[str] = (
    "GENESIS_HASH",
    "VerificationError",
    "canonical_bytes",
    "entry_hash",
    "first_chain_break",
    "sha256_hex",
)
