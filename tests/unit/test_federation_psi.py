"""openmined-psi behind our checks: correct intersections, and a partner's crafted or broken
PSI data refused before the library sees it."""

from fractions import Fraction

import private_set_intersection.python as lib
import pytest

from caseflow.federation import psi

A = [f"phone:+33639980{i:03d}" for i in range(300)]
B = [f"phone:+33639980{i:03d}" for i in range(200, 450)]
SHARED = set(A) & set(B)


def run_direction(client_elements, server_elements):
    key, request = psi.create_request(client_elements)
    setup, response = psi.answer_request(
        server_elements, request, client_count=len(client_elements)
    )
    return key, setup, response


def test_the_client_learns_exactly_the_shared_elements_through_a_gcs():
    key, setup, response = run_direction(A, B)
    indices, info = psi.intersect(key, A, setup, response, server_count=len(B))
    assert {A[i] for i in indices} == SHARED
    assert info.structure == "gcs" and info.elements == len(B)
    assert info.false_positive_bound <= psi.MAX_FALSE_POSITIVE


def test_beyond_the_gcs_range_the_raw_setup_gives_the_same_exact_answer(monkeypatch):
    monkeypatch.setattr(psi, "_GCS_MAX_RANGE", 1000)
    key, setup, response = run_direction(A, B)
    indices, info = psi.intersect(key, A, setup, response, server_count=len(B))
    assert {A[i] for i in indices} == SHARED
    assert info.structure == "raw" and info.false_positive_bound == 0


def test_gcs_is_chosen_only_where_its_int64_hash_range_holds_the_target_rate():
    assert psi.uses_gcs(20_000, 20_000)
    assert psi.uses_gcs(45_000, 40_000)
    assert not psi.uses_gcs(100_000, 100_000)
    assert not psi.uses_gcs(1_000, 5_000_000)


def test_a_gcs_whose_hash_range_overflowed_in_the_library_is_refused():
    # The library computes max(n_client, n_server) * n_client / fpr in a double and casts it
    # to int64 without a check: past 2**63 the range wraps, and the real false-positive rate
    # is far above what was asked. At 1e-9, 100,000 against 100,000 already overflows.
    # (With other sizes the library throws instead; we never build such a setup: uses_gcs.)
    elements = [f"email:contact{i}@example.org" for i in range(1000)]
    server = lib.server.CreateWithNewKey(True)
    setup = server.CreateSetupMessage(1e-13, 1000, elements, lib.DataStructure.GCS)
    assert setup.gcs.hash_range < 0
    with pytest.raises(psi.PsiDataError, match="hash range is out of range"):
        psi.check_setup(setup.SerializeToString(), client_count=1000, server_count=1000)


def test_the_gcs_decoder_counts_what_the_library_encoded():
    server = lib.server.CreateWithNewKey(True)
    setup = server.CreateSetupMessage(5e-10, len(A), B, lib.DataStructure.GCS)
    count = psi.gcs_element_count(setup.gcs.bits, setup.gcs.div, setup.gcs.hash_range)
    assert count == len(B)
    _, info = psi.check_setup(setup.SerializeToString(), client_count=len(A), server_count=len(B))
    assert info.false_positive_bound == Fraction(len(A) * len(B), setup.gcs.hash_range)


def gcs_setup(bits: bytes, div: int, hash_range: int) -> bytes:
    setup = lib.ServerSetup()
    setup.gcs.bits, setup.gcs.div, setup.gcs.hash_range = bits, div, hash_range
    return setup.SerializeToString()


@pytest.mark.parametrize(
    ("bits", "div", "hash_range", "message"),
    [
        # A tiny range: every element of ours would "match" (the partner learns our set
        # through the references we send for matches).
        (b"\x01", 0, 1, "false-positive bound"),
        (b"\x01", 0, 2**30, "false-positive bound"),  # still far too coarse for 300 queries
        (b"\xff" * 40, 1, 2**62, "160 elements"),  # more values than the partner declared
        (b"\x01\x00", 60, 2**62, "ends inside a value"),  # the library would read past the end
        (b"\x01", 70, 2**62, "divisor"),
        (b"\x01", -1, 2**62, "divisor"),
        (b"\x03", 0, 2**62, "repeated"),
        (b"\x80" * 3000, 0, 2**62, "larger than a set"),
    ],
)
def test_crafted_gcs_setups_are_refused(bits, div, hash_range, message):
    with pytest.raises(psi.PsiDataError, match=message):
        psi.check_setup(gcs_setup(bits, div, hash_range), client_count=300, server_count=10)


def test_bloom_filters_are_refused_even_when_honest():
    server = lib.server.CreateWithNewKey(True)
    setup = server.CreateSetupMessage(1e-9, len(A), B, lib.DataStructure.BLOOM_FILTER)
    with pytest.raises(psi.PsiDataError, match="bloom_filter structure"):
        psi.check_setup(setup.SerializeToString(), client_count=len(A), server_count=len(B))


def test_raw_setups_must_hold_the_declared_number_of_sorted_points():
    server = lib.server.CreateWithNewKey(True)
    setup = server.CreateSetupMessage(1e-9, 10, B[:20], lib.DataStructure.RAW)
    data = setup.SerializeToString()
    assert psi.check_setup(data, client_count=10, server_count=20)[1].structure == "raw"
    with pytest.raises(psi.PsiDataError, match="21"):
        psi.check_setup(data, client_count=10, server_count=21)
    setup.raw.encrypted_elements.reverse()
    with pytest.raises(psi.PsiDataError, match="not sorted"):
        psi.check_setup(setup.SerializeToString(), client_count=10, server_count=20)
    setup.raw.encrypted_elements[0] = b"\x04" + b"\x00" * 32
    with pytest.raises(psi.PsiDataError, match="not a P-256 point"):
        psi.check_setup(setup.SerializeToString(), client_count=10, server_count=20)


def test_a_response_of_the_wrong_length_is_refused_where_the_library_would_accept_it():
    key, setup, response = run_direction(A, B)
    short = lib.Response()
    short.ParseFromString(response)
    del short.encrypted_elements[-1]
    client = lib.client.CreateFromKey(key, True)
    parsed_setup = lib.ServerSetup()
    parsed_setup.ParseFromString(setup)
    client.GetIntersection(parsed_setup, short)  # the library does not object
    with pytest.raises(psi.PsiDataError, match="response holds 299 elements"):
        psi.intersect(key, A, setup, short.SerializeToString(), server_count=len(B))


def test_a_response_with_a_point_off_the_curve_is_refused():
    key, setup, response = run_direction(A, B)
    bad = lib.Response()
    bad.ParseFromString(response)
    bad.encrypted_elements[0] = b"\x02" + b"\xff" * 32
    with pytest.raises(psi.PsiDataError, match="not a P-256 point"):
        psi.intersect(key, A, setup, bad.SerializeToString(), server_count=len(B))


def test_requests_are_checked_for_count_form_and_mode():
    _, request = psi.create_request(A[:30])
    assert len(psi.check_request(request, count=30).encrypted_elements) == 30
    with pytest.raises(psi.PsiDataError, match="holds 30 elements, the header says 31"):
        psi.check_request(request, count=31)
    with pytest.raises(psi.PsiDataError, match="not a PSI request"):
        psi.check_request(b"\xff\xff\xff", count=30)
    cardinality_only = lib.client.CreateWithNewKey(False).CreateRequest(A[:30])
    with pytest.raises(psi.PsiDataError, match="intersection itself"):
        psi.check_request(cardinality_only.SerializeToString(), count=30)
    off_curve = lib.Request()
    off_curve.ParseFromString(request)
    off_curve.encrypted_elements[3] = b"\x03" + b"\xff" * 32
    with pytest.raises(psi.PsiDataError, match="not a P-256 point"):
        psi.answer_request(B, off_curve.SerializeToString(), client_count=30)


def test_each_request_uses_a_new_key():
    key1, request1 = psi.create_request(A[:20])
    key2, request2 = psi.create_request(A[:20])
    assert key1 != key2 and request1 != request2
