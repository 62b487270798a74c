"""Synthetic MLA packet input for tests and benchmarks: fictional people, example.com, +44 7700
900xxx numbers, generated wallets and generated PNG images. An independent little Merkle tree
and checkpoint signer here cross-check the verifier's RFC 9162 code."""

from __future__ import annotations

import base64
import functools
import hashlib
import io
import pathlib
import struct
import zipfile
import zlib
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from exports.model import (
    Addressee,
    Authority,
    ChartEdge,
    ChartNode,
    Contact,
    CustodyEntryProof,
    CustodyExtract,
    Deadline,
    EvidenceAnnex,
    Identifier,
    Instrument,
    LinkChart,
    Offence,
    PacketData,
    RequestDoc,
    RequestedState,
    SignatureBlock,
    TimeRange,
)
from exports.packet import PacketSummary, build_packet
from exports.signing import PdfSigner, SigningIdentity, generate_self_signed
from exports.verify import GENESIS_HASH, canonical_bytes

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ACTIONS = ("acquire", "seal", "transfer", "access", "analyse", "copy", "export")


def png_bytes(seed: int, size: int = 8) -> bytes:
    """A tiny valid RGB PNG whose pixels depend on `seed`."""
    raw = b"".join(
        b"\x00"
        + bytes(
            ((seed * 37 + x * 11 + y * 7 + c * 53) % 256) for x in range(size) for c in range(3)
        )
        for y in range(size)
    )

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def _leaf(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def merkle_levels(leaves: list[bytes]) -> list[list[bytes]]:
    """Levels of an RFC 9162 tree built bottom-up: an unpaired last node moves up unchanged,
    which gives the same tree as the recursive power-of-two split."""
    levels = [leaves]
    while len(levels[-1]) > 1:
        prev = levels[-1]
        nxt = [
            hashlib.sha256(b"\x01" + prev[i] + prev[i + 1]).digest()
            for i in range(0, len(prev) - 1, 2)
        ]
        if len(prev) % 2:
            nxt.append(prev[-1])
        levels.append(nxt)
    return levels


def inclusion_proof(levels: list[list[bytes]], index: int) -> list[bytes]:
    proof = []
    for level in levels[:-1]:
        sibling = index ^ 1
        if sibling < len(level):
            proof.append(level[sibling])
        index //= 2
    return proof


def sign_checkpoint(origin: str, size: int, root: bytes, key: Ed25519PrivateKey, name: str) -> str:
    body = f"{origin}\n{size}\n{base64.b64encode(root).decode()}\n"
    pub = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    key_hash = hashlib.sha256(name.encode() + b"\n\x01" + pub).digest()[:4]
    sig = base64.b64encode(key_hash + key.sign(body.encode())).decode()
    return f"{body}\n\u2014 {name} {sig}\n"


def make_custody(
    numbers: list[str], per_item: int, key: Ed25519PrivateKey | None = None
) -> CustodyExtract:
    """A case ledger with `per_item` entries per exhibit, chained, with a signed checkpoint."""
    key = key or Ed25519PrivateKey.generate()
    records = []
    prev = GENESIS_HASH
    seq = 0
    for step in range(per_item):
        for n, number in enumerate(numbers):
            seq += 1
            action = ACTIONS[min(step, len(ACTIONS) - 1)] if step < len(ACTIONS) else "access"
            record = {
                "seq": seq,
                "event_id": f"00000000-0000-4000-8000-{seq:012d}",
                "case_id": "CF-2026-0001",
                "exhibit_number": number,
                "root_exhibit_number": number,
                "action": action,
                "actor": {
                    "name": f"DC Alex Example {n % 5}",
                    "role": "officer",
                    "organisation": "Example Police",
                },
                "ts_utc": (T0 + timedelta(minutes=seq)).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "location": "Evidence store, Example HQ",
                "purpose": "Case CF-2026-0001 investigation",
                "prev_hash": prev,
            }
            data = canonical_bytes(record)
            prev = hashlib.sha256(data).hexdigest()
            records.append((record, prev, _leaf(data)))
    levels = merkle_levels([leaf for _, _, leaf in records])
    root = levels[-1][0] if records else hashlib.sha256(b"").digest()  # RFC 9162 empty tree
    name = "caseflow.example.com/custody"
    checkpoint = sign_checkpoint(
        "caseflow.example.com/custody/CF-2026-0001", len(records), root, key, name
    )
    entries = tuple(
        CustodyEntryProof(
            index=i,
            record=record,
            entry_hash=entry_hash,
            inclusion_proof=tuple(h.hex() for h in inclusion_proof(levels, i)),
        )
        for i, (record, entry_hash, _) in enumerate(records)
    )
    pub = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return CustodyExtract(
        entries=entries,
        tree_size=len(records),
        checkpoint_text=checkpoint,
        public_key=base64.b64encode(pub).decode(),
        key_name=name,
    )


def make_evidence(count: int, with_files: bool = True) -> tuple[EvidenceAnnex, ...]:
    items = []
    for i in range(1, count + 1):
        blob = png_bytes(i)
        items.append(
            EvidenceAnnex(
                number=f"CF-2026-0001/E-{i:04d}",
                description=f"Screenshot of advert {i} on classifieds.example.com <b>bold?</b>",
                kind="screenshot",
                sha256=hashlib.sha256(blob).hexdigest(),
                sha1=hashlib.sha1(blob).hexdigest(),  # noqa: S324 - interoperability hash
                md5=hashlib.md5(blob).hexdigest(),  # noqa: S324 - interoperability hash
                size=len(blob),
                media_type="image/png",
                acquired_at=T0 + timedelta(hours=i),
                acquired_by="DC Alex Example",
                method="Browser capture with hash at intake",
                filename=f"advert {i}.png" if i % 2 else f"../odd/ad\u00e9-{i}.PNG",
                open_bytes=(lambda b=blob: io.BytesIO(b)) if with_files else None,
            )
        )
    return tuple(items)


IDENTIFIERS = (
    Identifier("phone", "+447700900123", T0, None, "Number in the advert text"),
    Identifier("email", "bookings@example.com", None, None, "Contact address in advert"),
    Identifier("ip_address", "192.0.2.44", T0 + timedelta(minutes=3), 50123, "Login IP (CGNAT)"),
    Identifier("wallet", "bc1qexample0000000000000000000000000000fake", None, None, "Payments"),
    Identifier("url", 'https://classifieds.example.com/ad/77"<i>x</i>', T0, None, "The advert"),
    Identifier("account", '=HYPERLINK("http://example.com")', None, None, "Formula-like handle"),
)


ISSUING_AUTHORITY = Authority(
    name="Example Police Service <Cyber Unit>",
    kind="prosecutor",
    address="1 Example Street\nExampletown EX1 1AA",
    phone="+44 7700 900456",
    email="mla@example.com",
    file_reference="EX-2026-0042",
)
CONTACT = Contact(
    person="DS Sam Sample",
    phone="+44 7700 900456",
    email="mla@example.com",
    contact_24_7="+44 7700 900999",
    time_zone="Europe/London",
    languages=("en", "fr"),
)


def make_request(**overrides) -> RequestDoc:
    """A fully stated request (Budapest Art. 31 letter unless `instrument` is given)."""
    fields = {
        "reference": "CF-2026-0001/R-01",
        "case_reference": "CF-2026-0001",
        "instrument": Instrument(
            "BUDAPEST-31",
            "Council of Europe Convention on Cybercrime, Art. 31",
            "Convention on Cybercrime (ETS No. 185), Articles 25 and 31",
        ),
        "issuing_state": "United Kingdom",
        "issuing_authority": ISSUING_AUTHORITY,
        "contact": CONTACT,
        "requested_state": RequestedState("NL", "Netherlands", "Ministry of Justice (example)"),
        "urgency": "urgent",
        "language": "en",
        "issued_on": date(2026, 3, 4),
        "issuer": SignatureBlock(
            "Pat Placeholder",
            "Senior Prosecutor",
            date(2026, 3, 4),
            "Exampletown",
            "Seal of the Example Prosecution Office",
        ),
        "addressee": Addressee(
            "Classifieds Example B.V.",
            "service provider",
            "Examplestraat 1, Amsterdam",
            "designated-establishment",
        ),
        "measures": ("production",),
        "assistance": "Subscriber and traffic data for the identifiers in Annex 1.",
        "data_categories": ("subscriber", "traffic"),
        "urgency_reason": "Child at risk; data retention ends soon & <font color='red'>x</font>",
        "deadlines": (
            Deadline(
                "Reply requested",
                "within 30 days of receipt",
                datetime(2026, 4, 3, 12, 0, tzinfo=UTC),
            ),
        ),
        "proceedings": "Criminal investigation",
        "summary_of_facts": "Fictional facts for testing.\nSecond line with "
        "<a href='file:///etc/passwd'>x</a>.",
        "offences": (
            Offence("Trafficking in human beings", "Example Act 2015 s.2", "Life imprisonment"),
        ),
        "identifiers": IDENTIFIERS,
        "time_range": TimeRange(T0 - timedelta(days=30), T0),
        "necessity": "Needed to identify the person who posted the advert.",
        "confidentiality": "Do not notify the account holder.",
        "use_limits": "Only for the proceedings named in this request.",
        "earlier_requests": ("Preservation request PR-2026-0007 (2026-02-20)",),
    }
    fields.update(overrides)
    return RequestDoc(**fields)


def make_packet(
    items: int = 3,
    per_item: int = 3,
    include_files: bool = True,
    identifiers=IDENTIFIERS,
    request: RequestDoc | None = None,
) -> PacketData:
    evidence = make_evidence(items)
    custody = make_custody([e.number for e in evidence], per_item)
    request = request or make_request(identifiers=identifiers)
    nodes = tuple(
        ChartNode(f"n{i}", ident.value, ident.kind) for i, ident in enumerate(request.identifiers)
    )
    edges = tuple(ChartEdge("n0", f"n{i}", "CONTACTED") for i in range(1, len(nodes)))
    return PacketData(
        request=request,
        evidence=evidence,
        custody=custody,
        chart=LinkChart(nodes, edges),
        generated_at=datetime(2026, 3, 5, 12, 0, tzinfo=UTC),
        include_files=include_files,
    )


@dataclass(frozen=True)
class Built:
    data: PacketData
    identity: SigningIdentity
    signer: PdfSigner
    zip_bytes: bytes
    summary: PacketSummary


@functools.cache
def identity() -> SigningIdentity:
    return generate_self_signed("CaseFlow test signer", "Example Police")


def build(data: PacketData) -> Built:
    ident = identity()
    signer = PdfSigner.from_pem(ident.key_pem, ident.cert_pem, ident.root_pem)
    out = io.BytesIO()
    summary = build_packet(data, signer, out)
    return Built(data, ident, signer, out.getvalue(), summary)


@functools.cache
def built_packet() -> Built:
    """One small packet (3 items, 9 custody entries), built once per test session."""
    return build(make_packet())


def unpack(zip_bytes: bytes, folder: pathlib.Path) -> pathlib.Path:
    with zipfile.ZipFile(io.BytesIO(zip_bytes)) as zf:
        zf.extractall(folder)
    return folder
