"""The signed wire format: round trip, the documented openssl/sha256sum check, tampering."""

import base64
import hashlib
import json
import shutil
import subprocess
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from caseflow.federation.errors import MessageRefused
from caseflow.federation.keys import InstallationKey
from caseflow.federation.messages import MAGIC, build_message, parse_message

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
SENDER, RECIPIENT = InstallationKey.generate(), InstallationKey.generate()
RUN = "3f2b8c1e-5d4a-4c6b-9e7f-0a1b2c3d4e5f"


def message(**changes) -> bytes:
    fields = {
        "type": "answer",
        "run": RUN,
        "step": 3,
        "recipient": RECIPIENT.key_id,
        "created_at": NOW,
        "expires_at": NOW + timedelta(minutes=15),
        "prev": "ab" * 32,
        "set_sizes": {"initiator": 120, "responder": 140},
        "parts": {"setup": b"\x01setup\nbytes", "response": b"\x02" * 40},
    }
    fields.update(changes)
    return build_message(SENDER, **fields)


def flip(data: bytes, offset: int) -> bytes:
    return data[:offset] + bytes([data[offset] ^ 0x01]) + data[offset + 1 :]


def test_a_message_round_trips_with_its_parts_and_verifies_with_the_senders_key():
    parsed = parse_message(message())
    assert parsed.header.type == "answer" and parsed.header.step == 3
    assert parsed.header.sender == SENDER.key_id
    assert parsed.header.set_sizes == {"initiator": 120, "responder": 140}
    assert parsed.part("setup") == b"\x01setup\nbytes"
    assert parsed.part("response") == b"\x02" * 40
    assert parsed.verify(SENDER.public_key)
    assert not parsed.verify(RECIPIENT.public_key)
    assert parsed.digest == hashlib.sha256(parsed.signed).hexdigest()


def test_the_header_is_one_line_of_canonical_json_with_every_documented_field():
    lines = message().split(b"\n", 3)
    assert lines[0] + b"\n" == MAGIC
    header = json.loads(lines[1])
    assert header["protocol"] == "caseflow-psi/1"
    assert header["created_at"] == "2026-11-02T09:00:00.000000Z"
    assert header["payload"]["parts"] == [
        {"name": "setup", "size": 12},
        {"name": "response", "size": 40},
    ]
    assert lines[1] == json.dumps(header, sort_keys=True, separators=(",", ":")).encode()


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl not installed")
def test_a_message_verifies_with_openssl_and_sha256sum_as_documented(tmp_path):
    data = message()
    (tmp_path / "message.cff").write_bytes(data)
    (tmp_path / "partner.pem").write_text(SENDER.public_pem())
    script = """
        set -e
        head -n 2 message.cff > signed.bin
        sed -n 3p message.cff | base64 -d > signature.bin
        openssl pkeyutl -verify -pubin -inkey partner.pem -rawin \
            -in signed.bin -sigfile signature.bin
        tail -n +4 message.cff | sha256sum | cut -d' ' -f1
    """
    out = subprocess.run(
        ["sh", "-c", script], cwd=tmp_path, capture_output=True, text=True, check=True
    ).stdout
    assert "Signature Verified Successfully" in out
    assert out.split()[-1] == parse_message(data).header.payload_sha256
    (tmp_path / "message.cff").write_bytes(flip(data, data.index(b'"step"') + 7))
    failed = subprocess.run(["sh", "-c", script], cwd=tmp_path, capture_output=True, text=True)
    assert failed.returncode != 0
    assert "Signature Verification Failure" in failed.stdout


def test_an_altered_payload_is_refused_as_a_payload_mismatch():
    data = message()
    with pytest.raises(MessageRefused) as caught:
        parse_message(flip(data, len(data) - 1))
    assert caught.value.reason == "payload_mismatch"
    assert caught.value.field == "payload.sha256"
    with pytest.raises(MessageRefused, match="payload is 51 bytes"):
        parse_message(data[:-1])


def test_an_altered_header_no_longer_verifies():
    data = message()
    offset = data.index(b'"initiator":120') + len('"initiator":12')
    altered = data[:offset] + b"9" + data[offset + 1 :]  # 120 -> 129 selectors
    parsed = parse_message(altered)
    assert parsed.header.set_sizes["initiator"] == 129
    assert not parsed.verify(SENDER.public_key)


def test_a_header_in_non_canonical_form_is_refused():
    magic, header, rest = message().split(b"\n", 2)
    spaced = json.dumps(json.loads(header), indent=1).replace("\n", "").encode()
    with pytest.raises(MessageRefused, match="canonical form"):
        parse_message(magic + b"\n" + spaced + b"\n" + rest)


@pytest.mark.parametrize(
    ("change", "reason", "field"),
    [
        (lambda h: h.update(protocol="caseflow-psi/2"), "unsupported_protocol", "protocol"),
        (lambda h: h.update(selector_format="other/1"), "unsupported_protocol", "selector_format"),
        (lambda h: h.update(extra=1), "malformed", None),
        (lambda h: h.pop("prev"), "malformed", None),
        (lambda h: h.update(step=2), "malformed", "step"),
        (lambda h: h.update(run="not-a-uuid"), "malformed", "run"),
        (lambda h: h.update(sender="AB" * 32), "malformed", "sender"),
        (lambda h: h.update(prev=None), "malformed", "prev"),
        (lambda h: h.update(created_at="2026-11-02T09:00:00Z"), "malformed", "created_at"),
        (lambda h: h["set_sizes"].update(initiator=-1), "malformed", "set_sizes.initiator"),
        (lambda h: h["set_sizes"].update(initiator=True), "malformed", "set_sizes.initiator"),
        (lambda h: h.update(kinds=["phone", "email"]), "malformed", "kinds"),
        (lambda h: h.update(exchange_key="AAAA"), "malformed", "exchange_key"),
        (lambda h: h.update(refusal={"reason": "x", "message": "y"}), "malformed", "refusal"),
        (lambda h: h["payload"].update(size=1), "malformed", "payload"),
    ],
)
def test_header_rules_name_the_field_at_fault(change, reason, field):
    magic, header, rest = message().split(b"\n", 2)
    record = json.loads(header)
    change(record)
    text = json.dumps(record, sort_keys=True, separators=(",", ":")).encode()
    with pytest.raises(MessageRefused) as caught:
        parse_message(magic + b"\n" + text + b"\n" + rest)
    assert caught.value.reason == reason
    assert caught.value.field == field
    assert caught.value.message.startswith(f"Message refused ({reason}):")


def test_a_signature_line_that_is_not_64_bytes_of_base64_is_refused():
    magic, header, _signature, payload = message().split(b"\n", 3)
    for bad in (b"not base64!", base64.b64encode(b"x" * 63)):
        with pytest.raises(MessageRefused) as caught:
            parse_message(b"\n".join([magic, header, bad, payload]))
        assert caught.value.field == "signature"


def test_a_deeply_nested_header_is_refused_as_malformed():
    data = MAGIC + b"[" * 8_000 + b"]" * 8_000 + b"\n" + base64.b64encode(bytes(64)) + b"\n"
    with pytest.raises(MessageRefused, match="not UTF-8 JSON"):
        parse_message(data)


def test_the_sender_never_signs_a_header_its_partner_would_refuse():
    with pytest.raises(MessageRefused):
        message(kinds=["Phone numbers"])
    with pytest.raises(ValueError, match="carries the parts"):
        message(parts={"setup": b""})


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_any_corruption_is_refused_cleanly_never_with_another_error(data):
    valid = message()
    choice = data.draw(st.sampled_from(["random", "mutate", "truncate"]))
    if choice == "random":
        blob = data.draw(st.binary(max_size=400))
    elif choice == "mutate":
        offset = data.draw(st.integers(0, len(valid) - 1))
        blob = valid[:offset] + bytes([data.draw(st.integers(0, 255))]) + valid[offset + 1 :]
    else:
        blob = valid[: data.draw(st.integers(0, len(valid) - 1))]
    try:
        parsed = parse_message(blob)
    except MessageRefused:
        return
    # What parses must be the original or fail its signature.
    assert blob == valid or not parsed.verify(SENDER.public_key)
