"""The packet ZIP: members, SHA256SUMS with coreutils, digest, JSON, CSV, CASE/UCO."""

import csv
import hashlib
import io
import json
import subprocess
import sys
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest

from exports.caseuco import custody_jsonld
from exports.packet import (
    PACKET_KINDS,
    PacketError,
    build_packet,
    evidence_member_name,
    packet_digest,
    safe_component,
)
from exports.verify import canonical_bytes
from tests.unit.packet_factory import build, built_packet, make_packet, unpack

CASE_VALIDATE = Path(sys.executable).with_name("case_validate")


def members(zip_bytes: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(zip_bytes)) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def test_packet_has_the_documented_members():
    built = built_packet()
    names = set(members(built.zip_bytes))
    fixed = {
        "request.pdf",
        "request.json",
        "identifiers.csv",
        "manifest.json",
        "SHA256SUMS",
        "custody.json",
        "custody.jsonld",
        "certs/signer.pem",
        "certs/root.pem",
        "verify.py",
        "VERIFY.txt",
    }
    evidence = {evidence_member_name(e) for e in built.data.evidence}
    assert names == fixed | evidence
    assert all(n.startswith("evidence/CF-2026-0001_E-000") for n in evidence)
    assert not any(".." in n or n.startswith("/") for n in names)
    assert PACKET_KINDS["mla"] is build_packet


def test_sha256sum_c_accepts_the_unpacked_packet(tmp_path):
    folder = unpack(built_packet().zip_bytes, tmp_path)
    result = subprocess.run(
        ["sha256sum", "--strict", "-c", "SHA256SUMS"], cwd=folder, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
    listed = (folder / "SHA256SUMS").read_text().splitlines()
    assert len(listed) == len(members(built_packet().zip_bytes)) - 1
    evidence = built_packet().data.evidence[0]
    assert f"{evidence.sha256}  {evidence_member_name(evidence)}" in listed


def test_packet_digest_covers_every_member_but_the_pdf_manifest_and_sums():
    built = built_packet()
    files = members(built.zip_bytes)
    manifest = json.loads(files["manifest.json"])
    covered = {
        n: (hashlib.sha256(b).hexdigest(), len(b))
        for n, b in files.items()
        if n not in {"request.pdf", "manifest.json", "SHA256SUMS"}
    }
    by_hand = hashlib.sha256(
        canonical_bytes(
            {
                "schema": "caseflow.packet-digest/1",
                "members": {n: {"sha256": s, "size": z} for n, (s, z) in covered.items()},
            }
        )
    ).hexdigest()
    assert by_hand == built.summary.digest == manifest["packet_digest"] == packet_digest(covered)
    assert built.summary.digest.encode() in files["request.pdf"]
    assert files["manifest.json"] == canonical_bytes(manifest) + b"\n"


def test_request_json_and_identifiers_csv():
    built = built_packet()
    files = members(built.zip_bytes)
    request = json.loads(files["request.json"])
    assert request["schema"] == "caseflow.request/2"
    assert request["reference"] == "CF-2026-0001/R-01"
    assert [i["value"] for i in request["identifiers"]] == [
        i.value for i in built.data.request.identifiers
    ]
    assert request["identifiers"][2] == {
        "kind": "ip_address",
        "value": "192.0.2.44",
        "observed_at": "2026-03-02T09:03:00Z",
        "port": 50123,
        "relevance": "Login IP (CGNAT)",
    }
    assert request["evidence"][0]["member"] == evidence_member_name(built.data.evidence[0])
    rows = list(csv.DictReader(io.StringIO(files["identifiers.csv"].decode("utf-8"))))
    assert rows[0]["value"] == "+447700900123"  # E.164 kept as is
    assert rows[5]["value"] == '\'=HYPERLINK("http://example.com")'  # formula neutralized
    assert rows[2]["port"] == "50123"
    assert files["identifiers.csv"].count(b"\r\n") == len(rows) + 1


def test_manifest_only_packet_lists_evidence_without_files():
    built = build(make_packet(include_files=False))
    files = members(built.zip_bytes)
    assert not any(n.startswith("evidence/") for n in files)
    manifest = json.loads(files["manifest.json"])
    assert manifest["includes_evidence_files"] is False
    assert [e["sha256"] for e in manifest["evidence"]] == [e.sha256 for e in built.data.evidence]
    assert all(e["member"] is None for e in manifest["evidence"])


def test_evidence_bytes_that_differ_from_intake_stop_the_build():
    data = make_packet()
    item = data.evidence[0]
    swapped = replace(item, open_bytes=lambda: io.BytesIO(b"not the intake bytes"))
    data = replace(data, evidence=(swapped, *data.evidence[1:]))
    with pytest.raises(PacketError, match="do not match intake"):
        build(data)


def test_evidence_streams_from_a_path(tmp_path):
    data = make_packet(items=1)
    item = data.evidence[0]
    path = tmp_path / "blob"
    path.write_bytes(item.open_bytes().read())
    data = replace(data, evidence=(replace(item, open_bytes=None, path=path),))
    assert members(build(data).zip_bytes)[evidence_member_name(item)] == path.read_bytes()


def test_safe_component():
    assert safe_component("CF-2026-0001/E-0003") == "CF-2026-0001_E-0003"
    assert safe_component("../../etc/passwd") == "etc_passwd"
    assert safe_component("adé 1.PNG") == "ade_1.PNG"
    assert safe_component("...") == "file"
    assert safe_component("a\nb\\c") == "a_b_c"


def test_custody_json_carries_entries_proofs_head_and_key():
    built = built_packet()
    custody = json.loads(members(built.zip_bytes)["custody.json"])
    assert custody["schema"] == "caseflow.custody/1"
    assert custody["tree_size"] == built.data.custody.tree_size
    assert custody["checkpoint"] == built.data.custody.checkpoint_text
    assert custody["public_key"] == built.data.custody.public_key
    assert len(custody["entries"]) == len(built.data.custody.entries)
    first = custody["entries"][0]
    assert set(first) == {"index", "record", "entry_hash", "inclusion_proof", "openings"}


def test_bundled_verifier_is_exports_verify():
    source = Path(__file__).resolve().parents[2] / "exports" / "verify.py"
    assert members(built_packet().zip_bytes)["verify.py"] == source.read_bytes()


def test_verify_txt_gives_the_commands():
    text = members(built_packet().zip_bytes)["VERIFY.txt"].decode()
    for command in (
        "unzip packet.zip",
        "sha256sum -c SHA256SUMS",
        "python3 verify.py .",
        "python3 verify.py . --expect-root SHA256 --expect-ledger-key KEY",
        "pdfsig request.pdf",
        "pyhanko sign validate --trust-replace --trust certs/root.pem request.pdf",
        "printf '\\x00abc' | sha256sum",
    ):
        assert command in text
    assert "609f6e36d2405585188d5cfd761f407c7cc46a7d3f314c88270469dde315fcd1" in text


def test_custody_jsonld_is_deterministic_and_shaped():
    data = make_packet()
    doc = custody_jsonld(data)
    assert doc == custody_jsonld(data)
    kinds = [n["@type"] for n in doc["@graph"]]
    assert kinds.count("uco-observable:File") == len(data.evidence)
    assert kinds.count("case-investigation:InvestigativeAction") == len(data.custody.entries)
    assert kinds.count("case-investigation:ProvenanceRecord") == len(data.custody.entries)
    hashes = [n for n in doc["@graph"] if n["@type"] == "uco-types:Hash"]
    assert {h["uco-types:hashMethod"] for h in hashes} == {"SHA256", "SHA1", "MD5"}
    actions = [n for n in doc["@graph"] if n["@type"] == "case-investigation:InvestigativeAction"]
    informed = [a for a in actions if "case-investigation:wasInformedBy" in a]
    assert len(informed) == len(actions) - len(data.evidence)


def test_case_validate_accepts_custody_jsonld(tmp_path):
    folder = unpack(built_packet().zip_bytes, tmp_path)
    result = subprocess.run(
        [str(CASE_VALIDATE), "--built-version", "case-1.5.0", "custody.jsonld"],
        cwd=folder,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Conforms: True" in result.stdout
    assert "Warning" not in result.stderr + result.stdout
    assert "Info" not in result.stdout


def test_missing_evidence_bytes_stop_the_build():
    data = make_packet(items=1)
    data = replace(data, evidence=(replace(data.evidence[0], open_bytes=None),))
    with pytest.raises(PacketError, match="no bytes are available"):
        build(data)


@pytest.mark.parametrize("items,per_item", [(4, 3), (300, 10)])
def test_streamed_json_members_equal_their_documents(items, per_item):
    """Small, and large enough to cross the encoder's batches and the ~1 MiB pieces."""
    from exports.caseuco import custody_jsonld_chunks
    from exports.packet import custody_json, custody_json_chunks

    data = make_packet(items=items, per_item=per_item)
    compact = {"sort_keys": True, "separators": (",", ":"), "ensure_ascii": False}
    assert b"".join(custody_json_chunks(data)) == (
        json.dumps(custody_json(data), **compact).encode() + b"\n"
    )
    chunks = list(custody_jsonld_chunks(data))
    assert b"".join(chunks) == json.dumps(custody_jsonld(data), **compact).encode() + b"\n"
    if items > 100:
        assert len(chunks) > 1


def test_node_ids_are_uuid5():
    import uuid

    from exports.caseuco import _NAMESPACE, _id

    expected = uuid.uuid5(_NAMESPACE, "File\x1fCF-2026-0001\x1fE-1")
    assert _id("File", "CF-2026-0001", "E-1") == f"kb:File-{expected}"
