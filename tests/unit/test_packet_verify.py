"""The offline verifier: a plain Python runs the bundled verify.py; any changed byte in any
member fails and names the member; a forger who also rewrites the checksums is still caught."""

import ast
import base64
import hashlib
import io
import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from exports.verify import canonical_bytes, main, verify_packet
from tests.unit.packet_factory import built_packet, unpack

STDLIB_AND_CRYPTOGRAPHY = set(sys.stdlib_module_names) | {"cryptography"}


def plain_python() -> list[str]:
    """The system python3 when it has `cryptography` (a recipient's machine), else this
    interpreter in isolated mode; both run outside the repository, so `exports` is not there."""
    system = shutil.which("python3", path="/usr/bin:/usr/local/bin")
    if system:
        probe = subprocess.run([system, "-I", "-c", "import cryptography"], capture_output=True)
        if probe.returncode == 0:
            return [system, "-I"]
    return [sys.executable, "-I"]


def run_verify(folder: Path, target: str = ".") -> subprocess.CompletedProcess:
    return subprocess.run(
        [*plain_python(), "verify.py", target], cwd=folder, capture_output=True, text=True
    )


@pytest.fixture
def unpacked(tmp_path):
    return unpack(built_packet().zip_bytes, tmp_path / "packet")


def failures(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("FAIL")]


def test_bundled_verifier_passes_on_folder_and_zip(unpacked, tmp_path):
    result = run_verify(unpacked)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "All " in result.stdout and "checks passed" in result.stdout
    assert "OK   request.pdf signed digest" in result.stdout
    assert "OK   request.pdf CMS signature" in result.stdout
    assert "OK   custody entries: 9 of 9" in result.stdout
    zip_path = tmp_path / "packet.zip"
    zip_path.write_bytes(built_packet().zip_bytes)
    result = run_verify(unpacked, str(zip_path))
    assert result.returncode == 0, result.stdout


def test_verify_py_imports_only_stdlib_and_cryptography():
    tree = ast.parse((Path(__file__).resolve().parents[2] / "exports/verify.py").read_text())
    roots = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            roots.add(node.module.split(".")[0])
    assert roots <= STDLIB_AND_CRYPTOGRAPHY, roots - STDLIB_AND_CRYPTOGRAPHY


MEMBERS = sorted(zipfile.ZipFile(io.BytesIO(built_packet().zip_bytes)).namelist())


@pytest.mark.parametrize("member", MEMBERS)
def test_one_flipped_byte_in_any_unpacked_member_fails_naming_it(unpacked, member):
    path = unpacked / member
    data = bytearray(path.read_bytes())
    offset = len(data) // 2
    # keep SHA256SUMS parseable: flip a hex digit to another hex digit
    data[offset] = ord("0") if data[offset] != ord("0") else ord("1")
    path.write_bytes(bytes(data))
    verifier = unpacked / "verify.py"
    if member == "verify.py":  # run a pristine copy: the tampered one is what is being checked
        shutil.copy(Path(__file__).resolve().parents[2] / "exports/verify.py", unpacked.parent)
        verifier = unpacked.parent / "verify.py"
    result = subprocess.run(
        [*plain_python(), str(verifier), "."], cwd=unpacked, capture_output=True, text=True
    )
    assert result.returncode == 1, result.stdout
    named = member if member != "SHA256SUMS" else "SHA256SUMS"
    assert any(named in line for line in failures(result.stdout)), result.stdout


def test_one_flipped_byte_inside_the_zip_fails_naming_the_member(tmp_path):
    original = built_packet().zip_bytes
    with zipfile.ZipFile(io.BytesIO(original)) as zf:
        infos = zf.infolist()
    for info in infos:
        # local header: 30 bytes + name + extra, then the member's (compressed) data
        name_len = int.from_bytes(
            original[info.header_offset + 26 : info.header_offset + 28], "little"
        )
        extra_len = int.from_bytes(
            original[info.header_offset + 28 : info.header_offset + 30], "little"
        )
        start = info.header_offset + 30 + name_len + extra_len
        offset = start + info.compress_size // 2
        data = bytearray(original)
        data[offset] ^= 0x01
        target = tmp_path / "tampered.zip"
        target.write_bytes(bytes(data))
        checks = verify_packet(str(target))
        failed = [c for c in checks if not c.ok]
        assert failed, info.filename
        assert any(info.filename in c.name for c in failed), (info.filename, failed)


def rewrite_sums(folder: Path) -> None:
    """What a forger would do: recompute SHA256SUMS and manifest.json after a change."""
    manifest = json.loads((folder / "manifest.json").read_text())
    for name in manifest["files"]:
        if name != "manifest.json":
            data = (folder / name).read_bytes()
            manifest["files"][name] = {
                "sha256": hashlib.sha256(data).hexdigest(),
                "size": len(data),
            }
    (folder / "manifest.json").write_bytes(canonical_bytes(manifest) + b"\n")
    names = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
    lines = [
        f"{hashlib.sha256((folder / n).read_bytes()).hexdigest()}  {n}\n"
        for n in names
        if n != "SHA256SUMS"
    ]
    (folder / "SHA256SUMS").write_text("".join(lines))


def check_names_failed(folder: Path) -> set[str]:
    return {c.name for c in verify_packet(str(folder)) if not c.ok}


def test_forged_custody_record_is_caught_even_with_rewritten_sums(unpacked):
    custody = json.loads((unpacked / "custody.json").read_text())
    custody["entries"][4]["record"]["location"] = "Somewhere else"
    (unpacked / "custody.json").write_text(json.dumps(custody))
    rewrite_sums(unpacked)
    failed = check_names_failed(unpacked)
    assert "custody entry 4" in failed
    assert "packet digest" in failed  # the signed PDF carries the old digest


def test_recomputed_entry_hash_still_fails_the_inclusion_proof(unpacked):
    custody = json.loads((unpacked / "custody.json").read_text())
    entry = custody["entries"][2]
    entry["record"]["purpose"] = "rewritten"
    entry["entry_hash"] = hashlib.sha256(canonical_bytes(entry["record"])).hexdigest()
    (unpacked / "custody.json").write_text(json.dumps(custody))
    rewrite_sums(unpacked)
    checks = {c.name: c for c in verify_packet(str(unpacked))}
    assert not checks["custody entry 2"].ok
    assert "inclusion proof" in checks["custody entry 2"].detail


def test_checkpoint_signed_by_another_key_fails(unpacked):
    custody = json.loads((unpacked / "custody.json").read_text())
    key = base64.b64decode(custody["public_key"])
    custody["public_key"] = base64.b64encode(bytes([key[0] ^ 1]) + key[1:]).decode()
    (unpacked / "custody.json").write_text(json.dumps(custody))
    assert "custody checkpoint signature" in check_names_failed(unpacked)


def test_replaced_pdf_with_rewritten_sums_fails_the_signature(unpacked):
    pdf = (unpacked / "request.pdf").read_bytes()
    at = pdf.index(b"Request for mutual legal assistance") if b"Request for mutual" in pdf else 200
    tampered = pdf[:at] + bytes([pdf[at] ^ 0x20]) + pdf[at + 1 :]
    (unpacked / "request.pdf").write_bytes(tampered)
    rewrite_sums(unpacked)
    failed = check_names_failed(unpacked)
    assert "request.pdf signed digest" in failed


def test_member_missing_from_sums_and_extra_member_are_named(unpacked):
    (unpacked / "extra.txt").write_text("smuggled")
    failed = check_names_failed(unpacked)
    assert "sha256 extra.txt" in failed


def test_main_usage_and_exit_codes(unpacked, capsys):
    assert main([]) == 2
    assert main([str(unpacked)]) == 0
    (unpacked / "identifiers.csv").write_text("changed")
    assert main([str(unpacked)]) == 1
    out = capsys.readouterr().out
    assert "FAILED" in out and "identifiers.csv" in out
