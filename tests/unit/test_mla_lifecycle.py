"""Request clocks as a lifecycle, driven by a fake clock: every row of the deadlines table, late
events, confirmations and holds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from caseflow.mla import lifecycle
from caseflow.mla.facts import RequestFacts
from caseflow.mla.lifecycle import Context, Event, EventError
from tests.helpers import FakeClock

SENT = datetime(2026, 9, 1, 9, 0, tzinfo=UTC)
DAY = timedelta(days=1)
HOUR = timedelta(hours=1)
NORMAL = Context()
EMERGENCY = Context(frozenset({"emergency"}))


def at(days: float = 0, hours: float = 0) -> datetime:
    return SENT + timedelta(days=days, hours=hours)


def clock_of(profile, events, now, context=NORMAL, key=None):
    clocks = lifecycle.lifecycle([profile], events, context, now)
    return next(c for c in clocks if key is None or c.key == key)


@pytest.fixture
def clock():
    return FakeClock(SENT)


# -- Budapest Art. 29 ---------------------------------------------------------------------------


def test_art_29_preservation_runs_60_days_with_reminders_at_45_and_55(clock):
    events = [Event("sent", SENT)]
    c = clock_of("BUDAPEST-29", events, clock())
    assert (c.status, c.due_at, c.unit, c.period) == ("running", at(60), "days", "60 days")
    assert [r.at for r in c.reminders] == [at(45), at(55)]
    assert "Send the follow-up request" in c.next_step
    clock.advance(days=45, hours=1)
    assert (
        clock_of("BUDAPEST-29", events, clock()).next_reminder(clock()).text.startswith("Escalate")
    )
    clock.advance(days=15)
    lapsed = clock_of("BUDAPEST-29", events, clock())
    assert lapsed.status == "lapsed" and "send a new preservation request" in lapsed.next_step


def test_confirmation_keeps_the_expiry_of_a_preservation(clock):
    events = [Event("sent", SENT), Event("confirmed", at(2), reference="PR-55120")]
    clock.advance(days=10)
    c = clock_of("BUDAPEST-29", events, clock())
    assert (c.status, c.due_at) == ("running", at(60))
    assert any("PR-55120" in n and "expiry still applies" in n for n in c.notes)
    clock.advance(days=51)
    assert clock_of("BUDAPEST-29", events, clock()).status == "lapsed"


def test_art_29_is_held_once_the_follow_up_is_received_until_it_is_decided(clock):
    follow_up = [Event("sent", at(40)), Event("received", at(41)), Event("produced", at(200))]
    events = [Event("sent", SENT), *lifecycle.follow_up_events(follow_up[:2])]
    clock.advance(days=100)
    held = clock_of("BUDAPEST-29", events, clock())
    assert (held.status, held.due_at) == ("held", None)
    assert "until the follow-up request is decided" in held.next_step
    events = [Event("sent", SENT), *lifecycle.follow_up_events(follow_up)]
    clock.advance(days=150)
    ended = clock_of("BUDAPEST-29", events, clock())
    assert (ended.status, ended.stopped_at) == ("ended", at(200))


def test_a_follow_up_received_after_the_lapse_keeps_nothing_and_is_refused(clock):
    events = [Event("sent", SENT)]
    late = Event("follow_up_received", at(61))
    clock.advance(days=62)
    c = clock_of("BUDAPEST-29", [*events, late], clock())
    assert c.status == "lapsed" and any("does not keep the data" in n for n in c.notes)
    with pytest.raises(EventError, match="after the preservation lapsed"):
        lifecycle.check_event(["BUDAPEST-29"], events, late, NORMAL, clock())


def test_preservation_counts_from_sending_until_the_receipt_is_recorded(clock):
    c = clock_of("BUDAPEST-29", [Event("sent", SENT)], clock())
    assert c.provisional and any("until 'received by the addressee'" in n for n in c.notes)
    received = clock_of("BUDAPEST-29", [Event("sent", SENT), Event("received", at(1))], clock())
    assert not received.provisional and received.due_at == at(61)


# -- 18 U.S.C. 2703(f) --------------------------------------------------------------------------


def test_2703f_runs_90_days_and_one_90_day_extension_asked_in_time(clock):
    events = [Event("sent", SENT)]
    first = clock_of("US-2703F", events, clock())
    assert first.due_at == at(90) and [r.at for r in first.reminders] == [at(75)]
    extended = [*events, Event("extension_sent", at(80))]
    lifecycle.check_event(["US-2703F"], events, extended[-1], NORMAL, at(80))
    c = clock_of("US-2703F", extended, at(80))
    assert (c.due_at, c.extended) == (at(180), 1)
    assert [r.at for r in c.reminders] == [at(75), at(165)]
    clock.advance(days=181)
    assert clock_of("US-2703F", extended, clock()).status == "lapsed"


def test_a_late_or_second_2703f_extension_is_refused_with_the_reason():
    events = [Event("sent", SENT)]
    late = Event("extension_sent", at(91))
    with pytest.raises(EventError, match="must be sent before the preservation ends") as info:
        lifecycle.check_event(["US-2703F"], events, late, NORMAL, at(92))
    assert "2703(f)(2)" in info.value.reason
    c = clock_of("US-2703F", [*events, late], at(92))
    assert c.due_at == at(90) and c.status == "lapsed"
    twice = [*events, Event("extension_sent", at(80))]
    with pytest.raises(EventError, match="only 1 extension is possible"):
        lifecycle.check_event(
            ["US-2703F"], twice, Event("extension_sent", at(170)), NORMAL, at(170)
        )


def test_us_preservation_uses_2703f_whatever_the_route():
    assert lifecycle.profile_for("BUDAPEST-29", "US", measure="preserve") == "US-2703F"
    assert lifecycle.profile_for("BUDAPEST-29", "US", ["preservation"]) == "US-2703F"
    assert lifecycle.profile_for("BUDAPEST-29", "DK", measure="preserve") == "BUDAPEST-29"
    assert lifecycle.profile_for("EPOC-PR", "US", measure="preserve") == "EPOC-PR"
    assert lifecycle.profile_for("UNTOC-18", "TH", measure="obtain") is None


# -- EPOC-PR ------------------------------------------------------------------------------------


def test_epoc_pr_ends_at_60_days_with_its_reminders(clock):
    events = [Event("sent", SENT), Event("received", at(0, 2))]
    c = clock_of("EPOC-PR", events, clock())
    assert c.due_at == at(60, 2)
    assert [r.at for r in c.reminders] == [at(45, 2), at(58, 2)]
    clock.advance(days=61)
    assert clock_of("EPOC-PR", events, clock()).status == "lapsed"


def test_annex_vi_within_the_60_days_adds_30(clock):
    events = [Event("sent", SENT), Event("received", SENT), Event("annex_vi_sent", at(55))]
    c = clock_of("EPOC-PR", events, at(56))
    assert (c.due_at, c.extended) == (at(90), 1)
    assert at(85) in [r.at for r in c.reminders]


def test_annex_vi_at_day_70_does_not_revive_a_lapsed_preservation():
    events = [Event("sent", SENT), Event("received", SENT)]
    late = Event("annex_vi_sent", at(70))
    c = clock_of("EPOC-PR", [*events, late], at(71))
    assert (c.status, c.due_at, c.extended) == ("lapsed", at(60), 0)
    assert any("Annex VI extension" in n and "refused" in n for n in c.notes)
    with pytest.raises(EventError) as info:
        lifecycle.check_event(["EPOC-PR"], events, late, NORMAL, at(71))
    assert "it ended on 2026-10-31 09:00 UTC" in info.value.reason


def test_annex_v_holds_the_data_until_production_and_confirmation_does_not(clock):
    events = [
        Event("sent", SENT),
        Event("received", SENT),
        Event("confirmed", at(1)),
        Event("annex_v_sent", at(50)),
    ]
    clock.advance(days=120)
    held = clock_of("EPOC-PR", events, clock())
    assert held.status == "held" and "Annex V" in held.next_step
    done = clock_of("EPOC-PR", [*events, Event("produced", at(130))], at(131))
    assert done.status == "ended"
    late_v = [Event("sent", SENT), Event("received", SENT), Event("annex_v_sent", at(61))]
    assert clock_of("EPOC-PR", late_v, at(62)).status == "lapsed"


# -- EPOC ---------------------------------------------------------------------------------------


def test_epoc_production_is_10_days_from_the_real_receipt(clock):
    received = at(2, 5)  # the provider's portal shows receipt two days after sending
    events = [Event("sent", SENT), Event("received", received)]
    c = clock_of("EPOC", events, clock(), key="production")
    assert (c.starts_at, c.due_at, c.unit) == (received, received + 10 * DAY, "days")
    assert not c.provisional
    assert [r.at for r in c.reminders] == [received + 8 * DAY]  # 80%
    assert (
        clock_of("EPOC", [*events, Event("produced", at(9))], at(9), key="production").status
        == "done"
    )
    clock.advance(days=13)
    overdue = clock_of("EPOC", events, clock(), key="production")
    assert overdue.status == "overdue" and "enforcement" in overdue.next_step
    late = clock_of("EPOC", [*events, Event("produced", at(14))], at(14), key="production")
    assert late.status == "done-late"


def test_an_emergency_epoc_is_due_in_8_hours_labelled_in_hours():
    received = at(0, 1)
    events = [Event("sent", SENT), Event("received", received)]
    c = clock_of("EPOC", events, at(0, 2), EMERGENCY, key="production")
    assert c.due_at == received + 8 * HOUR
    assert (c.unit, c.period) == ("hours", "8 hours")
    assert "8 hours" in c.label and "10 days" not in c.label
    assert c.reminders[0].at == received + timedelta(minutes=384)
    assert clock_of("EPOC", events, at(0, 10), EMERGENCY, key="production").status == "overdue"


def test_a_non_judicial_emergency_order_must_be_validated_within_48_hours():
    context = Context(frozenset({"emergency", "emergency_validation"}))
    events = [Event("sent", SENT)]
    c = clock_of("EPOC", events, at(0, 1), context, key="validation")
    assert (c.due_at, c.unit) == (at(0, 48), "hours")
    assert [r.at for r in c.reminders] == [at(0, 24), at(0, 40)]
    ok = clock_of(
        "EPOC", [*events, Event("validated", at(0, 30))], at(0, 31), context, key="validation"
    )
    assert ok.status == "done"
    missed = clock_of("EPOC", events, at(0, 49), context, key="validation")
    assert missed.status == "overdue" and "withdraw the order" in missed.next_step
    assert not any(
        c.key == "validation" for c in lifecycle.lifecycle(["EPOC"], events, EMERGENCY, at(1))
    )


def test_the_enforcing_state_may_object_for_96_hours():
    context = Context(frozenset({"emergency", "emergency_notification"}))
    events = [Event("sent", SENT), Event("received", at(0, 1))]
    window = clock_of("EPOC", events, at(1), context, key="objection")
    assert (window.kind, window.due_at, window.status) == ("window", at(0, 97), "running")
    assert clock_of("EPOC", events, at(5), context, key="objection").status == "closed"
    objected = [*events, Event("objection", at(2))]
    assert clock_of("EPOC", objected, at(3), context, key="objection").status == "done"


# -- EIO ----------------------------------------------------------------------------------------


def test_eio_acknowledgement_recognition_and_execution(clock):
    events = [Event("sent", SENT), Event("received", at(1))]
    clocks = {c.key: c for c in lifecycle.lifecycle(["EIO"], events, NORMAL, clock())}
    assert set(clocks) == {"acknowledgement", "recognition", "execution"}
    assert clocks["acknowledgement"].due_at == at(8)
    assert clocks["recognition"].due_at == at(31)
    # until recognition is recorded, execution counts from its latest date
    assert clocks["execution"].due_at == at(121) and clocks["execution"].provisional
    events += [Event("acknowledged", at(3)), Event("recognised", at(20))]
    clocks = {c.key: c for c in lifecycle.lifecycle(["EIO"], events, NORMAL, at(21))}
    assert clocks["acknowledgement"].status == "done"
    assert clocks["recognition"].status == "done"
    assert clocks["execution"].due_at == at(110) and not clocks["execution"].provisional
    late = {c.key: c for c in lifecycle.lifecycle(["EIO"], events, NORMAL, at(111))}
    assert late["execution"].status == "overdue"


def test_eio_provisional_measures_are_decided_within_24_hours():
    preserve = Context(frozenset({"preserve"}))
    events = [Event("sent", SENT), Event("received", at(0, 3))]
    c = clock_of("EIO", events, at(0, 4), preserve, key="provisional")
    assert (c.due_at, c.unit) == (at(0, 27), "hours")
    assert clock_of("EIO", events, at(2), preserve, key="provisional").status == "overdue"
    assert not any(
        c.key == "provisional" for c in lifecycle.lifecycle(["EIO"], events, NORMAL, at(1))
    )


# -- Second Additional Protocol -----------------------------------------------------------------


def test_2ap_article_7_gives_the_provider_30_days():
    events = [Event("sent", SENT), Event("received", at(1))]
    c = clock_of("2AP-7", events, at(32))
    assert (c.due_at, c.status) == (at(31), "overdue")
    assert "Art. 8 or mutual assistance" in c.next_step


def test_2ap_article_8_service_then_20_or_45_days():
    context = Context(frozenset({"subscriber", "traffic"}))
    events = [Event("sent", SENT), Event("received", at(1))]
    clocks = {c.key: c for c in lifecycle.lifecycle(["2AP-8"], events, context, at(2))}
    assert clocks["service"].due_at == at(46)
    assert clocks["subscriber"].status == "waiting" and clocks["traffic"].status == "waiting"
    events.append(Event("served", at(10)))
    clocks = {c.key: c for c in lifecycle.lifecycle(["2AP-8"], events, context, at(11))}
    assert clocks["service"].status == "done"
    assert clocks["subscriber"].due_at == at(30) and clocks["traffic"].due_at == at(55)


# -- Urgent oral requests -----------------------------------------------------------------------


def test_an_urgent_oral_request_must_be_confirmed_in_writing():
    assert lifecycle.lifecycle([None], [Event("sent", SENT)], NORMAL, at(1)) == ()
    events = [Event("oral_request", SENT)]
    c = clock_of(None, events, at(0, 2))
    assert c.key == "written_confirmation" and c.due_at == at(10)
    assert [r.at for r in c.reminders] == [at(1), at(7)]
    assert "forthwith" in c.label and c.unsettled
    done = clock_of(None, [*events, Event("written_confirmation", at(1))], at(2))
    assert done.status == "done"


# -- Recording events ---------------------------------------------------------------------------


def test_events_in_the_future_before_sending_or_twice_are_refused(clock):
    events = [Event("sent", SENT)]
    with pytest.raises(EventError, match="in the future"):
        lifecycle.check_event(["EPOC"], events, Event("received", at(1)), NORMAL, clock())
    with pytest.raises(EventError, match="cannot be before the request was sent"):
        lifecycle.check_event(["EPOC"], events, Event("received", at(-1)), NORMAL, at(1))
    with pytest.raises(EventError, match="already recorded"):
        lifecycle.check_event(["EPOC"], events, Event("sent", at(1)), NORMAL, at(2))
    lifecycle.check_event(["EPOC"], events, Event("received", at(0, 3)), NORMAL, at(1))
    with pytest.raises(EventError, match="time zone"):
        Event("received", datetime(2026, 9, 1, 12, 0))
    with pytest.raises(EventError, match="unknown event"):
        Event("teleported", SENT)


def test_withdrawal_closes_every_clock():
    events = [Event("sent", SENT), Event("received", SENT), Event("withdrawn", at(5))]
    for profile in ("EPOC", "EPOC-PR", "BUDAPEST-29", "EIO"):
        for c in lifecycle.lifecycle([profile], events, NORMAL, at(6)):
            assert c.status == "closed", (profile, c.key)


def test_context_comes_from_the_request_facts():
    facts = RequestFacts(
        urgency="emergency",
        issuing_authority_type="other",
        measure="obtain",
        data_categories=frozenset({"subscriber"}),
    )
    holds = Context.of(facts).holds
    assert {"emergency", "emergency_validation"} <= holds and "emergency_notification" not in holds


def test_summary_dates_for_lists_and_the_dashboard():
    dues = lifecycle.clocks("US-2703F", SENT, extended=True)
    assert [(d.kind, d.due_at) for d in dues] == [
        ("reminder", at(75)),
        ("reminder", at(165)),
        ("deadline", at(180)),
    ]
    emergency = lifecycle.clocks("EPOC", SENT, emergency=True)
    assert emergency[-1].label == "Production due (8 hours from receipt, Art. 10(4))"
    assert lifecycle.state_of(emergency[-1], at(0, 8)) == "overdue"
    assert lifecycle.clocks(None, SENT) == ()
