"""Probable-match keys: values that are distinct entities but may be the same mailbox,
page, number or handle share a key, with a reason; unrelated values do not."""

from __future__ import annotations

import pytest

from caseflow.entities.normalize import normalize
from caseflow.entities.probable import probable_keys


def keys(kind: str, raw: str, region: str | None = None) -> set[str]:
    value = normalize(kind, raw, default_region=region).value
    return {k.key for k in probable_keys(kind, value)}


def shared(kind: str, a: str, b: str, region: str | None = None) -> bool:
    first, second = (
        normalize(kind, a, default_region=region),
        normalize(kind, b, default_region=region),
    )
    assert first.value != second.value, "exact duplicates are hits, not probable matches"
    return bool(keys(kind, a, region) & keys(kind, b, region))


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("jane.doe@gmail.com", "janedoe@gmail.com"),
        ("janedoe+ads@gmail.com", "jane.doe@gmail.com"),
        ("janedoe@googlemail.com", "jane.doe@gmail.com"),
        ("rose+work@example.org", "rose@example.org"),
    ],
)
def test_same_mailbox_spellings_are_probable_matches(a, b):
    assert shared("email", a, b)


def test_dots_matter_outside_gmail_and_other_mailboxes_do_not_match():
    assert not shared("email", "jane.doe@example.org", "janedoe@example.org")
    assert not shared("email", "rose@example.org", "rosie@example.org")


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("http://example.org/rose", "https://www.example.org/rose/"),
        ("https://example.org/rose?utm_source=x&utm_medium=y", "https://example.org/rose"),
        ("https://example.org/ad?id=7&fbclid=abc", "https://example.org/ad?id=7"),
        ("https://example.org/ad?b=2&a=1", "https://example.org/ad?a=1&b=2"),
    ],
)
def test_url_variants_are_probable_matches(a, b):
    assert shared("url", a, b)


def test_a_different_page_or_query_is_not_a_match():
    assert not shared("url", "https://example.org/ad?id=7", "https://example.org/ad?id=8")
    assert not shared("url", "https://example.org/rose", "https://example.org/lily")


def test_a_number_read_with_another_country_code_is_a_probable_match():
    assert shared("phone", "+33639981226", "+34639981226")  # a French number read as Spanish
    assert not shared("phone", "+447700900123", "+447700900124")


def test_messaging_accounts_on_a_number_match_the_number_and_each_other():
    phone = keys("phone", "+447700900123")
    assert keys("account", "whatsapp:+447700900123") & phone
    assert keys("account", "signal:07700 900123", "GB") & keys("account", "telegram:+447700900123")


def test_a_handle_on_another_platform_is_a_probable_match_with_its_reason():
    (key,) = probable_keys("account", "telegram:rose_x")
    assert key.key in keys("account", "instagram:Rose_X")
    assert key.reason == "same handle on another platform"


def test_exact_only_kinds_have_no_probable_keys():
    assert probable_keys("wallet", "eth:0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed") == []
    assert probable_keys("bank_account", "iban:GB86QMLD67501992045380") == []
