"""Property tests of the custody ledger's pure checks (in-memory records, many examples):
any change to any field, a deleted, reordered or inserted entry, or a changed blob byte is
detected and the first bad entry is named."""

from __future__ import annotations

import hashlib

from hypothesis import given, settings
from hypothesis import strategies as st

from exports.verify import (
    GENESIS_HASH,
    canonical_bytes,
    entry_hash,
    first_chain_break,
    leaf_hash,
    root_from_leaves,
)

FIELDS = ("event_id", "exhibit_number", "action", "location", "purpose", "ts_utc", "notes")
ACTIONS = ("acquired", "received", "transferred", "accessed", "sealed", "disposed")

text = st.text(max_size=6)
record_body = st.fixed_dictionaries(
    {
        "event_id": st.uuids().map(str),
        "exhibit_number": st.integers(1, 9999).map(lambda n: f"CF-2026-0001/E-{n:04d}"),
        "action": st.sampled_from(ACTIONS),
        "location": text,
        "purpose": text,
        "ts_utc": st.integers(0, 10**9).map(lambda s: f"2026-01-01T00:00:00.{s % 10**6:06d}Z"),
        "notes": text,
    }
)


def chain(bodies: list[dict]) -> list[tuple[dict, str]]:
    """Records as the ledger stores them: (record with seq and prev_hash, entry_hash)."""
    out: list[tuple[dict, str]] = []
    previous = GENESIS_HASH
    for index, body in enumerate(bodies):
        record = {**body, "ledger": "custody", "seq": index + 1, "prev_hash": previous}
        previous = entry_hash(record)
        out.append((record, previous))
    return out


def signed_head(entries: list[tuple[dict, str]]) -> tuple[int, bytes]:
    return len(entries), root_from_leaves(leaf_hash(canonical_bytes(r)) for r, _ in entries)


def first_bad(entries: list[tuple[dict, str]], head: tuple[int, bytes]) -> int | None:
    """What `custody verify` does over the rows: the chain, then the tree against the signed
    head (which catches a truncated tail the chain alone cannot see)."""
    bad = first_chain_break(entries)
    if bad is not None:
        return bad
    size, root = head
    if len(entries) != size:
        return min(len(entries), size)
    if signed_head(entries)[1] != root:
        return 0
    return None


chains = st.lists(record_body, min_size=2, max_size=6).map(chain)


@settings(max_examples=500, deadline=None)
@given(chains, st.data())
def test_any_change_to_any_field_of_any_entry_names_that_entry(entries, data):
    head = signed_head(entries)
    index = data.draw(st.integers(0, len(entries) - 1))
    name = data.draw(st.sampled_from((*FIELDS, "seq", "prev_hash", "ledger")))
    record, stored = entries[index]
    new_value = data.draw(st.one_of(text, st.integers(0, 99)).filter(lambda v: v != record[name]))
    tampered = list(entries)
    tampered[index] = ({**record, name: new_value}, stored)
    assert first_bad(tampered, head) == index


@settings(max_examples=500, deadline=None)
@given(chains, st.data())
def test_a_deleted_entry_is_named(entries, data):
    head = signed_head(entries)
    index = data.draw(st.integers(0, len(entries) - 1))
    tampered = entries[:index] + entries[index + 1 :]
    assert first_bad(tampered, head) == index


@settings(max_examples=500, deadline=None)
@given(chains, st.data())
def test_a_reordered_pair_is_named(entries, data):
    head = signed_head(entries)
    index = data.draw(st.integers(0, len(entries) - 2))
    tampered = list(entries)
    tampered[index], tampered[index + 1] = tampered[index + 1], tampered[index]
    assert first_bad(tampered, head) == index


@settings(max_examples=500, deadline=None)
@given(chains, record_body, st.data())
def test_an_inserted_entry_is_named_even_when_rehashed(entries, body, data):
    head = signed_head(entries)
    index = data.draw(st.integers(0, len(entries)))
    # The forger links the new entry properly to its predecessor and hashes it correctly.
    previous = entries[index - 1][1] if index else GENESIS_HASH
    record = {**body, "ledger": "custody", "seq": index + 1, "prev_hash": previous}
    tampered = [*entries[:index], (record, entry_hash(record)), *entries[index:]]
    expected = index + 1 if index < len(entries) else len(entries)
    assert first_bad(tampered, head) == expected


@settings(max_examples=500, deadline=None)
@given(chains)
def test_a_fully_rewritten_chain_still_fails_the_signed_head(entries):
    head = signed_head(entries)
    rewritten = chain([{**r, "notes": r["notes"] + "!"} for r, _ in entries])
    assert first_chain_break(rewritten) is None  # a consistent forgery...
    assert first_bad(rewritten, head) == 0  # ...does not match the signed root


@settings(max_examples=500, deadline=None)
@given(st.binary(min_size=1, max_size=4096), st.data())
def test_a_changed_blob_byte_changes_its_sha256(blob, data):
    position = data.draw(st.integers(0, len(blob) - 1))
    flip = data.draw(st.integers(1, 255))
    changed = bytearray(blob)
    changed[position] ^= flip
    assert hashlib.sha256(bytes(changed)).hexdigest() != hashlib.sha256(blob).hexdigest()
