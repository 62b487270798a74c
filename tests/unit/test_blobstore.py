"""BlobStore: digests equal coreutils, dedup, size limit, tamper detection, temp cleanup."""

import io
import os
import random
import subprocess
from pathlib import Path

import pytest

from caseflow.evidence.blobstore import (
    CHUNK_SIZE,
    BlobIntegrityError,
    BlobNotFound,
    BlobStore,
    BlobTooLarge,
    _Pipeline,
)

MiB = 1 << 20


def generated_bytes(size: int, seed: int = 7) -> bytes:
    return random.Random(seed).randbytes(size)


class TrickleStream(io.RawIOBase):
    """A raw stream that returns short reads, like a socket or a WSGI input."""

    def __init__(self, data: bytes, step: int = 65_521) -> None:
        self._data, self._pos, self._step = data, 0, step

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        n = self._step if size < 0 else min(size, self._step)
        out = self._data[self._pos : self._pos + n]
        self._pos += len(out)
        return out


def coreutils_digest(tool: str, path: Path) -> str:
    return subprocess.run([tool, str(path)], check=True, capture_output=True, text=True).stdout[:64]


def files_under(path: Path) -> list[Path]:
    return sorted(p for p in path.rglob("*") if p.is_file())


@pytest.mark.parametrize("size", [0, 1, CHUNK_SIZE - 1, CHUNK_SIZE, 3 * CHUNK_SIZE + 12_345])
def test_ingest_digests_equal_coreutils(tmp_path, size):
    data = generated_bytes(size, seed=size)
    source = tmp_path / "upload.bin"
    source.write_bytes(data)
    store = BlobStore(tmp_path / "store")
    with source.open("rb") as handle:
        blob = store.ingest(handle, max_bytes=10 * MiB)
    assert blob.sha256 == coreutils_digest("sha256sum", source)
    assert blob.sha1 == coreutils_digest("sha1sum", source)[:40]
    assert blob.md5 == coreutils_digest("md5sum", source)[:32]
    assert blob.size == size and blob.created
    assert blob.path == store.path_for(blob.sha256)
    assert blob.path.relative_to(store.root).parts[:4] == (
        "blobs",
        "sha256",
        blob.sha256[:2],
        blob.sha256[2:4],
    )
    assert blob.path.read_bytes() == data
    assert coreutils_digest("sha256sum", blob.path) == blob.sha256
    assert files_under(store.tmp_dir) == []


def test_short_reads_are_handled(tmp_path):
    data = generated_bytes(2 * MiB + 3)
    store = BlobStore(tmp_path)
    blob = store.ingest(TrickleStream(data), max_bytes=3 * MiB)
    with store.open(blob.sha256) as handle:
        assert handle.read() == data


def test_identical_bytes_are_stored_once(tmp_path):
    store = BlobStore(tmp_path)
    data = generated_bytes(MiB + 5)
    first = store.ingest(io.BytesIO(data), max_bytes=2 * MiB)
    second = store.ingest(io.BytesIO(data), max_bytes=2 * MiB)
    other = store.ingest(io.BytesIO(data + b"!"), max_bytes=2 * MiB)
    assert first.created and not second.created and other.created
    assert first.path == second.path != other.path
    assert len(files_under(store.blob_dir)) == 2
    assert files_under(store.tmp_dir) == []


def test_over_the_limit_raises_and_leaves_nothing(tmp_path):
    store = BlobStore(tmp_path)
    with pytest.raises(BlobTooLarge, match="limit of 2,097,152 bytes") as info:
        store.ingest(io.BytesIO(generated_bytes(2 * MiB + 1)), max_bytes=2 * MiB)
    assert info.value.limit == 2 * MiB
    assert files_under(tmp_path) == []
    exact = store.ingest(io.BytesIO(generated_bytes(2 * MiB)), max_bytes=2 * MiB)
    assert exact.size == 2 * MiB


def test_failed_stream_leaves_nothing(tmp_path):
    class Broken(io.RawIOBase):
        calls = 0

        def readable(self):
            return True

        def read(self, size=-1):
            self.calls += 1
            if self.calls > 2:
                raise ConnectionResetError("client went away")
            return b"x" * 1000

    store = BlobStore(tmp_path)
    with pytest.raises(ConnectionResetError):
        store.ingest(Broken(), max_bytes=MiB)
    assert files_under(tmp_path) == []


def test_tampered_blob_is_detected(tmp_path):
    store = BlobStore(tmp_path)
    data = generated_bytes(2 * MiB + 100)
    blob = store.ingest(io.BytesIO(data), max_bytes=4 * MiB)
    assert store.verify(blob.sha256)
    assert b"".join(store.iter_verified(blob.sha256, chunk_size=MiB)) == data

    os.chmod(blob.path, 0o640)
    with blob.path.open("r+b") as handle:
        handle.seek(MiB + 17)
        byte = handle.read(1)
        handle.seek(MiB + 17)
        handle.write(bytes([byte[0] ^ 0x01]))
    assert not store.verify(blob.sha256)
    received = []
    with pytest.raises(BlobIntegrityError, match=blob.sha256):
        for chunk in store.iter_verified(blob.sha256, chunk_size=MiB):
            received.append(chunk)
    # The final chunk was held back, so the altered file never arrives complete.
    assert sum(map(len, received)) == 2 * MiB < len(data)


def test_iter_verified_small_and_empty_blobs(tmp_path):
    store = BlobStore(tmp_path)
    empty = store.ingest(io.BytesIO(b""), max_bytes=10)
    small = store.ingest(io.BytesIO(b"hello"), max_bytes=10)
    assert list(store.iter_verified(empty.sha256)) == []
    assert list(store.iter_verified(small.sha256)) == [b"hello"]
    small.path.chmod(0o640)
    small.path.write_bytes(b"hellO")
    with pytest.raises(BlobIntegrityError):
        list(store.iter_verified(small.sha256))


def test_reingest_repairs_a_truncated_copy(tmp_path):
    store = BlobStore(tmp_path)
    data = generated_bytes(1000)
    blob = store.ingest(io.BytesIO(data), max_bytes=MiB)
    blob.path.chmod(0o640)
    blob.path.write_bytes(data[:10])
    again = store.ingest(io.BytesIO(data), max_bytes=MiB)
    assert not again.created and store.verify(blob.sha256)


def test_names_are_only_hashes(tmp_path):
    store = BlobStore(tmp_path)
    for bad in ["../../etc/passwd", "A" * 64, "0" * 63, "report.pdf", "0" * 64 + "/x"]:
        with pytest.raises(ValueError, match="64 lowercase hex"):
            store.path_for(bad)
    missing = "0" * 64
    assert not store.exists(missing) and not store.verify(missing)
    with pytest.raises(BlobNotFound):
        store.open(missing)
    with pytest.raises(FileNotFoundError):
        store.iter_verified(missing)


def test_clean_temp_removes_leftovers_but_spares_fresh_uploads(tmp_path):
    store = BlobStore(tmp_path)
    old = store.tmp_dir / "ingest-crashed"
    old.write_bytes(b"partial")
    os.utime(old, (0, 0))
    fresh = store.tmp_dir / "ingest-in-progress"
    fresh.write_bytes(b"partial")
    assert store.clean_temp() == 1
    assert not old.exists() and fresh.exists()
    assert store.clean_temp(min_age_seconds=0) == 1
    assert files_under(store.tmp_dir) == []


def test_stored_blobs_are_read_only(tmp_path):
    store = BlobStore(tmp_path)
    blob = store.ingest(io.BytesIO(b"evidence"), max_bytes=100)
    assert blob.path.stat().st_mode & 0o222 == 0


def test_a_failing_sink_is_reported_and_does_not_block_the_feeder():
    seen: list[bytes] = []

    def disk_full(chunk: bytes) -> None:
        raise OSError(28, "No space left on device")

    pipeline = _Pipeline({"ok": seen.append, "write": disk_full})
    with pytest.raises(OSError, match="No space"):
        for _ in range(100):  # more chunks than the queue holds: must not deadlock
            pipeline.feed(b"x" * 4096)
    with pytest.raises(OSError, match="No space"):
        pipeline.close()
    assert len(seen) >= 1
