"""What an ad says about the offer: prices with currency and unit, stated ages,
possible-minor wording (observations, never conclusions) and places."""

from __future__ import annotations

import pytest

from caseflow.entities.adattributes import ad_attributes
from caseflow.entities.extract import read_ad


def prices(text: str) -> list[tuple[str, str | None, str | None]]:
    return [(p.amount, p.currency, p.unit) for p in ad_attributes(text).prices]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("150/hr incall", [("150", None, "hour")]),
        ("$200 special tonight", [("200", "USD", None)]),
        ("200€ la nuit", [("200", "EUR", "night")]),
        ("£150 per hour", [("150", "GBP", "hour")]),
        ("300 roses overnight", [("300", None, "night")]),
        ("$1,200 weekend, 1hr $300", [("1200", "USD", None), ("300", "USD", None)]),
        ("150 euros la hora", [("150", "EUR", "hour")]),
        ("$1k/night", [("1000", "USD", "night")]),
    ],
)
def test_prices_with_currency_and_unit(text, expected):
    assert prices(text) == expected


@pytest.mark.parametrize(
    ("text", "age"),
    [("22 yo", 22), ("age 23", 23), ("24 ans", 24), ("23 años", 23), ("I'm 21", 21)],
)
def test_stated_ages(text, age):
    assert [a.age for a in ad_attributes(f"hi {text} babe").ages] == [age]


def test_possible_minor_wording_is_observed_with_its_reason_not_concluded():
    found = ad_attributes("NEW IN TOWN!! young and fresh, 19 yo. Nouvelle, 17 ans")
    assert [(i.phrase, i.reason) for i in found.indicators] == [
        ("NEW IN TOWN", "new-arrival wording"),
        ("young", "youth wording"),
        ("fresh", "youth wording"),
        ("19 yo", "stated age 18 or 19"),
        ("Nouvelle", "new-arrival wording"),
        ("17 ans", "stated age under 18"),
    ]


def test_no_indicator_in_ordinary_wording():
    assert (
        ad_attributes("Upscale companion, 26 yo, discreet, hotel near the airport").indicators == []
    )


def test_places_resolve_to_cities_and_regions_or_stay_unresolved():
    found = ad_attributes(
        "Bellevue WA this week, then in Lyon. Visiting Ontario soon. Incall Smallville. London!"
    )
    places = [(p.text, p.country, p.subdivision, p.city) for p in found.locations]
    assert places == [
        ("Bellevue WA", "US", "US-WA", "Bellevue"),
        ("Lyon", "FR", None, "Lyon"),
        ("Ontario", "CA", "CA-ON", None),
        ("Smallville", None, None, None),
        ("London", "GB", "GB-ENG", "London"),
    ]
    assert found.regions()[0] == "US"


def test_the_reading_of_an_ad_carries_its_attributes_and_decoys_stay_out():
    reading = read_ad("22 yo 5'6\" $200/hr Ad #48573621. Text 07700 900123", "GB")
    assert [c.normalized.value for c in reading.candidates] == ["+447700900123"]
    assert [p.amount for p in reading.attributes.prices] == ["200"]
    assert [a.age for a in reading.attributes.ages] == [22]
