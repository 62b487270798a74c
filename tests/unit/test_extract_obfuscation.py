# ruff: noqa: RUF001 -- the confusable characters are what these tests are about
"""Intake reads identifiers written the way ads hide them, and nothing else.

Each test here is a case that was missed or misread before: plain numbers next to other
digits, spelled and disguised digits, obfuscated e-mails and URLs, platform names in their
short forms, and decoys (a US state read as WhatsApp, IBAN digits read as a phone).
"""

from __future__ import annotations

import base58
import pytest
from stdnum import iban as stdnum_iban

from caseflow.entities import _monero
from caseflow.entities.extract import Candidate, extract_identifiers


def offered(text: str, region: str | None, **kw) -> set[str]:
    """`kind:value` of every candidate offered (certain or to check)."""
    return {
        f"{c.kind}:{c.normalized.value}"
        for c in extract_identifiers(text, region, **kw)
        if c.normalized
    }


def only(text: str, region: str | None, kind: str, **kw) -> list[Candidate]:
    return [c for c in extract_identifiers(text, region, **kw) if c.kind == kind]


# ------------------------------------------------------------- numbers next to other digits


@pytest.mark.parametrize(
    ("text", "region", "value"),
    [
        ("available (212) 555-0136 24/7", "US", "+12125550136"),
        ("Outcalls only 07700 900217 24/7", "GB", "+447700900217"),
        ("Specials $200 718 555 0137", "US", "+17185550137"),
        ("nouvelle 06 39 98 12 26 75011", "FR", "+33639981226"),
    ],
)
def test_a_plain_number_next_to_other_digits_is_read_whole(text, region, value):
    phones = only(text, region, "phone")
    assert [(c.normalized.value if c.normalized else c.error, c.check) for c in phones] == [
        (value, None)
    ]


# -------------------------------------------------------------------- disguised digits


@pytest.mark.parametrize(
    ("text", "region", "value", "how"),
    [
        ("call two one two five five five – zero one nine nine", "US", "+12125550199", "spelled"),
        (
            "appelle zéro six trente-neuf quatre-vingt-dix-huit douze vingt-six",
            "FR",
            "+33639981226",
            "spelled",
        ),
        (
            "llámame cero seis treinta y nueve noventa y ocho doce veintiséis",
            "FR",
            "+33639981226",
            "spelled",
        ),
        ("text me 07700 9OO 2l7", "GB", "+447700900217", "look-alike letters"),
        ("2l2-555-0l36", "US", "+12125550136", "look-alike letters"),
        ("2️⃣1️⃣2️⃣5️⃣5️⃣5️⃣0️⃣1️⃣3️⃣6️⃣", "US", "+12125550136", "keycaps or special digits"),
        ("０７７００ ９００２１７", "GB", "+447700900217", "keycaps or special digits"),
        ("212 🔥 555 🔥 0136", "US", "+12125550136", "emoji or bullets"),
        ("07700•900•217", "GB", "+447700900217", "emoji or bullets"),
        ("call\n07700\n900\n217\nbabe", "GB", "+447700900217", "split over lines"),
        ("0 7 7 0 0 9 0 0 2 1 7", "GB", "+447700900217", "spaced digits"),
    ],
)
def test_disguised_digits_are_read_and_say_how(text, region, value, how):
    (phone,) = only(text, region, "phone")
    assert phone.normalized is not None and phone.normalized.value == value
    assert how in phone.how
    assert phone.check is None


def test_digits_inside_a_handle_are_not_a_number():
    assert only("snap lexi_xo22 or kik lexi_xo2277009002", "GB", "phone") == []


# -------------------------------------------------------------------- e-mails and URLs


@pytest.mark.parametrize(
    "text",
    [
        "mail: name at example dot org",
        "name AT example DOT org",
        "name arobase example point org",
        "name arroba example punto org",
        "name [at] example [dot] org",
        "name(at)example(dot)org",
        "name{at}example{dot}org",
        "name @ example.org",
        "name＠example．org",
    ],
)
def test_obfuscated_emails_are_read(text):
    assert "email:name@example.org" in offered(text, "GB")


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("pics at example.org/rose", "url:https://example.org/rose"),
        ("www.example.org", "url:https://www.example.org/"),
        ("see hxxp://example[.]org/rose", "url:http://example.org/rose"),
        ("see hxxps[:]//example[.]org/rose", "url:https://example.org/rose"),
        ("visit example[.]org", "url:https://example.org/"),
    ],
)
def test_urls_without_scheme_or_defanged_are_read(text, value):
    assert value in offered(text, "GB")


def test_a_sentence_dot_is_not_a_domain():
    assert not only("New in town.So sweet.Call me", "GB", "url")


# ---------------------------------------------------------------- platforms and handles


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("tele gram: rosie22", "account:telegram:rosie22"),
        ("Telegram 👉 @rose_x", "account:telegram:rose_x"),
        ("TG ➡️ @rose_x", "account:telegram:rose_x"),
        ("👻 rosie.x", "account:snapchat:rosie.x"),
        ("IG: rose.b", "account:instagram:rose.b"),
        ("kik me rose_99", "account:kik:rose_99"),
        ("OF: rosie_x", "account:onlyfans:rosie_x"),
        ("WhatsApp +44 7700 900123", "account:whatsapp:+447700900123"),
        ("WA: 07700 900123", "account:whatsapp:+447700900123"),
        ("W/A 07700 900123", "account:whatsapp:+447700900123"),
        ("wtsp 07700 900123", "account:whatsapp:+447700900123"),
        ("Whatsapp me: 07700 900123", "account:whatsapp:+447700900123"),
        ("07700 900123 (WhatsApp only)", "account:whatsapp:+447700900123"),
        ("WhatsApp/Telegram: 07700 900123", "account:telegram:+447700900123"),
        ("Signal: +44 7700 900123", "account:signal:+447700900123"),
    ],
)
def test_platforms_in_their_written_forms(text, value):
    found = offered(text, "GB")
    assert value in found
    if value.startswith("account:whatsapp:") or "Signal" in text:
        assert "phone:" + value.rpartition(":")[2] in found  # the number is a phone too


def test_a_us_state_after_a_city_is_not_whatsapp():
    found = offered("Bellevue WA - 425.555.0114", "US")
    assert found == {"phone:+14255550114"}
    # ... but WA before a number with no city is WhatsApp.
    assert "account:whatsapp:+14255550114" in offered("WA - 425.555.0114", "US")


def test_a_short_platform_name_needs_a_separator_or_a_handle():
    assert only("LOTS OF fun, snap me at 10pm", "GB", "account") == []


# ------------------------------------------------------------------------------- decoys


def test_iban_digits_are_not_a_phone_and_the_iban_is_read():
    found = offered("IBAN GB86 QMLD 6750 1992 0453 80", "GB")
    assert found == {"bank_account:iban:GB86QMLD67501992045380"}


def test_a_generated_iban_in_an_ad_is_read():
    bban = "30006000011234567890"
    iban = "FR" + stdnum_iban.calc_check_digits("FR00" + bban + "189") + bban + "189"
    spaced = " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))
    assert offered(f"deposit to {spaced} thanks", "FR") == {f"bank_account:iban:{iban}"}


def test_decoys_are_never_offered():
    text = (
        "Sexy 22 yo, 5'6\" 34DD 120 lbs. 150/hr 250 roses overnight, $300 2hrs. "
        "Ad #48573621 posted 12/05/2024 10:30pm, ID 5551234567. Seattle, WA 98101. "
        "tx 4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b"
    )
    assert offered(text, "US") == set()
    assert [c for c in extract_identifiers(text, "US") if c.error] == []


def test_tron_and_monero_addresses_are_read_and_checked():
    tron = base58.b58encode_check(b"\x41" + bytes(range(20))).decode()
    monero = _monero.encode_address(18, bytes(range(64)))
    broken = tron[:-1] + ("2" if tron[-1] != "2" else "3")
    found = offered(f"USDT TRC20 {tron} or XMR {monero}; old {broken}", "GB")
    assert found == {f"wallet:trx:{tron}", f"wallet:xmr:{monero}"}
    errors = [c.error for c in extract_identifiers(f"USDT TRC20: {broken}", "GB") if c.error]
    assert errors == ["wallet.address: TRON address checksum does not match (base58)"]


# ------------------------------------------------------------------ regions and "check"


def test_the_ads_site_region_comes_before_the_case_region():
    text = "appelle 06 39 98 12 26"
    (phone,) = only(text, "GB", "phone", site="https://annonces.example.fr/a/1")
    assert (phone.normalized.value, phone.check) == ("+33639981226", None)
    # Without the site, a GB case reads it as a French number only for checking.
    (phone,) = only(text, "GB", "phone")
    assert phone.normalized.value == "+33639981226"
    assert phone.check == "valid only as a number of FR, not of GB"


def test_a_city_named_in_the_ad_sets_its_region():
    (phone,) = only("In Lyon cette semaine, appelle 06 39 98 12 26", "GB", "phone")
    assert (phone.normalized.value, phone.check) == ("+33639981226", None)


def test_a_number_valid_only_in_a_secondary_case_jurisdiction_is_to_check():
    (phone,) = only("call 06 39 98 12 26", "GB", "phone", case_regions=["FR"])
    assert phone.check == "valid as a number of FR, not of GB"


# ------------------------------------------------------------------ hostile input sizes

HOSTILE = {
    "long digit run": "1" * 20000 + "x",
    "capitalised words": "Ab " * 20000,
    "base58 run": "T" + "A" * 20000,
    "hidden local-part dots": "a(dot)" * 6000 + "b",
    "chained platform names": "snap/" * 20000,
    "spaced digits": "1 " * 20000,
    "spelled digits": "five " * 20000,
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_text_is_read_in_linear_time(name):
    """Patterns that make backtracking regexes quadratic or worse finish (each took from
    half a minute to several minutes before the finders were made linear)."""
    import signal

    def too_slow(signum, frame):
        raise TimeoutError(f"{name}: extraction did not finish in 20 s")

    previous = signal.signal(signal.SIGALRM, too_slow)
    signal.alarm(20)
    try:
        extract_identifiers(HOSTILE[name], "US")
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
