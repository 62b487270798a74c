"""The five-step run between two installations: each side learns exactly the shared selectors,
and a replayed, out-of-order, stale, forged or over-limit message is refused."""

import base64
import hashlib
import json
from dataclasses import asdict
from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from caseflow.federation import sealing
from caseflow.federation.errors import FederationError, MessageRefused, RunRefused
from caseflow.federation.keys import InstallationKey
from caseflow.federation.messages import MAGIC, build_message, parse_message
from caseflow.federation.protocol import Federation, Partner, Selector
from caseflow.policy import FederationLimits
from exports.verify import canonical_bytes
from tests.helpers import FakeClock
from tests.unit.federation_factory import Directory, make_pair, run_to_end, selectors

A_ONLY, SHARED, B_ONLY = range(0, 40), range(40, 70), range(70, 130)


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def pair(clock):
    return make_pair(selectors([*A_ONLY, *SHARED]), selectors([*SHARED, *B_ONLY]), clock=clock)


def step(side, data, transport="https"):
    return side.engine.receive(data, side.holdings, transport=transport)


def refusal_of(exc_info):
    return exc_info.value.reason


# --- the happy paths ----------------------------------------------------------------------------


def test_each_side_ends_with_exactly_the_shared_selectors_and_the_others_references(pair):
    a, b = pair
    opened = a.engine.start(b.key.key_id, a.holdings)
    asked = step(b, opened.reply)
    answered = step(a, asked.reply)
    assert answered.matches is None  # the initiator has learned nothing yet
    learned_b = step(b, answered.reply)  # the responder learns first
    assert set(learned_b.matches) == set(selectors(SHARED))
    learned_a = step(a, learned_b.reply)
    assert set(learned_a.matches) == set(selectors(SHARED))
    assert learned_a.references == {s: tuple(b.holdings.references[s]) for s in learned_a.matches}
    closed = step(b, learned_a.reply)
    assert closed.reply is None
    assert closed.references == {s: tuple(a.holdings.references[s]) for s in learned_b.matches}
    for side in (a, b):
        run = side.runs.get(opened.run.run_id)
        assert run.status == "complete" and run.consistent
        assert run.matches == tuple(sorted(s.element for s in selectors(SHARED)))
        assert (run.elements, run.client_key, run.shared_secret, run.partner_request) == (
            (),
            None,
            None,
            None,
        )
        assert [m.step for m in run.messages] == [1, 2, 3, 4, 5]


@settings(max_examples=12, deadline=None)
@given(
    st.sets(st.integers(0, 200), min_size=10, max_size=40),
    st.sets(st.integers(0, 200), min_size=10, max_size=40),
)
def test_for_any_two_sets_each_side_learns_exactly_their_intersection(a_indices, b_indices):
    a, b = make_pair(selectors(sorted(a_indices)), selectors(sorted(b_indices)))
    messages = run_to_end(a, b)
    run_id = parse_message(messages[0]).header.run
    expected = {s.element for s in selectors(a_indices & b_indices)}
    for side in (a, b):
        run = side.runs.get(run_id)
        assert set(run.matches) == expected and run.consistent
        assert set(run.partner_references) == expected


def test_disjoint_sets_give_no_match_and_no_reference():
    a, b = make_pair(selectors(range(0, 50)), selectors(range(50, 120)))
    messages = run_to_end(a, b)
    assert len(messages) == 5
    run_id = parse_message(messages[0]).header.run
    for side in (a, b):
        run = side.runs.get(run_id)
        assert run.matches == () and run.partner_match_count == 0 and run.consistent
        assert run.partner_references == {}


def test_without_an_agreement_to_disclose_no_case_reference_is_asked_or_sent():
    a, b = make_pair(selectors([*A_ONLY, *SHARED]), selectors([*SHARED, *B_ONLY]), disclose=False)
    messages = run_to_end(a, b)
    run_id = parse_message(messages[0]).header.run
    assert a.holdings.asked_references == [] and b.holdings.asked_references == []
    for side in (a, b):
        run = side.runs.get(run_id)
        assert len(run.matches) == len(SHARED) and run.partner_references == {}
        assert run.partner_match_count == len(SHARED)


def test_the_partners_other_values_appear_nowhere_in_what_the_requester_keeps_or_received(pair):
    a, b = pair
    messages = run_to_end(a, b)
    run = a.runs.get(parse_message(messages[0]).header.run)
    kept = json.dumps(asdict(run), default=str).encode()
    received = b"".join(messages[1::2])
    for selector in selectors(B_ONLY):
        element = selector.element.encode()
        forms = [
            selector.value.encode(),
            element,
            hashlib.sha256(element).hexdigest().encode(),
            hashlib.sha256(element).digest(),
            base64.b64encode(hashlib.sha256(element).digest()),
        ]
        for form in forms:
            assert form not in kept and form not in received, selector
    # ...while the shared ones are there, so the search would have found them
    assert selectors(SHARED)[0].value.encode() in kept


def test_the_open_message_carries_only_blinded_values(pair):
    a, b = pair
    data = a.engine.start(b.key.key_id, a.holdings).reply
    for selector in selectors([*A_ONLY, *SHARED]):
        assert selector.value.encode() not in data
        assert hashlib.sha256(selector.element.encode()).digest() not in data


# --- replay, order, time, signatures ------------------------------------------------------------


def test_every_message_replayed_is_refused_and_changes_nothing(pair):
    a, b = pair
    messages = run_to_end(a, b)
    for index, data in enumerate(messages):
        receiver = b if index % 2 == 0 else a
        with pytest.raises(MessageRefused) as caught:
            step(receiver, data)
        assert refusal_of(caught) == "replayed"
        assert caught.value.status == 409


def test_a_replay_while_the_run_is_open_is_refused(pair):
    a, b = pair
    opened = a.engine.start(b.key.key_id, a.holdings)
    asked = step(b, opened.reply)
    with pytest.raises(MessageRefused, match="opened before"):
        step(b, opened.reply)
    answered = step(a, asked.reply)
    with pytest.raises(MessageRefused, match="received before"):
        step(a, asked.reply)
    assert step(b, answered.reply).matches  # the run goes on


def signed_by(key, data: bytes, **header_changes) -> bytes:
    """Re-sign a message with `key` after changing its header (a partner deviating, or a
    forger when the key is not the partner's)."""
    message = parse_message(data)
    record = json.loads(message.header_json)
    record.update(header_changes)
    signed = MAGIC + canonical_bytes(record) + b"\n"
    return signed + base64.b64encode(key.sign(signed)) + b"\n" + message.payload


def test_a_step_out_of_order_is_refused(pair):
    a, b = pair
    opened = a.engine.start(b.key.key_id, a.holdings)
    asked = step(b, opened.reply)
    answered = step(a, asked.reply)
    header = parse_message(answered.reply).header
    # A close (step 5) where an answer (step 3) is due
    sealed = sealing.seal(bytes(32), header.run, a.key.key_id, 5, sealing.Sealed(0, {}))
    skipping = build_message(
        a.key,
        type="close",
        run=header.run,
        step=5,
        recipient=b.key.key_id,
        created_at=header.created_at,
        expires_at=header.expires_at,
        prev=header.prev,
        set_sizes=header.set_sizes,
        parts={"sealed": sealed},
    )
    with pytest.raises(MessageRefused, match="expects step 3, this is step 5") as caught:
        step(b, skipping)
    assert caught.value.field == "step"
    # The right step, but not following the last message of the run
    with pytest.raises(MessageRefused, match="prev does not name") as caught:
        step(b, signed_by(a.key, answered.reply, prev="00" * 32))
    assert refusal_of(caught) == "out_of_order"
    assert step(b, answered.reply).matches  # the genuine one still goes through


def test_a_message_for_an_unknown_run_is_refused(pair):
    a, b = pair
    opened = a.engine.start(b.key.key_id, a.holdings)
    asked = step(b, opened.reply)
    answered = step(a, asked.reply)
    other_run = "0f0e0d0c-0b0a-4908-8706-050403020100"
    with pytest.raises(MessageRefused) as caught:
        step(b, signed_by(a.key, answered.reply, run=other_run))
    assert refusal_of(caught) == "unknown_run" and caught.value.status == 404


def test_an_expired_message_is_refused_and_the_run_cannot_resume(pair, clock):
    a, b = pair
    opened = a.engine.start(b.key.key_id, a.holdings)
    clock.advance(minutes=16)
    with pytest.raises(MessageRefused) as caught:
        step(b, opened.reply)
    assert refusal_of(caught) == "expired" and caught.value.field == "expires_at"
    assert b.runs.get(opened.run.run_id) is None  # nothing recorded
    assert a.runs.get(opened.run.run_id).status_at(clock()) == "expired"


def test_a_message_from_the_future_is_refused(pair, clock):
    a, b = pair
    opened = a.engine.start(b.key.key_id, a.holdings)
    clock.advance(minutes=-6)
    with pytest.raises(MessageRefused) as caught:
        step(b, opened.reply)
    assert refusal_of(caught) == "not_yet_valid" and caught.value.field == "created_at"


def test_clocks_a_few_minutes_apart_still_work(clock):
    b_clock = FakeClock(clock() - timedelta(minutes=4))
    a, b = make_pair(
        selectors([*A_ONLY, *SHARED]),
        selectors([*SHARED, *B_ONLY]),
        clock=clock,
        b_clock=b_clock,
    )
    messages = run_to_end(a, b)
    assert a.runs.get(parse_message(messages[0]).header.run).status == "complete"


def test_a_file_message_sent_over_https_is_refused_for_its_lifetime(pair):
    a, b = pair
    opened = a.engine.start(b.key.key_id, a.holdings, transport="file")
    with pytest.raises(MessageRefused, match="may live at most 0:15:00"):
        step(b, opened.reply, transport="https")
    assert step(b, opened.reply, transport="file").reply


def test_a_message_signed_by_another_key_is_refused_as_foreign(pair):
    a, b = pair
    opened = a.engine.start(b.key.key_id, a.holdings)
    forger = InstallationKey.generate()
    forged = signed_by(forger, opened.reply)  # claims to be A, signed by someone else
    with pytest.raises(MessageRefused) as caught:
        step(b, forged)
    assert refusal_of(caught) == "bad_signature" and caught.value.status == 403
    assert "registered key of partner Agency A" in caught.value.message
    assert b.runs.get(opened.run.run_id) is None


def test_a_message_from_an_unregistered_installation_is_refused(pair):
    a, b = pair
    stranger = InstallationKey.generate()
    limits = FederationLimits(min_set_size=10)
    c_directory = Directory(Partner.from_public_key(b.key.public_key, "B", limits=limits))
    c = Federation(stranger, c_directory, a.runs.__class__(), clock=a.engine.clock)
    opened = c.start(b.key.key_id, a.holdings)
    with pytest.raises(MessageRefused) as caught:
        step(b, opened.reply)
    assert refusal_of(caught) == "unknown_sender"


def test_a_message_for_another_installation_is_refused(pair):
    a, b = pair
    opened = a.engine.start(b.key.key_id, a.holdings)
    c_key = InstallationKey.generate()
    c = Federation(
        c_key,
        Directory(Partner.from_public_key(a.key.public_key, "A")),
        a.runs.__class__(),
        clock=a.engine.clock,
    )
    with pytest.raises(MessageRefused) as caught:
        c.receive(opened.reply, b.holdings, transport="https")
    assert refusal_of(caught) == "wrong_recipient"


def test_the_authenticated_partner_must_be_the_signer(pair):
    a, b = pair
    opened = a.engine.start(b.key.key_id, a.holdings)
    with pytest.raises(MessageRefused) as caught:
        b.engine.receive(opened.reply, b.holdings, transport="https", partner_id="ab" * 32)
    assert refusal_of(caught) == "wrong_sender"


def test_a_suspended_partner_can_neither_be_started_with_nor_send(pair):
    a, b = pair
    opened = a.engine.start(b.key.key_id, a.holdings)
    b.directory.replace(a.key.key_id, active=False)
    with pytest.raises(MessageRefused) as caught:
        step(b, opened.reply)
    assert refusal_of(caught) == "partner_suspended"
    with pytest.raises(FederationError) as started:
        b.engine.start(a.key.key_id, b.holdings)
    assert started.value.reason == "partner_suspended"


def test_a_tampered_payload_in_transit_is_refused(pair):
    a, b = pair
    opened = a.engine.start(b.key.key_id, a.holdings)
    data = bytearray(opened.reply)
    data[-5] ^= 0x01
    with pytest.raises(MessageRefused) as caught:
        step(b, bytes(data))
    assert refusal_of(caught) == "payload_mismatch"


# --- limits -------------------------------------------------------------------------------------


def test_a_run_below_the_minimum_set_size_cannot_start():
    a, b = make_pair(selectors(range(5)), selectors(range(100)))
    with pytest.raises(RunRefused) as caught:
        a.engine.start(b.key.key_id, a.holdings)
    assert refusal_of(caught) == "too_few_selectors"
    assert "needs at least 10" in caught.value.message


def test_a_partner_probing_a_handful_of_selectors_gets_a_signed_refusal(pair):
    a, b = pair
    b.directory.replace(a.key.key_id, limits=FederationLimits(min_set_size=100))
    opened = a.engine.start(b.key.key_id, a.holdings)
    with pytest.raises(RunRefused) as caught:
        step(b, opened.reply)
    assert refusal_of(caught) == "too_few_selectors"
    assert "the partner's set has 70 selectors" in caught.value.message
    refused = step(a, caught.value.reply)  # A records B's signed reason
    assert refused.run.status == "refused"
    assert refused.run.refusal[:2] == ("partner", "too_few_selectors")
    assert b.runs.get(opened.run.run_id).accepted is False


def test_runs_per_day_are_limited_on_both_sides(clock):
    limits = FederationLimits(min_set_size=10, runs_per_day=2)
    a, b = make_pair(selectors(range(60)), selectors(range(30, 90)), clock=clock, limits=limits)
    run_to_end(a, b)
    run_to_end(a, b)
    with pytest.raises(RunRefused) as caught:
        a.engine.start(b.key.key_id, a.holdings)
    assert refusal_of(caught) == "runs_per_day" and caught.value.status == 429
    # A partner ignoring its own limit is refused by ours
    a.directory.replace(b.key.key_id, limits=FederationLimits(min_set_size=10, runs_per_day=9))
    opened = a.engine.start(b.key.key_id, a.holdings)
    with pytest.raises(RunRefused) as refused:
        step(b, opened.reply)
    assert refusal_of(refused) == "runs_per_day"
    clock.advance(hours=24, seconds=1)
    assert len(run_to_end(a, b)) == 5


def test_a_partner_set_may_not_jump_beyond_its_growth_limit(clock):
    limits = FederationLimits(min_set_size=10, growth_percent=50, growth_allowance=5)
    a, b = make_pair(selectors(range(40)), selectors(range(20, 80)), clock=clock, limits=limits)
    run_to_end(a, b)
    a.holdings.items = selectors(range(61))  # 40 -> 61: more than 40 + 50 %
    opened = a.engine.start(b.key.key_id, a.holdings)
    with pytest.raises(RunRefused) as caught:
        step(b, opened.reply)
    assert refusal_of(caught) == "growth_limit"
    assert "grew to 61 selectors from 40; the next run allows at most 60" in caught.value.message
    step(a, caught.value.reply)  # a run refused at once counts for neither side's daily limit
    a.holdings.items = selectors(range(60))
    assert len(run_to_end(a, b)) == 5


def test_the_initiator_checks_the_responders_set_too(pair):
    a, b = pair
    a.directory.replace(b.key.key_id, limits=FederationLimits(min_set_size=10, max_set_size=80))
    opened = a.engine.start(b.key.key_id, a.holdings)
    asked = step(b, opened.reply)
    with pytest.raises(RunRefused) as caught:
        step(a, asked.reply)
    assert refusal_of(caught) == "too_many_selectors"
    assert step(b, caught.value.reply).run.status == "refused"


def test_a_set_size_changed_during_the_run_ends_it(pair):
    a, b = pair
    opened = a.engine.start(b.key.key_id, a.holdings)
    asked = step(b, opened.reply)
    answered = step(a, asked.reply)
    lying = signed_by(a.key, answered.reply, set_sizes={"initiator": 71, "responder": 90})
    with pytest.raises(RunRefused) as caught:
        step(b, lying)
    assert refusal_of(caught) == "inconsistent_sizes"


def test_selectors_of_a_kind_that_may_not_be_matched_never_leave(pair):
    a, b = pair
    a.holdings.items = [
        *selectors(range(30)),
        Selector("person", "4c1f0d55-0000-4000-8000-000000000001"),
    ]
    with pytest.raises(FederationError) as caught:
        a.engine.start(b.key.key_id, a.holdings)
    assert caught.value.reason == "not_shareable" and caught.value.field == "kind"


# --- a deviating partner -----------------------------------------------------------------------


class Boasting(Federation):
    """A partner that labels selectors it did not match: our values it guessed."""

    guessed: list[Selector] = []

    def _seal(self, state, partner, holdings, matches, *, step):
        extra = {
            sealing.label_key(state.shared_secret, state.run_id, s.element): ("CF-9999-0001",)
            for s in self.guessed
        }
        content = sealing.Sealed(len(matches) + len(extra), extra)
        return sealing.seal(state.shared_secret, state.run_id, self.key.key_id, step, content)


def test_labels_for_selectors_we_did_not_match_are_dropped_and_flagged(pair):
    a, b = pair
    b.engine.__class__ = Boasting
    Boasting.guessed = [*selectors(B_ONLY[:3]), *selectors(A_ONLY[:2])]
    messages = run_to_end(a, b)
    run = a.runs.get(parse_message(messages[0]).header.run)
    assert run.partner_references == {}
    assert run.unmatched_labels == 5 and run.consistent is False
    kept = json.dumps(asdict(run), default=str)
    for selector in selectors(B_ONLY[:3]):
        assert selector.value not in kept


def test_a_sealed_part_that_does_not_open_ends_the_run(pair):
    a, b = pair
    opened = a.engine.start(b.key.key_id, a.holdings)
    asked = step(b, opened.reply)
    answered = step(a, asked.reply)
    result = step(b, answered.reply).reply
    message = parse_message(result)
    garbage = build_message(
        b.key,
        type="result",
        run=message.header.run,
        step=4,
        recipient=a.key.key_id,
        created_at=message.header.created_at,
        expires_at=message.header.expires_at,
        prev=message.header.prev,
        set_sizes=message.header.set_sizes,
        parts={
            "setup": message.part("setup"),
            "response": message.part("response"),
            "sealed": b"\x00" * 40,
        },
    )
    with pytest.raises(RunRefused) as caught:
        step(a, garbage)
    assert refusal_of(caught) == "invalid_sealed_part"
    assert a.runs.get(message.header.run).status == "refused"


def test_a_refusal_cannot_open_a_run(pair):
    a, b = pair
    opened = a.engine.start(b.key.key_id, a.holdings)
    header = parse_message(opened.reply).header
    refusal = build_message(
        a.key,
        type="refusal",
        run="0f0e0d0c-0b0a-4908-8706-050403020100",
        step=2,
        recipient=b.key.key_id,
        created_at=header.created_at,
        expires_at=header.expires_at,
        prev="11" * 32,
        set_sizes={"initiator": None, "responder": None},
        refusal=("other", "no"),
    )
    with pytest.raises(MessageRefused) as caught:
        step(b, refusal)
    assert refusal_of(caught) == "unknown_run"
