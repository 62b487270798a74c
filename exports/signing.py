"""PAdES signing of packet PDFs with the installation's certificate, and offline validation.

Local installs use a generated root + signer pair (ECDSA P-256); production loads a PKCS#12
file. Validation never fetches anything: trust comes only from the root the caller passes.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import dataclasses
import datetime as dt
import io
import pathlib
import warnings
from dataclasses import dataclass
from typing import Any, NamedTuple

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers, timestamps
from pyhanko.sign.signers.pdf_signer import DSSContentSettings, SigDSSPlacementPreference
from pyhanko.sign.validation import validate_pdf_signature as _pyhanko_validate
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore

SIGNATURE_FIELD = "CaseFlow"
_VALIDITY = dt.timedelta(days=3653)


class SigningIdentity(NamedTuple):
    """PEM bytes of a generated signing key, its certificate and the root that issued it."""

    key_pem: bytes
    cert_pem: bytes
    root_pem: bytes


def _name(common_name: str, org: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, org),
        ]
    )


@dataclass(frozen=True)
class TestCa:
    """A development certification authority for authorities' signing certificates: its
    key and certificate (PEM) and an empty CRL (DER) to embed as validation data."""

    key_pem: bytes
    cert_pem: bytes

    @classmethod
    def generate(cls, org: str) -> TestCa:
        now = dt.datetime.now(dt.UTC).replace(microsecond=0)
        key = ec.generate_private_key(ec.SECP256R1())
        name = _name(f"{org} Test Authority CA (development only)", org)
        cert = _ca_certificate(name, key, now)
        pem = serialization.Encoding.PEM
        return cls(
            key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()),
            cert.public_bytes(pem),
        )

    def _key(self) -> ec.EllipticCurvePrivateKey:
        key = serialization.load_pem_private_key(self.key_pem, password=None)
        assert isinstance(key, ec.EllipticCurvePrivateKey)
        return key

    def crl(self, *, days: int = 365) -> bytes:
        """A CRL revoking nothing, valid `days` (DER)."""
        cert = x509.load_pem_x509_certificate(self.cert_pem)
        now = dt.datetime.now(dt.UTC).replace(microsecond=0)
        key = self._key()
        crl = (
            x509.CertificateRevocationListBuilder()
            .issuer_name(cert.subject)
            .last_update(now - dt.timedelta(minutes=5))
            .next_update(now + dt.timedelta(days=days))
            .add_extension(x509.CRLNumber(int(now.timestamp())), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(key.public_key()),
                critical=False,
            )
            .sign(key, hashes.SHA256())
        )
        return crl.public_bytes(serialization.Encoding.DER)

    def issue_pkcs12(self, common_name: str, org: str, title: str = "") -> bytes:
        """A PKCS#12 file (no password) with a document-signing key and certificate for
        `common_name` of `org` (with `title`), and this CA's certificate."""
        ca_cert = x509.load_pem_x509_certificate(self.cert_pem)
        attributes = [
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, org),
        ]
        if title:
            attributes.append(x509.NameAttribute(NameOID.TITLE, title))
        key = ec.generate_private_key(ec.SECP256R1())
        cert = _leaf_certificate(
            x509.Name(attributes), key, ca_cert.subject, self._key(), dt.datetime.now(dt.UTC)
        )
        return pkcs12.serialize_key_and_certificates(
            common_name.encode(), key, cert, [ca_cert], serialization.NoEncryption()
        )


def _ca_certificate(
    name: x509.Name, key: ec.EllipticCurvePrivateKey, now: dt.datetime
) -> x509.Certificate:
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + _VALIDITY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )


def _leaf_certificate(
    subject: x509.Name,
    key: ec.EllipticCurvePrivateKey,
    issuer: x509.Name,
    issuer_key: ec.EllipticCurvePrivateKey,
    now: dt.datetime,
) -> x509.Certificate:
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now.replace(microsecond=0) - dt.timedelta(minutes=5))
        .not_valid_after(now.replace(microsecond=0) + _VALIDITY)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
            critical=False,
        )
        .sign(issuer_key, hashes.SHA256())
    )


def generate_self_signed(common_name: str, org: str) -> SigningIdentity:
    """Generate a tiny private PKI for local use: a root CA and a document-signing certificate.

    Both keys are ECDSA P-256, valid 10 years. The signer carries keyUsage digitalSignature and
    nonRepudiation (pyhanko and Acrobat expect the latter for signatures of content). The root
    is what recipients pin as trust anchor (`certs/root.pem`); its private key is discarded.
    """
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    root_key = ec.generate_private_key(ec.SECP256R1())
    root_name = _name(f"{common_name} Root", org)
    root_cert = (
        x509.CertificateBuilder()
        .subject_name(root_name)
        .issuer_name(root_name)
        .public_key(root_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + _VALIDITY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(root_key.public_key()), critical=False
        )
        .sign(root_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name, org))
        .issuer_name(root_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + _VALIDITY)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()),
            critical=False,
        )
        .sign(root_key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    pem = serialization.Encoding.PEM
    return SigningIdentity(key_pem, cert.public_bytes(pem), root_cert.public_bytes(pem))


@dataclass(frozen=True)
class PdfSigner:
    """A pyhanko signer plus the certificates a packet bundles under `certs/`.

    `root_pem` is None when the PKCS#12 file carries no self-signed root; the packet then
    ships only the signer and intermediates and VERIFY.txt says to use the issuing CA's root.
    """

    signer: signers.SimpleSigner
    cert_pem: bytes
    chain_pem: tuple[bytes, ...]
    root_pem: bytes | None
    crls: tuple[bytes, ...] = ()  # DER CRLs of the chain, embedded as validation data (B-LT)

    @property
    def common_name(self) -> str:
        cert = x509.load_pem_x509_certificate(self.cert_pem)
        names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
        return str(names[0].value) if names else cert.subject.rfc4514_string()

    @classmethod
    def from_pem(
        cls, key_pem: bytes, cert_pem: bytes, root_pem: bytes | None, password: bytes | None = None
    ) -> PdfSigner:
        key = serialization.load_pem_private_key(key_pem, password=password)
        der_key = key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        cert = x509.load_pem_x509_certificate(cert_pem)
        extra = [x509.load_pem_x509_certificate(root_pem)] if root_pem else []
        return cls._build(der_key, cert, extra, root_pem)

    @classmethod
    def from_pkcs12(
        cls,
        path: pathlib.Path | str,
        password: bytes | str | None,
        crls: tuple[bytes, ...] = (),
    ) -> PdfSigner:
        """Load a signing identity (key, certificate and chain) from PKCS#12; `crls` (DER)
        are embedded with B-LT signatures."""
        if isinstance(password, str):
            password = password.encode()
        data = pathlib.Path(path).read_bytes()
        key, cert, extra = pkcs12.load_key_and_certificates(data, password)
        if key is None or cert is None:
            raise ValueError(f"{path}: PKCS#12 file holds no private key and certificate")
        der_key = key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        roots = [c for c in extra if c.subject == c.issuer]
        root_pem = roots[0].public_bytes(serialization.Encoding.PEM) if roots else None
        built = cls._build(der_key, cert, list(extra), root_pem)
        return dataclasses.replace(built, crls=crls) if crls else built

    @classmethod
    def _build(
        cls,
        der_key: bytes,
        cert: x509.Certificate,
        extra: list[x509.Certificate],
        root_pem: bytes | None,
    ) -> PdfSigner:
        der = serialization.Encoding.DER
        pem = serialization.Encoding.PEM
        asn1_cert = asn1_x509.Certificate.load(cert.public_bytes(der))
        asn1_extra = [asn1_x509.Certificate.load(c.public_bytes(der)) for c in extra]
        signer = signers.SimpleSigner(
            signing_cert=asn1_cert,
            signing_key=asn1_keys.PrivateKeyInfo.load(der_key),
            cert_registry=SimpleCertificateStore.from_certs(  # type: ignore[no-untyped-call]
                [asn1_cert, *asn1_extra]
            ),
        )
        chain = tuple(c.public_bytes(pem) for c in extra if c.subject != c.issuer)
        return cls(
            signer=signer, cert_pem=cert.public_bytes(pem), chain_pem=chain, root_pem=root_pem
        )


@dataclass(frozen=True)
class Timestamping:
    """An RFC 3161 timestamp authority for PAdES B-T/B-LT: its URL, its root certificates
    (PEM) and the CRLs (DER) of its chain to embed as validation data."""

    url: str
    roots_pem: tuple[bytes, ...] = ()
    crls: tuple[bytes, ...] = ()
    timeout: int = 10


def _asn1(pem: bytes) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(
        x509.load_pem_x509_certificate(pem).public_bytes(serialization.Encoding.DER)
    )


def sign_pdf(pdf_bytes: bytes, signer: PdfSigner, **options: Any) -> bytes:
    """Return the PDF with a PAdES signature (see `_sign_pdf` for `options`).

    pyhanko runs its own event loop (asyncio.run), which cannot start in a thread that has
    one running (an async server, Playwright's sync API in tests): there it signs in a
    worker thread."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return _sign_pdf(pdf_bytes, signer, **options)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(_sign_pdf, pdf_bytes, signer, **options).result()


def _sign_pdf(
    pdf_bytes: bytes,
    signer: PdfSigner,
    *,
    field: str = SIGNATURE_FIELD,
    reason: str = "Mutual legal assistance request issued through CaseFlow",
    name: str | None = None,
    location: str | None = None,
    tsa: Timestamping | None = None,
) -> bytes:
    """Return the PDF with a PAdES signature (SHA-256, ETSI.CAdES.detached) in `field`,
    appended as an incremental update that covers the whole document as it then is.

    Without `tsa`: PAdES B-B. With `tsa`: B-LT, i.e. B-T (an RFC 3161 signature timestamp
    from the TSA) with the validation data (the signer's and the TSA's certificates and the
    CRLs given) in the document security store, written in the same revision so the
    signature covers it. Nothing is fetched from the network but the timestamp."""
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf_bytes))
    out = io.BytesIO()
    if tsa is None:
        meta = signers.PdfSignatureMetadata(
            field_name=field,
            md_algorithm="sha256",
            subfilter=fields.SigSeedSubFilter.PADES,
            reason=reason,
            name=name,
            location=location,
        )
        signers.sign_pdf(writer, meta, signer=signer.signer, output=out)
        return out.getvalue()
    roots = [_asn1(pem) for pem in (signer.root_pem, *tsa.roots_pem) if pem]
    context = ValidationContext(
        trust_roots=roots,
        other_certs=[_asn1(pem) for pem in signer.chain_pem],
        crls=[*signer.crls, *tsa.crls],
        allow_fetching=False,
        revocation_mode="soft-fail",
    )
    meta = signers.PdfSignatureMetadata(
        field_name=field,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=reason,
        name=name,
        location=location,
        embed_validation_info=True,
        validation_context=context,
        dss_settings=DSSContentSettings(
            include_vri=False, placement=SigDSSPlacementPreference.TOGETHER_WITH_SIGNATURE
        ),
    )
    timestamper = timestamps.HTTPTimeStamper(tsa.url, timeout=tsa.timeout)
    with warnings.catch_warnings():
        # "fetching is not allowed": on purpose, the validation data is what we were given.
        warnings.simplefilter("ignore")
        signers.PdfSigner(meta, signer.signer, timestamper=timestamper).sign_pdf(writer, output=out)
    return out.getvalue()


@dataclass(frozen=True)
class SignatureReport:
    """`intact`: the signed bytes are unchanged; `trusted`: the signer chains to the given root."""

    intact: bool
    trusted: bool
    summary: str


def validate_pdf_signature(pdf_bytes: bytes, trust_root_pem: bytes) -> SignatureReport:
    """Validate the CaseFlow signature offline against one trust root (no fetching, no OS store).

    Revocation is not checked (a B-B signature carries no revocation data); a PDF with no
    signature, or with changes after signing, is reported as not intact.
    """
    try:
        reader = PdfFileReader(io.BytesIO(pdf_bytes))
        sigs = reader.embedded_signatures
    except Exception as exc:  # a broken file is a failed check, not a crash
        return SignatureReport(False, False, f"unreadable PDF: {exc}")
    if not sigs:
        return SignatureReport(False, False, "no signature in PDF")
    root = asn1_x509.Certificate.load(
        x509.load_pem_x509_certificate(trust_root_pem).public_bytes(serialization.Encoding.DER)
    )
    context = ValidationContext(
        trust_roots=[root], allow_fetching=False, revocation_mode="soft-fail"
    )
    try:
        status = _pyhanko_validate(sigs[-1], context)
    except Exception as exc:
        return SignatureReport(False, False, f"signature could not be validated: {exc}")
    intact = bool(status.intact and status.valid)
    whole = status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    summary = status.summary()
    if intact and not whole:
        coverage = status.coverage.name if status.coverage is not None else "unknown"
        summary += f"; coverage {coverage}: the file was changed after signing"
    return SignatureReport(intact=intact and whole, trusted=bool(status.trusted), summary=summary)
