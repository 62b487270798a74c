"""Cross-agency matching: a private set intersection run vs a plain exchange of SHA-256 hashes.

Run: python benchmarks/federation.py [--size 100000] [--overlap 0.5] [--references].
Two installations with `size` synthetic selectors each, `overlap` of them shared, run the
whole five-step protocol in this process (signing, checks, both directions, sealed report;
with --references each side also names a case for every shared selector). Side by side, in
the same process: the insecure baseline each side could use instead (send SHA-256 of every
selector and intersect; it discloses every selector to anyone who hashes a guess), and
openmined-psi alone doing both directions with the same setup structure (the cryptography
without CaseFlow's messages and checks). Times are both sides' work added up (one after the
other, as in one process); bytes are all messages exchanged.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import private_set_intersection.python as lib

from caseflow.federation import psi
from caseflow.federation.keys import InstallationKey
from caseflow.federation.messages import parse_message
from caseflow.federation.protocol import Federation, MemoryRunStore, Partner
from caseflow.policy import FederationLimits
from tests.unit.federation_factory import Directory, StaticHoldings, selectors


def psi_run(
    a_items, b_items, *, references: bool
) -> tuple[float, int, list[tuple[str, float, int]], set[str]]:
    limits = FederationLimits(min_set_size=100, max_set_size=len(a_items) + len(b_items))
    key_a, key_b = InstallationKey.generate(), InstallationKey.generate()
    engines = {}
    for own, other, items in ((key_a, key_b, a_items), (key_b, key_a, b_items)):
        partner = Partner.from_public_key(
            other.public_key, "partner", limits=limits, disclose_case_references=references
        )
        refs = {s: ["CF-2026-0001"] for s in items}
        engines[own.key_id] = (
            Federation(own, Directory(partner), MemoryRunStore()),
            StaticHoldings(list(items), refs),
        )
    a, b = engines[key_a.key_id], engines[key_b.key_id]
    steps = []
    start = time.perf_counter()
    outcome = a[0].start(key_b.key_id, a[1])
    steps.append(("1 open (A)", time.perf_counter() - start, len(outcome.reply)))
    turn = 0
    while outcome.reply is not None:
        side = (b, a)[turn % 2]
        began = time.perf_counter()
        outcome = side[0].receive(outcome.reply, side[1], transport="https")
        if outcome.reply is not None:
            header = parse_message(outcome.reply).header
            label = f"{header.step} {header.type} ({'B' if side is b else 'A'})"
            steps.append((label, time.perf_counter() - began, len(outcome.reply)))
        else:
            steps.append(("close read (B)", time.perf_counter() - began, 0))
        turn += 1
    elapsed = time.perf_counter() - start
    run_a = a[0].runs.get(outcome.run.run_id)
    run_b = b[0].runs.get(outcome.run.run_id)
    assert run_a.status == run_b.status == "complete" and run_a.consistent
    assert set(run_a.matches) == set(run_b.matches)
    return elapsed, sum(size for _, _, size in steps), steps, set(run_a.matches)


def library_alone(a_items, b_items) -> tuple[float, int]:
    """openmined-psi in both directions, nothing else: requests, setups, responses."""
    a = [s.element for s in a_items]
    b = [s.element for s in b_items]
    start = time.perf_counter()
    exchanged = 0
    for client_set, server_set in ((a, b), (b, a)):
        key, request = psi.create_request(client_set)
        setup, response = psi.answer_request(server_set, request, client_count=len(client_set))
        client = lib.client.CreateFromKey(key, True)
        parsed_setup, parsed_response = lib.ServerSetup(), lib.Response()
        parsed_setup.ParseFromString(setup)
        parsed_response.ParseFromString(response)
        found = client.GetIntersection(parsed_setup, parsed_response)
        assert len(found) == len(set(client_set) & set(server_set))
        exchanged += len(request) + len(setup) + len(response)
    return time.perf_counter() - start, exchanged


def hash_exchange(a_items, b_items) -> tuple[float, int, set[str]]:
    """The insecure baseline: each side sends SHA-256 of each of its selectors."""
    start = time.perf_counter()
    sent_a = b"".join(hashlib.sha256(s.element.encode()).digest() for s in a_items)
    sent_b = b"".join(hashlib.sha256(s.element.encode()).digest() for s in b_items)
    theirs_at_a = {sent_b[i : i + 32] for i in range(0, len(sent_b), 32)}
    theirs_at_b = {sent_a[i : i + 32] for i in range(0, len(sent_a), 32)}
    found_a = {
        s.element for s in a_items if hashlib.sha256(s.element.encode()).digest() in theirs_at_a
    }
    found_b = {
        s.element for s in b_items if hashlib.sha256(s.element.encode()).digest() in theirs_at_b
    }
    elapsed = time.perf_counter() - start
    assert found_a == found_b
    return elapsed, len(sent_a) + len(sent_b), found_a


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=int, default=100_000, help="selectors per side")
    parser.add_argument("--overlap", type=float, default=0.5, help="shared fraction")
    parser.add_argument(
        "--references", action="store_true", help="name a case for every shared selector"
    )
    args = parser.parse_args()
    shared = int(args.size * args.overlap)
    a_items = selectors(range(args.size))
    b_items = selectors(range(args.size - shared, 2 * args.size - shared))
    structure = "gcs" if psi.uses_gcs(args.size, args.size) else "raw"
    print(f"{args.size:,} vs {args.size:,} selectors, {shared:,} shared; setup: {structure}")

    base_time, base_bytes, base_found = hash_exchange(a_items, b_items)
    lib_time, lib_bytes = library_alone(a_items, b_items)
    psi_time, psi_bytes, steps, psi_found = psi_run(a_items, b_items, references=args.references)
    assert psi_found == base_found and len(psi_found) == shared

    for label, seconds, size in steps:
        print(f"  {label:<16} {seconds:8.2f} s  {size / 1e6:8.2f} MB")
    rows = [
        ("CaseFlow PSI run, both directions", psi_time, psi_bytes),
        ("openmined-psi alone, both directions", lib_time, lib_bytes),
        ("SHA-256 exchange (insecure baseline)", base_time, base_bytes),
    ]
    for label, seconds, size in rows:
        print(f"{label:<38} {seconds:8.2f} s  {size / 1e6:8.2f} MB")
    print(
        f"ratio CaseFlow / SHA-256 baseline: time {psi_time / base_time:,.0f}x, "
        f"bytes {psi_bytes / base_bytes:.2f}x"
    )
    print(
        f"ratio CaseFlow / openmined-psi alone: time {psi_time / lib_time:.2f}x, "
        f"bytes {psi_bytes / lib_bytes:.3f}x"
    )


if __name__ == "__main__":
    main()
