"""The `caseflow` command: a Flask CLI group. Each command builds a system actor and calls the
same services as the web pages; bad input prints a clear error and exits non-zero."""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import wraps
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext

from caseflow import uow
from caseflow.actor import Actor
from caseflow.errors import CaseFlowError


def _create_app() -> Flask:
    from caseflow import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app, add_version_option=False)
def main() -> None:
    """CaseFlow: case coordination and evidence chain for investigators."""


def _session():
    from caseflow.extensions import db_session

    return db_session()


def _now():
    return current_app.config["CLOCK"]()


def _cli_actor() -> Actor:
    return Actor.system("cli")


def _unit_of_work(fn: Callable[..., Any]) -> Callable[..., Any]:
    """The command's unit of work: one session, committed once when the command ends (also
    when it ends by choosing its exit status, after reporting a finding), rolled back on any
    exception; domain errors become a one-line message and exit status 1 (no traceback)."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        session = _session()
        try:
            result = fn(*args, **kwargs)
        except SystemExit:
            uow.commit(session)
            raise
        except CaseFlowError as exc:
            uow.rollback(session)
            raise click.ClickException(exc.message) from exc
        except BaseException:
            uow.rollback(session)
            raise
        uow.commit(session)
        return result

    return wrapper


# --- db --------------------------------------------------------------------------------------


@click.group("db")
def db_group() -> None:
    """Database schema."""


@db_group.command("upgrade")
@click.option("--revision", default="head", show_default=True)
@with_appcontext
def db_upgrade(revision: str) -> None:
    """Apply migrations to the configured database, as the migration (owner) role when
    CASEFLOW_MIGRATION_DATABASE_URL is set; the runtime role then gets its privileges."""
    from caseflow.db import current_revision, make_engine, runtime_role_of, upgrade

    migration_url = current_app.config.get("MIGRATION_DATABASE_URL")
    try:
        role = runtime_role_of(current_app.config["DATABASE_URL"], migration_url)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    engine = (
        make_engine(migration_url) if migration_url else current_app.extensions["caseflow.engine"]
    )
    try:
        upgrade(engine, revision, runtime_role=role)
        click.echo(f"Database at revision {current_revision(engine)}.")
    finally:
        if migration_url:
            engine.dispose()
    if role:
        click.echo(f"Runtime role {role}: SELECT and INSERT only on the ledger tables.")


# --- users -----------------------------------------------------------------------------------


@click.group("user")
def user_group() -> None:
    """Accounts."""


def _auth_settings():
    return current_app.extensions["caseflow.auth"]


@user_group.command("create")
@click.option("--username", required=True)
@click.option("--name", "display_name", required=True, help="Full name")
@click.option("--email", required=True)
@click.option(
    "--role", required=True, type=click.Choice(["officer", "liaison", "supervisor", "admin"])
)
@click.option("--organisation", default=None, help="Defaults to CASEFLOW_ORGANISATION")
@click.option("--phone", default=None)
@with_appcontext
@_unit_of_work
def user_create(username, display_name, email, role, organisation, phone) -> None:
    """Create an account and print its one-time password."""
    from caseflow.auth import services

    user, password = services.create_user(
        _session(),
        _cli_actor(),
        username=username,
        display_name=display_name,
        email=email,
        role=role,
        organisation=organisation or current_app.config["ORGANISATION"],
        phone=phone,
        settings=_auth_settings(),
        now=_now(),
    )
    click.echo(f"Created {user.username} ({user.role}).")
    click.echo(f"One-time password: {password}")
    click.echo("The user must change it and enrol an authenticator at first login.")


def _user_id(username: str) -> int:
    from caseflow.auth import services

    return services.get_user_by_username(_session(), _cli_actor(), username).id


@user_group.command("reset-2fa")
@click.argument("username")
@with_appcontext
@_unit_of_work
def user_reset_2fa(username: str) -> None:
    """Remove a user's authenticator and recovery codes; print a new one-time password."""
    from caseflow.auth import services

    user, password = services.reset_second_factor(
        _session(), _cli_actor(), _user_id(username), settings=_auth_settings(), now=_now()
    )
    click.echo(f"2FA reset for {user.username}; all sessions ended.")
    click.echo(f"One-time password: {password}")


@user_group.command("unlock")
@click.argument("username")
@with_appcontext
@_unit_of_work
def user_unlock(username: str) -> None:
    """Clear a lockout."""
    from caseflow.auth import services

    user = services.unlock_user(_session(), _cli_actor(), _user_id(username), now=_now())
    click.echo(f"{user.username} unlocked.")


@user_group.command("deactivate")
@click.argument("username")
@with_appcontext
@_unit_of_work
def user_deactivate(username: str) -> None:
    """Disable an account and end its sessions."""
    from caseflow.auth import services

    user = services.deactivate_user(_session(), _cli_actor(), _user_id(username), now=_now())
    click.echo(f"{user.username} deactivated; all sessions ended.")


@user_group.command("list")
@with_appcontext
@_unit_of_work
def user_list() -> None:
    """List accounts."""
    from caseflow.auth import services

    for user in services.list_users(_session(), _cli_actor()):
        state = "active" if user.active else "inactive"
        click.echo(f"{user.username:20} {user.role:10} {state:8} {user.display_name}")


# --- audit -----------------------------------------------------------------------------------


@click.group("audit")
def audit_group() -> None:
    """The audit log."""


@audit_group.command("verify")
@with_appcontext
@_unit_of_work
def audit_verify() -> None:
    """Recompute the audit log's hash chain; exit 1 naming the first bad record."""
    from caseflow import ledger
    from caseflow.audit.models import AuditEvent
    from caseflow.audit.services import verify_audit_log

    # A read transaction: the check takes no write lock, writers go on meanwhile.
    with uow.read_transaction(_session()) as session:
        report = verify_audit_log(session, _cli_actor())
        heads = ledger.verify_tree_heads(
            session, AuditEvent, _signer(), check_timestamp=_timestamp_checker()
        )
    if not report.ok:
        click.echo(
            f"audit log BROKEN at record seq {report.first_bad_seq}: {report.reason}", err=True
        )
        sys.exit(1)
    if report.entries == 0:
        # Every installation audits its own setup: an empty audit log was emptied.
        click.echo("audit log BROKEN: the audit log is empty (no records)", err=True)
        sys.exit(1)
    if not heads.ok:
        click.echo(f"audit log tree heads BROKEN: {heads.problems[0]}", err=True)
        sys.exit(1)
    click.echo(
        f"audit log OK: {report.entries} records, chain intact, {heads.heads} signed tree "
        f"heads verified, root {heads.root}."
    )
    for step in report.clock_steps:
        click.echo(f"note: {step}")


# --- custody ---------------------------------------------------------------------------------


@click.group("custody")
def custody_group() -> None:
    """The evidence store and the custody ledger."""


def _signer():
    return current_app.extensions["caseflow.ledger_signer"]


def _store():
    return current_app.extensions["caseflow.blobstore"]


def _timestamper():
    from caseflow.evidence.timestamp import TimestampAuthority

    url = current_app.config.get("TSA_URL")
    return TimestampAuthority(url) if url else None


def _timestamp_checker():
    from pathlib import Path

    from caseflow.evidence.timestamp import TimestampChecker

    ca_file = current_app.config.get("TSA_CA_FILE")
    if not ca_file:
        return None
    cert_file = current_app.config.get("TSA_CERT_FILE")
    return TimestampChecker.from_files(Path(ca_file), Path(cert_file) if cert_file else None)


@custody_group.command("verify")
@click.option("--case", "case_ref", default=None, help="Only this case's items (CF-YYYY-NNNN).")
@with_appcontext
@_unit_of_work
def custody_verify(case_ref: str | None) -> None:
    """Recompute every hash, the chain, the tree, every signature; re-hash every blob.

    Exits 1 naming the first bad entry or blob.
    """
    import sqlalchemy as sa

    from caseflow.cases.models import Case
    from caseflow.evidence.services import verify_custody

    session = _session()
    case_id = None
    if case_ref:
        case_id = session.scalar(sa.select(Case.id).where(Case.reference == case_ref.strip()))
        if case_id is None:
            raise click.ClickException(f"no case {case_ref}")
    report = verify_custody(
        uow.Transactions(session),
        _cli_actor(),
        _store(),
        case_id,
        signer=_signer(),
        check_timestamp=_timestamp_checker(),
        now=_now(),
    )
    scope = f"case {case_ref}" if case_ref else "all cases"
    if case_ref is None:
        _report_orphans(session)
    if not report.ok:
        click.echo(f"custody BROKEN ({scope}): {report.first_problem}", err=True)
        sys.exit(1)
    click.echo(
        f"custody OK ({scope}): {report.chain.entries} ledger entries, chain intact; "
        f"{report.heads.heads} signed tree heads verified, root {report.heads.root}; "
        f"{report.blobs_checked} blobs re-hashed; {report.openings.checked} personal values "
        f"checked, {len(report.openings.erased)} personal values erased."
    )
    for step in report.chain.clock_steps:
        click.echo(f"note: {step}")


def _report_orphans(session: Any) -> None:
    """Blobs no evidence row refers to, older than the upload grace period: not evidence,
    but worth a look (an upload that never committed, or a row that is gone)."""
    from caseflow.evidence.services import orphan_blobs

    grace = current_app.config["UPLOAD_TEMP_GRACE_SECONDS"]
    orphans = orphan_blobs(uow.Transactions(session), _cli_actor(), _store(), min_age_seconds=grace)
    for sha in orphans:
        click.echo(f"orphan blob {sha}")
    if orphans:
        click.echo(
            f"{len(orphans)} orphan blobs: stored bytes no evidence row refers to (an upload "
            "that never committed, or a deleted row); `caseflow custody recover --dry-run` "
            "lists them for removal."
        )


@custody_group.command("checkpoint")
@with_appcontext
@_unit_of_work
def custody_checkpoint() -> None:
    """Sign (and, with CASEFLOW_TSA_URL, timestamp) the custody and audit tree heads."""
    from caseflow.evidence.services import sign_checkpoints

    heads = sign_checkpoints(
        _session(), _cli_actor(), _now(), signer=_signer(), timestamper=_timestamper()
    )
    for head in heads:
        stamped = " (RFC 3161 timestamped)" if head.tsa_response else ""
        click.echo(f"{head.ledger} ledger: size {head.tree_size}, root {head.root_hash}{stamped}")
    click.echo(heads[0].checkpoint, nl=False)


@custody_group.command("public-key")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["pem", "vkey", "base64"]),
    default="pem",
    show_default=True,
)
@with_appcontext
def custody_public_key(fmt: str) -> None:
    """Print the tree-head public key (give it to recipients out of band)."""
    signer = _signer()
    if fmt == "pem":
        click.echo(signer.public_key_pem, nl=False)
    elif fmt == "vkey":
        click.echo(signer.verifier_key)
    else:
        click.echo(signer.public_key_b64)
    click.echo(f"fingerprint (SHA-256): {signer.fingerprint}", err=True)


@custody_group.command("recover")
@click.option(
    "--min-age",
    type=int,
    default=None,
    help="Seconds; default and minimum: the upload grace period (UPLOAD_TEMP_GRACE_SECONDS).",
)
@click.option("--force", is_flag=True, help="Allow a shorter --min-age and running during uploads.")
@click.option("--dry-run", is_flag=True, help="List orphan blobs and their size; touch nothing.")
@click.option(
    "--delete",
    "confirm",
    metavar="CODE",
    help="Delete the orphans (freeing the disk) that a dry run listed with this code.",
)
@with_appcontext
@_unit_of_work
def custody_recover(min_age: int | None, force: bool, dry_run: bool, confirm: str | None) -> None:
    """After a crash: remove upload temp files, quarantine blobs without an evidence row
    (moved to orphans/ on the same disk), or list them (--dry-run) and then delete them
    (--delete CODE, the code the dry run printed). Safe while CaseFlow runs: blobs younger
    than the upload grace period are left alone, and it refuses while uploads are being
    written; --force (with --min-age 0) only when no CaseFlow process is running."""
    from caseflow.evidence.services import recover_store

    if dry_run and confirm:
        raise click.UsageError("--dry-run and --delete exclude each other")
    mode = "dry-run" if dry_run else "delete" if confirm else "quarantine"
    report = recover_store(
        uow.Transactions(_session()),
        _cli_actor(),
        _store(),
        now=_now(),
        min_age_seconds=min_age,
        grace_seconds=current_app.config["UPLOAD_TEMP_GRACE_SECONDS"],
        force=force,
        mode=mode,
        confirm=confirm,
    )
    if mode == "dry-run":
        for sha in report.orphans_found:
            click.echo(f"orphan blob {sha}")
        click.echo(
            f"{len(report.orphans_found)} orphan blobs ({report.orphan_bytes:,} bytes) would "
            "be deleted; nothing was changed."
        )
        if report.orphans_found:
            click.echo(f"To delete them: caseflow custody recover --delete {report.confirmation}")
    elif mode == "delete":
        click.echo(
            f"{report.temp_removed} temp files removed, {len(report.orphans_deleted)} orphan "
            f"blobs deleted ({report.orphan_bytes:,} bytes freed), "
            f"{len(report.missing_blobs)} evidence blobs missing."
        )
    else:
        click.echo(
            f"{report.temp_removed} temp files removed, {len(report.orphans_quarantined)} "
            f"orphan blobs moved to orphans/, {len(report.missing_blobs)} evidence blobs missing."
        )
    for sha in report.missing_blobs:
        click.echo(f"missing blob {sha}", err=True)
    if report.missing_blobs:
        sys.exit(1)


# --- graph -----------------------------------------------------------------------------------


@click.group("graph")
def graph_group() -> None:
    """The Neo4j projection."""


def _graph_store():
    store = current_app.extensions["caseflow.graph"].store()
    if store is None or not store.ping():
        raise click.ClickException(
            f"Neo4j is not reachable at {current_app.config['NEO4J_URI']} "
            "(start it with `make neo4j-start` or set CASEFLOW_NEO4J_URI/_USER/_PASSWORD)."
        )
    return store


@graph_group.command("sync")
@with_appcontext
def graph_sync() -> None:
    """Apply every pending outbox row to Neo4j."""
    from caseflow.graphsync.projector import backlog, drain

    factory = current_app.extensions["caseflow.sessionmaker"]
    store = _graph_store()
    store.ensure_schema()
    with factory() as session:
        pending = backlog(session)
    with click.progressbar(length=pending, label="Projecting outbox") as bar:
        result = drain(factory, store, progress=bar.update)
    if result.error:
        raise click.ClickException(
            f"stopped after {result.applied} rows, {result.backlog} pending: {result.error}"
        )
    click.echo(f"Applied {result.applied} rows; nothing pending.")


@graph_group.command("rebuild")
@with_appcontext
def graph_rebuild() -> None:
    """Recreate the whole graph from the SQL system of record."""
    from caseflow.graphsync.projector import rebuild, snapshot

    factory = current_app.extensions["caseflow.sessionmaker"]
    store = _graph_store()
    with factory() as session:
        total = sum(1 for _ in snapshot(session))
    with click.progressbar(length=total, label="Rebuilding graph") as bar:
        count = rebuild(factory, store, progress=bar.update)
    click.echo(f"Graph rebuilt from SQL: {count} operations applied.")


@graph_group.command("check")
@with_appcontext
def graph_check() -> None:
    """Compare SQL and Neo4j (ids per kind and relation); exit 1 listing any difference."""
    from caseflow.graphsync.projector import backlog, compare, expected_inventory

    factory = current_app.extensions["caseflow.sessionmaker"]
    store = _graph_store()
    with factory() as session:
        expected = expected_inventory(session)
        pending = backlog(session)
    problems = compare(expected, store.inventory())
    counts = expected.counts
    if pending:
        problems.append(f"outbox: {pending} rows not yet applied (run `caseflow graph sync`)")
    if problems:
        for line in problems:
            click.echo(f"DIFF {line}", err=True)
        sys.exit(1)
    click.echo(
        f"graph OK: {counts.entities} entities, {counts.cases} cases, "
        f"{counts.memberships} memberships, {counts.links} links match SQL."
    )


# --- API tokens ------------------------------------------------------------------------------


@click.group("token")
def token_group() -> None:
    """Personal access tokens for the JSON API."""


@token_group.command("create")
@click.option("--user", "username", required=True)
@click.option("--name", required=True, help="What the token is for")
@click.option("--scope", type=click.Choice(["read", "write"]), default="read", show_default=True)
@click.option("--days", type=int, default=30, show_default=True, help="Lifetime, 1-90 days")
@with_appcontext
@_unit_of_work
def token_create(username: str, name: str, scope: str, days: int) -> None:
    """Issue a token for USER and print its secret (shown once, stored only as a hash)."""
    from caseflow.api import services

    token, secret = services.create_token(
        _session(),
        _cli_actor(),
        user_id=_user_id(username),
        name=name,
        scope=scope,
        days=days,
        now=_now(),
    )
    click.echo(
        f"Token {token.id} for {username} ({token.scopes}), expires {token.expires_at:%Y-%m-%d}."
    )
    click.echo(secret)


@token_group.command("revoke")
@click.argument("token_id", type=int)
@with_appcontext
@_unit_of_work
def token_revoke(token_id: int) -> None:
    """Revoke token TOKEN_ID at once."""
    from caseflow.api import services

    services.revoke_token(_session(), _cli_actor(), token_id, now=_now())
    click.echo(f"Token {token_id} revoked.")


@token_group.command("list")
@click.option("--user", "username", required=True)
@with_appcontext
@_unit_of_work
def token_list(username: str) -> None:
    """List a user's tokens (never their secrets)."""
    from caseflow.api import services

    for t in services.list_tokens(_session(), _cli_actor(), user_id=_user_id(username)):
        state = services.token_state(t, _now())
        click.echo(f"{t.id:5} {t.name:24} {t.scopes:10} {state:8} expires {t.expires_at:%Y-%m-%d}")


# --- packet ----------------------------------------------------------------------------------


@click.group("packet")
def packet_group() -> None:
    """MLA packets."""


@packet_group.command("verify")
@click.argument("packet", type=click.Path(exists=True, dir_okay=True))
@click.option("--expect-root", metavar="SHA256", help="Root certificate's SHA-256 fingerprint.")
@click.option(
    "--expect-ledger-key", metavar="KEY", multiple=True, help="Custody ledger verifier key."
)
@click.option("--no-signatures", is_flag=True, help="Accept unchecked signatures (no crypto).")
def packet_verify(
    packet: str, expect_root: str | None, expect_ledger_key: tuple[str, ...], no_signatures: bool
) -> None:
    """Check a packet offline (same checks as its bundled verify.py); exit 1 naming failures."""
    from exports.verify import main

    args = [packet, *(["--expect-root", expect_root] if expect_root else [])]
    args += [a for key in expect_ledger_key for a in ("--expect-ledger-key", key)]
    sys.exit(main([*args, *(["--no-signatures"] if no_signatures else [])]))


# --- demo ------------------------------------------------------------------------------------


@click.group("demo")
def demo_group() -> None:
    """Demo data (fictional)."""


@demo_group.command("load")
@click.option("--if-empty", is_flag=True, help="Do nothing when accounts already exist.")
@with_appcontext
@_unit_of_work
def demo_load(if_empty: bool) -> None:
    """Create demo accounts, one per role, and print their credentials (DEMO ONLY)."""
    from caseflow import demo

    demo.load(_session(), current_app, if_empty=if_empty, echo=click.echo)


# --- entities --------------------------------------------------------------------------------


@click.group("entities")
def entities_group() -> None:
    """Identifiers (selectors) in cases."""


@entities_group.command("import")
@click.argument("case_ref")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False))
@click.option("--skip-bad", is_flag=True, help="Import the good rows and skip the bad ones.")
@with_appcontext
@_unit_of_work
def entities_import(case_ref: str, csv_file: str, skip_bad: bool) -> None:
    """Import identifiers from CSV_FILE (columns kind,value[,role,note,platform,...]) into
    the case CASE_REF. Every row is checked first; bad rows are listed with line numbers and
    nothing is imported unless --skip-bad is given."""
    from pathlib import Path

    from caseflow.cases import services as case_services
    from caseflow.entities import services
    from caseflow.entities.inputs import read_csv

    actor = _cli_actor()
    session = _session()
    case = case_services.case_by_reference(session, actor, case_ref)
    rows = read_csv(Path(csv_file).read_bytes())
    with click.progressbar(length=max(len(rows), 1), label="Importing") as bar:
        last = [0]

        def progress(done: int, total: int) -> None:
            bar.update(done - last[0])
            last[0] = done

        report = services.import_csv(
            session,
            actor,
            case.id,
            rows,
            skip_bad=skip_bad,
            now=_now(),
            progress=progress,
            source_name=Path(csv_file).name,
            max_rows=None,  # the command line is the way for large files
        )
    for error in report.errors:
        click.echo(f"line {error.line}: {error.message}", err=True)
    if not report.imported:
        raise click.ClickException(
            f"Nothing imported: {len(report.errors)} bad row(s). Fix them or use --skip-bad."
        )
    skipped = f", skipped {len(report.errors)} bad row(s)" if report.errors else ""
    click.echo(f"Imported {report.ok_count} identifier(s) into {case.reference}{skipped}.")


def init_app(app: Flask) -> None:
    for group in (
        db_group,
        user_group,
        audit_group,
        graph_group,
        token_group,
        demo_group,
        entities_group,
        custody_group,
        packet_group,
    ):
        app.cli.add_command(group)
