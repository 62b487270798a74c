"""Evidence intake throughput: BlobStore.ingest (write + SHA-256/SHA-1/MD5 + fsync) vs md5sum.

Run: python benchmarks/hashing.py [--size-mib 1024] [--dir DIR]. Prints each figure and its
ratio to `md5sum` on the same file in the same run (goal: ingest >= 0.9x md5sum).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from caseflow.evidence.blobstore import CHUNK_SIZE, BlobStore, _Pipeline

MiB = 1 << 20


def make_file(path: Path, size_mib: int) -> None:
    """Incompressible synthetic data, written in 1 MiB blocks."""
    block = hashlib.shake_256(b"caseflow benchmark").digest(MiB)
    with path.open("wb") as out:
        for i in range(size_mib):
            # Vary each block cheaply so no block repeats the previous one.
            out.write(i.to_bytes(8, "big") + block[8:])


def timed(label: str, func: Callable[[], object]) -> float:
    start = time.perf_counter()
    func()
    return time.perf_counter() - start


def run_tool(*argv: str) -> None:
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)


def sequential_hashes(path: Path) -> None:
    digests = [
        hashlib.sha256(),
        hashlib.sha1(usedforsecurity=False),
        hashlib.md5(usedforsecurity=False),
    ]
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK_SIZE):
            for digest in digests:
                digest.update(chunk)


def pipelined_hashes(path: Path) -> None:
    digests = [hashlib.new(name, usedforsecurity=False) for name in ("sha256", "sha1", "md5")]
    pipeline = _Pipeline({str(i): digest.update for i, digest in enumerate(digests)})
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK_SIZE):
            pipeline.feed(chunk)
    pipeline.close()


def copy_and_fsync(path: Path, target: Path) -> None:
    with path.open("rb") as handle, target.open("wb") as out:
        while chunk := handle.read(CHUNK_SIZE):
            out.write(chunk)
        out.flush()
        os.fsync(out.fileno())
    target.unlink()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--dir", type=Path, default=None, help="where to put the test file")
    parser.add_argument("--rounds", type=int, default=3, help="best of this many runs each")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(dir=args.dir, prefix="caseflow-bench-") as tmp:
        work = Path(tmp)
        source = work / "evidence.bin"
        make_file(source, args.size_mib)
        size = source.stat().st_size
        run_tool("md5sum", str(source))  # warm the page cache so every contender reads from RAM

        store = BlobStore(work / "store")

        def ingest() -> None:
            with source.open("rb") as handle:
                blob = store.ingest(handle, max_bytes=size)
            blob.path.chmod(0o640)
            blob.path.unlink()  # so the next round stores it again instead of deduplicating

        contenders: dict[str, Callable[[], object]] = {
            "md5sum": lambda: run_tool("md5sum", str(source)),
            "sha256sum": lambda: run_tool("sha256sum", str(source)),
            "openssl dgst -sha256": lambda: run_tool("openssl", "dgst", "-sha256", str(source)),
            "copy + fsync, no hashing": lambda: copy_and_fsync(source, work / "copy.bin"),
            "3 hashes in turn, 1 thread, no write": lambda: sequential_hashes(source),
            "3 hashes pipelined, no write": lambda: pipelined_hashes(source),
            "BlobStore.ingest (3 hashes, write, fsync)": ingest,
        }
        # Interleaved rounds, best of each: the machine is shared, so single runs are noisy.
        results = {label: float("inf") for label in contenders}
        for _ in range(args.rounds):
            for label, func in contenders.items():
                results[label] = min(results[label], timed(label, func))

    baseline = results["md5sum"]
    print(
        f"file: {size / MiB:.0f} MiB, best of {args.rounds} rounds; "
        f"baseline md5sum {size / baseline / 1e6:.0f} MB/s"
    )
    for label, seconds in results.items():
        print(
            f"{label:42s} {seconds:7.3f} s {size / seconds / 1e6:7.0f} MB/s"
            f"  ratio vs md5sum {baseline / seconds:5.2f}x"
        )


if __name__ == "__main__":
    main()
