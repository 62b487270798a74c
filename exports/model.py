"""The input of a packet build: frozen dataclasses the app fills from its database.

Nothing here reads a database or Flask; the builder only ever sees these values.
"""

from __future__ import annotations

import pathlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, BinaryIO, Literal

Urgency = Literal["normal", "urgent", "emergency"]


@dataclass(frozen=True)
class Instrument:
    """The legal instrument a request is made under (e.g. code "EIO", "BUDAPEST-31")."""

    code: str
    label: str
    explanation: str


@dataclass(frozen=True)
class Authority:
    """The requesting authority, with the contacts a foreign authority needs around the clock."""

    name: str
    address: str
    contact_person: str
    phone: str
    email: str
    contact_24_7: str
    time_zone: str


@dataclass(frozen=True)
class RequestedState:
    """The requested state (ISO 3166-1 alpha-2 code and name) and its central authority."""

    code: str
    name: str
    central_authority: str


@dataclass(frozen=True)
class Offence:
    name: str
    statutory_provision: str
    maximum_penalty: str


@dataclass(frozen=True)
class Identifier:
    """A selector the request is about.

    `observed_at` is timezone-aware UTC or None; `port` is the source port (needed behind CGNAT)
    or None; `relevance` says why this identifier matters to the offence.
    """

    kind: str
    value: str
    observed_at: datetime | None
    port: int | None
    relevance: str


@dataclass(frozen=True)
class TimeRange:
    start: datetime
    end: datetime


@dataclass(frozen=True)
class Signatory:
    """An author or approver of the request, with the date they signed it off."""

    name: str
    role: str
    date: date


@dataclass(frozen=True)
class RequestDoc:
    """The request itself. `sections` are (heading, body) pairs in the order the instrument
    expects; the PDF prints them in that order after the fixed cover facts."""

    reference: str
    case_reference: str
    request_types: tuple[str, ...]
    instrument: Instrument
    requesting_authority: Authority
    requested_state: RequestedState
    urgency: Urgency
    urgency_reason: str
    deadline: date | None
    language: str
    summary_of_facts: str
    offences: tuple[Offence, ...]
    identifiers: tuple[Identifier, ...]
    time_range: TimeRange | None
    necessity: str
    confidentiality: str
    earlier_requests: tuple[str, ...]
    sections: tuple[tuple[str, str], ...]
    author: Signatory
    approver: Signatory | None


@dataclass(frozen=True)
class EvidenceAnnex:
    """One evidence item listed in the packet.

    The file's bytes come from `open_bytes()` (a fresh binary stream each call) or from `path`;
    when neither is given only the manifest entry can be included. `sha256` and `size` are the
    values recorded at intake: the builder re-hashes the bytes it streams and refuses to build
    if they differ.
    """

    number: str
    description: str
    kind: str
    sha256: str
    sha1: str
    md5: str
    size: int
    media_type: str
    acquired_at: datetime
    acquired_by: str
    method: str
    filename: str
    open_bytes: Callable[[], BinaryIO] | None = field(default=None, compare=False, repr=False)
    path: pathlib.Path | None = None


@dataclass(frozen=True)
class CustodyEntryProof:
    """One custody ledger entry with its RFC 9162 inclusion proof in the signed tree head.

    `record` is the canonical ledger record (its canonical bytes are the Merkle leaf);
    `inclusion_proof` lists sibling hashes (hex) from the leaf to the root. Expected record keys
    (others are carried through untouched): `exhibit_number`, `root_exhibit_number`, `action`,
    `actor` (mapping with `name`, optional `role`, `organisation`), `ts_utc`, `location`,
    `purpose`, `seq`, `prev_hash`, `event_id`.
    """

    index: int
    record: Mapping[str, Any]
    entry_hash: str
    inclusion_proof: tuple[str, ...]


@dataclass(frozen=True)
class CustodyExtract:
    """The custody entries a packet discloses, and the signed checkpoint they are proven in.

    `checkpoint_text` is a C2SP signed note; `public_key` is the raw Ed25519 key, base64.
    """

    entries: tuple[CustodyEntryProof, ...]
    tree_size: int
    checkpoint_text: str
    public_key: str
    key_name: str


@dataclass(frozen=True)
class ChartNode:
    id: str
    label: str
    kind: str


@dataclass(frozen=True)
class ChartEdge:
    source: str
    target: str
    type: str


@dataclass(frozen=True)
class LinkChart:
    nodes: tuple[ChartNode, ...]
    edges: tuple[ChartEdge, ...]


@dataclass(frozen=True)
class PacketData:
    """Everything one MLA packet contains. `include_files=False` ships only the manifest."""

    request: RequestDoc
    evidence: tuple[EvidenceAnnex, ...]
    custody: CustodyExtract
    chart: LinkChart
    generated_at: datetime
    include_files: bool
