"""The append-only ledger mechanism shared by the audit log and the custody ledger.

A ledger is a table whose rows carry `seq`, `prev_hash` and `entry_hash`; each row's
canonical record (documented in docs/ledger.md) hashes to `entry_hash`, and each record
names the previous row's hash, so any change, deletion, insertion or reordering breaks the
chain. The database refuses UPDATE and DELETE (triggers, see migrations). The hashing and
checking rules live in exports/verify.py so that the offline verifier uses the same code.
Must not import flask.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy.orm import Mapped, Session, mapped_column

from caseflow.clock import rfc3339
from caseflow.db import Base, intpk
from exports.merkle import (
    MerkleTree,
    generate_signing_key,
    load_private_key_pem,
    public_key_bytes,
    public_key_pem,
    save_private_key_pem,
    sign_checkpoint,
)
from exports.verify import (
    GENESIS_HASH,
    VerificationError,
    canonical_bytes,
    encode_verifier_key,
    entry_hash,
    first_chain_break,
    leaf_hash,
    verify_checkpoint,
    verify_consistency,
    verify_inclusion,
)


class LedgerMixin:
    """Columns and canonical record of a ledger row. Subclasses list LEDGER_FIELDS."""

    LEDGER_NAME: ClassVar[str]
    LEDGER_FIELDS: ClassVar[tuple[str, ...]]

    seq: Mapped[int] = mapped_column(unique=True)
    prev_hash: Mapped[str] = mapped_column(sa.String(64))
    entry_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)

    def ledger_record(self) -> dict[str, Any]:
        """The canonical record: the listed fields plus `seq` and `prev_hash`."""
        record = {name: _plain(getattr(self, name)) for name in self.LEDGER_FIELDS}
        record["ledger"] = self.LEDGER_NAME
        record["seq"] = self.seq
        record["prev_hash"] = self.prev_hash
        return record


T = TypeVar("T", bound=LedgerMixin)


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return rfc3339(value)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _lock(session: Session, name: str) -> None:
    """Serialize appends to one ledger across processes, until the transaction ends.

    PostgreSQL takes a transaction-scoped advisory lock. SQLite transactions already start
    with BEGIN IMMEDIATE (caseflow.db), which admits one writer at a time.
    """
    if session.get_bind().dialect.name == "postgresql":
        key = zlib.crc32(f"caseflow-ledger:{name}".encode())
        session.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


def append(session: Session, entry: T) -> T:
    """Append `entry` to its ledger inside the caller's transaction (no commit here)."""
    model = type(entry)
    _lock(session, model.LEDGER_NAME)
    last = session.execute(
        sa.select(model.seq, model.entry_hash).order_by(model.seq.desc()).limit(1)
    ).first()
    _apply_defaults(entry)
    entry.seq = 1 if last is None else last.seq + 1
    entry.prev_hash = GENESIS_HASH if last is None else last.entry_hash
    entry.entry_hash = entry_hash(entry.ledger_record())
    session.add(entry)
    session.flush()
    return entry


def _apply_defaults(entry: LedgerMixin) -> None:
    """Fill unset fields with their column's Python default before hashing: the INSERT would
    apply it anyway, and the hash must cover the bytes that are stored."""
    columns = sa.inspect(type(entry)).columns
    for name in entry.LEDGER_FIELDS:
        column = columns.get(name)
        default = column.default if column is not None else None
        if getattr(entry, name) is None and default is not None and default.is_scalar:
            setattr(entry, name, default.arg)


@dataclass(frozen=True)
class ChainReport:
    ledger: str
    entries: int
    first_bad_seq: int | None
    reason: str | None

    @property
    def ok(self) -> bool:
        return self.first_bad_seq is None


def verify_chain(session: Session, model: type[LedgerMixin], batch: int = 5000) -> ChainReport:
    """Recompute every hash of a ledger table and name the first entry that does not hold."""
    count = 0
    result = session.scalars(
        sa.select(model).order_by(model.seq).execution_options(yield_per=batch)
    )

    def pairs() -> Iterator[tuple[dict[str, Any], str]]:
        nonlocal count
        for row in result:
            count += 1
            yield row.ledger_record(), row.entry_hash

    try:
        bad = first_chain_break(pairs())
    finally:
        result.close()  # the check may stop early; release the server-side cursor
    if bad is None:
        return ChainReport(model.LEDGER_NAME, count, None, None)
    rows = session.scalars(sa.select(model).order_by(model.seq).offset(bad).limit(1)).all()
    seq = rows[0].seq if rows else bad + 1
    return ChainReport(model.LEDGER_NAME, count, seq, _explain(rows[0] if rows else None, bad))


def _explain(row: LedgerMixin | None, index: int) -> str:
    if row is None:
        return f"entry {index + 1} is missing"
    if row.seq != index + 1:
        return f"sequence gap: expected seq {index + 1}, found {row.seq}"
    if entry_hash(row.ledger_record()) != row.entry_hash:
        return "content does not match its recorded hash (entry altered)"
    return "previous-hash link broken (an entry before it was removed, inserted or altered)"


# --- signed tree heads ---------------------------------------------------------------------------

KEY_FILE = "ledger-signing-key.pem"
TIME_EXTENSION = "caseflow-time "  # checkpoint extension line carrying the signing time


@dataclass(frozen=True)
class LedgerSigner:
    """The installation's Ed25519 tree-head key, its signed-note key name, and the prefix of
    the checkpoint origins (`<prefix>/custody`, `<prefix>/audit`)."""

    private_key: Ed25519PrivateKey = field(repr=False)
    key_name: str
    origin_prefix: str

    def origin(self, ledger_name: str) -> str:
        return f"{self.origin_prefix}/{ledger_name}"

    @property
    def public_key(self) -> bytes:
        return public_key_bytes(self.private_key)

    @property
    def public_key_b64(self) -> str:
        return base64.b64encode(self.public_key).decode()

    @property
    def public_key_pem(self) -> str:
        return public_key_pem(self.private_key).decode()

    @property
    def verifier_key(self) -> str:
        """The Go signed-note verifier key string (`name+hash+base64`), for `note verify`."""
        return encode_verifier_key(self.key_name, self.public_key)

    @property
    def fingerprint(self) -> str:
        """SHA-256 of the raw public key, hex in groups of four: read it out over the phone."""
        digest = hashlib.sha256(self.public_key).hexdigest()
        return ":".join(digest[i : i + 4] for i in range(0, 64, 4))


def load_or_create_signer(instance_path: Path, key_name: str, origin_prefix: str) -> LedgerSigner:
    """Load the tree-head key from the instance folder, generating it (0600) at first start.

    Two processes starting together race safely: the file is created with O_EXCL and the
    loser loads the winner's key.
    """
    path = Path(instance_path) / KEY_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileExistsError):
            save_private_key_pem(generate_signing_key(), path)
    return LedgerSigner(load_private_key_pem(path), key_name, origin_prefix)


class LedgerTreeHead(Base):
    """A signed tree head (C2SP checkpoint) of one ledger, append-only like the ledgers."""

    __tablename__ = "ledger_tree_heads"

    id: Mapped[intpk]
    ledger: Mapped[str] = mapped_column(sa.String(32), index=True)
    tree_size: Mapped[int]
    root_hash: Mapped[str] = mapped_column(sa.String(64))
    signed_at: Mapped[datetime]
    key_name: Mapped[str] = mapped_column(sa.String(128))
    public_key: Mapped[str] = mapped_column(sa.String(64))  # raw Ed25519 key, base64
    checkpoint: Mapped[str] = mapped_column(sa.Text)
    # RFC 3161 TimeStampResp (DER) over the checkpoint text, when a TSA is configured.
    tsa_url: Mapped[str | None] = mapped_column(sa.String(500))
    tsa_response: Mapped[bytes | None] = mapped_column(sa.LargeBinary)


def build_tree(session: Session, model: type[LedgerMixin], size: int | None = None) -> MerkleTree:
    """The ledger's Merkle tree: leaves are the stored rows' canonical bytes, in seq order."""
    stmt = sa.select(model).order_by(model.seq)
    if size is not None:
        stmt = stmt.limit(size)
    result = session.scalars(stmt.execution_options(yield_per=5000))
    try:
        tree = MerkleTree(leaf_hash(canonical_bytes(row.ledger_record())) for row in result)
    finally:
        result.close()
    if size is not None and len(tree) != size:
        raise ValueError(f"ledger {model.LEDGER_NAME} has {len(tree)} entries, not {size}")
    return tree


Timestamper = Callable[[bytes], tuple[str, bytes]]  # data -> (TSA URL, TimeStampResp DER)


def sign_tree_head(
    session: Session,
    model: type[LedgerMixin],
    signer: LedgerSigner,
    now: datetime,
    *,
    timestamper: Timestamper | None = None,
) -> LedgerTreeHead:
    """Sign and store the ledger's current tree head in the caller's transaction (no commit).

    Holds the ledger's append lock so the head matches a prefix no concurrent append can
    interleave with. The signing time is an extension line of the checkpoint, so it is signed.
    With a `timestamper`, the checkpoint text is also timestamped by an RFC 3161 TSA.
    """
    _lock(session, model.LEDGER_NAME)
    tree = build_tree(session, model)
    root = tree.root()
    text = sign_checkpoint(
        signer.origin(model.LEDGER_NAME),
        len(tree),
        root,
        signer.private_key,
        signer.key_name,
        extensions=(TIME_EXTENSION + rfc3339(now),),
    )
    tsa_url, tsa_response = timestamper(text.encode()) if timestamper else (None, None)
    head = LedgerTreeHead(
        ledger=model.LEDGER_NAME,
        tree_size=len(tree),
        root_hash=root.hex(),
        signed_at=now,
        key_name=signer.key_name,
        public_key=signer.public_key_b64,
        checkpoint=text,
        tsa_url=tsa_url,
        tsa_response=tsa_response,
    )
    session.add(head)
    session.flush()
    return head


def latest_tree_head(session: Session, model: type[LedgerMixin]) -> LedgerTreeHead | None:
    return session.scalars(
        sa.select(LedgerTreeHead)
        .where(LedgerTreeHead.ledger == model.LEDGER_NAME)
        .order_by(LedgerTreeHead.id.desc())
        .limit(1)
    ).first()


def inclusion_proof(
    session: Session, model: type[LedgerMixin], seq: int, size: int, tree: MerkleTree | None = None
) -> list[bytes]:
    """RFC 9162 inclusion proof of the entry `seq` (1-based; leaf index seq - 1) in the tree of
    the first `size` entries."""
    tree = tree or build_tree(session, model)
    return tree.inclusion_proof(seq - 1, size)


def consistency_proof(
    session: Session,
    model: type[LedgerMixin],
    size1: int,
    size2: int,
    tree: MerkleTree | None = None,
) -> list[bytes]:
    """RFC 9162 consistency proof that the first `size1` entries are a prefix of `size2`."""
    tree = tree or build_tree(session, model)
    return tree.consistency_proof(size1, size2)


@dataclass(frozen=True)
class HeadsReport:
    """Result of checking a ledger's stored tree heads against its rows."""

    ledger: str
    heads: int
    problems: tuple[str, ...]
    tree_size: int
    root: str

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_tree_heads(
    session: Session,
    model: type[LedgerMixin],
    signer: LedgerSigner | None = None,
    *,
    tree: MerkleTree | None = None,
    check_timestamp: Callable[[bytes, bytes], str | None] | None = None,
) -> HeadsReport:
    """Check every stored head of a ledger: its signature (with the key stored beside it, which
    must be `signer`'s when given), that its size and root match the ledger's rows, that each
    head is consistent with the previous one (a consistency proof is produced and verified),
    that each entry is included in the latest head (inclusion proofs), and the RFC 3161 token
    when `check_timestamp(data, response) -> problem or None` is given."""
    tree = tree or build_tree(session, model)
    problems: list[str] = []
    heads = list(
        session.scalars(
            sa.select(LedgerTreeHead)
            .where(LedgerTreeHead.ledger == model.LEDGER_NAME)
            .order_by(LedgerTreeHead.id)
        )
    )
    previous: tuple[int, bytes] | None = None
    for head in heads:
        where = f"tree head {head.id} (size {head.tree_size})"
        try:
            key = base64.b64decode(head.public_key, validate=True)
            checkpoint = verify_checkpoint(head.checkpoint, key, head.key_name)
        except (ValueError, VerificationError) as exc:
            problems.append(f"{where}: signature does not verify ({exc})")
            continue
        if signer is not None and (key != signer.public_key or head.key_name != signer.key_name):
            problems.append(f"{where}: signed by a key other than this installation's")
        if checkpoint.size != head.tree_size or checkpoint.root.hex() != head.root_hash:
            problems.append(f"{where}: stored size or root differ from the signed checkpoint")
        if checkpoint.size > len(tree):
            problems.append(f"{where}: signed size exceeds the ledger's {len(tree)} entries")
            continue
        if tree.root(checkpoint.size) != checkpoint.root:
            problems.append(f"{where}: ledger entries no longer hash to the signed root")
            continue
        if previous is not None:
            size1, root1 = previous
            if size1 <= checkpoint.size:
                proof = tree.consistency_proof(size1, checkpoint.size)
                if not verify_consistency(size1, checkpoint.size, root1, checkpoint.root, proof):
                    problems.append(f"{where}: not consistent with the previous head")
            else:
                problems.append(f"{where}: smaller than the previous head (rollback)")
        if head.tsa_response is not None and check_timestamp is not None:
            problem = check_timestamp(head.checkpoint.encode(), head.tsa_response)
            if problem:
                problems.append(f"{where}: RFC 3161 timestamp {problem}")
        previous = (checkpoint.size, checkpoint.root)
    size = len(tree)
    root = tree.root()
    if size:
        # Every leaf must be provable in the full tree; a cheap spot check of first and last.
        for index in {0, size - 1}:
            if not verify_inclusion(
                tree.leaf(index), index, size, tree.inclusion_proof(index, size), root
            ):
                problems.append(f"entry {index + 1}: inclusion proof does not verify")
    return HeadsReport(model.LEDGER_NAME, len(heads), tuple(problems), size, root.hex())
