"""PAdES signing: pdfsig, the pyhanko CLI and our validator agree, and tampering is caught."""

import datetime as dt
import io
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12

from exports.pdf import render_request_pdf
from exports.signing import PdfSigner, generate_self_signed, sign_pdf, validate_pdf_signature
from tests.unit.packet_factory import built_packet, identity

PYHANKO = Path(sys.executable).with_name("pyhanko")


def signed_pdf() -> bytes:
    return zipfile.ZipFile(io.BytesIO(built_packet().zip_bytes)).read("request.pdf")


def flip(data: bytes, offset: int) -> bytes:
    return data[:offset] + bytes([data[offset] ^ 0x01]) + data[offset + 1 :]


def test_generated_certificates_are_a_root_and_a_non_repudiation_signer():
    ident = identity()
    cert = x509.load_pem_x509_certificate(ident.cert_pem)
    root = x509.load_pem_x509_certificate(ident.root_pem)
    usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature and usage.content_commitment
    assert root.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    cert.verify_directly_issued_by(root)
    assert cert.not_valid_after_utc - cert.not_valid_before_utc > dt.timedelta(days=3650)


def test_pdfsig_reports_valid_whole_document_pades(tmp_path):
    path = tmp_path / "request.pdf"
    path.write_bytes(signed_pdf())
    out = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True).stdout
    assert "Signature Field Name: CaseFlow" in out
    assert "Signature is Valid" in out
    assert "Total document signed" in out
    assert "ETSI.CAdES.detached" in out
    assert "SHA-256" in out


def test_pdfsig_reports_tampering(tmp_path):
    pdf = signed_pdf()
    path = tmp_path / "request.pdf"
    path.write_bytes(flip(pdf, pdf.index(b"stream") + 20))
    out = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True).stdout
    assert "Signature is Valid" not in out


def test_pyhanko_cli_validates_intact_and_trusted(tmp_path):
    assert PYHANKO.exists() or shutil.which("pyhanko")
    (tmp_path / "request.pdf").write_bytes(signed_pdf())
    (tmp_path / "root.pem").write_bytes(identity().root_pem)
    result = subprocess.run(
        [str(PYHANKO), "sign", "validate", "--trust-replace", "--trust", "root.pem", "request.pdf"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "INTACT:TRUSTED" in result.stdout


def test_validator_reports_intact_trusted_and_catches_changes():
    pdf = signed_pdf()
    good = validate_pdf_signature(pdf, identity().root_pem)
    assert good.intact and good.trusted, good.summary
    other_root = generate_self_signed("Someone else", "Elsewhere").root_pem
    untrusted = validate_pdf_signature(pdf, other_root)
    assert untrusted.intact and not untrusted.trusted
    tampered = validate_pdf_signature(flip(pdf, pdf.index(b"stream") + 20), identity().root_pem)
    assert not tampered.intact
    appended = validate_pdf_signature(pdf + b"\n% appended\n", identity().root_pem)
    assert not appended.intact


def test_pkcs12_signer_signs_with_its_chain(tmp_path):
    ident = generate_self_signed("Production-like signer", "Example Police")
    key = serialization.load_pem_private_key(ident.key_pem, None)
    data = pkcs12.serialize_key_and_certificates(
        b"signer",
        key,
        x509.load_pem_x509_certificate(ident.cert_pem),
        [x509.load_pem_x509_certificate(ident.root_pem)],
        serialization.BestAvailableEncryption(b"pw-example"),
    )
    path = tmp_path / "signer.p12"
    path.write_bytes(data)
    signer = PdfSigner.from_pkcs12(path, "pw-example")
    assert signer.root_pem == ident.root_pem
    signed = sign_pdf(render_request_pdf(built_packet().data, "0" * 64), signer)
    report = validate_pdf_signature(signed, ident.root_pem)
    assert report.intact and report.trusted, report.summary
