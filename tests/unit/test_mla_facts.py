"""The request fact model: unknown is an answer, penalties and intervals are read strictly, and
only stated facts are printable."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from caseflow.mla.facts import (
    ANSWER_FIELDS,
    FactError,
    OffenceFacts,
    Penalty,
    PersonFacts,
    RequestFacts,
    TimeRange,
    field_names,
    from_legacy_types,
    parse_interval,
    stated,
    stated_fields,
)


def test_nothing_is_assumed():
    facts = RequestFacts()
    for name in (*ANSWER_FIELDS, "holder_kind", "holder_eu_presence", "issuing_authority_type"):
        assert getattr(facts, name) == "unknown", name
    assert facts.measure == "unknown" and facts.data_categories == frozenset()
    assert facts.urgency == "normal"
    assert stated_fields(facts) == (("urgency", "normal"),)


def test_unknown_and_stated_answers_print_differently():
    facts = RequestFacts(transnational="yes", organised_group="no")
    assert stated(facts, "transnational") == "Yes"
    assert stated(facts, "organised_group") == "No"
    assert stated(facts, "child_exploitation") is None  # nobody said it: never printed
    assert dict(stated_fields(facts)).keys() == {"transnational", "organised_group", "urgency"}


@pytest.mark.parametrize(
    ("value", "expected"),
    [(True, "yes"), (False, "no"), (None, "unknown"), ("", "unknown"), ("YES", "yes")],
)
def test_answers_accept_booleans_and_words(value, expected):
    assert RequestFacts(production_to_follow=value).production_to_follow == expected


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("transnational", "maybe"),
        ("holder_kind", "bank"),
        ("issuing_authority_type", "police"),
        ("measure", "freeze"),
        ("urgency", "asap"),
        ("holder_eu_presence", "office"),
        ("data_categories", frozenset({"dna"})),
    ],
)
def test_bad_answers_name_the_fact(field, value):
    with pytest.raises(FactError) as info:
        RequestFacts(**{field: value})
    assert info.value.field == field


def test_parts_print_as_short_text_and_persons_have_roles():
    facts = RequestFacts(
        offences=(OffenceFacts("Trafficking", "s. 2"),),
        persons=(PersonFacts("suspect", "A. Example"),),
    )
    assert stated(facts, "offences") == "Trafficking (s. 2)"
    assert stated(facts, "persons") == "suspect: A. Example"
    assert stated(facts, "identifiers") is None
    with pytest.raises(FactError, match=r"persons\.role"):
        PersonFacts("bystander", "x")


def test_legacy_types_fill_measure_and_categories():
    assert from_legacy_types({"preservation"}) == ("preserve", frozenset())
    assert from_legacy_types({"preservation", "content-data"}) == (
        "preserve",
        frozenset({"content"}),
    )
    assert from_legacy_types({"search-or-testimony"}) == (
        "obtain",
        frozenset({"search", "hearing"}),
    )
    facts = RequestFacts(request_types=frozenset({"subscriber-data", "traffic-data"}))
    assert (facts.measure, facts.data_categories) == (
        "obtain",
        frozenset({"subscriber", "traffic"}),
    )
    explicit = RequestFacts(request_types=frozenset({"subscriber-data"}), measure="preserve")
    assert explicit.measure == "preserve"
    with pytest.raises(FactError, match="request_types"):
        from_legacy_types({"telepathy"})


@pytest.mark.parametrize(
    ("text", "months", "life"),
    [
        ("10 years", 120, False),
        ("6 months", 6, False),
        ("3 years 6 months", 42, False),
        ("10 years and 6 months", 126, False),
        ("4", 48, False),
        ("2,5 years", 30, False),
        ("1 year", 12, False),
        ("life", 0, True),
        ("Life imprisonment", 0, True),
    ],
)
def test_penalties_are_read_as_numbers(text, months, life):
    penalty = Penalty.parse(text)
    assert (penalty.months, penalty.life) == (months, life)
    assert penalty.at_least(36) == (life or months >= 36)


@pytest.mark.parametrize("text", ["", "xx", "call me", "ten years", "10 years or a fine", "years"])
def test_unreadable_penalties_are_refused_with_the_rule(text):
    with pytest.raises(FactError) as info:
        Penalty.parse(text)
    assert info.value.field == "maximum_penalty"
    assert OffenceFacts("x", "y", text).penalty is None  # unknown to the rules, never guessed


def test_penalty_prints_plainly():
    assert str(Penalty.parse("42 months")) == "3 years 6 months"
    assert str(Penalty.parse("life")) == "life imprisonment"


def test_offence_tags_and_means_are_checked():
    with pytest.raises(FactError, match="offence kind"):
        OffenceFacts("x", "y", tags=frozenset({"jaywalking"}))
    offence = OffenceFacts("x", "y", by_information_system=True)
    assert offence.by_information_system == "yes"


def test_iso_8601_intervals():
    window = parse_interval("2026-01-01T00:00Z/2026-02-01T00:00:00+01:00")
    assert window.start == datetime(2026, 1, 1, tzinfo=UTC)
    assert window.end.utcoffset() == timedelta(hours=1)
    assert parse_interval(window.iso()) == window


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("xx", "write an ISO 8601 interval"),
        ("2026-01-01T00:00Z", "write an ISO 8601 interval"),
        ("2026-01-01/2026-02-01", "needs a time zone offset"),
        ("2026-02-01T00:00Z/2026-01-01T00:00Z", "the start must be before the end"),
        ("2026-01-01T00:00Z/2026-01-01T00:00Z", "the start must be before the end"),
        ("2026-01-01T00:00Z/P30D", "not a duration"),
        ("tomorrow/next week", "is not an ISO 8601 date-time"),
    ],
)
def test_bad_intervals_name_the_rule(text, rule):
    with pytest.raises(FactError) as info:
        parse_interval(text)
    assert info.value.field == "time_range" and rule in info.value.rule


def test_time_range_of_facts_is_none_unless_valid():
    t = datetime(2026, 1, 1, tzinfo=UTC)
    assert RequestFacts(time_from=t, time_to=t + timedelta(days=1)).time_range == TimeRange(
        t, t + timedelta(days=1)
    )
    assert RequestFacts(time_from=t, time_to=t).time_range is None
    assert RequestFacts(time_from=t).time_range is None


def test_every_field_has_a_label_in_the_routes_data():
    from caseflow.mla import routes

    described = set(routes.table().fields)
    composite = {
        "contact_point",
        "enforcing_notification",
        "nexus",
        "ip_observations",
        "time_range",
        "maximum_penalty",
    }
    parts = {
        "contact_person",
        "contact_phone",
        "contact_email",
        "contact_24_7",
        "time_zone",
        "offence_in_issuing_state",
        "person_in_issuing_state",
        "time_from",
        "time_to",
        "request_types",
        "persons",
    }
    assert set(field_names()) - parts <= described
    assert described - set(field_names()) <= composite
