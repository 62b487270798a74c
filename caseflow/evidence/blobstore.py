"""Content-addressed evidence store: streamed intake with SHA-256, SHA-1 and MD5 in one pass.

Pure module (no Flask, no SQLAlchemy). Blobs live at `<root>/blobs/sha256/ab/cd/<sha256>`;
client filenames never reach the filesystem. The same interface can front an S3-style store.
"""

from __future__ import annotations

import errno
import hashlib
import io
import os
import queue
import re
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from caseflow.files import DIR_MODE, private_dir

CHUNK_SIZE = 1 << 20  # 1 MiB: large enough that hashlib releases the GIL and threads overlap
PIPELINE_DEPTH = 8  # chunks queued per sink: bounds memory to a few MiB per ingest
SYNC_EVERY = 64 << 20  # flush written data every 64 MiB so the closing fsync is short
_SHA256_HEX = re.compile(r"[0-9a-f]{64}")


class BlobTooLarge(ValueError):
    """The upload went past the size limit; nothing was stored."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"evidence file exceeds the upload limit of {limit:,} bytes")
        self.limit = limit


class _SourceFailed(Exception):
    """Carries an error of the stream being stored out of the store's OSError handling."""

    def __init__(self, error: OSError) -> None:
        super().__init__(str(error))
        self.error = error


def _read_source(stream: BinaryIO) -> bytes:
    try:
        return stream.read(CHUNK_SIZE)
    except OSError as exc:
        raise _SourceFailed(exc) from exc


class StorageFault(OSError):
    """The evidence store could not take the bytes (full, read-only, no permission, I/O
    error); nothing was stored. `problem` is one of STORAGE_PROBLEMS' keys."""

    def __init__(self, problem: str, detail: str = "") -> None:
        super().__init__(STORAGE_PROBLEMS[problem] + (f" ({detail})" if detail else ""))
        self.problem = problem
        self.detail = detail

    @property
    def message(self) -> str:
        """What a person is told: the problem named, and that nothing was stored."""
        return f"{STORAGE_PROBLEMS[self.problem]}; nothing was stored"


STORAGE_PROBLEMS = {
    "full": "the evidence store is full",
    "read-only": "the evidence store is read-only",
    "permission": "the evidence store refused the write (permission denied)",
    "io": "the evidence store reported an input/output error",
}
_ERRNO_PROBLEMS = {
    errno.ENOSPC: "full",
    errno.EDQUOT: "full",
    errno.EFBIG: "full",
    errno.EROFS: "read-only",
    errno.EACCES: "permission",
    errno.EPERM: "permission",
}


def storage_fault(exc: OSError) -> StorageFault:
    """Name the problem behind an OSError raised while storing (EIO and the rest: "io")."""
    if isinstance(exc, StorageFault):
        return exc
    name = errno.errorcode.get(exc.errno or 0, "no errno")
    return StorageFault(_ERRNO_PROBLEMS.get(exc.errno or 0, "io"), f"{name}: {exc.strerror or exc}")


class BlobNotFound(FileNotFoundError):
    """No blob with that SHA-256 is stored."""


class BlobIntegrityError(Exception):
    """A stored blob's bytes no longer hash to its name: it was altered or corrupted."""


@dataclass(frozen=True)
class StoredBlob:
    """The result of an ingest: hex digests, size in bytes, where it lives, and whether this
    ingest created it (False when identical bytes were already stored)."""

    sha256: str
    sha1: str
    md5: str
    size: int
    path: Path
    created: bool


class _Pipeline:
    """Feeds the same chunks to several sinks, each in its own thread via a bounded queue.

    hashlib releases the GIL while hashing buffers over 2 KiB, and file writes release it too,
    so SHA-256, SHA-1, MD5 and the disk write all overlap instead of running in turn. A sink
    that fails keeps draining its queue (so the feeder never blocks) and close() re-raises
    its error.
    """

    def __init__(self, sinks: dict[str, Callable[[bytes], object]]) -> None:
        self._queues: list[queue.Queue[bytes | None]] = []
        self._threads: list[threading.Thread] = []
        self._errors: list[BaseException] = []
        for name, sink in sinks.items():
            q: queue.Queue[bytes | None] = queue.Queue(PIPELINE_DEPTH)
            thread = threading.Thread(
                target=self._run, args=(sink, q), name=f"blob-{name}", daemon=True
            )
            thread.start()
            self._queues.append(q)
            self._threads.append(thread)

    def _run(self, sink: Callable[[bytes], object], q: queue.Queue[bytes | None]) -> None:
        failed = False
        while (chunk := q.get()) is not None:
            if failed:
                continue
            try:
                sink(chunk)
            except BaseException as exc:  # reported to the feeding thread by close()
                self._errors.append(exc)
                failed = True

    def feed(self, chunk: bytes) -> None:
        if self._errors:
            raise self._errors[0]
        for q in self._queues:
            q.put(chunk)

    def close(self) -> None:
        """Let the sinks finish, stop the threads, and raise the first sink error if any."""
        for q in self._queues:
            q.put(None)
        for thread in self._threads:
            thread.join()
        if self._errors:
            raise self._errors[0]


class _SyncingWriter:
    """Writes chunks to a file, asking the kernel to flush every SYNC_EVERY bytes so the final
    fsync has little left to do (the flushes overlap with hashing)."""

    def __init__(self, handle: BinaryIO) -> None:
        self._handle = handle
        self._unsynced = 0
        self.written = 0

    def __call__(self, chunk: bytes) -> None:
        self._handle.write(chunk)
        self.written += len(chunk)
        self._unsynced += len(chunk)
        if self._unsynced >= SYNC_EVERY:
            self._handle.flush()
            os.fdatasync(self._handle.fileno())
            self._unsynced = 0


HASH_ALGORITHMS = ("sha256", "sha1", "md5")


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class BlobStore:
    """A directory of immutable blobs named by their SHA-256.

    Writes go to `<root>/tmp/` first and are renamed into place only once complete and
    fsynced, so a crash leaves either the whole blob or a temp file that clean_temp() removes.
    """

    def __init__(self, root: Path, reserve_bytes: int = 0) -> None:
        self.root = Path(root)
        self.tmp_dir = self.root / "tmp"
        self.blob_dir = self.root / "blobs" / "sha256"
        # Space always left free on the store's filesystem (for the database, logs, temp
        # files): an ingest that would eat into it is refused as "full".
        self.reserve_bytes = max(0, int(reserve_bytes))
        private_dir(self.tmp_dir)  # 0700: evidence is personal data
        private_dir(self.blob_dir)

    def free_bytes(self) -> int:
        """Bytes an unprivileged writer can still store on the store's filesystem."""
        stats = os.statvfs(self.root)
        return stats.f_bavail * stats.f_frsize

    def check_room(self, size: int) -> None:
        """StorageFault("full") unless `size` more bytes fit with the reserve kept free."""
        free = self.free_bytes()
        if size + self.reserve_bytes > free:
            raise StorageFault(
                "full",
                f"{size:,} bytes to store, {free:,} free, {self.reserve_bytes:,} kept in reserve",
            )

    # --- naming ----------------------------------------------------------------------------------

    def path_for(self, sha256: str) -> Path:
        """Where the blob with this hex SHA-256 lives (it may not exist). ValueError unless
        `sha256` is 64 lowercase hex digits, so no caller-supplied text can steer the path."""
        if not isinstance(sha256, str) or not _SHA256_HEX.fullmatch(sha256):
            raise ValueError("a blob name is 64 lowercase hex digits (its SHA-256)")
        return self.blob_dir / sha256[:2] / sha256[2:4] / sha256

    def exists(self, sha256: str) -> bool:
        return self.path_for(sha256).is_file()

    def open(self, sha256: str) -> io.BufferedReader:
        """Open a stored blob for reading; BlobNotFound if absent."""
        path = self.path_for(sha256)
        try:
            return path.open("rb")
        except FileNotFoundError as exc:
            raise BlobNotFound(f"no blob {sha256}") from exc

    # --- intake ----------------------------------------------------------------------------------

    def ingest(
        self, stream: BinaryIO, max_bytes: int, expected_size: int | None = None
    ) -> StoredBlob:
        """Store everything `stream` yields, hashing it on the way in; return its digests.

        Streams in 1 MiB chunks (never the whole file in memory) to a temp file, computing
        SHA-256, SHA-1 and MD5 in one pass, fsyncs, then links it into place and fsyncs the
        directory. Identical bytes are stored once (created=False). Past `max_bytes` it raises
        BlobTooLarge and leaves nothing behind; any other failure also removes the temp file.

        Room is checked first for `expected_size` (the declared length, when known) and again
        as the bytes arrive, keeping `reserve_bytes` free; a full, read-only or failing disk
        raises StorageFault naming the problem, with nothing left behind.
        """
        try:
            return self._ingest(stream, max_bytes, expected_size)
        except _SourceFailed as failed:
            # The bytes' source failed (a client that went away), not the store: its own
            # error, never a storage fault or an operator alarm.
            raise failed.error from None
        except StorageFault:
            raise
        except OSError as exc:
            raise storage_fault(exc) from exc

    def _ingest(self, stream: BinaryIO, max_bytes: int, expected_size: int | None) -> StoredBlob:
        self.check_room(expected_size or 0)
        fd, tmp_name = tempfile.mkstemp(prefix="ingest-", dir=self.tmp_dir)
        tmp_path = Path(tmp_name)
        digests = {
            name: hashlib.new(name, usedforsecurity=name == "sha256") for name in HASH_ALGORITHMS
        }
        size = 0
        try:
            with os.fdopen(fd, "wb") as out:
                sinks: dict[str, Callable[[bytes], object]] = {
                    name: digest.update for name, digest in digests.items()
                }
                writer = _SyncingWriter(out)
                sinks["write"] = writer
                pipeline = _Pipeline(sinks)
                try:
                    while chunk := _read_source(stream):
                        size += len(chunk)
                        if size > max_bytes:
                            raise BlobTooLarge(max_bytes)
                        if self.reserve_bytes:
                            # Chunks still queued for the writer are not on disk yet.
                            self.check_room(size - writer.written)
                        pipeline.feed(chunk)
                finally:
                    pipeline.close()
                out.flush()
                os.fsync(out.fileno())
            os.chmod(tmp_path, 0o400)  # never rewritten in place; readable by CaseFlow only
            final = self.path_for(digests["sha256"].hexdigest())
            created = self._place(tmp_path, final, size)
        except BaseException:
            tmp_path.unlink(missing_ok=True)
            raise
        hexes = {name: digest.hexdigest() for name, digest in digests.items()}
        return StoredBlob(
            sha256=hexes["sha256"],
            sha1=hexes["sha1"],
            md5=hexes["md5"],
            size=size,
            path=final,
            created=created,
        )

    def _place(self, tmp_path: Path, final: Path, size: int) -> bool:
        """Move a complete temp file to its final name; False if the blob was already there."""
        self._make_dirs(final.parent)
        try:
            os.link(tmp_path, final)  # atomic, and never replaces an existing blob
            created = True
        except FileExistsError:
            created = False
            # Reused by this upload: fresh again, so that a recovery running before the
            # upload's row commits does not take it for an old orphan (custody recover).
            os.utime(final)
            if final.stat().st_size != size:
                # The stored copy was truncated or altered: the fresh, hash-checked copy wins.
                os.replace(tmp_path, final)
        tmp_path.unlink(missing_ok=True)
        _fsync_dir(final.parent)
        return created

    def _make_dirs(self, directory: Path) -> None:
        """Create the two shard levels, fsyncing each parent whose entries changed."""
        for path in (directory.parent, directory):
            if not path.is_dir():
                try:
                    path.mkdir(mode=DIR_MODE)
                except FileExistsError:
                    continue
                _fsync_dir(path.parent)

    def remove(self, sha256: str) -> bool:
        """Delete a stored blob (one an upload created and its unit of work then failed to
        record); True if it was there. Recorded evidence is never removed through this."""
        path = self.path_for(sha256)
        try:
            path.unlink()
        except FileNotFoundError:
            return False
        _fsync_dir(path.parent)
        return True

    # --- checking --------------------------------------------------------------------------------

    def verify(self, sha256: str) -> bool:
        """Re-hash a stored blob (streaming); True iff its bytes still match its name."""
        try:
            with self.open(sha256) as handle:
                digest = hashlib.file_digest(handle, "sha256")
        except BlobNotFound:
            return False
        return digest.hexdigest() == sha256

    def iter_verified(self, sha256: str, chunk_size: int = CHUNK_SIZE) -> Iterator[bytes]:
        """Yield a blob's bytes for download while re-hashing them.

        The last chunk is held back until the whole blob has been hashed: if the hash differs,
        BlobIntegrityError is raised instead, so a recipient never gets the complete altered
        file. Raises BlobNotFound before yielding anything if the blob is absent.
        """
        handle = self.open(sha256)
        return self._iter_verified(handle, sha256, chunk_size)

    @staticmethod
    def _iter_verified(handle: BinaryIO, sha256: str, chunk_size: int) -> Iterator[bytes]:
        digest = hashlib.sha256()
        with handle:
            pending = handle.read(chunk_size)
            while pending:
                digest.update(pending)
                following = handle.read(chunk_size)
                if not following:
                    break
                yield pending
                pending = following
            if digest.hexdigest() != sha256:
                raise BlobIntegrityError(
                    f"blob {sha256} no longer matches its SHA-256 (now {digest.hexdigest()})"
                )
            if pending:
                yield pending

    # --- housekeeping ----------------------------------------------------------------------------

    def clean_temp(self, min_age_seconds: float = 3600.0) -> int:
        """Delete leftover temp files (from crashed or killed ingests); return how many.

        Only files older than `min_age_seconds` go, so a second worker process starting up
        does not delete an upload another worker is still writing; pass 0 when no other
        process can be ingesting.
        """
        cutoff = time.time() - min_age_seconds
        removed = 0
        for path in self.tmp_dir.iterdir():
            if path.is_file() and path.stat().st_mtime <= cutoff:
                path.unlink(missing_ok=True)
                removed += 1
        return removed

    def uploads_in_flight(self, grace_seconds: float) -> int:
        """Temp files written to in the last `grace_seconds`: uploads still streaming in
        (an upload's temp file grows with every chunk, so its time is that of its last one)."""
        cutoff = time.time() - grace_seconds
        return sum(1 for p in self.tmp_dir.iterdir() if p.is_file() and p.stat().st_mtime > cutoff)

    def iter_blobs(self) -> Iterator[Path]:
        """Every file in the final blob tree (names not checked)."""
        for first in sorted(self.blob_dir.iterdir()):
            if first.is_dir():
                for second in sorted(first.iterdir()):
                    if second.is_dir():
                        yield from sorted(p for p in second.iterdir() if p.is_file())

    def find_orphans(self, known: set[str], min_age_seconds: float = 3600.0) -> list[Path]:
        """Blobs whose SHA-256 is not in `known` and older than `min_age_seconds`, and every
        file already moved to `<root>/orphans/` by an earlier recovery."""
        cutoff = time.time() - min_age_seconds
        found = [
            path
            for path in self.iter_blobs()
            if path.name not in known and path.stat().st_mtime <= cutoff
        ]
        orphan_dir = self.root / "orphans"
        if orphan_dir.is_dir():
            found += sorted(p for p in orphan_dir.iterdir() if p.is_file())
        return found

    def delete_orphans(self, orphans: list[Path], known: set[str]) -> list[str]:
        """Delete orphans that find_orphans listed (blobs no evidence row refers to, and
        earlier quarantined ones) to free the disk; return their names. Nothing outside the
        store's blob and orphan folders, and no name in `known`, is ever deleted."""
        allowed = (self.blob_dir.resolve(), (self.root / "orphans").resolve())
        deleted = []
        for path in orphans:
            resolved = path.resolve()
            if path.name in known or not any(d in resolved.parents for d in allowed):
                continue
            try:
                resolved.unlink()
            except FileNotFoundError:
                continue
            _fsync_dir(resolved.parent)
            deleted.append(path.name)
        return deleted

    def quarantine_orphans(self, known: set[str], min_age_seconds: float = 3600.0) -> list[str]:
        """Move blobs whose SHA-256 is not in `known` to `<root>/orphans/`; return their names.

        An orphan is an upload stored but never committed (a crash between the two). Blobs
        younger than `min_age_seconds` are left alone: another process may be about to commit
        its row. Nothing is deleted, so a mistaken move can be undone by moving the file back.
        """
        cutoff = time.time() - min_age_seconds
        orphan_dir = self.root / "orphans"
        moved = []
        for path in list(self.iter_blobs()):
            if path.name in known or path.stat().st_mtime > cutoff:
                continue
            orphan_dir.mkdir(exist_ok=True)
            os.replace(path, orphan_dir / path.name)
            moved.append(path.name)
        if moved:
            _fsync_dir(orphan_dir)
        return moved


__all__ = (
    "CHUNK_SIZE",
    "STORAGE_PROBLEMS",
    "BlobIntegrityError",
    "BlobNotFound",
    "BlobStore",
    "BlobTooLarge",
    "StorageFault",
    "StoredBlob",
    "storage_fault",
)
