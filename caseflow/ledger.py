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
import json
import logging
import os
import secrets
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import event
from sqlalchemy.orm import Mapped, Session, mapped_column, object_session, sessionmaker

from caseflow.clock import as_utc, rfc3339
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
    EMPTY_ROOT,
    GENESIS_HASH,
    VerificationError,
    canonical_bytes,
    encode_verifier_key,
    entry_hash,
    first_chain_break,
    leaf_hash,
    node_hash,
    verify_checkpoint,
    verify_consistency,
    verify_inclusion,
)

log = logging.getLogger(__name__)

FORMAT_VERSION = 2  # the record format: the `v` field of every record (docs/ledger.md)
COMMITMENT_SALT_BYTES = 16


def commitment_of(salt_hex: str, value: str | None) -> str:
    """The salted commitment of one personal value: hex SHA-256(salt || JCS(value)).

    `salt_hex` is 16 random bytes in hex; JCS of a string is its JSON string form, so a
    recipient recomputes it with `printf '%s' "$SALT" | xxd -r -p; printf '"Jane Doe"'`.
    """
    data = bytes.fromhex(salt_hex) + json.dumps(value, ensure_ascii=False).encode()
    return hashlib.sha256(data).hexdigest()


class PersonalValue(Base):
    """The opening of one salted commitment: a personal value (a name, free text) and its
    salt. Ledger records chain only the commitment, so erasing personal data under a
    retention rule deletes rows here and leaves every ledger hash intact (docs/ledger.md)."""

    __tablename__ = "ledger_personal_values"

    commitment: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    salt: Mapped[str] = mapped_column(sa.String(32))
    value: Mapped[str | None] = mapped_column(sa.Text)


def commit_value(session: Session, value: str | None) -> str | None:
    """Store `value` with a fresh salt and return its commitment; an empty value is not
    personal data and is recorded as null (no commitment)."""
    if value is None or value == "":
        return None
    salt = secrets.token_hex(COMMITMENT_SALT_BYTES)
    commitment = commitment_of(salt, value)
    session.add(PersonalValue(commitment=commitment, salt=salt, value=value))
    return commitment


ERASED = "[erased]"  # what a personal field reads as once its value was erased


class Personal:
    """A personal field of an append-only row: the row stores only its salted commitment
    (in the row's `commitments` JSON); the plain value lives in `ledger_personal_values`,
    from which erasure may delete it. Reads give the plain value, "" or None when none was
    recorded, and ERASED once erased. Set it only before `seal_personal` (at creation)."""

    def __init__(self, empty: str | None = "") -> None:
        self.empty = empty
        self.name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, obj: Any, objtype: type | None = None) -> Any:
        if obj is None:
            return self
        pending = obj.__dict__.get("_personal_plain")
        if pending is not None and self.name in pending:
            value = pending[self.name]
            return self.empty if value in (None, "") else value
        commitment = (obj.commitments or {}).get(self.name)
        if commitment is None:
            return self.empty
        session = object_session(obj)
        opening = session.get(PersonalValue, commitment) if session is not None else None
        return ERASED if opening is None else opening.value

    def __set__(self, obj: Any, value: str | None) -> None:
        if obj.__dict__.get("commitments"):
            raise AttributeError(f"{self.name} is sealed: record a correction instead")
        obj.__dict__.setdefault("_personal_plain", {})[self.name] = value


def seal_personal(session: Session, obj: Any) -> dict[str, str | None]:
    """Commit the personal fields of a new row (a fresh salt each) into its `commitments`."""
    pending = obj.__dict__.get("_personal_plain", {})
    commitments = {name: commit_value(session, pending.get(name)) for name in obj.PERSONAL_FIELDS}
    obj.__dict__.pop("_personal_plain", None)
    obj.commitments = commitments
    return commitments


def openings_of(session: Session, row: Any) -> dict[str, dict[str, str | None]]:
    """{field: {"salt", "value"}} for each of the row's commitments that can still be opened
    (what a disclosure carries so that the recipient can check each value)."""
    openings = {}
    for name, commitment in sorted((row.commitments or {}).items()):
        opening = session.get(PersonalValue, commitment) if commitment else None
        if opening is not None:
            openings[name] = {"salt": opening.salt, "value": opening.value}
    return openings


def load_openings(session: Session, rows: Iterable[Any]) -> None:
    """Load the openings of these rows' commitments in a few queries (display of many rows)."""
    wanted = sorted({c for row in rows for c in (row.commitments or {}).values() if c})
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        list(session.scalars(sa.select(PersonalValue).where(PersonalValue.commitment.in_(chunk))))


class LedgerMixin:
    """Columns and canonical record of a ledger row. Subclasses list LEDGER_FIELDS, and in
    PERSONAL_FIELDS those (declared with `Personal()`) chained only as salted commitments."""

    LEDGER_NAME: ClassVar[str]
    LEDGER_FIELDS: ClassVar[tuple[str, ...]]
    PERSONAL_FIELDS: ClassVar[tuple[str, ...]] = ()
    TIME_FIELD: ClassVar[str]  # when the entry was recorded: set under the ledger lock

    seq: Mapped[int] = mapped_column(unique=True)
    prev_hash: Mapped[str] = mapped_column(sa.String(64))
    entry_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    # Record format version (`v` in the record) and {personal field: commitment or null}.
    format: Mapped[int] = mapped_column(default=FORMAT_VERSION)
    commitments: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    # Set only when the system clock was behind the previous entry's time: the entry then
    # carries the previous time (ledger time never goes backwards) and this, the clock's.
    system_time: Mapped[datetime | None]

    def ledger_record(self) -> dict[str, Any]:
        """The canonical record: `v`, the listed fields (personal ones as their commitments),
        `ledger`, `seq` and `prev_hash`."""
        commitments = self.commitments or {}
        personal = self.PERSONAL_FIELDS
        record = {
            name: commitments.get(name) if name in personal else _plain(getattr(self, name))
            for name in self.LEDGER_FIELDS
        }
        record["v"] = self.format
        record["system_time"] = _plain(self.system_time)
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
    time_column = getattr(model, model.TIME_FIELD)
    last = session.execute(
        sa.select(model.seq, model.entry_hash, time_column).order_by(model.seq.desc()).limit(1)
    ).first()
    _apply_defaults(entry)
    entry.format = FORMAT_VERSION
    _stamp_time(session, entry, None if last is None else last[2])
    seal_personal(session, entry)
    entry.seq = 1 if last is None else last.seq + 1
    entry.prev_hash = GENESIS_HASH if last is None else last.entry_hash
    entry.entry_hash = entry_hash(entry.ledger_record())
    session.add(entry)
    session.flush()
    _mark_dirty(session, model)
    return entry


def _stamp_time(session: Session, entry: LedgerMixin, previous: datetime | None) -> None:
    """The entry's time, taken under the ledger lock from the ledgers' one clock, never
    before the previous entry's: when the clock is behind (stepped back), the entry gets the
    previous time and keeps the clock's own in `system_time`, so the step is on record."""
    if CLOCK_INFO in session.info:
        moment = ledger_now(session)
    else:  # a session outside the app (scripts, tests of the mechanism): the caller's time
        moment = getattr(entry, entry.TIME_FIELD) or datetime.now(UTC)
    moment = as_utc(moment)
    entry.system_time = None
    if previous is not None and moment < as_utc(previous):
        entry.system_time = moment
        moment = as_utc(previous)
    setattr(entry, entry.TIME_FIELD, moment)


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
    # Entries recorded while the clock was behind the previous entry (kept, not failures).
    clock_steps: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.first_bad_seq is None


def verify_chain(session: Session, model: type[LedgerMixin], batch: int = 5000) -> ChainReport:
    """Recompute every hash of a ledger table and name the first entry that does not hold;
    an entry recorded before its predecessor's time (time went backwards) fails too."""
    count = 0
    backwards: tuple[int, str] | None = None
    steps: list[str] = []
    result = session.scalars(
        sa.select(model).order_by(model.seq).execution_options(yield_per=batch)
    )

    def pairs() -> Iterator[tuple[dict[str, Any], str]]:
        nonlocal count, backwards
        previous: datetime | None = None
        for row in result:
            count += 1
            moment = as_utc(getattr(row, model.TIME_FIELD))
            if previous is not None and moment < previous and backwards is None:
                backwards = (
                    row.seq,
                    f"recorded at {rfc3339(moment)}, before the previous entry's "
                    f"{rfc3339(previous)} (time went backwards)",
                )
            if row.system_time is not None:
                steps.append(
                    f"{model.LEDGER_NAME} entry seq {row.seq}: clock stepped back (system time "
                    f"{rfc3339(row.system_time)}, recorded at {rfc3339(moment)})"
                )
            previous = moment
            yield row.ledger_record(), row.entry_hash

    try:
        bad = first_chain_break(pairs())
    finally:
        result.close()  # the check may stop early; release the server-side cursor
    if bad is None:
        if backwards is not None:
            return ChainReport(model.LEDGER_NAME, count, backwards[0], backwards[1], tuple(steps))
        return ChainReport(model.LEDGER_NAME, count, None, None, tuple(steps))
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
    # The roots of the perfect subtrees covering the first tree_size leaves (hex, largest
    # first): the next head is computed from these and the new leaves only.
    frontier: Mapped[list[str] | None] = mapped_column(sa.JSON)


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


def frontier_push(frontier: list[bytes], size: int, leaf: bytes) -> None:
    """Add one leaf to the compact range of a tree of `size` leaves (in place): the roots
    of its perfect subtrees, largest first, as the binary digits of `size` lay them out."""
    node = leaf
    while size & 1:
        node = node_hash(frontier.pop(), node)
        size >>= 1
    frontier.append(node)


def frontier_root(frontier: list[bytes]) -> bytes:
    """The RFC 9162 root of the tree whose compact range is `frontier`."""
    if not frontier:
        return EMPTY_ROOT
    root = frontier[-1]
    for node in reversed(frontier[:-1]):
        root = node_hash(node, root)
    return root


def _current_frontier(session: Session, model: type[LedgerMixin]) -> tuple[int, list[bytes]]:
    """The ledger's size and compact range now: from the latest head's frontier plus the
    rows appended since (normally one transaction's), else from all rows."""
    head = latest_tree_head(session, model)
    size, frontier = 0, []
    if head is not None and isinstance(head.frontier, list):
        size, frontier = head.tree_size, [bytes.fromhex(h) for h in head.frontier]
    stmt = sa.select(model).where(model.seq > size).order_by(model.seq)
    for row in session.scalars(stmt.execution_options(yield_per=5000)):
        if row.seq != size + 1:
            raise ValueError(f"ledger {model.LEDGER_NAME}: seq {size + 1} missing")
        frontier_push(frontier, size, leaf_hash(canonical_bytes(row.ledger_record())))
        size += 1
    return size, frontier


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
    With a `timestamper`, the checkpoint text is also timestamped by an RFC 3161 TSA. The
    root comes from the previous head's compact range and the entries appended since, so
    signing after every write costs O(new entries + log n), not a pass over the ledger.
    """
    _lock(session, model.LEDGER_NAME)
    size, frontier = _current_frontier(session, model)
    root = frontier_root(frontier)
    text = sign_checkpoint(
        signer.origin(model.LEDGER_NAME),
        size,
        root,
        signer.private_key,
        signer.key_name,
        extensions=(TIME_EXTENSION + rfc3339(now),),
    )
    tsa_url, tsa_response = timestamper(text.encode()) if timestamper else (None, None)
    head = LedgerTreeHead(
        ledger=model.LEDGER_NAME,
        tree_size=size,
        root_hash=root.hex(),
        signed_at=now,
        key_name=signer.key_name,
        public_key=signer.public_key_b64,
        checkpoint=text,
        tsa_url=tsa_url,
        tsa_response=tsa_response,
        frontier=[h.hex() for h in frontier],
    )
    session.add(head)
    session.flush()
    pending = session.info.setdefault(_HEADS_TO_LOG, [])
    pending.append(head_log_line(head))
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
    head_log: Path | None = None,
) -> HeadsReport:
    """Check every stored head of a ledger: its signature (with the key stored beside it, which
    must be `signer`'s when given), that its size and root match the ledger's rows, that each
    head is consistent with the previous one (a consistency proof is produced and verified),
    that each entry is included in the latest head (inclusion proofs), the RFC 3161 token
    when `check_timestamp(data, response) -> problem or None` is given, and with `head_log`
    the rows against the newest head found anywhere (check_head_log; the session's head log
    by default)."""
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
    if head_log is None and session.info.get(HEAD_LOG_INFO):
        head_log = Path(session.info[HEAD_LOG_INFO])
    if head_log is not None and signer is not None:
        problems.extend(check_head_log(model, tree, heads, signer, Path(head_log)))
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


# --- personal values: openings of the salted commitments -----------------------------------------


@dataclass(frozen=True)
class OpeningsReport:
    """Result of opening every commitment of some rows against ledger_personal_values."""

    checked: int
    erased: tuple[str, ...]  # "<row label>: <field>" whose plain value was erased
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


_HEX64 = frozenset("0123456789abcdef")


def check_openings(
    session: Session, owners: Iterable[tuple[str, dict[str, Any] | None]]
) -> OpeningsReport:
    """Open each commitment of each (row label, commitments) against its stored salt and
    value: an opening that does not hash to its commitment (value or salt altered) is a
    problem naming the row and field; a commitment with no opening is reported as erased."""
    owners = list(owners)
    wanted = sorted({c for _, cs in owners for c in (cs or {}).values() if isinstance(c, str)})
    openings: dict[str, tuple[str, str | None]] = {}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        for commitment, salt, value in session.execute(
            sa.select(PersonalValue.commitment, PersonalValue.salt, PersonalValue.value).where(
                PersonalValue.commitment.in_(chunk)
            )
        ):
            openings[commitment] = (salt, value)
    checked = 0
    erased: list[str] = []
    problems: list[str] = []
    for label, commitments in owners:
        if not isinstance(commitments, dict):
            problems.append(f"{label}: commitments missing or malformed")
            continue
        for name, commitment in sorted(commitments.items()):
            if commitment is None:
                continue
            if (
                not (isinstance(commitment, str) and len(commitment) == 64)
                or not set(commitment) <= _HEX64
            ):
                problems.append(f"{label}: {name}: malformed commitment")
                continue
            checked += 1
            opening = openings.get(commitment)
            if opening is None:
                erased.append(f"{label}: {name}")
                continue
            salt, value = opening
            try:
                opens = commitment_of(salt, value) == commitment
            except ValueError:
                opens = False
            if not opens:
                problems.append(
                    f"{label}: {name}: stored personal value does not match its commitment "
                    "(value or salt altered)"
                )
    return OpeningsReport(checked, tuple(erased), tuple(problems))


# --- automatic heads and the head log --------------------------------------------------------

HEAD_LOG_FILE = "ledger-heads.log"  # in the data directory, one JSON line per signed head
_DIRTY = "caseflow.ledger.dirty"  # session.info: ledgers appended to in this transaction
_HEADS_TO_LOG = "caseflow.ledger.heads_to_log"  # session.info: lines to log after commit
SIGNER_INFO = "caseflow.ledger.signer"
HEAD_LOG_INFO = "caseflow.ledger.head_log"
CLOCK_INFO = "caseflow.ledger.clock"
TIMESTAMPER_INFO = "caseflow.ledger.timestamper"
TSA_INTERVAL_INFO = "caseflow.ledger.tsa_interval"


def head_log_line(head: LedgerTreeHead) -> str:
    """The head log's line for a head: everything needed to check it without the database."""
    return json.dumps(
        {
            "ledger": head.ledger,
            "size": head.tree_size,
            "root": head.root_hash,
            "checkpoint": head.checkpoint,
            "tsa": base64.b64encode(head.tsa_response).decode() if head.tsa_response else None,
        },
        sort_keys=True,
        ensure_ascii=True,
    )


def append_head_log(path: Path, lines: Iterable[str]) -> None:
    """Append lines to the head log (O_APPEND: one write per call, so concurrent processes
    never interleave inside a line) and fsync it. The log is only ever appended to."""
    data = "".join(line + "\n" for line in lines).encode()
    if not data:
        return
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)


@dataclass(frozen=True)
class LoggedHead:
    line: int
    ledger: str
    size: int
    root: str
    checkpoint: str
    tsa: bytes | None


def read_head_log(path: Path) -> tuple[list[LoggedHead], list[str]]:
    """The heads in the head log, and a problem per unreadable line."""
    heads: list[LoggedHead] = []
    problems: list[str] = []
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return heads, problems
    for number, line in enumerate(text.splitlines(), 1):
        try:
            data = json.loads(line)
            tsa = data.get("tsa")
            heads.append(
                LoggedHead(
                    number,
                    str(data["ledger"]),
                    int(data["size"]),
                    str(data["root"]),
                    str(data["checkpoint"]),
                    base64.b64decode(tsa) if tsa else None,
                )
            )
        except (ValueError, KeyError, TypeError, AttributeError):
            problems.append(f"head log {path.name} line {number}: unreadable")
    return heads, problems


def ledger_now(session: Session) -> datetime:
    """The ledgers' one clock (the app's), for entries and heads alike."""
    clock = session.info.get(CLOCK_INFO)
    return clock() if clock is not None else datetime.now(UTC)


def _mark_dirty(session: Session, model: type[LedgerMixin]) -> None:
    session.info.setdefault(_DIRTY, set()).add(model)


def _stamp_due(session: Session, model: type[LedgerMixin], now: datetime) -> bool:
    interval = session.info.get(TSA_INTERVAL_INFO, 300)
    last = session.scalar(
        sa.select(LedgerTreeHead.signed_at)
        .where(LedgerTreeHead.ledger == model.LEDGER_NAME, LedgerTreeHead.tsa_response.isnot(None))
        .order_by(LedgerTreeHead.id.desc())
        .limit(1)
    )
    return last is None or (now - last).total_seconds() >= interval


def _sign_dirty_ledgers(session: Session) -> None:
    """before_commit: sign a head of every ledger this transaction appended to, in the same
    transaction (under the append lock it already holds), so no committed entry is unsigned."""
    dirty = session.info.pop(_DIRTY, None)
    signer = session.info.get(SIGNER_INFO)
    if not dirty or signer is None:
        return
    now = ledger_now(session)
    timestamper = session.info.get(TIMESTAMPER_INFO)
    for model in sorted(dirty, key=lambda m: m.LEDGER_NAME):
        head = latest_tree_head(session, model)
        size = session.scalar(sa.select(sa.func.max(model.seq)))
        if head is not None and head.tree_size == size:
            continue  # signed already in this transaction (an export, a checkpoint)
        stamp = timestamper if timestamper and _stamp_due(session, model, now) else None
        sign_tree_head(session, model, signer, now, timestamper=stamp)


def _log_heads(session: Session) -> None:
    """after_commit: append the committed heads to the head log."""
    lines = session.info.pop(_HEADS_TO_LOG, None)
    path = session.info.get(HEAD_LOG_INFO)
    if lines and path is not None:
        try:
            append_head_log(Path(path), lines)
        except OSError as exc:
            # The transaction has committed and its heads are signed in the database; only
            # the copy outside it is missing (a full or read-only data disk). Failing here
            # would turn a committed write, or the record of a refused one, into an error.
            log.error(
                "ledger head log %s not written (%s); the signed heads are in the database "
                "and the next write appends its own",
                path,
                exc.strerror or exc,
            )


def _forget(session: Session, *_args: Any) -> None:
    session.info.pop(_DIRTY, None)
    session.info.pop(_HEADS_TO_LOG, None)


def install_auto_heads(
    factory: sessionmaker[Session],
    signer: LedgerSigner,
    head_log: Path,
    clock: Callable[[], datetime],
    *,
    timestamper: Timestamper | None = None,
    tsa_interval: float = 300,
) -> None:
    """Every write transaction of `factory`'s sessions that appends to a ledger also signs
    that ledger's head before it commits, and appends the head to `head_log` after."""
    factory.kw.setdefault("info", {}).update(
        {
            SIGNER_INFO: signer,
            HEAD_LOG_INFO: str(head_log),
            CLOCK_INFO: clock,
            TIMESTAMPER_INFO: timestamper,
            TSA_INTERVAL_INFO: tsa_interval,
        }
    )
    event.listen(factory, "before_commit", _sign_dirty_ledgers)
    event.listen(factory, "after_commit", _log_heads)
    event.listen(factory, "after_rollback", _forget)


def _locate_change(
    name: str, tree: MerkleTree, logged: dict[int, str], db_heads: list[LedgerTreeHead]
) -> str | None:
    """Name the entries a rewrite changed: between the largest signed size whose root still
    holds and the smallest that no longer does. Heads are signed with every write, so this is
    usually one entry, even when the forger re-hashed every entry after it."""
    roots = {h.tree_size: h.root_hash for h in db_heads}
    roots.update(logged)  # the log's copy wins: the database is what a forger edits
    sizes = sorted(size for size in roots if 0 < size <= len(tree))
    bad = next((size for size in sizes if tree.root(size).hex() != roots[size]), None)
    if bad is None:
        return None
    good = max((size for size in sizes if size < bad), default=0)
    if good + 1 == bad:
        return f"{name} entry seq {bad}: changed after it was signed (head of size {bad})"
    return f"{name} entries seq {good + 1}..{bad}: one of them changed after it was signed"


def check_head_log(
    model: type[LedgerMixin],
    tree: MerkleTree,
    db_heads: list[LedgerTreeHead],
    signer: LedgerSigner,
    head_log: Path,
) -> list[str]:
    """The ledger against the newest head found anywhere (database or head log): every
    logged head must verify, be in the database, and still match the rows; no database head
    but the newest may be missing from the log; the log may not be empty while the ledger
    has entries or heads; entries after the newest head are an unsigned tail."""
    logged, problems = read_head_log(head_log)
    name = model.LEDGER_NAME
    mine = [h for h in logged if h.ledger == name]
    in_db = {(h.tree_size, h.root_hash) for h in db_heads}
    for head in mine:
        where = f"head log line {head.line} ({name}, size {head.size})"
        try:
            checkpoint = verify_checkpoint(head.checkpoint, signer.public_key, signer.key_name)
        except VerificationError as exc:
            problems.append(f"{where}: signature does not verify ({exc})")
            continue
        if checkpoint.size != head.size or checkpoint.root.hex() != head.root:
            problems.append(f"{where}: size or root differ from the signed checkpoint")
            continue
        if head.size > len(tree):
            problems.append(
                f"{where}: signed {head.size} entries, the ledger has {len(tree)} "
                f"(entries after seq {len(tree)} deleted)"
            )
            continue
        if tree.root(head.size) != checkpoint.root:
            problems.append(f"{where}: ledger entries no longer hash to the signed root")
            continue
        if (head.size, head.root) not in in_db:
            problems.append(f"{where}: missing from the database (tree head deleted)")
    logged_keys = {(h.size, h.root) for h in mine}
    for db_head in db_heads[:-1]:
        if (db_head.tree_size, db_head.root_hash) not in logged_keys:
            problems.append(
                f"tree head {db_head.id} (size {db_head.tree_size}) missing from the head log "
                f"{head_log.name} (log shortened or edited)"
            )
    if not mine and (len(tree) or db_heads):
        problems.append(f"head log {head_log} has no {name} heads (missing, emptied or replaced)")
    located = _locate_change(name, tree, {h.size: h.root for h in mine}, db_heads)
    if located:
        problems.insert(0, located)
    newest = max([h.size for h in mine] + [h.tree_size for h in db_heads], default=0)
    if len(tree) > newest:
        problems.append(
            f"{name} entries seq {newest + 1}..{len(tree)} are after the newest signed head "
            "(unsigned tail)"
        )
    return problems
