"""What the recipient trusts, said out loud: verify.py compares the root certificate and the
ledger key with fingerprints given out of band, prints those it trusted, runs every hash, chain
and proof check in a Python without `cryptography`, and never skips a signature silently.
A packet without evidence or custody entries verifies and says what was absent."""

from __future__ import annotations

import functools
import hashlib
import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from caseflow.cli import packet_group
from exports.verify import Expectations, main, verify_packet
from tests.unit.packet_factory import build, built_packet, make_custody, make_packet, unpack

# Runs verify.py as a recipient would, in an isolated Python in which `import cryptography`
# fails (a None entry in sys.modules makes every import of the package raise ImportError).
NO_CRYPTOGRAPHY = (
    "import runpy, sys; sys.modules['cryptography'] = None; "
    "sys.argv = sys.argv[1:]; runpy.run_path(sys.argv[0], run_name='__main__')"
)


def run_without_cryptography(folder: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-I", "-c", NO_CRYPTOGRAPHY, "verify.py", *args],
        cwd=folder,
        capture_output=True,
        text=True,
    )


def root_fingerprint() -> str:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes

    cert = x509.load_pem_x509_certificate(built_packet().identity.root_pem)
    return cert.fingerprint(hashes.SHA256()).hex()


def ledger_vkey() -> str:
    custody = json.loads(zipfile.ZipFile(io.BytesIO(built_packet().zip_bytes)).read("custody.json"))
    import base64

    from exports.verify import encode_verifier_key

    return encode_verifier_key(custody["key_name"], base64.b64decode(custody["public_key"]))


@pytest.fixture
def packet_zip(tmp_path) -> Path:
    path = tmp_path / "packet.zip"
    path.write_bytes(built_packet().zip_bytes)
    return path


def results(path: Path, expect: Expectations) -> dict[str, tuple[bool, str]]:
    return {c.name: (c.ok, c.detail) for c in verify_packet(str(path), expect)}


def test_fingerprints_trusted_are_printed_and_marked_not_compared(packet_zip, capsys):
    assert main([str(packet_zip)]) == 0
    out = capsys.readouterr().out
    pretty = ":".join(root_fingerprint().upper()[i : i + 2] for i in range(0, 64, 2))
    assert f"OK   certs/root.pem fingerprint: SHA-256 {pretty} trusted as bundled" in out
    assert "NOT compared" in out and "--expect-root" in out
    assert f"OK   custody ledger key: trusted as bundled: {ledger_vkey()}" in out


def test_expected_root_and_ledger_key_pass_when_they_match(packet_zip, capsys):
    fingerprint = root_fingerprint()
    colons = ":".join(fingerprint[i : i + 2] for i in range(0, 64, 2)).upper()
    args = [str(packet_zip), "--expect-root", colons, "--expect-ledger-key", ledger_vkey()]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "as expected (--expect-root)" in out
    assert "as expected (--expect-ledger-key)" in out
    raw_key = json.loads(zipfile.ZipFile(packet_zip).read("custody.json"))["public_key"]
    assert (
        main([str(packet_zip), "--expect-root", fingerprint, "--expect-ledger-key", raw_key]) == 0
    )


def test_another_root_or_ledger_key_fails_naming_it(packet_zip):
    other_root = hashlib.sha256(b"another root").hexdigest()
    other_key = make_custody(["X"], 1).public_key
    checks = results(packet_zip, Expectations(root_sha256=other_root, ledger_keys=(other_key,)))
    assert checks["certs/root.pem fingerprint"][0] is False
    assert other_root in checks["certs/root.pem fingerprint"][1]
    assert checks["custody ledger key"][0] is False
    args = ["verify", str(packet_zip), "--expect-root", other_root]
    result = CliRunner().invoke(packet_group, args)
    assert result.exit_code == 1 and "FAIL certs/root.pem fingerprint" in result.output
    args = ["verify", str(packet_zip), "--expect-ledger-key", other_key]
    result = CliRunner().invoke(packet_group, args)
    assert result.exit_code == 1 and "FAIL custody ledger key" in result.output


def test_without_cryptography_hashes_chain_and_proofs_run_and_signatures_fail_loudly(tmp_path):
    folder = unpack(built_packet().zip_bytes, tmp_path / "packet")
    result = run_without_cryptography(folder, ".")
    assert result.returncode == 1, result.stdout + result.stderr
    out = result.stdout
    assert "OK   custody entries: 9 of 9 entries" in out  # stdlib-only checks still ran
    assert "OK   packet digest" in out and "OK   request.pdf signed digest" in out
    assert "OK   certs/root.pem fingerprint: SHA-256" in out
    assert "FAIL custody checkpoint signature: NOT CHECKED" in out
    assert "FAIL request.pdf CMS signature: NOT CHECKED" in out
    assert "cryptography" in result.stderr and "NO SIGNATURE WAS CHECKED" in result.stderr


def test_without_cryptography_an_explicit_opt_out_passes_with_a_warning(tmp_path):
    folder = unpack(built_packet().zip_bytes, tmp_path / "packet")
    result = run_without_cryptography(folder, ".", "--no-signatures")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SKIP custody checkpoint signature" in result.stdout
    assert "SKIP request.pdf CMS signature" in result.stdout
    assert "WARNING: 2 signature checks were NOT made" in result.stdout
    assert "WARNING" in result.stderr
    assert "All " not in result.stdout


def test_without_cryptography_a_forged_custody_entry_still_fails(tmp_path):
    folder = unpack(built_packet().zip_bytes, tmp_path / "packet")
    custody = json.loads((folder / "custody.json").read_text())
    custody["entries"][3]["record"]["location"] = "Elsewhere"
    (folder / "custody.json").write_text(json.dumps(custody))
    result = run_without_cryptography(folder, ".", "--no-signatures")
    assert result.returncode == 1
    assert "FAIL custody entry 3: entry_hash does not match" in result.stdout


@functools.cache
def zero_annex_zip() -> bytes:
    data = make_packet(items=0, per_item=0)
    assert not data.evidence and not data.custody.entries
    return build(data).zip_bytes


def test_zero_annex_packet_verifies_and_reports_what_was_absent(tmp_path, capsys):
    path = tmp_path / "empty.zip"
    path.write_bytes(zero_annex_zip())
    assert main([str(path)]) == 0
    out = capsys.readouterr().out
    assert "OK   custody entries: this packet discloses no custody entries" in out
    assert "OK   evidence files: this packet annexes no evidence" in out
    assert "OK   members: 11 members" in out
    assert CliRunner().invoke(packet_group, ["verify", str(path)]).exit_code == 0


def test_zero_annex_packet_with_a_smuggled_evidence_file_fails(tmp_path):
    with zipfile.ZipFile(io.BytesIO(zero_annex_zip())) as zf:
        members = {i.filename: zf.read(i) for i in zf.infolist()}
    members["evidence/CF-2026-0001_E-0001/aaaaaaaaaaaa-planted.png"] = b"planted"
    path = tmp_path / "smuggled.zip"
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    failed = {c.name for c in verify_packet(str(path)) if not c.ok}
    assert "member evidence/CF-2026-0001_E-0001/aaaaaaaaaaaa-planted.png" in failed
