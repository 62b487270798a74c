"""Storage faults during evidence uploads: a full or read-only evidence store (a real, small
tmpfs), permission and I/O errors (injected), and a database commit that fails after the blob
was stored. Each ends in a clear message naming the problem, nothing stored, an audited failed
attempt and an operator alarm on the administrators' dashboard; never a 500 or an orphan."""

from __future__ import annotations

import errno
import io
import logging
import os
import subprocess
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from caseflow import create_app
from caseflow.audit.models import AuditEvent
from caseflow.evidence.blobstore import BlobStore, StorageFault
from caseflow.evidence.models import EvidenceItem, IntegrityAlarm
from tests.factories import make_case, make_user
from tests.helpers import app_config, csrf_token

pytestmark = pytest.mark.faults

MiB = 1 << 20


def _mount_tmpfs(folder: Path, size: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0:
        pytest.skip("a small tmpfs for the data directory needs root (mount -t tmpfs)")
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(folder)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"mount -t tmpfs is not permitted here: {done.stderr.strip()}")


def _umount(folder: Path) -> None:
    subprocess.run(["umount", "-l", str(folder)], capture_output=True, check=False)


def _remount(folder: Path, mode: str) -> None:
    subprocess.run(["mount", "-o", f"remount,{mode}", str(folder)], check=True)


@pytest.fixture
def small_disk(tmp_path):
    """A 20 MiB filesystem of its own for the evidence store."""
    folder = tmp_path / "small-disk"
    _mount_tmpfs(folder, "20m")
    yield folder
    _umount(folder)


@pytest.fixture
def app(database_url, tmp_path, clock, small_disk):
    """The suite's app with its data directory on the small disk (database elsewhere)."""
    app = create_app(
        app_config(
            database_url,
            tmp_path,
            CLOCK=clock,
            DATA_DIR=str(small_disk),
            EVIDENCE_RESERVE_BYTES=2 * MiB,
        )
    )
    yield app
    app.extensions["caseflow.engine"].dispose()


FIELDS = {
    "description": "Synthetic capture for a storage fault test",
    "acquired_by": "DC Example",
    "acquired_at": "2026-11-01T08:30",
}


def upload(client, case_id, data: bytes, name="capture.bin"):
    token = csrf_token(client, f"/cases/{case_id}/evidence/upload")
    file = FileStorage(io.BytesIO(data), filename=name, content_type="image/png")
    fields = {"csrf_token": token, **FIELDS, "file": file}
    # Encoded in memory: the test client would spool a large body to a temp file it never
    # closes.
    boundary, body = encode_multipart(fields)
    return client.post(
        f"/cases/{case_id}/evidence/upload",
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )


def _files(folder: Path, part: str) -> list[str]:
    return [f for _, _, files in os.walk(folder / part) for f in files]


def _assert_nothing_stored(app, db, data_dir: Path) -> None:
    db.rollback()
    assert db.scalar(sa.select(sa.func.count(EvidenceItem.id))) == 0
    assert _files(data_dir, "blobs") == []
    assert _files(data_dir, "tmp") == []


def _failed_attempts(db) -> list[AuditEvent]:
    db.rollback()
    return list(
        db.scalars(
            sa.select(AuditEvent).where(
                AuditEvent.action == "evidence.upload", AuditEvent.outcome == "failure"
            )
        )
    )


def _storage_alarms(db) -> list[IntegrityAlarm]:
    db.rollback()
    return list(db.scalars(sa.select(IntegrityAlarm).where(IntegrityAlarm.kind == "storage-fault")))


def _admin_sees(app, client, auth, text: str) -> None:
    auth.logout()
    admin = make_user(app, "admin")
    auth.login(admin)
    page = client.get("/").get_data(as_text=True)
    assert "Operator alarms" in page
    assert text in page


def test_an_upload_larger_than_the_free_space_is_refused_by_name_audited_and_alarmed(
    app, auth, client, officer, db, small_disk, caplog
):
    case_id = make_case(app, officer).id
    auth.login(officer)
    with caplog.at_level(logging.ERROR):
        response = upload(client, case_id, os.urandom(50 * MiB))
    page = response.get_data(as_text=True)
    assert response.status_code == 507, page
    assert "the evidence store is full; nothing was stored" in page
    assert "Something went wrong" not in page
    _assert_nothing_stored(app, db, small_disk)
    [attempt] = _failed_attempts(db)
    assert attempt.case_id == case_id and attempt.details["problem"] == "full"
    [alarm] = _storage_alarms(db)
    assert alarm.case_id is None and alarm.item_id is None
    assert "evidence store is full" in alarm.detail
    assert any(
        r.levelno == logging.ERROR and "evidence store is full" in r.getMessage()
        for r in caplog.records
    )
    # The same fault again: audited again, but the operators' alarm is not repeated.
    assert upload(client, case_id, os.urandom(30 * MiB)).status_code == 507
    assert len(_failed_attempts(db)) == 2
    assert len(_storage_alarms(db)) == 1
    # A file that fits (with the reserve kept) is stored as usual.
    assert upload(client, case_id, os.urandom(4 * MiB)).status_code == 302
    _admin_sees(app, client, auth, "the evidence store is full")


def test_the_disk_filling_while_the_bytes_arrive_is_a_clear_full_error(
    app, officer, db, small_disk, clock
):
    """No declared size and no reserve: the write itself meets ENOSPC on the real disk."""
    from caseflow import uow
    from caseflow.errors import StorageUnavailable
    from caseflow.evidence import services
    from tests.factories import actor_of

    case_id = make_case(app, officer).id
    store = BlobStore(small_disk, reserve_bytes=0)
    details = services.ItemDetails(
        description="Synthetic", acquired_by="DC Example", acquired_at=clock()
    )
    with app.app_context():
        session = app.extensions["caseflow.sessionmaker"]()
        actor = actor_of(session, officer)
        session.rollback()
        with pytest.raises(StorageUnavailable) as caught:
            services.upload_file(
                uow.Transactions(session),
                actor,
                case_id,
                io.BytesIO(os.urandom(30 * MiB)),
                store=store,
                max_bytes=100 * MiB,
                filename="big.bin",
                media_type=None,
                details=details,
                now=clock(),
            )
        uow.rollback(session)
        session.close()
    assert caught.value.status == 507
    assert "the evidence store is full; nothing was stored" in caught.value.message
    _assert_nothing_stored(app, db, small_disk)
    assert len(_failed_attempts(db)) == 1
    assert len(_storage_alarms(db)) == 1


def test_a_read_only_evidence_store_is_named_audited_and_alarmed(
    app, auth, client, officer, db, small_disk
):
    case_id = make_case(app, officer).id
    auth.login(officer)
    _remount(small_disk, "ro")
    try:
        response = upload(client, case_id, os.urandom(1 * MiB))
    finally:
        _remount(small_disk, "rw")
    page = response.get_data(as_text=True)
    assert response.status_code == 507, page
    assert "the evidence store is read-only; nothing was stored" in page
    _assert_nothing_stored(app, db, small_disk)
    [attempt] = _failed_attempts(db)
    assert attempt.details["problem"] == "read-only"
    [alarm] = _storage_alarms(db)
    assert "read-only" in alarm.detail
    _admin_sees(app, client, auth, "read-only")


@pytest.mark.parametrize(
    ("code", "words"),
    [
        (errno.EIO, "reported an input/output error"),
        (errno.EACCES, "refused the write (permission denied)"),
    ],
)
def test_io_and_permission_errors_while_storing_are_named_and_leave_nothing(
    app, auth, client, officer, db, small_disk, monkeypatch, code, words
):
    case_id = make_case(app, officer).id
    auth.login(officer)

    def failing_fsync(fd):
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr("caseflow.evidence.blobstore.os.fsync", failing_fsync)
    response = upload(client, case_id, os.urandom(MiB))
    monkeypatch.undo()
    page = response.get_data(as_text=True)
    assert response.status_code == 507, page
    assert f"the evidence store {words}; nothing was stored" in page
    _assert_nothing_stored(app, db, small_disk)
    assert len(_failed_attempts(db)) == 1
    assert len(_storage_alarms(db)) == 1


def test_storage_fault_names_each_errno():
    def fault(code):
        from caseflow.evidence.blobstore import storage_fault

        return storage_fault(OSError(code, os.strerror(code))).problem

    assert fault(errno.ENOSPC) == "full"
    assert fault(errno.EDQUOT) == "full"
    assert fault(errno.EROFS) == "read-only"
    assert fault(errno.EACCES) == "permission"
    assert fault(errno.EPERM) == "permission"
    assert fault(errno.EIO) == "io"
    assert StorageFault("full").message == "the evidence store is full; nothing was stored"


# --- a commit that fails after the blob was stored ----------------------------------------------


def _holds_item(session, committed: int = 0) -> bool:
    """The upload's unit of work: it wrote an evidence item (more than `committed` exist)."""
    count = session.execute(sa.select(sa.func.count(EvidenceItem.id))).scalar()
    return count > committed


def test_a_failed_commit_after_the_blob_was_stored_removes_the_blob_in_the_same_request(
    app, auth, client, officer, db, small_disk
):
    case_id = make_case(app, officer).id
    auth.login(officer)
    factory = app.extensions["caseflow.sessionmaker"]
    failures = {"left": 1}

    def fail_once(session):
        if failures["left"] and _holds_item(session):
            failures["left"] -= 1
            raise sa.exc.OperationalError("COMMIT", {}, OSError(errno.ENOSPC, "disk full"))

    sa.event.listen(factory, "before_commit", fail_once)
    try:
        with pytest.raises(sa.exc.OperationalError):  # the test client re-raises the 500
            upload(client, case_id, os.urandom(3 * MiB))
    finally:
        sa.event.remove(factory, "before_commit", fail_once)
    assert failures["left"] == 0, "the commit was never attempted"
    _assert_nothing_stored(app, db, small_disk)
    # The disk is free again: the next upload and the next page work.
    assert upload(client, case_id, os.urandom(MiB)).status_code == 302


def test_an_identical_blob_kept_by_another_item_is_not_removed_when_a_commit_fails(
    app, auth, client, officer, db, small_disk
):
    case_id = make_case(app, officer).id
    auth.login(officer)
    data = os.urandom(MiB)
    assert upload(client, case_id, data).status_code == 302
    factory = app.extensions["caseflow.sessionmaker"]

    def fail(session):
        if _holds_item(session, committed=1):
            raise sa.exc.OperationalError("COMMIT", {}, OSError(errno.ENOSPC, "disk full"))

    sa.event.listen(factory, "before_commit", fail)
    try:
        with pytest.raises(sa.exc.OperationalError):
            upload(client, case_id, data)
    finally:
        sa.event.remove(factory, "before_commit", fail)
    assert len(_files(small_disk, "blobs")) == 1  # the first item's bytes are still there


def test_a_disk_full_commit_is_a_clear_page_an_alarm_and_no_orphan(
    app, auth, client, officer, db, small_disk
):
    case_id = make_case(app, officer).id
    auth.login(officer)
    factory = app.extensions["caseflow.sessionmaker"]
    failures = {"left": 1}

    def fail_once(session):
        if failures["left"] and _holds_item(session):
            failures["left"] -= 1
            raise sa.exc.OperationalError("COMMIT", {}, OSError(errno.ENOSPC, "disk full"))

    app.config["PROPAGATE_EXCEPTIONS"] = False  # the page a user gets, not the test re-raise
    sa.event.listen(factory, "before_commit", fail_once)
    try:
        response = upload(client, case_id, os.urandom(3 * MiB))
    finally:
        sa.event.remove(factory, "before_commit", fail_once)
    page = response.get_data(as_text=True)
    assert response.status_code == 507, page
    assert "disk is full; nothing was stored" in page
    assert "Something went wrong" not in page
    _assert_nothing_stored(app, db, small_disk)
    [alarm] = _storage_alarms(db)
    assert "database's disk is full" in alarm.detail


@pytest.fixture
def shared_disk_app(tmp_path, clock, small_disk, _templates):
    """The default layout: the SQLite database inside the data directory, on the small disk."""
    url = _templates["sqlite"].new(small_disk)
    app = create_app(
        app_config(
            url, tmp_path, CLOCK=clock, DATA_DIR=str(small_disk), EVIDENCE_RESERVE_BYTES=2 * MiB
        )
    )
    yield app
    app.extensions["caseflow.engine"].dispose()


def test_with_the_database_on_the_store_disk_the_reserve_keeps_room_to_commit(
    shared_disk_app, clock, small_disk
):
    from tests.conftest import AuthActions

    app = shared_disk_app
    officer = make_user(app, "officer")
    case_id = make_case(app, officer).id
    client = app.test_client()
    auth = AuthActions(client, clock)
    auth.login(officer)
    store = app.extensions["caseflow.blobstore"]
    # A file that fits the disk but would leave the database no room: refused up front.
    too_big = store.free_bytes() - MiB
    response = upload(client, case_id, os.urandom(too_big))
    assert response.status_code == 507
    assert "the evidence store is full; nothing was stored" in response.get_data(as_text=True)
    assert _files(small_disk, "blobs") == []
    # The database still commits: logging in again works, and a file that fits is stored.
    auth.logout()
    auth.login(officer)
    assert upload(client, case_id, os.urandom(MiB)).status_code == 302


def _crashed_long_ago(store, sha256: str) -> None:
    """An orphan from a crash two hours ago: older than the upload grace period, so a
    recovery with its safe defaults takes it."""
    then = time.time() - 7200
    os.utime(store.path_for(sha256), (then, then))


def test_custody_recover_deletes_orphans_only_after_a_dry_run_and_frees_the_disk(app, small_disk):
    store = app.extensions["caseflow.blobstore"]
    orphan = store.ingest(io.BytesIO(os.urandom(8 * MiB)), 100 * MiB)  # stored, never recorded
    _crashed_long_ago(store, orphan.sha256)
    free_before = store.free_bytes()
    runner = app.test_cli_runner()

    dry = runner.invoke(args=["custody", "recover", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert f"orphan blob {orphan.sha256}" in dry.output
    assert "1 orphan blobs (8,388,608 bytes) would be deleted; nothing was changed" in dry.output
    assert store.exists(orphan.sha256)
    code = dry.output.rsplit("--delete ", 1)[1].split()[0]

    refused = runner.invoke(args=["custody", "recover", "--delete", "000000000000"])
    assert refused.exit_code == 1
    assert "run a dry run first" in refused.output
    assert store.exists(orphan.sha256)

    done = runner.invoke(args=["custody", "recover", "--delete", code])
    assert done.exit_code == 0, done.output
    assert "1 orphan blobs deleted (8,388,608 bytes freed)" in done.output
    assert not store.exists(orphan.sha256)
    assert not (small_disk / "orphans").exists() or not list((small_disk / "orphans").iterdir())
    # The 8 MiB are back, less the few blocks the run's own audit records add on the same
    # disk (the ledger head log lives in the data directory).
    assert store.free_bytes() >= free_before + 8 * MiB - 64 * 1024


def test_custody_recover_deletes_blobs_an_earlier_recovery_quarantined(app, small_disk):
    store = app.extensions["caseflow.blobstore"]
    orphan = store.ingest(io.BytesIO(os.urandom(MiB)), 100 * MiB)
    _crashed_long_ago(store, orphan.sha256)
    runner = app.test_cli_runner()
    moved = runner.invoke(args=["custody", "recover"])
    assert "1 orphan blobs moved to orphans/" in moved.output, moved.output
    assert (small_disk / "orphans" / orphan.sha256).exists()
    dry = runner.invoke(args=["custody", "recover", "--dry-run"])
    code = dry.output.rsplit("--delete ", 1)[1].split()[0]
    done = runner.invoke(args=["custody", "recover", "--delete", code])
    assert "1 orphan blobs deleted" in done.output, done.output
    assert not (small_disk / "orphans" / orphan.sha256).exists()
