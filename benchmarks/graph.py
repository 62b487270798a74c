"""Graph projection and read speed: batched `apply` vs `apply_one_by_one`, and 2-hop latency.

Run: python benchmarks/graph.py [--quick] [--uri bolt://... --password ...]. Without --uri it
starts its own Neo4j (var/neo4j-bench, port 7689) and stops it at the end. Prints
(1) projection throughput, batched UNWIND over N entities / N memberships / 3N links against
one transaction per op on a sample, as a per-op ratio (goal >= 20x); (2) neighbourhood(depth 2)
latency p50/p95 on a small and a large graph, as a ratio (goal <= 2x).
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from neo4j import GraphDatabase  # noqa: E402

from graph.records import CaseNode, EntityNode, GraphOp, LinkEdge, Membership  # noqa: E402
from graph.store import GraphStore  # noqa: E402

NEO4J_SH = ROOT / "deploy" / "neo4j" / "neo4j.sh"
KINDS = ("phone", "email", "wallet", "account", "ad", "person", "service_provider")
LINK_TYPES = ("POSTED", "CONTACTED", "PAID", "CONTROLS", "SAME_AS")
CASES = 100  # fixed, so both latency graphs differ only in size


def ops_for(first: int, last: int, size: int, seed: int) -> list[GraphOp]:
    """Entities first..last, each in one case, with 3 links each to random entities of 1..size."""
    rng = random.Random(seed)
    ops: list[GraphOp] = []
    for i in range(first, last + 1):
        kind = KINDS[i % len(KINDS)]
        ops.append(GraphOp.upsert_entity(EntityNode(i, kind, f"{kind}-{i}", f"{kind} {i}", "FR")))
        ops.append(GraphOp.add_membership(Membership(i, 1 + i % CASES)))
    for i in range(first, last + 1):
        for k in range(3):
            target = rng.randint(1, size)
            link = LinkEdge(3 * i + k, LINK_TYPES[k], i, target, 1 + i % CASES, "medium", False)
            ops.append(GraphOp.upsert_link(link))
    return ops


def case_ops() -> list[GraphOp]:
    return [
        GraphOp.upsert_case(
            CaseNode(c, f"CF-2026-{c:04d}", f"Officer {c}", f"officer{c}@example.com")
        )
        for c in range(1, CASES + 1)
    ]


def build(store: GraphStore, size: int, chunk: int = 50_000) -> float:
    """Project a graph of `size` entities in chunks (bounded client memory); seconds taken."""
    store.clear()
    started = time.perf_counter()
    store.apply(case_ops())
    for first in range(1, size + 1, chunk):
        last = min(size, first + chunk - 1)
        ops = ops_for(first, last, size, seed=first)
        store.apply(ops)
    return time.perf_counter() - started


def throughput(store: GraphStore, n: int, baseline_n: int) -> None:
    store.clear()
    sample = case_ops() + ops_for(1, baseline_n, baseline_n, seed=1)
    started = time.perf_counter()
    store.apply_one_by_one(sample)
    slow = len(sample) / (time.perf_counter() - started)

    store.clear()
    everything = case_ops() + ops_for(1, n, n, seed=1)
    started = time.perf_counter()
    store.apply(everything)
    fast = len(everything) / (time.perf_counter() - started)
    print(f"projection, one transaction per op ({len(sample):,} ops): {slow:,.0f} ops/s")
    print(f"projection, batched UNWIND ({len(everything):,} ops):        {fast:,.0f} ops/s")
    print(f"  ratio batched / one-by-one: {fast / slow:.1f}x (goal >= 20x)")


def latency(store: GraphStore, size: int, queries: int, warmup: int) -> tuple[float, float]:
    seconds = build(store, size)
    print(f"built {size:,} entities / {3 * size:,} links in {seconds:.0f}s")
    rng = random.Random(size)
    visible = list(range(1, CASES + 1))
    # Same warm-up at both sizes: query plans, JIT-compiled code paths and page cache.
    for _ in range(warmup):
        store.neighbourhood(rng.randint(1, size), 2, visible)
    times, sizes = [], []
    for _ in range(queries):
        start = rng.randint(1, size)
        began = time.perf_counter()
        sub = store.neighbourhood(start, 2, visible)
        times.append(time.perf_counter() - began)
        sizes.append(len(sub.nodes))
    q = statistics.quantiles(times, n=100)
    p50, p95 = q[49] * 1000, q[94] * 1000
    print(
        f"neighbourhood depth 2 at {size:,} entities: p50 {p50:.1f} ms, p95 {p95:.1f} ms "
        f"(mean {statistics.mean(sizes):.0f} nodes returned)"
    )
    return p50, p95


@contextmanager
def own_server(port: str) -> Iterator[tuple[str, str]]:
    env = {
        **os.environ,
        "NEO4J_RUN_DIR": str(ROOT / "var" / "neo4j-bench"),
        "NEO4J_BOLT_PORT": port,
        "NEO4J_PASSWORD_FILE": str(ROOT / "var" / "neo4j-bench.password"),
        "NEO4J_PYTHON": sys.executable,
        "NEO4J_HEAP_MAX": os.environ.get("NEO4J_HEAP_MAX", "1g"),
        "NEO4J_PAGECACHE": os.environ.get("NEO4J_PAGECACHE", "1g"),
    }
    subprocess.run(["bash", str(NEO4J_SH), "start"], env=env, check=True)
    try:
        password = (ROOT / "var" / "neo4j-bench.password").read_text().strip()
        yield f"bolt://127.0.0.1:{port}", password
    finally:
        subprocess.run(["bash", str(NEO4J_SH), "stop"], env=env, check=False)
        # The large graph takes about 1 GB on disk; nothing in it is worth keeping.
        shutil.rmtree(ROOT / "var" / "neo4j-bench" / "data", ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    parser.add_argument("--n", type=int, default=100_000, help="entities for batched apply")
    parser.add_argument("--baseline-n", type=int, default=5_000, help="entities, one by one")
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--large", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=300, help="queries before measuring")
    parser.add_argument("--only", choices=("throughput", "latency"), help="run one half")
    parser.add_argument("--uri", help="use this server (it is cleared!) instead of starting one")
    parser.add_argument("--user", default="neo4j")
    parser.add_argument("--password", default="")
    parser.add_argument("--port", default="7689", help="port of the server this script starts")
    args = parser.parse_args()
    if args.quick:
        args.n, args.baseline_n, args.small, args.large = 10_000, 1_000, 2_000, 50_000
        args.queries, args.warmup = 100, 100

    server = nullcontext((args.uri, args.password)) if args.uri else own_server(args.port)
    with server as (uri, password), GraphDatabase.driver(uri, auth=(args.user, password)) as driver:
        store = GraphStore(driver)
        store.ensure_schema()
        if args.only != "latency":
            throughput(store, args.n, args.baseline_n)
        if args.only != "throughput":
            small = latency(store, args.small, args.queries, args.warmup)
            large = latency(store, args.large, args.queries, args.warmup)
            print(
                f"  ratio {args.large:,} / {args.small:,}: p50 {large[0] / small[0]:.2f}x, "
                f"p95 {large[1] / small[1]:.2f}x (goal <= 2x)"
            )
        if args.uri:
            store.clear()


if __name__ == "__main__":
    main()
