"""Content-addressed evidence store: streamed intake with SHA-256, SHA-1 and MD5 in one pass.

Pure module (no Flask, no SQLAlchemy). Blobs live at `<root>/blobs/sha256/ab/cd/<sha256>`;
client filenames never reach the filesystem. The same interface can front an S3-style store.
"""

from __future__ import annotations

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

    def __call__(self, chunk: bytes) -> None:
        self._handle.write(chunk)
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

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.tmp_dir = self.root / "tmp"
        self.blob_dir = self.root / "blobs" / "sha256"
        private_dir(self.tmp_dir)  # 0700: evidence is personal data
        private_dir(self.blob_dir)

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

    def ingest(self, stream: BinaryIO, max_bytes: int) -> StoredBlob:
        """Store everything `stream` yields, hashing it on the way in; return its digests.

        Streams in 1 MiB chunks (never the whole file in memory) to a temp file, computing
        SHA-256, SHA-1 and MD5 in one pass, fsyncs, then links it into place and fsyncs the
        directory. Identical bytes are stored once (created=False). Past `max_bytes` it raises
        BlobTooLarge and leaves nothing behind; any other failure also removes the temp file.
        """
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
                sinks["write"] = _SyncingWriter(out)
                pipeline = _Pipeline(sinks)
                try:
                    while chunk := stream.read(CHUNK_SIZE):
                        size += len(chunk)
                        if size > max_bytes:
                            raise BlobTooLarge(max_bytes)
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

    def iter_blobs(self) -> Iterator[Path]:
        """Every file in the final blob tree (names not checked)."""
        for first in sorted(self.blob_dir.iterdir()):
            if first.is_dir():
                for second in sorted(first.iterdir()):
                    if second.is_dir():
                        yield from sorted(p for p in second.iterdir() if p.is_file())

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
    "BlobIntegrityError",
    "BlobNotFound",
    "BlobStore",
    "BlobTooLarge",
    "StoredBlob",
)
