"""The packet tamper suite: every member gets one flipped byte (with and without the forger
resealing manifest.json and SHA256SUMS), is duplicated with other bytes in front of or behind
the genuine copy, and is removed; files are added in every folder. Each packet must fail the
bundled verify.py (run as a recipient runs it), `verify_packet` and `caseflow packet verify`."""

from __future__ import annotations

import io
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from caseflow.cli import packet_group
from exports.verify import verify_packet
from tests.unit.packet_factory import built_packet
from tests.unit.test_packet_forgery import Members, read_members, reseal, write_zip

VERIFY_PY = Path(__file__).resolve().parents[2] / "exports" / "verify.py"
MEMBERS = list(read_members(built_packet().zip_bytes))
NOT_RESEALED = {"manifest.json", "SHA256SUMS"}  # resealing rewrites these two


def flip(data: bytes) -> bytes:
    """One byte changed in the middle; hex digits stay hex digits so text stays parseable."""
    out = bytearray(data)
    at = len(out) // 2
    if chr(out[at]) in "0123456789abcdef":
        out[at] = ord("1") if out[at] == ord("0") else ord("0")
    else:
        out[at] ^= 0x01
    return bytes(out)


def genuine() -> Members:
    return read_members(built_packet().zip_bytes)


def assert_rejected(path: Path, named: str | None = None) -> None:
    """verify_packet, the bundled verify.py in a plain Python and the CLI all fail."""
    failures = {c.name: c.detail for c in verify_packet(str(path)) if not c.ok}
    assert failures, path
    if named is not None:
        assert any(named in f"{name}: {detail}" for name, detail in failures.items()), (
            named,
            failures,
        )
    bundled = subprocess.run(
        [sys.executable, "-I", str(VERIFY_PY), str(path)], capture_output=True, text=True
    )
    assert bundled.returncode == 1, bundled.stdout + bundled.stderr
    assert "FAILED" in bundled.stdout
    cli = CliRunner().invoke(packet_group, ["verify", str(path)])
    assert cli.exit_code == 1, cli.output


@pytest.mark.parametrize("member", MEMBERS)
def test_one_flipped_byte_in_a_member_fails_naming_it(tmp_path, member):
    members = genuine()
    members[member] = flip(members[member])
    path = write_zip(tmp_path / "flipped.zip", list(members.items()))
    assert_rejected(path, member)


@pytest.mark.parametrize("member", [m for m in MEMBERS if m not in NOT_RESEALED])
def test_one_flipped_byte_with_resealed_manifest_and_sums_fails(tmp_path, member):
    members = genuine()
    members[member] = flip(members[member])
    path = write_zip(tmp_path / "resealed.zip", list(reseal(members).items()))
    # Covered members break the digest the signed PDF carries; the PDF breaks its signature.
    assert_rejected(path, "request.pdf" if member == "request.pdf" else "packet digest")


@pytest.mark.parametrize("forged_first", [True, False])
@pytest.mark.parametrize("member", MEMBERS)
def test_a_duplicated_member_fails_naming_it(tmp_path, member, forged_first):
    members = reseal(genuine())
    entries = list(members.items())
    forged = (member, flip(members[member]))
    entries = [forged, *entries] if forged_first else [*entries, forged]
    path = write_zip(tmp_path / "duplicated.zip", entries)
    assert_rejected(path, f"member {member}")


@pytest.mark.parametrize("member", MEMBERS)
def test_a_removed_member_fails_naming_it(tmp_path, member):
    members = genuine()
    del members[member]
    if member not in NOT_RESEALED:
        members = reseal(members)
    path = write_zip(tmp_path / "removed.zip", list(members.items()))
    # certs/root.pem is optional (a signer may not bundle its root): resealed, the digest tells.
    assert_rejected(path, "packet digest" if member == "certs/root.pem" else member)


@pytest.mark.parametrize(
    "added",
    [
        "README.txt",
        "evidence/CF-2026-0001_E-0002/000000000000-extra.png",
        "evidence/CF-2026-0009/000000000000-new.png",
        "certs/chain-1.pem",
        "certs/chain-2.pem",
        "certs/root2.pem",
        ".hidden",
        "custody.json.bak",
    ],
)
@pytest.mark.parametrize("resealed", [True, False])
def test_an_added_file_fails_naming_it(tmp_path, added, resealed):
    members = genuine()
    members[added] = b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"
    if resealed:
        members = reseal(members)
    path = write_zip(tmp_path / "added.zip", list(members.items()))
    # An intermediate certificate may be part of a packet: resealed, only the digest tells.
    assert_rejected(path, "packet digest" if resealed and added == "certs/chain-1.pem" else added)


def test_the_genuine_packet_passes_all_three(tmp_path):
    path = tmp_path / "genuine.zip"
    path.write_bytes(built_packet().zip_bytes)
    assert all(c.ok for c in verify_packet(str(path)))
    bundled = subprocess.run(
        [sys.executable, "-I", str(VERIFY_PY), str(path)], capture_output=True, text=True
    )
    assert bundled.returncode == 0, bundled.stdout
    assert CliRunner().invoke(packet_group, ["verify", str(path)]).exit_code == 0
    with zipfile.ZipFile(io.BytesIO(built_packet().zip_bytes)) as zf:
        assert len(zf.namelist()) == len(MEMBERS) == len(set(MEMBERS))
