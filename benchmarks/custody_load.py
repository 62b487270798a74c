"""Custody appends under concurrent writers: is the cost independent of the item's history?

Run: python benchmarks/custody_load.py [--writers 8] [--events 1000] [--pg URL]
     [--sqlite-writers 4]

PostgreSQL (with --pg, a role that may CREATE DATABASE): `writers` processes each record
`events` custody events on ONE item through the service (`record_custody_event`: rules,
ledger append, audit record, the tree heads signed with the transaction), each event its own
transaction. Prints events/s over the first and the last thousand events of the run side by
side (goal: last >= 0.9x first) and overall.

SQLite: `sqlite-writers` processes do the same on a SQLite file; prints the longest time a
writer waited for the write lock (goal < 1 s at 4 writers) and the events/s.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def _app(url: str, folder: str, clock=None):
    from caseflow import create_app
    from tests.helpers import app_config

    config = app_config(url, Path(folder))
    if clock is not None:
        config["CLOCK"] = clock
    return create_app(config)


def _worker(url: str, folder: str, item_id: int, user_id: int, events: int, start_at, out):
    """Record `events` custody events; report (finish time, longest wait) per event."""
    from caseflow.actor import Actor
    from caseflow.clock import utcnow
    from caseflow.evidence import services
    from caseflow.extensions import db_session

    app = _app(url, folder)
    actor = Actor(user_id, "bench-officer", "officer")
    stamps: list[tuple[float, float]] = []
    while time.time() < start_at:
        time.sleep(0.005)
    with app.app_context():
        session = db_session()
        for n in range(events):
            began = time.perf_counter()
            now = utcnow()
            services.record_custody_event(
                session,
                actor,
                item_id,
                action="accessed",
                ts_utc=now - timedelta(seconds=1),
                now=now,
                purpose=f"load {n}",
            )
            session.commit()
            stamps.append((time.time(), time.perf_counter() - began))
    app.extensions["caseflow.engine"].dispose()
    out.put(stamps)


def _arrange(url: str, folder: str) -> tuple[int, int]:
    from tests.factories import make_case, make_evidence_item, make_user

    app = _app(url, folder)
    officer = make_user(app, "officer")
    case_id = make_case(app, officer).id
    item = make_evidence_item(app, officer, case_id, data=b"bench", description="bench item")
    app.extensions["caseflow.engine"].dispose()
    return item.id, officer.id


def run(url: str, folder: str, writers: int, events: int) -> list[tuple[float, float]]:
    from caseflow.db import make_engine, upgrade

    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    item_id, user_id = _arrange(url, folder)
    context = multiprocessing.get_context("spawn")
    out = context.Queue()
    start_at = time.time() + 8  # every worker has started its app by then
    procs = [
        context.Process(target=_worker, args=(url, folder, item_id, user_id, events, start_at, out))
        for _ in range(writers)
    ]
    for proc in procs:
        proc.start()
    stamps = [stamp for _ in procs for stamp in out.get()]
    for proc in procs:
        proc.join()
    return sorted(stamps)


def _rate(stamps: list[tuple[float, float]]) -> float:
    return (len(stamps) - 1) / (stamps[-1][0] - stamps[0][0])


def report(label: str, stamps: list[tuple[float, float]]) -> None:
    block = min(1000, len(stamps) // 2)
    first, last = _rate(stamps[:block]), _rate(stamps[-block:])
    print(
        f"{label}: {len(stamps):,} events, {_rate(stamps):.0f} events/s overall; first "
        f"{block:,}: {first:.0f}/s, last {block:,}: {last:.0f}/s, ratio last/first "
        f"{last / first:.2f}x; longest single append (incl. lock wait) "
        f"{max(s[1] for s in stamps):.3f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--writers", type=int, default=8)
    parser.add_argument("--events", type=int, default=1000, help="per writer")
    parser.add_argument("--pg", default=os.environ.get("CASEFLOW_TEST_DATABASE_URL"))
    parser.add_argument("--sqlite-writers", type=int, default=4)
    parser.add_argument("--sqlite-events", type=int, default=250, help="per SQLite writer")
    args = parser.parse_args()
    if args.pg:
        import sqlalchemy as sa

        base = sa.make_url(args.pg)
        name = f"caseflow_bench_{os.getpid()}"
        admin = sa.create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        try:
            with tempfile.TemporaryDirectory(prefix="caseflow-load-") as folder:
                url = base.set(database=name).render_as_string(hide_password=False)
                stamps = run(url, folder, args.writers, args.events)
                report(f"PostgreSQL, {args.writers} writers", stamps)
        finally:
            with admin.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.dispose()
    if args.sqlite_writers:
        with tempfile.TemporaryDirectory(prefix="caseflow-load-") as folder:
            url = f"sqlite:///{folder}/bench.db"
            stamps = run(url, folder, args.sqlite_writers, args.sqlite_events)
            report(f"SQLite, {args.sqlite_writers} writers", stamps)


if __name__ == "__main__":
    main()
