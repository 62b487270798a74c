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
    args = parser.parse_args()

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


if __name__ == "__main__":
    main()
