"""`caseflow custody recover` is safe to run while CaseFlow serves uploads: by default it
leaves blobs younger than the upload grace period alone (an upload may sit between storing its
blob and committing its row), refuses while uploads are being written, and needs --force for a
shorter minimum age. `caseflow custody verify` reports orphan blobs."""

from __future__ import annotations

import io
import os
import time

from tests.factories import make_case, make_evidence_item, make_user

HOUR = 3600


def age(path, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then))


def test_a_committed_upload_keeps_its_blob_whoever_commits(app):
    officer = make_user(app, "officer")
    case_id = make_case(app, officer).id
    item = make_evidence_item(app, officer, case_id)  # committed by a plain session.commit()
    assert app.extensions["caseflow.blobstore"].exists(item.sha256)


def test_an_upload_between_storing_and_committing_keeps_its_blob(app):
    store = app.extensions["caseflow.blobstore"]
    runner = app.test_cli_runner()
    # The upload has stored its blob and not yet committed its row.
    pending = store.ingest(io.BytesIO(b"an upload about to commit its row"), 10**6)
    # A crash long ago left a real orphan.
    crashed = store.ingest(io.BytesIO(b"an upload that never committed"), 10**6)
    age(store.path_for(crashed.sha256), 2 * HOUR)
    result = runner.invoke(args=["custody", "recover"])
    assert result.exit_code == 0, result.output
    assert "1 orphan blobs moved to orphans/" in result.output
    assert store.exists(pending.sha256)
    assert not store.exists(crashed.sha256)


def test_a_shorter_minimum_age_needs_force(app):
    store = app.extensions["caseflow.blobstore"]
    runner = app.test_cli_runner()
    pending = store.ingest(io.BytesIO(b"an upload about to commit its row"), 10**6)
    refused = runner.invoke(args=["custody", "recover", "--min-age", "0"])
    assert refused.exit_code == 1
    assert "at least the upload grace period (3600 s)" in refused.output
    assert "--force" in refused.output
    assert store.exists(pending.sha256)
    forced = runner.invoke(args=["custody", "recover", "--min-age", "0", "--force"])
    assert forced.exit_code == 0, forced.output
    assert not store.exists(pending.sha256)


def test_recovery_refuses_while_an_upload_is_being_written(app):
    store = app.extensions["caseflow.blobstore"]
    runner = app.test_cli_runner()
    crashed = store.ingest(io.BytesIO(b"an upload that never committed"), 10**6)
    age(store.path_for(crashed.sha256), 2 * HOUR)
    (store.tmp_dir / "ingest-inflight").write_bytes(b"half an upload")
    refused = runner.invoke(args=["custody", "recover"])
    assert refused.exit_code == 1
    assert "1 upload is being written" in refused.output
    assert store.exists(crashed.sha256) and (store.tmp_dir / "ingest-inflight").exists()
    dry = runner.invoke(args=["custody", "recover", "--dry-run"])  # touches nothing: allowed
    assert dry.exit_code == 0, dry.output
    assert f"orphan blob {crashed.sha256}" in dry.output


def test_identical_bytes_uploaded_again_refresh_an_old_orphan(app):
    store = app.extensions["caseflow.blobstore"]
    runner = app.test_cli_runner()
    data = b"the same bytes, uploaded again after a crash"
    first = store.ingest(io.BytesIO(data), 10**6)
    age(store.path_for(first.sha256), 2 * HOUR)
    again = store.ingest(io.BytesIO(data), 10**6)  # deduplicated: the old file is reused
    assert not again.created
    result = runner.invoke(args=["custody", "recover"])
    assert result.exit_code == 0, result.output
    assert store.exists(first.sha256)


def test_custody_verify_reports_orphan_blobs(app):
    officer = make_user(app, "officer")
    case_id = make_case(app, officer).id
    make_evidence_item(app, officer, case_id)
    store = app.extensions["caseflow.blobstore"]
    orphan = store.ingest(io.BytesIO(b"bytes no evidence row refers to"), 10**6)
    age(store.path_for(orphan.sha256), 2 * HOUR)
    result = app.test_cli_runner().invoke(args=["custody", "verify"])
    assert result.exit_code == 0, result.output
    assert "custody OK" in result.output
    assert f"orphan blob {orphan.sha256}" in result.output
    assert "1 orphan blobs" in result.output
