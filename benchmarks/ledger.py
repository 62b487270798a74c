"""Ledger verification speed: exports.verify over N canonical entries vs a bare hashlib loop.

Run: python benchmarks/ledger.py [--entries 1000000]. (a) is the full offline check
(verify_chain_lines: parse each entry, check seq and prev_hash, entry hash, leaf hash, Merkle
root); (b) is one SHA-256 per entry over the same bytes. Prints (b)/(a) (goal >= 0.5x).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from exports.merkle import MerkleTree
from exports.verify import (
    GENESIS_HASH,
    canonical_bytes,
    first_chain_break,
    leaf_hash,
    root_from_leaves,
    verify_chain_lines,
)


def build_ledger(n: int) -> tuple[list[bytes], list[str]]:
    """n chained synthetic custody records as canonical bytes, with their entry hashes."""
    lines: list[bytes] = []
    hashes: list[str] = []
    prev = GENESIS_HASH
    for seq in range(1, n + 1):
        record = {
            "seq": seq,
            "prev_hash": prev,
            "case_id": "CF-2026-0042",
            "event": "transfer",
            "actor": f"officer{seq % 7}@example.com",
            "at": "2026-11-28T20:33:32Z",
            "item": f"EXH-{seq:07d}",
        }
        line = canonical_bytes(record)
        prev = hashlib.sha256(line).hexdigest()
        lines.append(line)
        hashes.append(prev)
    return lines, hashes


def best_of(rounds: int, func: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        func()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=3, help="best of this many runs each")
    parser.add_argument(
        "--db-entries", type=int, default=10_000, help="custody appends in SQLite (0: skip)"
    )
    args = parser.parse_args()
    if args.db_entries:
        database_benchmark(args.db_entries)

    start = time.perf_counter()
    lines, hashes = build_ledger(args.entries)
    print(f"built {args.entries:,} entries in {time.perf_counter() - start:.1f} s")

    sha256 = hashlib.sha256
    decode = json.JSONDecoder().decode
    summary = verify_chain_lines(lines)
    assert summary.head_hash == hashes[-1] and summary.size == args.entries
    leaves = [leaf_hash(line) for line in lines]
    assert root_from_leaves(leaves) == summary.root == MerkleTree(leaves).root()

    bare = best_of(args.rounds, lambda: [sha256(line).digest() for line in lines])
    full = best_of(args.rounds, lambda: verify_chain_lines(lines))
    parts = {
        "  of which: JSON parse per entry": lambda: [decode(x.decode()) for x in lines],
        "  of which: leaf hash per entry": lambda: [leaf_hash(x) for x in lines],
        "  of which: Merkle root over leaves": lambda: root_from_leaves(leaves),
        "MerkleTree build (bulk) over leaves": lambda: MerkleTree(leaves),
    }
    print(f"(b) bare sha256 per entry      {bare:7.3f} s  {args.entries / bare / 1e6:5.2f} M/s")
    print(f"(a) verify_chain_lines (full)  {full:7.3f} s  {args.entries / full / 1e6:5.2f} M/s")
    print(f"ratio (b)/(a): {bare / full:.2f}x")
    for label, func in parts.items():
        print(f"{label:38s} {best_of(1, func):7.3f} s")
    # The dict-based check re-serialises every record; shown for comparison.
    n_dict = min(args.entries, 100_000)
    records = [(json.loads(line), h) for line, h in zip(lines[:n_dict], hashes, strict=False)]
    dict_time = best_of(1, lambda: first_chain_break(records))
    print(
        f"first_chain_break on dicts (re-serialises): {args.entries / n_dict * dict_time:7.3f} s"
        f" (extrapolated from {n_dict:,})"
    )


def database_benchmark(n: int) -> None:
    """N custody appends (one transaction each, as the app does) in SQLite, then the checks
    `caseflow custody verify` runs: chain, tree build, signed head, head verification."""
    import tempfile
    import uuid
    from datetime import UTC, datetime

    import sqlalchemy as sa

    from caseflow import ledger
    from caseflow.db import make_engine, make_sessionmaker, upgrade
    from caseflow.evidence.models import CustodyEvent
    from exports.merkle import generate_signing_key

    with tempfile.TemporaryDirectory(prefix="caseflow-ledger-bench-") as tmp:
        engine = make_engine(f"sqlite:///{tmp}/bench.db")
        upgrade(engine)

        # No case or item rows in this benchmark: let the ledger rows stand alone.
        @sa.event.listens_for(engine, "connect")
        def _no_foreign_keys(dbapi_connection, _record) -> None:
            dbapi_connection.execute("PRAGMA foreign_keys=OFF")

        engine.dispose()
        session = make_sessionmaker(engine)()
        now = datetime.now(UTC)
        start = time.perf_counter()
        for i in range(n):
            ledger.append(
                session,
                CustodyEvent(
                    event_id=str(uuid.uuid4()), case_id=1, item_id=1,
                    case_reference="CF-2026-0001", exhibit_number="CF-2026-0001/E-0001",
                    root_exhibit_number="CF-2026-0001/E-0001", action="accessed",
                    actor={"name": "bench"}, ts_utc=now, recorded_at=now, purpose=f"bench {i}",
                ),
            )  # fmt: skip
            session.commit()
        appends = time.perf_counter() - start
        signer = ledger.LedgerSigner(generate_signing_key(), "bench", "bench")
        timings = {
            "verify_chain": lambda: ledger.verify_chain(session, CustodyEvent),
            "build_tree (Merkle over rows)": lambda: ledger.build_tree(session, CustodyEvent),
            "sign_tree_head": lambda: ledger.sign_tree_head(session, CustodyEvent, signer, now),
            "verify_tree_heads": lambda: ledger.verify_tree_heads(session, CustodyEvent, signer),
        }
        print(f"SQLite: {n:,} custody appends   {appends:7.3f} s  {n / appends:8.0f} /s")
        for label, func in timings.items():
            elapsed = best_of(1, func)
            print(f"SQLite: {label:28s} {elapsed:7.3f} s  {n / elapsed:8.0f} entries/s")
        session.close()
        engine.dispose()


if __name__ == "__main__":
    main()
