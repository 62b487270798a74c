"""The input of a packet build: frozen dataclasses the app fills from its database.

Nothing here reads a database or Flask; the builder only ever sees these values.
"""

from __future__ import annotations

import hashlib
import json
import pathlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, BinaryIO, Literal

Urgency = Literal["normal", "urgent", "emergency"]


@dataclass(frozen=True)
class Instrument:
    """The instrument the document is drawn up under. `code` picks the document layout
    (exports.documents.DOCUMENTS); `legal_basis` is the basis as the officer stated it
    (treaty and articles), printed as written."""

    code: str
    label: str
    legal_basis: str


@dataclass(frozen=True)
class Authority:
    """An authority as it appears on a form: the issuing or validating authority."""

    name: str
    kind: str = ""  # judge, court, investigating judge, prosecutor, other competent authority
    address: str = ""
    phone: str = ""
    email: str = ""
    file_reference: str = ""


@dataclass(frozen=True)
class Contact:
    """Who the recipient calls about the request, around the clock, and in which time zone."""

    person: str
    phone: str
    email: str
    contact_24_7: str
    time_zone: str
    languages: tuple[str, ...] = ()


@dataclass(frozen=True)
class SignatureBlock:
    """The block an authority signs: name, post, date, place and seal. Empty values print as
    blank lines to be completed by hand (a wet-signature form)."""

    name: str = ""
    post: str = ""
    date: date | None = None
    place: str = ""
    seal: str = ""


@dataclass(frozen=True)
class RequestedState:
    """The requested (executing) state, its receiving authority and the languages it accepts
    for this instrument (empty when not known)."""

    code: str
    name: str
    central_authority: str
    accepted_languages: tuple[str, ...] = ()


@dataclass(frozen=True)
class Addressee:
    """Who must execute: a service provider (with its designated establishment or legal
    representative), a bank, or another holder."""

    name: str
    kind: str = ""
    address: str = ""
    establishment: str = ""  # "designated-establishment", "legal-representative" or ""


@dataclass(frozen=True)
class Offence:
    name: str
    statutory_provision: str
    maximum_penalty: str


@dataclass(frozen=True)
class Person:
    """A person concerned, only as far as the officer stated: role (suspect, victim, witness,
    third party) and the details known."""

    role: str
    name: str
    date_of_birth: str = ""
    nationality: str = ""
    address: str = ""
    other: str = ""


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
class Deadline:
    """A time limit computed by the app from its clocks: what is due, the rule, and the UTC
    instant when the clock runs from the date of issue (None when it starts on receipt and
    only the rule can be printed)."""

    label: str
    rule: str
    due_at: datetime | None = None


Stated = bool | None  # True/False as the officer answered; None: nobody said, never printed


@dataclass(frozen=True)
class RequestDoc:
    """The document as the recipient reads it: only what someone stated, nothing the app
    inferred. Empty strings, empty tuples and None mean "not stated" and print nothing (or a
    blank field on a form)."""

    reference: str
    case_reference: str
    instrument: Instrument
    issuing_state: str
    issuing_authority: Authority
    contact: Contact
    requested_state: RequestedState
    urgency: Urgency
    language: str
    issued_on: date
    issuer: SignatureBlock = SignatureBlock()
    validating_authority: Authority | None = None
    validator: SignatureBlock | None = None
    addressee: Addressee | None = None
    measures: tuple[str, ...] = ()  # keys of exports.documents.MEASURE_LABELS
    assistance: str = ""  # the assistance sought, in the officer's words
    data_categories: tuple[str, ...] = ()  # keys of exports.documents.CATEGORY_LABELS
    urgency_reason: str = ""
    deadlines: tuple[Deadline, ...] = ()
    proceedings: str = ""
    summary_of_facts: str = ""
    offences: tuple[Offence, ...] = ()
    persons: tuple[Person, ...] = ()
    identifiers: tuple[Identifier, ...] = ()
    time_range: TimeRange | None = None
    necessity: str = ""
    confidentiality: str = ""
    use_limits: str = ""
    earlier_requests: tuple[str, ...] = ()
    formalities: str = ""
    legal_remedies: str = ""
    immunities: str = ""
    transnational_organised_group: Stated = None
    child_exploitation: Stated = None
    production_to_follow: Stated = None
    enforcing_state_notified: Stated = None
    translations: tuple[str, ...] = ()  # languages of the certified translations attached


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
    # Openings of the record's salted commitments (format v2 personal fields, docs/ledger.md):
    # {field: {"salt": hex, "value": text}}; a field whose value was erased has none.
    openings: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def disclosed(self) -> dict[str, Any]:
        """The record with each personal field's commitment replaced by its opened value
        (only when the opening hashes to the commitment; "[erased]" when there is none)."""
        record = dict(self.record)
        for name, commitment in self.record.items():
            opening = self.openings.get(name)
            if opening is not None and opens(commitment, opening):
                record[name] = opening.get("value")
            elif opening is not None:
                record[name] = "[opening does not match]"
        for name in ("from_custodian", "to_custodian", "location", "purpose", "notes"):
            if isinstance(self.record.get(name), str) and name not in self.openings:
                record[name] = "[erased]"
        return record


def opens(commitment: Any, opening: Mapping[str, Any]) -> bool:
    """Whether {"salt", "value"} opens `commitment`: hex SHA-256(salt || JSON(value))."""
    try:
        data = bytes.fromhex(str(opening["salt"]))
        data += json.dumps(opening["value"], ensure_ascii=False).encode()
    except (KeyError, ValueError, TypeError):
        return False
    return bool(hashlib.sha256(data).hexdigest() == commitment)


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
class TranslationAnnex:
    """A certified translation of the document, packed as translations/<language>.pdf (as
    signed at approval): who translated it, their certification, and its SHA-256 and size;
    bytes from `open_bytes()`."""

    language: str
    translator: str
    certification: str
    sha256: str
    size: int
    open_bytes: Callable[[], BinaryIO] | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class SignerCertificates:
    """The certificates of an authority that signs the request PDF before the installation's
    seal (`role` "issuer" or "validator"): PEM text of its certificate, intermediates and
    root, bundled as certs/<role>.pem, certs/<role>-chain-N.pem and certs/<role>-root.pem."""

    role: str
    cert_pem: str
    chain_pem: tuple[str, ...] = ()
    root_pem: str = ""


@dataclass(frozen=True)
class PacketData:
    """Everything one MLA packet contains. `include_files=False` ships only the manifest.
    `signers`: the authorities whose signatures precede the installation's on the PDF."""

    request: RequestDoc
    evidence: tuple[EvidenceAnnex, ...]
    custody: CustodyExtract
    chart: LinkChart
    generated_at: datetime
    include_files: bool
    signers: tuple[SignerCertificates, ...] = ()
    translations: tuple[TranslationAnnex, ...] = ()
