"""exports.verify: canonical bytes, hash chain, Merkle proof checks and signed checkpoints."""

import base64
import hashlib
import json
import subprocess

import pytest
import rfc8785
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from exports.verify import (
    EMPTY_ROOT,
    GENESIS_HASH,
    ChainBreak,
    VerificationError,
    canonical_bytes,
    checkpoint_body,
    decode_verifier_key,
    encode_verifier_key,
    entry_hash,
    first_chain_break,
    leaf_hash,
    node_hash,
    note_key_hash,
    parse_checkpoint,
    parse_note,
    root_from_leaves,
    sha256_hex,
    signature_line,
    verify_chain_lines,
    verify_checkpoint,
    verify_consistency,
    verify_inclusion,
    verify_note,
)
from tests.unit.merkle_reference import ref_consistency, ref_inclusion, ref_root

h = bytes.fromhex

# RFC 6962 reference data (certificate-transparency / transparency-dev test vectors).
CT_ENTRIES = [
    h(x)
    for x in [
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    ]
]
CT_ROOTS = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
CT_LEAVES = [leaf_hash(e) for e in CT_ENTRIES]
CT_INCLUSION = [
    (
        0,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        5,
        8,
        [
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
]
CT_CONSISTENCY = [
    (
        2,
        8,
        [
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        6,
        8,
        [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (
        2,
        5,
        [
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
]

# The signed-note example from golang.org/x/mod/sumdb/note (Ed25519 is deterministic).
PETER_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
PETER_TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
PETER_NOTE = (
    PETER_TEXT + "\n\u2014 PeterNeumann "
    "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
)


def leaves(n: int) -> list[bytes]:
    return [leaf_hash(f"entry {i}".encode()) for i in range(n)]


def flip(data: bytes, bit: int) -> bytes:
    bit %= len(data) * 8
    out = bytearray(data)
    out[bit // 8] ^= 1 << (bit % 8)
    return bytes(out)


# --- coreutils and RFC vectors ---------------------------------------------------------------


def sha256sum_of_printf(fmt: str) -> str:
    """`printf FMT | sha256sum`, with the pipe done here instead of through a shell."""
    printed = subprocess.run(["printf", fmt], check=True, capture_output=True).stdout
    out = subprocess.run(["sha256sum"], input=printed, check=True, capture_output=True)
    return out.stdout.split()[0].decode()


def test_leaf_hash_reproducible_with_printf_and_sha256sum():
    assert leaf_hash(b"abc").hex() == sha256sum_of_printf(r"\x00abc")
    assert leaf_hash(b"abc").hex().startswith("609f6e36") and leaf_hash(b"abc").hex()[-4:] == "fcd1"
    assert leaf_hash(b"").hex() == sha256sum_of_printf(r"\x00")


def test_empty_root_is_sha256_of_nothing():
    assert EMPTY_ROOT.hex() == sha256sum_of_printf("") == CT_ROOTS[0]
    assert root_from_leaves([]) == EMPTY_ROOT


def test_node_hash_prefix():
    a, b = CT_LEAVES[0], CT_LEAVES[1]
    assert node_hash(a, b) == hashlib.sha256(b"\x01" + a + b).digest()
    assert node_hash(a, b).hex() == CT_ROOTS[2]


@pytest.mark.parametrize("size", range(9))
def test_roots_match_rfc6962_vectors(size):
    assert root_from_leaves(CT_LEAVES[:size]).hex() == CT_ROOTS[size]


@pytest.mark.parametrize(("index", "size", "proof"), CT_INCLUSION)
def test_inclusion_vectors(index, size, proof):
    path = [h(p) for p in proof]
    root = h(CT_ROOTS[size])
    assert ref_inclusion(index, CT_LEAVES[:size]) == path
    assert verify_inclusion(CT_LEAVES[index], index, size, path, root)
    assert not verify_inclusion(CT_LEAVES[index], index ^ 1, size, path, root)


@pytest.mark.parametrize(("size1", "size2", "proof"), CT_CONSISTENCY)
def test_consistency_vectors(size1, size2, proof):
    path = [h(p) for p in proof]
    assert ref_consistency(size1, CT_LEAVES[:size2]) == path
    assert verify_consistency(size1, size2, h(CT_ROOTS[size1]), h(CT_ROOTS[size2]), path)
    assert not verify_consistency(size1, size2, h(CT_ROOTS[size2]), h(CT_ROOTS[size1]), path)


# --- Merkle properties -------------------------------------------------------------------------


@settings(max_examples=500)
@given(st.lists(st.binary(min_size=32, max_size=32), max_size=70))
def test_root_from_leaves_equals_the_recursive_definition(hashes):
    assert root_from_leaves(hashes) == ref_root(hashes)


def test_every_inclusion_proof_verifies_for_all_sizes_up_to_64():
    all_leaves = leaves(64)
    for size in range(1, 65):
        tree = all_leaves[:size]
        root = ref_root(tree)
        for index in range(size):
            assert verify_inclusion(tree[index], index, size, ref_inclusion(index, tree), root)


@settings(max_examples=600)
@given(
    size=st.integers(1, 64),
    data=st.data(),
    target=st.sampled_from(["leaf", "proof", "root", "index"]),
    bit=st.integers(0, 10_000),
)
def test_any_flipped_bit_fails_inclusion(size, data, target, bit):
    tree = leaves(size)
    index = data.draw(st.integers(0, size - 1))
    proof = ref_inclusion(index, tree)
    leaf, root = tree[index], ref_root(tree)
    if target == "proof":
        if not proof:
            return
        i = bit % len(proof)
        proof[i] = flip(proof[i], bit // len(proof))
    elif target == "leaf":
        leaf = flip(leaf, bit)
    elif target == "root":
        root = flip(root, bit)
    else:
        index ^= 1 << (bit % 7)
    assert not verify_inclusion(leaf, index, size, proof, root)


def test_every_consistency_proof_verifies_for_all_sizes_up_to_64():
    all_leaves = leaves(64)
    roots = [ref_root(all_leaves[:n]) for n in range(65)]
    for size2 in range(65):
        tree = all_leaves[:size2]
        for size1 in range(size2 + 1):
            proof = ref_consistency(size1, tree)
            assert verify_consistency(size1, size2, roots[size1], roots[size2], proof)


@settings(max_examples=600)
@given(size2=st.integers(2, 64), data=st.data(), bit=st.integers(0, 10_000))
def test_consistency_fails_when_the_earlier_tree_was_rewritten(size2, data, bit):
    size1 = data.draw(st.integers(1, size2 - 1))
    changed = data.draw(st.integers(0, size1 - 1))
    tree = leaves(size2)
    proof = ref_consistency(size1, tree)
    forged = list(tree[:size1])
    forged[changed] = flip(forged[changed], bit)
    assert not verify_consistency(size1, size2, ref_root(forged), ref_root(tree), proof)
    tampered = list(proof)
    i = bit % len(tampered)
    tampered[i] = flip(tampered[i], bit // len(tampered))
    assert not verify_consistency(size1, size2, ref_root(tree[:size1]), ref_root(tree), tampered)


def test_proof_checks_reject_malformed_input_without_raising():
    tree = leaves(5)
    root = ref_root(tree)
    proof = ref_inclusion(2, tree)
    assert not verify_inclusion(tree[2], 2, 5, [*proof, proof[0]], root)
    assert not verify_inclusion(tree[2], 2, 5, proof[:-1], root)
    assert not verify_inclusion(tree[2], 5, 5, proof, root)
    assert not verify_inclusion(tree[2], -1, 5, proof, root)
    assert not verify_inclusion(tree[2], 2, 5, [p[:31] for p in proof], root)
    assert not verify_consistency(5, 3, root, ref_root(tree[:3]), [])
    assert not verify_consistency(3, 3, root, ref_root(tree[:3]), [])
    assert verify_consistency(0, 5, EMPTY_ROOT, root, [])
    assert not verify_consistency(0, 5, EMPTY_ROOT, root, [root])
    assert not verify_consistency(2, 5, ref_root(tree[:2]), root, [])
    good = ref_consistency(2, tree)
    assert not verify_consistency(2, 5, ref_root(tree[:2]), root, [*good, good[0]])


# --- canonical bytes ---------------------------------------------------------------------------

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(2**53) + 1, 2**53 - 1)
    | st.text(alphabet=st.characters(codec="utf-8"))
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=500)
@given(st.dictionaries(st.text(), json_values, max_size=6))
def test_canonical_bytes_equal_rfc8785(record):
    assert canonical_bytes(record) == rfc8785.dumps(record)


@pytest.mark.parametrize(
    "record",
    [
        {"b": 1, "a": "x", "c": None, "d": True},
        {"name": "Zoë Ångström", "note": "línea\nnueva\t\u2028", "ctl": "\x00\x1f\x7f"},
        {"emoji": "\U0001f600\U0001f1ec\U0001f1e7", "cjk": "案件"},
        {"\U0001f600": 2, "\uffff": 1, "\ue000": 3, "a": 4},  # UTF-16 order differs here
        {"n": [0, -1, 2**53 - 1, -(2**53 - 1)], "nested": {"z": {"y": [], "x": {}}}},
    ],
)
def test_canonical_bytes_fixtures_equal_rfc8785(record):
    assert canonical_bytes(record) == rfc8785.dumps(record)


@pytest.mark.parametrize("bad", [{"x": 1.0}, {"x": [0.5]}, {"x": {"y": float("nan")}}])
def test_canonical_bytes_refuse_floats(bad):
    with pytest.raises(TypeError, match="floats"):
        canonical_bytes(bad)


def test_canonical_bytes_refuse_unsafe_integers_and_odd_types():
    with pytest.raises(TypeError, match="2\\*\\*53"):
        canonical_bytes({"x": 2**53})
    with pytest.raises(TypeError, match="keys must be strings"):
        canonical_bytes({1: "x"})
    with pytest.raises(TypeError, match="bytes"):
        canonical_bytes({"x": b"raw"})


# --- hash chain --------------------------------------------------------------------------------


def build_chain(n: int, genesis: str = GENESIS_HASH) -> list[tuple[dict, str]]:
    entries, prev = [], genesis
    for seq in range(1, n + 1):
        record = {
            "seq": seq,
            "prev_hash": prev,
            "event": "transfer",
            "actor": f"officer{seq % 3}@example.com",
            "item": f"EXH-{seq:04d}",
        }
        prev = entry_hash(record)
        entries.append((record, prev))
    return entries


def rehash(entries, index, record):
    entries[index] = (record, entry_hash(record))


def test_intact_chain_has_no_break():
    assert first_chain_break(build_chain(20)) is None
    assert first_chain_break([]) is None


@settings(max_examples=500)
@given(
    n=st.integers(2, 25),
    data=st.data(),
    attack=st.sampled_from(["mutate", "mutate_rehash", "delete", "swap", "insert", "seq_gap"]),
)
def test_chain_check_names_the_first_bad_index(n, data, attack):
    entries = build_chain(n)
    if attack == "mutate":
        i = data.draw(st.integers(0, n - 1))
        record, stored = entries[i]
        entries[i] = ({**record, "actor": "mallory@example.com"}, stored)
        expected = i
    elif attack == "mutate_rehash":  # rewriting the hash too moves the break to the next entry
        i = data.draw(st.integers(0, n - 2))
        rehash(entries, i, {**entries[i][0], "actor": "mallory@example.com"})
        expected = i + 1
    elif attack == "delete":
        i = data.draw(st.integers(0, n - 2))
        del entries[i]
        expected = i
    elif attack == "swap":
        i = data.draw(st.integers(0, n - 2))
        j = data.draw(st.integers(i + 1, n - 1))
        entries[i], entries[j] = entries[j], entries[i]
        expected = i
    elif attack == "insert":
        i = data.draw(st.integers(0, n))
        prev = entries[i - 1][1] if i else GENESIS_HASH
        forged = {"seq": i + 1, "prev_hash": prev, "event": "transfer", "actor": "m@example.com"}
        entries.insert(i, (forged, entry_hash(forged)))
        expected = i + 1 if i < n else None  # an appended entry is a valid extension
    else:
        i = data.draw(st.integers(0, n - 1))
        rehash(entries, i, {**entries[i][0], "seq": entries[i][0]["seq"] + 1})
        expected = i
    assert first_chain_break(entries) == expected


def chain_lines(n: int, genesis: str = GENESIS_HASH) -> list[bytes]:
    return [canonical_bytes(record) for record, _ in build_chain(n, genesis)]


def test_chain_lines_summary_matches_chain_and_tree():
    entries = build_chain(9)
    lines = [canonical_bytes(record) + b"\n" for record, _ in entries]
    summary = verify_chain_lines(lines)
    assert summary.size == 9 and summary.head_hash == entries[-1][1]
    assert summary.root == ref_root([leaf_hash(line[:-1]) for line in lines])
    assert verify_chain_lines([]) == type(summary)(0, GENESIS_HASH, EMPTY_ROOT)
    custom = "ab" * 32
    assert verify_chain_lines(chain_lines(3, custom), genesis=custom).size == 3
    with pytest.raises(ChainBreak, match=r"entry 0 .*prev_hash"):
        verify_chain_lines(chain_lines(3, custom))


@settings(max_examples=500)
@given(
    n=st.integers(2, 25),
    data=st.data(),
    attack=st.sampled_from(["flip", "delete", "swap", "insert", "seq_gap", "seq_bool", "junk"]),
)
def test_chain_lines_name_the_first_bad_index(n, data, attack):
    lines = chain_lines(n)
    i = data.draw(st.integers(0, n - 2))
    if attack == "flip":
        line = bytearray(lines[i])
        pos = data.draw(st.integers(0, len(line) - 1))
        line[pos] ^= 1 << data.draw(st.integers(0, 6))
        lines[i] = bytes(line)
        # A flip that keeps the line valid shows in the next entry's prev_hash instead.
        expected = {i, i + 1}
    elif attack == "delete":
        del lines[i]
        expected = {i}
    elif attack == "swap":
        lines[i], lines[i + 1] = lines[i + 1], lines[i]
        expected = {i}
    elif attack == "insert":
        prev = sha256_hex(lines[i - 1]) if i else GENESIS_HASH
        lines.insert(i, canonical_bytes({"seq": i + 1, "prev_hash": prev, "event": "forged"}))
        expected = {i + 1}
    elif attack == "seq_gap":
        record = json.loads(lines[i])
        lines[i] = canonical_bytes({**record, "seq": record["seq"] + 1})
        expected = {i}
    elif attack == "seq_bool":
        lines = [canonical_bytes({"seq": True, "prev_hash": GENESIS_HASH}), *lines[1:]]
        expected = {0}
    else:
        lines[i] = b"[1, 2]" if i % 2 else b"\xff\xfe"
        expected = {i}
    with pytest.raises(ChainBreak) as info:
        verify_chain_lines(lines)
    assert info.value.index in expected
    assert f"ledger entry {info.value.index} " in str(info.value)


# --- signed notes and checkpoints --------------------------------------------------------------


def test_go_signed_note_vector_verifies():
    name, public = decode_verifier_key(PETER_VKEY)
    assert name == "PeterNeumann"
    assert note_key_hash(name, public).hex() == "c74f20a3"
    assert encode_verifier_key(name, public) == PETER_VKEY
    assert verify_note(PETER_NOTE, public, name) == PETER_TEXT
    with pytest.raises(VerificationError, match="does not verify"):
        verify_note(PETER_NOTE.replace("cryptography", "cryptographY"), public, name)


def make_checkpoint(size=3, extensions=(), key=None, name="caseflow.example.com/log"):
    key = key or Ed25519PrivateKey.generate()
    public = key.public_key().public_bytes_raw()
    root = ref_root(leaves(size))
    body = checkpoint_body("caseflow.example.com/case/42", size, root, extensions)
    sig = signature_line(name, note_key_hash(name, public), key.sign(body.encode()))
    return body + "\n" + sig, public, root


def test_checkpoint_roundtrip():
    text, public, root = make_checkpoint(size=7, extensions=("timestamp 1700000000",))
    lines = text.split("\n")
    assert lines[:4] == [
        "caseflow.example.com/case/42",
        "7",
        base64.b64encode(root).decode(),
        "timestamp 1700000000",
    ]
    assert lines[4] == "" and lines[5].startswith("\u2014 caseflow.example.com/log ")
    checkpoint = verify_checkpoint(text, public, "caseflow.example.com/log")
    assert (checkpoint.origin, checkpoint.size, checkpoint.root) == (
        "caseflow.example.com/case/42",
        7,
        root,
    )
    assert checkpoint.extensions == ("timestamp 1700000000",)
    assert checkpoint.body_text == text[: text.index("\n\n") + 1]


def test_checkpoint_with_foreign_cosignature_still_verifies():
    text, public, _ = make_checkpoint()
    witness = Ed25519PrivateKey.generate()
    wpub = witness.public_key().public_bytes_raw()
    body = parse_checkpoint(text).body_text
    text += signature_line(
        "witness.example.com", note_key_hash("witness.example.com", wpub), b"x" * 64
    )
    assert len(parse_note(text)[1]) == 2
    assert verify_checkpoint(text, public, "caseflow.example.com/log").body_text == body


@pytest.mark.parametrize(
    ("tamper", "message"),
    [
        (lambda t: t.replace("\n3\n", "\n4\n", 1), "does not verify"),
        (lambda t: t.replace("case/42", "case/43", 1), "does not verify"),
        (lambda t: t[:-10] + ("A" if t[-10] != "A" else "B") + t[-9:], "does not verify"),
        (lambda t: t.replace("caseflow.example.com/log", "other.example.com", 1), "no signature"),
        (lambda t: t.replace("\n\n", "\n", 1), "no blank line"),
        (lambda t: t.rstrip("\n"), "newline"),
        (lambda t: t.replace("\n3\n", "\n03\n", 1), "tree size"),
        (lambda t: t.replace("\n3\n", "\n3\r\n", 1), "control characters"),
    ],
)
def test_tampered_checkpoint_fails_naming_the_check(tamper, message):
    text, public, _ = make_checkpoint()
    with pytest.raises(VerificationError, match=message):
        verify_checkpoint(tamper(text), public, "caseflow.example.com/log")


def test_checkpoint_by_another_key_fails():
    text, _, _ = make_checkpoint()
    other = Ed25519PrivateKey.generate().public_key().public_bytes_raw()
    with pytest.raises(VerificationError, match="no signature by key"):
        verify_checkpoint(text, other, "caseflow.example.com/log")


def test_signature_with_right_key_hash_but_wrong_key_fails():
    key = Ed25519PrivateKey.generate()
    text, public, _ = make_checkpoint(key=key)
    body = parse_checkpoint(text).body_text
    forged = Ed25519PrivateKey.generate().sign(body.encode())
    forged_text = (
        body
        + "\n"
        + signature_line(
            "caseflow.example.com/log", note_key_hash("caseflow.example.com/log", public), forged
        )
    )
    with pytest.raises(VerificationError, match="does not verify"):
        verify_checkpoint(forged_text, public, "caseflow.example.com/log")
