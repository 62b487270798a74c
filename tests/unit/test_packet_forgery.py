"""The forger's view of a packet: change what a recipient relies on, rewrite every checksum a
forger can rewrite (manifest.json's files table, SHA256SUMS), re-zip, and expect both the
bundled verify.py and `caseflow packet verify` to fail naming the member and the field."""

from __future__ import annotations

import hashlib
import io
import json
import warnings
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from caseflow.cli import packet_group
from exports.verify import canonical_bytes, main, verify_packet
from tests.unit.packet_factory import built_packet

Members = dict[str, bytes]


def read_members(zip_bytes: bytes) -> Members:
    with zipfile.ZipFile(io.BytesIO(zip_bytes)) as zf:
        return {info.filename: zf.read(info) for info in zf.infolist()}


def reseal(members: Members) -> Members:
    """What a forger can redo without the signing keys: manifest.json's files table (and its
    packet digest) and SHA256SUMS, recomputed from the members as they now are."""
    out = dict(members)
    manifest = json.loads(out["manifest.json"])
    manifest["files"] = {
        name: {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
        for name, data in out.items()
        if name not in {"manifest.json", "SHA256SUMS"}
    }
    from exports.verify import packet_digest_of

    manifest["packet_digest"] = packet_digest_of(manifest["files"])
    out["manifest.json"] = canonical_bytes(manifest) + b"\n"
    out["SHA256SUMS"] = "".join(
        f"{hashlib.sha256(out[n]).hexdigest()}  {n}\n" for n in sorted(out) if n != "SHA256SUMS"
    ).encode()
    return out


def write_zip(path: Path, entries: list[tuple[str, bytes]]) -> Path:
    with (
        warnings.catch_warnings(),
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf,
    ):
        warnings.simplefilter("ignore")  # duplicate names are the point of some tests
        for name, data in entries:
            zf.writestr(name, data)
    return path


def forged(tmp_path: Path, edit: Callable[[Members], Members | None]) -> Path:
    members = read_members(built_packet().zip_bytes)
    members = edit(members) or members
    return write_zip(tmp_path / "forged.zip", list(reseal(members).items()))


def edit_manifest(change: Callable[[dict], None]) -> Callable[[Members], None]:
    def edit(members: Members) -> None:
        manifest = json.loads(members["manifest.json"])
        change(manifest)
        members["manifest.json"] = canonical_bytes(manifest) + b"\n"

    return edit


def failed(path: Path) -> dict[str, str]:
    return {c.name: c.detail for c in verify_packet(str(path)) if not c.ok}


def assert_both_verifiers_fail(path: Path, *names: str) -> dict[str, str]:
    failures = failed(path)
    for name in names:
        assert name in failures, (name, failures)
    assert main([str(path)]) == 1
    result = CliRunner().invoke(packet_group, ["verify", str(path)])
    assert result.exit_code == 1, result.output
    for name in names:
        assert f"FAIL {name}" in result.output, result.output
    return failures


def test_the_untouched_packet_passes_and_so_does_a_resealed_copy(tmp_path):
    path = forged(tmp_path, lambda members: None)
    assert failed(path) == {}
    assert main([str(path)]) == 0


def test_finding_1_manifest_evidence_hashes_size_and_member_rewritten(tmp_path):
    def change(manifest: dict) -> None:
        item = manifest["evidence"][0]
        item["sha256"] = "0" * 64
        item["md5"] = "1" * 32
        item["size"] = 12345
        item["member"] = None

    path = forged(tmp_path, edit_manifest(change))
    failures = assert_both_verifiers_fail(
        path,
        "manifest.json evidence[0].sha256",
        "manifest.json evidence[0].md5",
        "manifest.json evidence[0].size",
        "manifest.json evidence[0].member",
    )
    assert "request.json" in failures["manifest.json evidence[0].sha256"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("description", "A different exhibit altogether"),
        ("filename", "innocent.png"),
        ("acquired_by", "Somebody Else"),
        ("acquired_at", "2020-01-01T00:00:00Z"),
        ("sha1", "2" * 40),
        ("number", "CF-2026-0001/E-9999"),
    ],
)
def test_finding_1_any_manifest_evidence_field_rewritten(tmp_path, field, value):
    path = forged(tmp_path, edit_manifest(lambda m: m["evidence"][1].__setitem__(field, value)))
    name = f"manifest.json evidence[1].{field}"
    if field == "number":
        name = "manifest.json evidence"
    assert_both_verifiers_fail(path, name)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("reference", "CF-2026-0999/R-99"),
        ("generated_at", "2026-03-06T12:00:00Z"),
        ("includes_evidence_files", False),
        ("schema", "caseflow.manifest/0"),
    ],
)
def test_finding_1_manifest_header_fields_rewritten(tmp_path, field, value):
    path = forged(tmp_path, edit_manifest(lambda m: m.__setitem__(field, value)))
    assert_both_verifiers_fail(path, f"manifest.json {field}")


def test_finding_1_item_removed_from_the_manifest_only(tmp_path):
    path = forged(tmp_path, edit_manifest(lambda m: m["evidence"].pop(2)))
    failures = assert_both_verifiers_fail(path, "manifest.json evidence")
    assert "CF-2026-0001/E-0003" in failures["manifest.json evidence"]


def test_finding_1_item_removed_with_its_file(tmp_path):
    def edit(members: Members) -> None:
        manifest = json.loads(members["manifest.json"])
        gone = manifest["evidence"].pop(0)
        members["manifest.json"] = canonical_bytes(manifest) + b"\n"
        del members[gone["member"]]

    path = forged(tmp_path, edit)
    failures = assert_both_verifiers_fail(path, "manifest.json evidence", "packet digest")
    member = json.loads(read_members(built_packet().zip_bytes)["request.json"])["evidence"][0][
        "member"
    ]
    assert f"member {member}" in failures


def test_finding_1_manifest_packet_digest_rewritten_is_not_what_the_pdf_signed(tmp_path):
    def edit(members: Members) -> None:
        members["identifiers.csv"] += b"phone,+447700900777,,,planted\r\n"

    path = forged(tmp_path, edit)
    failures = assert_both_verifiers_fail(path, "packet digest")
    assert "request.pdf" in failures["packet digest"]


def test_finding_1_unknown_manifest_key_fails(tmp_path):
    path = forged(tmp_path, edit_manifest(lambda m: m.__setitem__("note", "trust me")))
    assert_both_verifiers_fail(path, "manifest.json note")


@pytest.mark.parametrize("genuine_last", [True, False])
def test_finding_2_duplicate_member_names_fail(tmp_path, genuine_last):
    members = reseal(read_members(built_packet().zip_bytes))
    forged_csv = b"kind,value,observed_at_utc,port,relevance\r\nphone,+447700900777,,,x\r\n"
    entries = list(members.items())
    if genuine_last:
        entries.insert(0, ("identifiers.csv", forged_csv))
    else:
        entries.append(("identifiers.csv", forged_csv))
    path = write_zip(tmp_path / "dup.zip", entries)
    failures = assert_both_verifiers_fail(path, "member identifiers.csv")
    assert "2 times" in failures["member identifiers.csv"]


@pytest.mark.parametrize(
    "name", ["extra.txt", "evidence/CF-2026-0001_E-0001/planted.png", "Request.json", "certs/x.pem"]
)
def test_finding_2_unexpected_member_fails_even_when_listed_everywhere(tmp_path, name):
    def edit(members: Members) -> None:
        members[name] = b"planted"

    assert_both_verifiers_fail(forged(tmp_path, edit), f"member {name}")


@pytest.mark.parametrize("name", ["custody.jsonld", "identifiers.csv", "VERIFY.txt", "verify.py"])
def test_finding_2_missing_member_fails_even_when_unlisted_everywhere(tmp_path, name):
    def edit(members: Members) -> None:
        del members[name]

    assert_both_verifiers_fail(forged(tmp_path, edit), f"member {name}")
