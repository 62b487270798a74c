"""Packet-signing certificates: the installation's (PKCS#12 from configuration in
production, else a self-signed pair generated once into the instance folder), and the
issuing and validating authorities' (a PKCS#12 file per signatory from a configured folder,
else issued by a development test CA generated into the instance folder at first start).
Must not import flask.
"""

from __future__ import annotations

import contextlib
import os
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from exports.signing import PdfSigner, TestCa, Timestamping, generate_self_signed

FOLDER = "packet-signing"
AUTHORITY_FOLDER = "authority-signing"


def load_or_create_signer(
    instance_path: Path,
    *,
    organisation: str,
    p12_path: str | None = None,
    p12_password: str | None = None,
) -> PdfSigner:
    """The signer packets use.

    With `p12_path` (CASEFLOW_SIGNING_P12) the PKCS#12 file and its password are loaded and
    nothing is generated; a wrong password or a file without a key raises ValueError at start.
    Otherwise `instance/packet-signing/` holds `key.pem` (0600), `cert.pem` and `root.pem`,
    generated at first start; recipients pin `root.pem`. A concurrent first start is safe:
    the key file is created with O_EXCL and the loser loads the winner's files.
    """
    if p12_path:
        return PdfSigner.from_pkcs12(p12_path, p12_password)
    folder = Path(instance_path) / FOLDER
    key, cert, root = folder / "key.pem", folder / "cert.pem", folder / "root.pem"
    if not key.exists():
        folder.mkdir(parents=True, exist_ok=True)
        identity = generate_self_signed(f"{organisation} packet signing", organisation)
        with contextlib.suppress(FileExistsError):
            # Certificates first, key last: a present key means a complete identity.
            cert.write_bytes(identity.cert_pem)
            root.write_bytes(identity.root_pem)
            fd = os.open(key, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as handle:
                handle.write(identity.key_pem)
    return PdfSigner.from_pem(key.read_bytes(), cert.read_bytes(), root.read_bytes())


class SigningError(ValueError):
    """No usable certificate for a named authority."""


def _write_private(path: Path, data: bytes) -> None:
    with contextlib.suppress(FileExistsError):
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)


def slug(name: str) -> str:
    """The file name stem of a signatory's PKCS#12 file: "Jane Example" -> "jane-example"."""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "authority"


def _read_crls(spec: str | None) -> tuple[bytes, ...]:
    out = []
    for name in (spec or "").split(";"):
        if name.strip():
            data = Path(name.strip()).read_bytes()
            if data.lstrip().startswith(b"-----BEGIN"):
                from cryptography import x509
                from cryptography.hazmat.primitives.serialization import Encoding

                data = x509.load_pem_x509_crl(data).public_bytes(Encoding.DER)
            out.append(data)
    return tuple(out)


@dataclass(frozen=True)
class AuthoritySigners:
    """Where issuing and validating authorities' certificates come from.

    Configured (`p12_dir`): `<p12_dir>/<slug(signatory)>.p12` with `password`; a signatory
    without a file is refused (SigningError naming the file). Development (`p12_dir` None):
    `instance/authority-signing/` holds a test CA (`ca-key.pem` 0600, `ca.pem`, `ca.crl`)
    generated at first start, and issues each signatory a PKCS#12 file there at first use.
    """

    folder: Path
    password: str | None = None
    crls: tuple[bytes, ...] = ()
    test_ca: TestCa | None = None

    @classmethod
    def configure(
        cls,
        instance_path: Path,
        *,
        organisation: str,
        p12_dir: str | None = None,
        password: str | None = None,
        crl_files: str | None = None,
    ) -> AuthoritySigners:
        if p12_dir:
            return cls(Path(p12_dir), password, _read_crls(crl_files))
        folder = Path(instance_path) / AUTHORITY_FOLDER
        folder.mkdir(parents=True, exist_ok=True)
        key, cert = folder / "ca-key.pem", folder / "ca.pem"
        if not key.exists():
            ca = TestCa.generate(organisation)
            with contextlib.suppress(FileExistsError):
                cert.write_bytes(ca.cert_pem)
                (folder / "ca.crl").write_bytes(ca.crl())
                _write_private(key, ca.key_pem)
        ca = TestCa(key.read_bytes(), cert.read_bytes())
        return cls(folder, None, ((folder / "ca.crl").read_bytes(),), ca)

    def signer_for(self, signatory: str, organisation: str, post: str = "") -> PdfSigner:
        """The PDF signer of `signatory` (a person signing for `organisation`)."""
        path = self.folder / f"{slug(signatory)}.p12"
        if not path.exists():
            if self.test_ca is None:
                raise SigningError(
                    f"No signing certificate for {signatory}: put {path.name} (PKCS#12) in "
                    f"{self.folder}."
                )
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_bytes(self.test_ca.issue_pkcs12(signatory, organisation, post))
            os.chmod(tmp, 0o600)
            os.replace(tmp, path)
        try:
            return PdfSigner.from_pkcs12(path, self.password, self.crls)
        except ValueError as exc:
            raise SigningError(f"{path.name}: cannot be read with the configured password") from exc


def timestamping(
    url: str | None, ca_file: str | None, crl_files: str | None
) -> Timestamping | None:
    """The TSA packet signatures use (PAdES B-LT), or None (B-B) when none is configured."""
    if not url:
        return None
    roots = (Path(ca_file).read_bytes(),) if ca_file else ()
    return Timestamping(url, roots, _read_crls(crl_files))


@dataclass(frozen=True)
class SignatureStep:
    """One signature on the request PDF: the field, the role bundled under certs/ (None for
    the installation's seal, bundled as certs/signer.pem), the signer and what it says."""

    field: str
    role: str | None
    signer: PdfSigner
    reason: str
    name: str
    location: str = ""


def signature_steps(
    authorities: AuthoritySigners,
    seal: PdfSigner,
    *,
    authority: str,
    issuer_name: str,
    issuer_post: str,
    place: str,
    validator_authority: str = "",
    validator_name: str = "",
    validator_post: str = "",
    organisation: str,
) -> list[SignatureStep]:
    """The signatures a request PDF gets at approval, in order: the issuing authority's
    signatory, the validating authority's where there is one, and last the installation's
    seal (it covers the whole file). Raises SigningError for a signatory without a
    certificate."""
    steps = [
        SignatureStep(
            "Issuer",
            "issuer",
            authorities.signer_for(issuer_name, authority, issuer_post),
            f"Issued by {issuer_name}, {issuer_post}, {authority}",
            issuer_name,
            place,
        )
    ]
    if validator_authority:
        steps.append(
            SignatureStep(
                "Validator",
                "validator",
                authorities.signer_for(validator_name, validator_authority, validator_post),
                f"Validated by {validator_name}, {validator_post}, {validator_authority}",
                validator_name,
            )
        )
    steps.append(
        SignatureStep(
            "CaseFlow",
            None,
            seal,
            f"Sealed by {organisation} (CaseFlow) as approved",
            organisation,
        )
    )
    return steps
