"""exports.merkle: incremental tree roots and proofs checked against the RFC; checkpoint signing."""

import base64
import os
import stat

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from exports.merkle import (
    MerkleTree,
    decode_signer_key,
    encode_signer_key,
    generate_signing_key,
    load_private_key_pem,
    load_public_key_pem,
    private_key_pem,
    public_key_bytes,
    public_key_pem,
    save_private_key_pem,
    sign_checkpoint,
    sign_note,
)
from exports.verify import (
    EMPTY_ROOT,
    VerificationError,
    leaf_hash,
    root_from_leaves,
    verify_checkpoint,
    verify_consistency,
    verify_inclusion,
    verify_note,
)
from tests.unit.merkle_reference import ref_consistency, ref_inclusion, ref_root
from tests.unit.test_verify import PETER_NOTE, PETER_TEXT, PETER_VKEY, flip

PETER_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
LEAVES = [leaf_hash(f"custody event {i}".encode()) for i in range(64)]


def grown(n: int) -> MerkleTree:
    """A tree grown one append at a time (the path the app takes)."""
    tree = MerkleTree()
    for leaf in LEAVES[:n]:
        tree.append(leaf)
    return tree


def test_empty_tree():
    tree = MerkleTree()
    assert len(tree) == 0 and tree.root() == EMPTY_ROOT and tree.consistency_proof(0) == []
    with pytest.raises(ValueError, match="leaf index"):
        tree.inclusion_proof(0)


def test_roots_and_proofs_equal_the_rfc_for_all_sizes_up_to_64():
    tree = grown(64)
    bulk = MerkleTree(LEAVES)
    for size in range(65):
        prefix = LEAVES[:size]
        root = ref_root(prefix)
        assert tree.root(size) == bulk.root(size) == root
        for index in range(size):
            proof = tree.inclusion_proof(index, size)
            assert proof == bulk.inclusion_proof(index, size) == ref_inclusion(index, prefix)
            assert verify_inclusion(LEAVES[index], index, size, proof, root)
        for size1 in range(size + 1):
            proof = tree.consistency_proof(size1, size)
            assert proof == ref_consistency(size1, prefix)
            assert verify_consistency(size1, size, tree.root(size1), root, proof)


@settings(max_examples=500)
@given(size=st.integers(1, 64), data=st.data(), bit=st.integers(0, 10_000))
def test_tree_proofs_fail_on_any_flipped_bit(size, data, bit):
    tree = grown(size)
    index = data.draw(st.integers(0, size - 1))
    proof, root = tree.inclusion_proof(index), tree.root()
    assert verify_inclusion(tree.leaf(index), index, size, proof, root)
    assert not verify_inclusion(flip(tree.leaf(index), bit), index, size, proof, root)
    assert not verify_inclusion(tree.leaf(index), index, size, proof, flip(root, bit))
    if proof:
        i = bit % len(proof)
        bad = [*proof[:i], flip(proof[i], bit), *proof[i + 1 :]]
        assert not verify_inclusion(tree.leaf(index), index, size, bad, root)


@settings(max_examples=500)
@given(size2=st.integers(2, 64), data=st.data(), bit=st.integers(0, 255))
def test_tree_consistency_detects_a_rewritten_earlier_leaf(size2, data, bit):
    size1 = data.draw(st.integers(1, size2 - 1))
    changed = data.draw(st.integers(0, size1 - 1))
    honest = grown(size2)
    forked = MerkleTree(LEAVES[:size1])
    forked_leaves = [forked.leaf(i) for i in range(size1)]
    forked_leaves[changed] = flip(forked_leaves[changed], bit)
    forked = MerkleTree(forked_leaves)
    proof = honest.consistency_proof(size1)
    assert verify_consistency(size1, size2, honest.root(size1), honest.root(), proof)
    assert not verify_consistency(size1, size2, forked.root(), honest.root(), proof)


@settings(max_examples=50, deadline=None)
@given(
    size=st.integers(65, 5000),
    data=st.data(),
)
def test_larger_trees_grown_and_bulk_built_agree(size, data):
    leaves = [leaf_hash(i.to_bytes(4, "big")) for i in range(size)]
    bulk = MerkleTree(leaves)
    grown_tree = MerkleTree(leaves[:1])
    grown_tree.extend(leaves[1:])
    index = data.draw(st.integers(0, size - 1))
    size1 = data.draw(st.integers(0, size))
    assert bulk.root() == grown_tree.root() == root_from_leaves(leaves)
    assert bulk.root(size1) == root_from_leaves(leaves[:size1])
    proof = bulk.inclusion_proof(index)
    assert proof == grown_tree.inclusion_proof(index)
    assert verify_inclusion(leaves[index], index, size, proof, bulk.root())
    cproof = grown_tree.consistency_proof(size1)
    assert verify_consistency(size1, size, bulk.root(size1), bulk.root(), cproof)


def test_hundred_thousand_leaves_proofs_are_logarithmic():
    leaves = [leaf_hash(i.to_bytes(4, "big")) for i in range(100_003)]
    tree = MerkleTree(leaves)
    root = tree.root()
    assert root == root_from_leaves(leaves)
    for index in range(0, 100_003, 997):
        proof = tree.inclusion_proof(index)
        assert len(proof) <= 17
        assert verify_inclusion(leaves[index], index, len(tree), proof, root)
    proof = tree.consistency_proof(65_537)
    assert verify_consistency(65_537, 100_003, tree.root(65_537), root, proof)


def test_tree_rejects_bad_input():
    tree = grown(5)
    with pytest.raises(ValueError, match="32 bytes"):
        tree.append(b"short")
    with pytest.raises(ValueError, match="32 bytes"):
        MerkleTree([b"short"])
    with pytest.raises(ValueError, match="tree size"):
        tree.root(6)
    with pytest.raises(ValueError, match="leaf index"):
        tree.inclusion_proof(5)
    with pytest.raises(ValueError, match="size1 <= size2"):
        tree.consistency_proof(4, 3)
    assert tree.append_entry(b"abc") == 5 and tree.leaf(5) == leaf_hash(b"abc")


# --- signing -------------------------------------------------------------------------------------


def test_sign_note_reproduces_the_go_vector():
    name, key = decode_signer_key(PETER_SKEY)
    assert name == "PeterNeumann"
    assert encode_signer_key(name, key) == PETER_SKEY
    assert sign_note(PETER_TEXT, key, name) == PETER_NOTE
    assert PETER_VKEY.endswith(base64.b64encode(b"\x01" + public_key_bytes(key)).decode())


def test_checkpoint_sign_verify_roundtrip_and_tampering():
    key = generate_signing_key()
    tree = grown(10)
    text = sign_checkpoint("caseflow.example.com/case/7", 10, tree.root(), key, "caseflow-test")
    checkpoint = verify_checkpoint(text, public_key_bytes(key), "caseflow-test")
    assert (checkpoint.size, checkpoint.root) == (10, tree.root())
    assert verify_note(text, public_key_bytes(key), "caseflow-test") == checkpoint.body_text
    with pytest.raises(VerificationError, match="does not verify"):
        verify_checkpoint(text.replace("\n10\n", "\n11\n"), public_key_bytes(key), "caseflow-test")
    other = generate_signing_key()
    with pytest.raises(VerificationError, match="no signature"):
        verify_checkpoint(text, public_key_bytes(other), "caseflow-test")
    forged = sign_checkpoint("caseflow.example.com/case/7", 10, tree.root(), other, "caseflow-test")
    with pytest.raises(VerificationError, match="no signature"):
        verify_checkpoint(forged, public_key_bytes(key), "caseflow-test")
    with pytest.raises(ValueError, match="newline"):
        sign_note("no newline", key, "caseflow-test")


def test_pem_roundtrip_permissions_and_no_overwrite(tmp_path):
    key = generate_signing_key()
    path = tmp_path / "checkpoint-key.pem"
    save_private_key_pem(key, path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert public_key_bytes(load_private_key_pem(path)) == public_key_bytes(key)
    with pytest.raises(FileExistsError):
        save_private_key_pem(generate_signing_key(), path)
    encrypted = private_key_pem(key, password=b"correct horse")
    assert b"ENCRYPTED" in encrypted
    assert public_key_bytes(load_private_key_pem(encrypted, b"correct horse")) == public_key_bytes(
        key
    )
    assert load_public_key_pem(public_key_pem(key)) == public_key_bytes(key)
    assert len(public_key_bytes(key.public_key())) == 32


def test_pem_loaders_refuse_other_key_types():
    ec_key = ec.generate_private_key(ec.SECP256R1())
    pem = ec_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    with pytest.raises(TypeError, match="Ed25519"):
        load_private_key_pem(pem)
    pub = ec_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    with pytest.raises(TypeError, match="Ed25519"):
        load_public_key_pem(pub)
    assert isinstance(generate_signing_key(), Ed25519PrivateKey)
