"""Extraction of identifiers from synthetic ad text: what is found, in order, once each."""

from __future__ import annotations

import string

import base58
import pytest
from hypothesis import given
from hypothesis import strategies as st

from caseflow.entities import _bech32
from caseflow.entities.extract import Candidate, extract_identifiers
from caseflow.entities.normalize import InvalidIdentifier, eip55

AD = """NEW in town!! Call 07700 900123 or +44 7700 900 456 (also 0044 7700 900123).
Book on wa.me/447700900789 or WhatsApp: +44 7700 900 321. telegram: Sweet_Rose, snap - rosie.x
Mail rose [at] example [dot] com or Rose.B@Example.org. Pics: https://www.example.com/rose?id=1).
Follow @rose_official. Ad ref 123456789, 150/hr, age 21.
Deposit 0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed or bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4
or 3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy. Old: 0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD.
Mississippi1234567890abcdefghij is not a wallet, t.me/joinchat is not an account, t.me/rose_tg is.
"""


def values(candidates: list[Candidate]) -> list[tuple[str, str]]:
    return [(c.kind, c.normalized.value) for c in candidates if c.normalized]


def test_synthetic_ad_yields_each_identifier_once_in_order():
    found = extract_identifiers(AD, "GB")
    assert values(found) == [
        ("phone", "+447700900123"),
        ("phone", "+447700900456"),
        ("account", "whatsapp:+447700900789"),
        ("phone", "+447700900789"),
        ("account", "whatsapp:+447700900321"),
        ("phone", "+447700900321"),
        ("account", "telegram:sweet_rose"),
        ("account", "snapchat:rosie.x"),
        ("email", "rose@example.com"),
        ("email", "rose.b@example.org"),
        ("url", "https://www.example.com/rose?id=1"),
        ("wallet", "eth:0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed"),
        ("wallet", "btc:bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"),
        ("wallet", "btc:3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy"),
        ("url", "https://t.me/joinchat"),  # an invite link is a web address, not an account
        ("account", "telegram:rose_tg"),
    ]
    starts = [c.span[0] for c in found]
    assert starts == sorted(starts)


def test_failures_worth_showing_carry_their_error():
    errors = {c.raw: c.error for c in extract_identifiers(AD, "GB") if c.error}
    assert errors == {
        "@rose_official": "account.platform: not known for a bare @handle; choose the platform",
        "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD": (
            "wallet.address: Ethereum address checksum does not match (EIP-55)"
        ),
    }


def test_bare_handles_take_the_ads_platform_and_spans_point_into_the_text():
    found = extract_identifiers(AD, "GB", platform="instagram")
    handle = next(c for c in found if c.raw == "@rose_official")
    assert handle.normalized is not None and handle.normalized.value == "instagram:rose_official"
    for c in found:
        if c.kind in ("wallet", "url", "phone") or c.raw.startswith("@"):
            assert AD[c.span[0] : c.span[1]] == c.raw


def test_without_a_region_national_numbers_are_offered_for_checking_only():
    text = "Call 07700 900123 or +44 7700 900 456, also (212) 555-0136."
    phones = {c.normalized.value: c.check for c in extract_identifiers(text, None)}
    assert phones["+447700900456"] is None
    assert phones["+447700900123"].startswith("valid only as a number of GB")
    assert phones["+12125550136"].startswith("valid only as a number of US")


def test_handles_inside_emails_and_digits_inside_urls_are_not_separate_candidates():
    text = "write to jane@example.com or see https://example.org/ad/07700900123"
    kinds = [c.kind for c in extract_identifiers(text, "GB")]
    assert kinds == ["email", "url"]


def test_text_too_long_is_refused():
    with pytest.raises(InvalidIdentifier, match=r"^ad\.text: is longer than"):
        extract_identifiers("a" * 100_001, "GB")


words = st.text(string.ascii_letters + " ,.!", max_size=30)


@st.composite
def wallets(draw: st.DrawFn) -> tuple[str, str]:
    """A generated wallet as it would be written, and its expected canonical value."""
    payload = draw(st.binary(min_size=20, max_size=20))
    choice = draw(st.sampled_from(["p2pkh", "segwit", "eth"]))
    if choice == "p2pkh":
        address = base58.b58encode_check(b"\x00" + payload).decode("ascii")
        return address, f"btc:{address}"
    if choice == "segwit":
        address = _bech32.encode_segwit("bc", 0, payload)
        return address, f"btc:{address}"
    address = eip55(payload.hex())
    return address, f"eth:{address.lower()}"


@given(before=words, after=words, wallet=wallets(), n=st.integers(0, 999))
def test_generated_wallets_and_phones_are_found_in_any_filler(before, after, wallet, n):
    address, value = wallet
    text = f"{before} pay {address} now, text +44 7700 900{n:03d} {after}"
    found = values(extract_identifiers(text, "GB"))
    assert ("wallet", value) in found
    assert ("phone", f"+447700900{n:03d}") in found


@given(
    word=st.text(
        "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz", min_size=26, max_size=34
    )
)
def test_base58_looking_words_without_a_valid_checksum_are_not_wallets(word):
    try:
        base58.b58decode_check("1" + word)
    except ValueError:
        pass
    else:
        return  # a real checksum by chance (p = 2**-32): nothing to test
    assert not [c for c in extract_identifiers(f"see 1{word} here", None) if c.kind == "wallet"]


@given(text=st.text(max_size=300))
def test_extraction_never_raises_on_arbitrary_text(text):
    for c in extract_identifiers(text, "GB"):
        assert (c.normalized is None) != (c.error is None)
