"""Build the MLA packet ZIP: signed request PDF, machine-readable request, evidence, custody
with proofs, CASE/UCO, checksums, certificates and the offline verifier.

Format and the packet digest are documented in docs/packet-format.md.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import importlib.resources
import io
import json
import re
import unicodedata
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, BinaryIO

from cryptography import x509
from cryptography.hazmat.primitives import hashes

from exports.caseuco import custody_jsonld_chunks
from exports.model import EvidenceAnnex, PacketData, TranslationAnnex
from exports.pdf import render_request_pdf
from exports.signing import PdfSigner, sign_pdf
from exports.verify import canonical_bytes

CHUNK = 1 << 20
REQUEST_SCHEMA = "caseflow.request/2"
MANIFEST_SCHEMA = "caseflow.manifest/1"
CUSTODY_SCHEMA = "caseflow.custody/1"
DIGEST_SCHEMA = "caseflow.packet-digest/1"
# Members that record the PDF's own hash: the packet digest printed in the PDF cannot cover them.
NOT_IN_DIGEST = frozenset({"request.pdf", "manifest.json", "SHA256SUMS"})


class PacketError(Exception):
    """The packet cannot be built as asked (evidence bytes missing or not matching intake)."""


class AnnexIntegrityError(PacketError):
    """An annexed evidence file is missing (`missing`) or its bytes no longer match the
    SHA-256 and size recorded at intake: `number` names the item, `sha256` its intake hash."""

    def __init__(self, number: str, sha256: str, missing: bool, message: str) -> None:
        super().__init__(message)
        self.number = number
        self.sha256 = sha256
        self.missing = missing


@dataclass(frozen=True)
class PacketSummary:
    """The packet digest and every member's SHA-256 (hex), by member name."""

    digest: str
    members: Mapping[str, str]


def packet_digest(members: Mapping[str, tuple[str, int]]) -> str:
    """SHA-256 (hex) of the canonical JSON {"schema": DIGEST_SCHEMA, "members": {name:
    {"sha256", "size"}}} over every member except request.pdf, manifest.json and SHA256SUMS."""
    covered = {
        name: {"sha256": sha, "size": size}
        for name, (sha, size) in members.items()
        if name not in NOT_IN_DIGEST
    }
    return hashlib.sha256(
        canonical_bytes({"schema": DIGEST_SCHEMA, "members": covered})
    ).hexdigest()


_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def safe_component(text: str, fallback: str = "file") -> str:
    """A path component that is safe in a ZIP, on any file system and in SHA256SUMS: ASCII
    letters, digits, dot, dash and underscore only, no leading dot, at most 80 characters."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    cleaned = _UNSAFE.sub("_", ascii_text).strip("._")[:80].strip("._")
    return cleaned or fallback


def evidence_member_name(item: EvidenceAnnex) -> str:
    return (
        f"evidence/{safe_component(item.number, 'item')}/"
        f"{item.sha256[:12]}-{safe_component(item.filename)}"
    )


def _rfc3339(value: datetime | date | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise PacketError(f"naive datetime {value.isoformat()} in packet data: use UTC")
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return value.isoformat()


def request_json(data: PacketData) -> dict[str, Any]:
    """The request as JSON (schema caseflow.request/2, see docs/packet-format.md): every field
    of the document as stated, nothing more."""
    return {
        "schema": REQUEST_SCHEMA,
        **_plain(data.request),
        "generated_at": _rfc3339(data.generated_at),
        "evidence": [_evidence_json(e, data.include_files) for e in data.evidence],
        "translations": [
            {
                "language": t.language,
                "translator": t.translator,
                "certification": t.certification,
                "file": translation_member_name(t),
                "sha256": t.sha256,
                "size": t.size,
            }
            for t in data.translations
        ],
    }


def translation_member_name(item: TranslationAnnex) -> str:
    return f"translations/{safe_component(item.language, 'translation')}.pdf"


def _plain(value: Any) -> Any:
    """Dataclasses as objects, tuples as arrays, datetimes as RFC 3339 UTC, dates ISO 8601."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, datetime | date):
        return _rfc3339(value)
    return value


def _evidence_json(item: EvidenceAnnex, included: bool) -> dict[str, Any]:
    return {
        "number": item.number,
        "description": item.description,
        "kind": item.kind,
        "filename": item.filename,
        "media_type": item.media_type,
        "size": item.size,
        "sha256": item.sha256,
        "sha1": item.sha1,
        "md5": item.md5,
        "acquired_at": _rfc3339(item.acquired_at),
        "acquired_by": item.acquired_by,
        "method": item.method,
        "member": evidence_member_name(item) if included else None,
    }


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?[0-9][0-9 ]*")


def _csv_cell(value: object) -> str:
    """Neutralize spreadsheet formulas (a leading ' for cells starting with = + - @ TAB CR),
    except plain numbers such as E.164 phone numbers, which spreadsheets do not evaluate."""
    text = "" if value is None else str(value)
    if text.startswith(_FORMULA_START) and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


def identifiers_csv(data: PacketData) -> bytes:
    """RFC 4180 CSV (UTF-8, CRLF) of the request's identifiers, formula-neutralized."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["kind", "value", "observed_at_utc", "port", "relevance"])
    for i in data.request.identifiers:
        writer.writerow(
            [
                _csv_cell(i.kind),
                _csv_cell(i.value),
                _rfc3339(i.observed_at) or "",
                "" if i.port is None else str(i.port),
                _csv_cell(i.relevance),
            ]
        )
    return out.getvalue().encode("utf-8")


def custody_json(data: PacketData) -> dict[str, Any]:
    """Entries with leaf-to-root inclusion proofs, the signed checkpoint and its public key."""
    return {**_custody_head(data), "entries": list(_custody_entries(data))}


def custody_json_chunks(data: PacketData) -> Iterator[bytes]:
    """custody.json as compact sorted-key JSON in ~1 MiB pieces (equal to the compact dump of
    `custody_json`), so 20,000 entries with proofs are never held as one string."""
    head = json.dumps(
        {**_custody_head(data), "entries": []},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    # Top-level keys sort, and a quote inside a JSON string is escaped: this marker is unique.
    before, after = head.split('"entries":[]', 1)
    parts = [before + '"entries":[']
    size = 0
    for n, entry in enumerate(_custody_entries(data)):
        text = json.dumps(entry, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        parts.append(text if n == 0 else "," + text)
        size += len(text)
        if size > 1 << 20:
            yield "".join(parts).encode()
            parts, size = [], 0
    parts.append("]" + after + "\n")
    yield "".join(parts).encode()


def _custody_entries(data: PacketData) -> Iterator[dict[str, Any]]:
    for e in sorted(data.custody.entries, key=lambda e: e.index):
        yield {
            "index": e.index,
            "record": dict(e.record),
            "entry_hash": e.entry_hash,
            "inclusion_proof": list(e.inclusion_proof),
            "openings": {k: dict(v) for k, v in e.openings.items()},
        }


def _custody_head(data: PacketData) -> dict[str, Any]:
    c = data.custody
    return {
        "schema": CUSTODY_SCHEMA,
        "leaf": "SHA-256(0x00 || canonical_bytes(record))",
        "entry_hash": "SHA-256(canonical_bytes(record))",
        "tree_size": c.tree_size,
        "checkpoint": c.checkpoint_text,
        "key_name": c.key_name,
        "public_key": c.public_key,
    }


def verifier_source() -> bytes:
    """The bytes of exports/verify.py, shipped unchanged as the packet's verify.py."""
    return importlib.resources.files("exports").joinpath("verify.py").read_bytes()


def _fingerprint(pem: bytes) -> str:
    digest = x509.load_pem_x509_certificate(pem).fingerprint(hashes.SHA256()).hex().upper()
    return ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))


def verify_txt(data: PacketData, signer: PdfSigner) -> bytes:
    root = (
        f"SHA-256 fingerprint of certs/root.pem: {_fingerprint(signer.root_pem)}\n"
        "Compare it with the fingerprint the requesting authority gave you by another channel\n"
        "(telephone, the central authority's secure channel) before you trust it."
        if signer.root_pem
        else "The signer's root certificate is not bundled: use the issuing CA's published root."
    )
    trust = " ".join(
        f"--trust certs/{other.role}-root.pem" for other in data.signers if other.root_pem
    )
    pyhanko = "pyhanko sign validate --trust-replace --trust certs/root.pem "
    pyhanko += f"{trust} request.pdf" if trust else "request.pdf"
    earlier = (
        "\n   request.pdf carries several signatures: the issuing authority's (field Issuer),\n"
        "   the validating authority's where there is one (Validator), and last the seal\n"
        '   (CaseFlow). Only the last covers the whole file ("Total document signed");\n'
        "   each earlier one covers the document as it was when signed.\n"
        if data.signers
        else ""
    )
    return VERIFY_TEMPLATE.format(
        reference=data.request.reference, root=root, pyhanko=pyhanko, earlier=earlier
    ).encode("utf-8")


VERIFY_TEMPLATE = """\
HOW TO CHECK THIS PACKET ({reference})
=====================================

Everything below works offline. Nothing needs CaseFlow.

1. Unpack and check every file against SHA256SUMS (GNU coreutils):

     unzip packet.zip -d packet && cd packet
     sha256sum -c SHA256SUMS

   Every line must say OK. SHA256SUMS lists every other file in the packet.
   Check the ZIP itself with verify.py too (step 2): only the ZIP shows a file name that
   appears twice, and unzip silently keeps one of the copies.
   manifest.json lists the same hashes and sizes, and the evidence items (with MD5
   and SHA-1 for forensic tools) even when their files are not included.

2. Run the bundled verifier (Python 3.11+, and the `cryptography` package):

     python3 verify.py .          (or: python3 verify.py packet.zip)
     python3 verify.py . --expect-root SHA256 --expect-ledger-key KEY

   with the root certificate's fingerprint and the custody ledger's key as the requesting
   authority gave them to you by another channel. It checks that the packet has each
   member once and nothing else, every hash, the packet digest against the one the signed
   PDF carries, manifest.json field by field against the signed request.json, every
   custody entry (entry hash, Merkle leaf, inclusion proof against the signed tree head),
   the tree head's Ed25519 signature, and the PDF signature's digest and CMS signature
   against certs/. It prints the fingerprints it trusted, one line per check, and exits
   non-zero naming what failed. Without `cryptography` the signatures cannot be checked:
   it says so and fails, unless you pass --no-signatures.

3. Check the PDF signature with independent tools:

     pdfsig request.pdf
       expect "Signature is Valid" and "Total document signed"; "Certificate issuer isn't
       Trusted" is expected, because the root is private to the requesting authority.
     {pyhanko}
       expect every signature valid (pip install pyhanko-cli).
{earlier}
   Adobe Reader shows the signature as "validity unknown" unless you add certs/root.pem
   as a trusted root.
   {root}

4. The packet digest printed on every page of request.pdf is the SHA-256 of the
   canonical JSON
     {{"members":{{NAME:{{"sha256":HEX,"size":N}},...}},"schema":"caseflow.packet-digest/1"}}
   over every file except request.pdf, manifest.json and SHA256SUMS (they record the
   PDF's own hash). manifest.json repeats it; verify.py recomputes it.

5. Recompute one custody entry by hand. Canonical bytes are JSON with sorted keys, no
   spaces, UTF-8 (RFC 8785). For an entry in custody.json, with its record saved as
   record.json in canonical form:

     sha256sum record.json                          (the entry_hash)
     (printf '\\x00'; cat record.json) | sha256sum    (the Merkle leaf hash)

   For instance the leaf of the three bytes "abc" is
     printf '\\x00abc' | sha256sum
     = 609f6e36d2405585188d5cfd761f407c7cc46a7d3f314c88270469dde315fcd1
   Inner nodes are SHA-256(0x01 || left || right) (RFC 9162). The proof in custody.json lists
   sibling hashes from the leaf up to the root in the checkpoint (a C2SP signed note whose
   signature line is "<em dash> KEY_NAME base64(4-byte key id || Ed25519 signature)").

6. custody.jsonld is the same custody in CASE/UCO (https://caseontology.org). Validate with
   case_validate --built-version case-1.5.0 custody.jsonld   (pip install case-utils)
"""


def _zipinfo(name: str, when: datetime, compress: int) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=when.astimezone(UTC).timetuple()[:6])
    info.compress_type = compress
    info.external_attr = 0o644 << 16
    return info


def _open_evidence(item: EvidenceAnnex) -> BinaryIO:
    if item.open_bytes is not None:
        return item.open_bytes()
    if item.path is not None:
        return item.path.open("rb")
    raise PacketError(f"{item.number}: the file was asked for but no bytes are available")


def _chunks(stream: BinaryIO) -> Iterator[bytes]:
    while chunk := stream.read(CHUNK):
        yield chunk


@dataclass(frozen=True)
class ApprovedDocument:
    """The signed request PDF made at approval and the packet digest printed in it: an
    export that packs it must produce exactly the members that digest covers."""

    digest: str
    pdf: bytes


def _generated(
    data: PacketData, signer: PdfSigner
) -> Iterator[tuple[str, bytes | Iterable[bytes]]]:
    """The members the builder writes itself (not evidence, not the PDF, manifest, sums), in
    packet order: bytes, or an iterable of chunks for the big custody members."""
    yield "request.json", _json_bytes(request_json(data))
    yield "identifiers.csv", identifiers_csv(data)
    yield "custody.json", custody_json_chunks(data)
    yield "custody.jsonld", custody_jsonld_chunks(data)
    for item in data.translations:
        if item.open_bytes is None:
            raise PacketError(f"translation {item.language}: no bytes")
        with item.open_bytes() as stream:
            payload = stream.read()
        if hashlib.sha256(payload).hexdigest() != item.sha256:
            raise PacketError(f"translation {item.language}: bytes do not match its SHA-256")
        yield translation_member_name(item), payload
    yield "certs/signer.pem", signer.cert_pem
    for n, pem in enumerate(signer.chain_pem, start=1):
        yield f"certs/chain-{n}.pem", pem
    if signer.root_pem:
        yield "certs/root.pem", signer.root_pem
    for other in data.signers:
        yield f"certs/{other.role}.pem", other.cert_pem.encode("ascii")
        for n, text in enumerate(other.chain_pem, start=1):
            yield f"certs/{other.role}-chain-{n}.pem", text.encode("ascii")
        if other.root_pem:
            yield f"certs/{other.role}-root.pem", other.root_pem.encode("ascii")
    yield "verify.py", verifier_source()
    yield "VERIFY.txt", verify_txt(data, signer)


def expected_digest(data: PacketData, signer: PdfSigner) -> str:
    """The packet digest `build_packet` will compute for `data`, without reading evidence
    bytes (their intake SHA-256 and size stand in: the build refuses bytes that differ)."""
    members: dict[str, tuple[str, int]] = {}
    if data.include_files:
        for item in data.evidence:
            members[evidence_member_name(item)] = (item.sha256, item.size)
    for name, payload in _generated(data, signer):
        sha, size = hashlib.sha256(), 0
        for chunk in (payload,) if isinstance(payload, bytes) else payload:
            sha.update(chunk)
            size += len(chunk)
        members[name] = (sha.hexdigest(), size)
    return packet_digest(members)


def approve_document(
    data: PacketData, signer: PdfSigner, sign: Callable[[bytes], bytes] | None = None
) -> ApprovedDocument:
    """Render the request PDF with the digest of the packet `data` will make and sign it
    (`sign`, default: the installation's PAdES signature by `signer`)."""
    digest = expected_digest(data, signer)
    pdf = render_request_pdf(data, digest)
    return ApprovedDocument(digest, sign(pdf) if sign else sign_pdf(pdf, signer))


def build_packet(
    data: PacketData,
    signer: PdfSigner,
    out: BinaryIO,
    approved: ApprovedDocument | None = None,
) -> PacketSummary:
    """Write the packet ZIP to `out` and return its digest and member hashes.

    Evidence files are streamed in 1 MiB chunks and re-hashed; a file whose SHA-256 or size
    differs from its intake values stops the build with PacketError (the caller discards `out`).
    Members are written in this order: evidence, request.json, identifiers.csv, custody.json,
    custody.jsonld, certs/, verify.py, VERIFY.txt, request.pdf, manifest.json, SHA256SUMS.

    With `approved` (the document signed at approval) its PDF is packed as it is, and the
    build stops with PacketError unless the members make the digest printed in it.
    """
    when = data.generated_at
    members: dict[str, tuple[str, int]] = {}
    # Level 1: the JSON members still shrink ~5x, at a fraction of the default level's time.
    with zipfile.ZipFile(out, "w", allowZip64=True, compresslevel=1) as zf:

        def put(name: str, payload: bytes, compress: int = zipfile.ZIP_DEFLATED) -> None:
            zf.writestr(_zipinfo(name, when, compress), payload)
            members[name] = (hashlib.sha256(payload).hexdigest(), len(payload))

        if data.include_files:
            for item in data.evidence:
                name = evidence_member_name(item)
                if name in members:
                    raise PacketError(f"{item.number}: duplicate evidence member {name}")
                sha, size = hashlib.sha256(), 0
                try:
                    source = _open_evidence(item)
                except FileNotFoundError as exc:
                    raise AnnexIntegrityError(
                        item.number, item.sha256, True, f"{item.number}: the file is missing"
                    ) from exc
                with (
                    source as src,
                    zf.open(_zipinfo(name, when, zipfile.ZIP_STORED), "w", force_zip64=True) as dst,
                ):
                    for chunk in _chunks(src):
                        sha.update(chunk)
                        size += len(chunk)
                        dst.write(chunk)
                if sha.hexdigest() != item.sha256 or size != item.size:
                    raise AnnexIntegrityError(
                        item.number,
                        item.sha256,
                        False,
                        f"{item.number}: file bytes do not match intake (SHA-256 "
                        f"{sha.hexdigest()}, {size} bytes; recorded {item.sha256}, {item.size})",
                    )
                members[name] = (item.sha256, size)

        def put_chunks(name: str, chunks: Iterable[bytes]) -> None:
            sha, size = hashlib.sha256(), 0
            with zf.open(_zipinfo(name, when, zipfile.ZIP_DEFLATED), "w", force_zip64=True) as dst:
                for chunk in chunks:
                    sha.update(chunk)
                    size += len(chunk)
                    dst.write(chunk)
            members[name] = (sha.hexdigest(), size)

        for name, payload in _generated(data, signer):
            if isinstance(payload, bytes):
                put(name, payload)
            else:
                put_chunks(name, payload)

        digest = packet_digest(members)
        if approved is None:
            pdf = sign_pdf(render_request_pdf(data, digest), signer)
        elif approved.digest != digest:
            raise PacketError(
                f"the packet's members (digest {digest}) are not those of the document signed "
                f"at approval (digest {approved.digest}): the request must be approved again"
            )
        else:
            pdf = approved.pdf
        # The PDF's streams are already Flate-compressed.
        put("request.pdf", pdf, zipfile.ZIP_STORED)
        put("manifest.json", canonical_bytes(_manifest(data, members, digest)) + b"\n")
        put("SHA256SUMS", sha256sums(members).encode("ascii"))
    return PacketSummary(digest=digest, members={k: v[0] for k, v in members.items()})


def _json_bytes(value: Any) -> bytes:
    """UTF-8 JSON, keys sorted, indented for people (only small members use this)."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, indent=1).encode() + b"\n"


def _manifest(
    data: PacketData, members: Mapping[str, tuple[str, int]], digest: str
) -> dict[str, Any]:
    return {
        "schema": MANIFEST_SCHEMA,
        "reference": data.request.reference,
        "generated_at": _rfc3339(data.generated_at),
        "packet_digest": digest,
        "files": {name: {"sha256": sha, "size": size} for name, (sha, size) in members.items()},
        "evidence": [_evidence_json(e, data.include_files) for e in data.evidence],
        "includes_evidence_files": data.include_files,
    }


def sha256sums(members: Mapping[str, tuple[str, int]]) -> str:
    """GNU `sha256sum` text format (two spaces), member names sorted."""
    return "".join(f"{members[name][0]}  {name}\n" for name in sorted(members))


PACKET_KINDS: dict[str, Callable[[PacketData, PdfSigner, BinaryIO], PacketSummary]] = {
    "mla": build_packet
}
